"""A small Transformer encoder block, inference: token ids (64 per sample) -> Embedding(8000, 128)
-> MultiHeadAttention(4 heads x 32) + residual + LayerNorm -> FFN(512, relu) + residual +
LayerNorm -> mean over tokens -> Dense(2).

Attention and the feed-forward network are large matmuls plus many small element-wise ops
(softmax, layer norm): the mix XLA's fusion targets.
"""

from __future__ import annotations

from typing import Any

from benchmarks.worker.workloads.base import Workload, dense_flops

VOCAB, SEQ, D, HEADS, FFN = 8_000, 64, 128, 4, 512
_PER_TOKEN = (
    4 * dense_flops(D, D)  # Q, K, V and output projections
    + 2 * (2 * SEQ * D)  # scores Q.K^T and the weighted sum of V
    + dense_flops(D, FFN)
    + dense_flops(FFN, D)
)
FLOPS_PER_SAMPLE = SEQ * _PER_TOKEN + dense_flops(D, 2)  # layer sum; norms/softmax ignored


def build(batch_size: int, seed: int) -> Workload:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tokens = keras.Input(shape=(SEQ,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(VOCAB, D)(tokens)
    attn = keras.layers.MultiHeadAttention(num_heads=HEADS, key_dim=D // HEADS)(x, x)
    x = keras.layers.LayerNormalization()(x + attn)
    ffn = keras.layers.Dense(D)(keras.layers.Dense(FFN, activation="relu")(x))
    x = keras.layers.LayerNormalization()(x + ffn)
    out = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling1D()(x))
    model = keras.Model(tokens, out)
    ids = tf.random.stateless_uniform((batch_size, SEQ), [seed, 1], 0, VOCAB, dtype=tf.int32)

    def forward(x: Any) -> Any:
        return model(x, training=False)

    return Workload(
        "transformer",
        forward,
        (ids,),
        FLOPS_PER_SAMPLE,
        description="Transformer encoder block",
        model=model,
    )
