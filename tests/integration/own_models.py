"""Make the user models the own-model tests run (``python -m tests.integration.own_models DIR``).

Run as a child so the test process itself never imports TensorFlow: one TF process at a time.
Writes ``embed.keras`` (integer ids into an Embedding), ``two_inputs.keras`` (a dict of two
inputs), ``custom.keras`` (a layer class nobody registered), ``module_sm/`` (a SavedModel of a
tf.Module with a signature), ``mymodels.py`` (entry points), ``broken.py`` (an entry point whose import fails) and two ``.npz`` input files.
"""

from __future__ import annotations

import sys
from pathlib import Path

ENTRY_MODULE = """
import keras
import tensorflow as tf


def tiny(batch_size, seed):
    keras.utils.set_random_seed(seed)
    ids = keras.Input(shape=(5,), dtype="int32", name="ids")
    h = keras.layers.Embedding(50, 4)(ids)
    return keras.Model(ids, keras.layers.Dense(3)(keras.layers.Flatten()(h)))


def no_xla(batch_size, seed):  # numpy_function runs in eager and graph, never under XLA
    spec = tf.TensorSpec([None, 4], tf.float32, name="x")
    return (lambda x: tf.numpy_function(lambda v: v * 2, [x], tf.float32)), spec


def raw(batch_size, seed):
    w = tf.Variable(tf.random.stateless_normal((6, 2), [seed, 7]))
    return (lambda x: tf.nn.relu(x @ w)), tf.TensorSpec([None, 6], tf.float32, name="x")
"""


def main(out: Path) -> None:
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(7)
    ids = keras.Input(shape=(12,), dtype="int32", name="tokens")
    h = keras.layers.Embedding(300, 8)(ids)
    h = keras.layers.GlobalAveragePooling1D()(h)
    keras.Model(ids, keras.layers.Dense(4, activation="softmax")(h)).save(out / "embed.keras")

    a = keras.Input(shape=(8,), name="a")
    b = keras.Input(shape=(4,), name="b")
    merged = keras.layers.Concatenate()([keras.layers.Dense(6)(a), b])
    keras.Model({"a": a, "b": b}, keras.layers.Dense(2)(merged)).save(out / "two_inputs.keras")

    class Doubler(keras.layers.Layer):  # type: ignore[misc]  # unregistered: needs custom_objects
        def call(self, x):  # type: ignore[no-untyped-def]
            return 2 * x

    x = keras.Input(shape=(3,))
    keras.Model(x, Doubler()(x)).save(out / "custom.keras")

    signature = tf.TensorSpec([None, 6], tf.float32, name="x")

    class Scale(tf.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            self.w = tf.Variable(tf.random.stateless_normal((6, 3), [1, 2]))

        @tf.function(input_signature=[signature])  # type: ignore[untyped-decorator]
        def __call__(self, x: tf.Tensor) -> dict[str, tf.Tensor]:
            return {"y": tf.nn.softmax(tf.matmul(x, self.w))}

    module = Scale()
    tf.saved_model.save(
        module, str(out / "module_sm"), signatures={"serving_default": module.__call__}
    )
    (out / "mymodels.py").write_text(ENTRY_MODULE)
    (out / "broken.py").write_text("import not_a_real_package_xyz\n\ndef net(b, s):\n    pass\n")
    rng = np.random.default_rng(3)  # the user's own arrays: 3 samples, tiled to the batch size
    np.savez(out / "pair.npz", a=rng.random((3, 8)), b=rng.random((3, 4)))
    np.savez(out / "wrong.npz", ids=np.zeros((3, 12), np.int32))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
