"""The tutorial MLP: 28x28 -> Flatten -> 3 x Dense(256, relu) -> Dense(10, softmax), inference.

This is the model of the TensorFlow "better performance with tf.function" guide that made the
eager-vs-graph question popular; keeping it exact keeps our figures comparable with theirs.
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload, dense_flops

FLOPS_PER_SAMPLE = dense_flops(784, 256) + 2 * dense_flops(256, 256) + dense_flops(256, 10)


def keras_model(seed: int) -> Any:
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def random_images(batch_size: int, seed: int) -> Any:
    import tensorflow as tf

    return tf.random.stateless_uniform((batch_size, 28, 28), seed=[seed, 1])


def build(batch_size: int, seed: int) -> Workload:
    model = keras_model(seed)
    x = random_images(batch_size, seed)

    def forward(x: Any) -> Any:
        return model(x, training=False)

    return Workload("mlp", forward, (x,), FLOPS_PER_SAMPLE, description="Keras MLP inference")
