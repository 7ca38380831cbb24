"""An LSTM text classifier, inference: token ids (64 per sample) -> Embedding(10000, 64) ->
LSTM(64) -> Dense(1, sigmoid).

Recurrent layers run a loop of small ops per time step; that is where the TensorFlow guide showed
graph execution's largest gain, so this is the built-in where eager pays most per call.
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload, dense_flops

VOCAB, SEQ, EMBED, UNITS = 10_000, 64, 64, 64
# 4 gates, each a dense map of [x_t, h_{t-1}] per time step (element-wise gate math ignored)
FLOPS_PER_SAMPLE = SEQ * 4 * dense_flops(EMBED + UNITS, UNITS) + dense_flops(UNITS, 1)


def build(batch_size: int, seed: int) -> Workload:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tokens = keras.Input(shape=(SEQ,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(VOCAB, EMBED)(tokens)
    h = keras.layers.LSTM(UNITS)(h)
    model = keras.Model(tokens, keras.layers.Dense(1, activation="sigmoid")(h))
    x = tf.random.stateless_uniform((batch_size, SEQ), [seed, 1], 0, VOCAB, dtype=tf.int32)

    def forward(x: Any) -> Any:
        return model(x, training=False)

    return Workload(
        "lstm", forward, (x,), FLOPS_PER_SAMPLE, description="LSTM text classifier", model=model
    )
