"""A small convolutional net (LeNet-like), inference: where per-op work is large.

28x28x1 -> Conv 3x3x32 relu -> MaxPool 2 -> Conv 3x3x64 relu -> MaxPool 2 -> Flatten ->
Dense(128, relu) -> Dense(10, softmax).
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload, dense_flops


def _conv_flops(out_hw: int, channels_in: int, channels_out: int, k: int = 3) -> int:
    return 2 * out_hw * out_hw * channels_out * k * k * channels_in


FLOPS_PER_SAMPLE = (
    _conv_flops(26, 1, 32)  # 28 -> 26 (valid), pool -> 13
    + _conv_flops(11, 32, 64)  # 13 -> 11, pool -> 5
    + dense_flops(5 * 5 * 64, 128)
    + dense_flops(128, 10)
)


def build(batch_size: int, seed: int) -> Workload:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(64, 3, activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    x = tf.random.stateless_uniform((batch_size, 28, 28, 1), seed=[seed, 1])

    def forward(x: Any) -> Any:
        return model(x, training=False)

    return Workload(
        "cnn", forward, (x,), FLOPS_PER_SAMPLE, description="small CNN inference", model=model
    )
