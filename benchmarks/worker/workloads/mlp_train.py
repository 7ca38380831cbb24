"""One training step of the tutorial MLP: forward, loss, GradientTape backward, SGD update.

Training adds the backward pass (about twice the forward FLOPs) and optimizer variable updates,
which is where graph mode usually pays most at small batch sizes.
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload
from benchmarks.worker.workloads.mlp import FLOPS_PER_SAMPLE as FORWARD_FLOPS
from benchmarks.worker.workloads.mlp import keras_model, random_images

# forward + backward (gradients w.r.t. activations and weights: ~2x forward)
FLOPS_PER_SAMPLE = 3 * FORWARD_FLOPS


def build(batch_size: int, seed: int) -> Workload:
    import keras
    import tensorflow as tf

    model = keras_model(seed)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.SGD(learning_rate=0.01)
    optimizer.build(model.trainable_variables)  # create slots eagerly: XLA cannot create variables
    x = random_images(batch_size, seed)
    y = tf.random.stateless_uniform((batch_size,), [seed, 2], 0, 10, dtype=tf.int32)

    def train_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    return Workload(
        "mlp_train",
        train_step,
        (x, y),
        FLOPS_PER_SAMPLE,
        stateful=True,
        description="MLP training step (SGD)",
    )
