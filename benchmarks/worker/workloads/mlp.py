"""The seed notebook's MLP, exactly: a functional Keras ``Model`` called as ``model(x)``.

``Input((28, 28))`` -> ``Flatten`` -> 3 x ``Dense(256, relu)`` -> ``Dense(10, softmax)``; eager
is ``model(x)`` and graph is ``tf.function(model)`` (the worker wraps the model itself). This is
the model of the TensorFlow "better performance with tf.function" guide that made the
eager-vs-graph question popular; keeping it exact keeps our figures comparable with theirs. An
explicit ``training=False`` is a call path of its own (about 10 % slower eager on a 2-core VM),
not the seed.
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload, dense_flops

FLOPS_PER_SAMPLE = dense_flops(784, 256) + 2 * dense_flops(256, 256) + dense_flops(256, 10)


def keras_model(seed: int) -> Any:
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((28, 28))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    x = keras.layers.Dense(256, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    return keras.Model(inputs, outputs)


def random_images(batch_size: int, seed: int) -> Any:
    import tensorflow as tf

    return tf.random.stateless_uniform((batch_size, 28, 28), seed=[seed, 1])


def build(batch_size: int, seed: int) -> Workload:
    model = keras_model(seed)
    x = random_images(batch_size, seed)
    return Workload(
        "mlp", model, (x,), FLOPS_PER_SAMPLE, description="Keras MLP inference", model=model
    )
