"""The MLP's math in raw TensorFlow ops on tf.Variables, without Keras.

Eager cost = Python + TF op dispatch (~10 ops) here, versus Python + Keras layer machinery +
the same ops in ``mlp``; the difference between the two eager figures is Keras' call overhead.
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload
from benchmarks.worker.workloads.mlp import FLOPS_PER_SAMPLE, random_images

LAYERS = ((784, 256), (256, 256), (256, 256), (256, 10))


def build(batch_size: int, seed: int) -> Workload:
    import tensorflow as tf

    params = []
    for i, (fan_in, fan_out) in enumerate(LAYERS):
        limit = (6.0 / (fan_in + fan_out)) ** 0.5  # Glorot uniform, as Keras' Dense default
        w = tf.random.stateless_uniform((fan_in, fan_out), [seed, 10 + i], -limit, limit)
        params.append(
            (tf.Variable(w, name=f"w{i}"), tf.Variable(tf.zeros([fan_out]), name=f"b{i}"))
        )
    x = random_images(batch_size, seed)

    def forward(x: Any) -> Any:
        h = tf.reshape(x, [-1, 784])
        for w, b in params[:-1]:
            h = tf.nn.relu(tf.matmul(h, w) + b)
        w, b = params[-1]
        return tf.nn.softmax(tf.matmul(h, w) + b)

    return Workload("mlp_raw", forward, (x,), FLOPS_PER_SAMPLE, description="raw-op MLP inference")
