"""Keras side of the TF.js vs Keras training comparison (bench/keras-compare/run.sh drives it).

Reads the data the TypeScript side wrote (float32 little-endian, row-major; meta.json gives the shapes), trains
the same MLP / LSTM with the same epochs, batch size, optimizer (Adam, lr 1e-3, beta 0.9/0.999) and loss (MSE),
shuffling each epoch, and prints one JSON object: per-epoch wall time and validation loss, and samples/s.

Usage: keras_compare.py <data-dir> <model: mlp|lstm> [--threads N]
"""
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def load(data_dir, name, meta):
    m = meta[name]
    x = np.fromfile(os.path.join(data_dir, f"{name}.x.f32"), dtype="<f4").reshape([m["rows"], *m["inputShape"]])
    y = np.fromfile(os.path.join(data_dir, f"{name}.y.f32"), dtype="<f4").reshape([m["rows"], 1])
    n_train = m["trainRows"]
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:]), m


def build(name, m):
    if name == "mlp":
        layers = [tf.keras.Input(shape=m["inputShape"])]
        layers += [tf.keras.layers.Dense(u, activation="relu") for u in m["hiddenUnits"]]
    else:
        layers = [tf.keras.Input(shape=m["inputShape"]), tf.keras.layers.Masking(0.0), tf.keras.layers.LSTM(m["units"])]
    model = tf.keras.Sequential(layers + [tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3, beta_1=0.9, beta_2=0.999), loss="mse")
    return model


class EpochClock(tf.keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.start = None
        self.epochs = []

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append({"epoch": epoch + 1, "seconds": time.perf_counter() - self.start,
                            "loss": float(logs["loss"]), "valLoss": float(logs["val_loss"])})


def main():
    data_dir, name = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 0
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    with open(os.path.join(data_dir, "meta.json")) as f:
        meta = json.load(f)
    (x, y), (xv, yv), m = load(data_dir, name, meta)
    tf.keras.utils.set_random_seed(7)
    model = build(name, m)
    clock = EpochClock()
    model.fit(x, y, epochs=m["epochs"], batch_size=m["batchSize"], shuffle=True, validation_data=(xv, yv),
              verbose=0, callbacks=[clock])
    seconds = clock.epochs[-1]["seconds"]
    print(json.dumps({
        "framework": "keras", "backend": f"tensorflow-cpu {tf.__version__}", "keras": tf.keras.__version__
        if hasattr(tf.keras, "__version__") else "unknown",
        "threads": threads or "default", "model": name, "epochs": clock.epochs,
        "samplesPerSecond": m["epochs"] * len(x) / seconds, "seconds": seconds,
    }))


if __name__ == "__main__":
    main()
