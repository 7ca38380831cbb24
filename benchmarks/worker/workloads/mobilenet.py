"""MobileNetV3Small (keras.applications, random weights: ``weights=None``, no download), inference
on 224x224x3 images: a realistic mobile vision model, many small depthwise ops per call.

Its FLOPs per sample are left to the worker's graph profiler (``benchmarks.worker.identity``).
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload

IMAGE = (224, 224, 3)
FLOPS_PER_SAMPLE: int | None = None  # profiled in the worker; the shard split charges none


def build(batch_size: int, seed: int) -> Workload:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = keras.applications.MobileNetV3Small(input_shape=IMAGE, weights=None, classes=1000)
    x = tf.random.stateless_uniform((batch_size, *IMAGE), seed=[seed, 1], maxval=255.0)

    def forward(x: Any) -> Any:
        return model(x, training=False)

    return Workload(
        "mobilenet",
        forward,
        (x,),
        FLOPS_PER_SAMPLE,
        description="MobileNetV3Small inference",
        model=model,
    )
