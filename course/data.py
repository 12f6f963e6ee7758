"""Data for the course: the spiral toy set, 8x8 digits, CIFAR-10 from a local folder.

Nothing is downloaded at run time. The spiral is generated, the digits ship
with scikit-learn, and CIFAR-10 is read from a folder the instructor (or
learner) filled by hand.

Every loader returns a dict in the CS231n layout, the one ``Solver`` expects::

    {"X_train", "y_train", "X_val", "y_val", "X_test", "y_test"}

with X of shape (N, ...) in ``dtype`` (float64 by default) and y of shape
(N,) int64.
"""

from __future__ import annotations

import codecs
import os
import pickle
from pathlib import Path

import numpy as np

from course import _checks
from course._checks import positive

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar.html"


# ---------------------------------------------------------------- argument checks


def _seed(value):
    """Check a seed: None or an integer >= 0."""
    return None if value is None else _checks.integer("seed", value, 0)



# ---------------------------------------------------------------- the spiral

def make_spiral(num_classes=3, points_per_class=100, noise=0.2, seed=0, dtype=np.float64):
    """The lecture's spiral: K arms that no straight line can separate.

    Arm j holds N points at radius r = linspace(0, 1, N) and angle
    t = linspace(4j, 4(j + 1), N) + noise * randn(N), placed at
    r * (sin t, cos t). Uses its own ``np.random.default_rng(seed)``; the
    global numpy random state is left alone.

    Inputs:
    - num_classes: K, the number of arms (>= 1)
    - points_per_class: N, points on each arm (>= 1)
    - noise: standard deviation of the angle jitter (>= 0)
    - seed: integer >= 0, or None for fresh randomness
    - dtype: np.float32 or np.float64
    Returns a tuple of:
    - X: array of shape (K * N, 2), rows ordered arm by arm
    - y: int64 array of shape (K * N,), y[i] = arm of X[i]
    """
    K = _checks.integer("num_classes", num_classes, 1)
    N = _checks.integer("points_per_class", points_per_class, 1)
    noise = positive("noise", noise, allow_zero=True)
    dt = _checks.float_dtype(dtype)
    rng = np.random.default_rng(_seed(seed))

    X = np.zeros((K * N, 2))
    y = np.zeros(K * N, dtype=np.int64)
    r = np.linspace(0.0, 1.0, N)
    for j in range(K):
        rows = slice(j * N, (j + 1) * N)
        t = np.linspace(j * 4.0, (j + 1) * 4.0, N) + noise * rng.standard_normal(N)
        X[rows, 0] = r * np.sin(t)
        X[rows, 1] = r * np.cos(t)
        y[rows] = j
    return X.astype(dt, copy=False), y


# ---------------------------------------------------------------- 8x8 digits

DIGITS_SIZE = 1797  # images in sklearn.datasets.load_digits


def _digits():
    """scikit-learn's digits file, read without importing scikit-learn (a second saved)."""
    import importlib.util

    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the digits ship with scikit-learn: pip install scikit-learn")
    table = np.loadtxt(Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz",
                       delimiter=",")  # 64 pixels, then the label
    return table[:, :-1], table[:, -1].astype(np.int64)


def load_digits(num_val=200, num_test=300, seed=0, dtype=np.float64, normalize=True,
                flatten=True, return_indices=False):
    """The 8x8 handwritten digits shipped with scikit-learn, split three ways.

    The 1797 images are shuffled with ``np.random.default_rng(seed)``; the
    last ``num_test`` go to test, the ``num_val`` before them to validation,
    the rest to training (default 1297 / 200 / 300). Pixels are 0..16.

    Inputs:
    - num_val, num_test: sizes of the validation and test sets (>= 0)
    - seed: integer >= 0 for the shuffle (same seed, same split)
    - dtype: np.float32 or np.float64
    - normalize: scale pixels to [0, 1] (divide by 16), then subtract the mean
      training image from every split
    - flatten: X of shape (N, 64); if False, images of shape (N, 1, 8, 8)
    - return_indices: also return where each row came from
    Returns a dict with:
    - X_train, X_val, X_test: arrays of shape (N, 64) or (N, 1, 8, 8)
    - y_train, y_val, y_test: int64 labels in 0..9, shape (N,)
    - mean_image: (only if normalize) the subtracted mean, shape (64,) or (1, 8, 8)
    - idx_train, idx_val, idx_test: (only if return_indices) row indices into
      ``sklearn.datasets.load_digits().data``
    """
    num_val = _checks.integer("num_val", num_val, 0)
    num_test = _checks.integer("num_test", num_test, 0)
    if num_val + num_test >= DIGITS_SIZE:
        raise ValueError(f"num_val + num_test: expected at most {DIGITS_SIZE - 1} so that a "
                         f"training set remains, got {num_val} + {num_test}")
    dt = _checks.float_dtype(dtype)
    rng = np.random.default_rng(_seed(seed))

    X_all, y_all = _digits()  # (1797, 64) float64, (1797,) int64
    order = rng.permutation(len(X_all))
    num_train = len(X_all) - num_val - num_test
    idx = {"train": order[:num_train],
           "val": order[num_train:num_train + num_val],
           "test": order[num_train + num_val:]}

    if normalize:
        X_all = X_all / 16.0
        mean_image = X_all[idx["train"]].mean(axis=0)
        X_all = X_all - mean_image
    shape = (-1, 64) if flatten else (-1, 1, 8, 8)

    data = {}
    for split, rows in idx.items():
        data[f"X_{split}"] = X_all[rows].reshape(shape).astype(dt, copy=False)
        data[f"y_{split}"] = y_all[rows]
        if return_indices:
            data[f"idx_{split}"] = rows.copy()
    if normalize:
        data["mean_image"] = mean_image.reshape(shape[1:]).astype(dt)
    return data


# ---------------------------------------------------------------- CIFAR-10

def _cifar_help(root: Path) -> str:
    return (f"Put the CIFAR-10 python batches in {root}: download cifar-10-python.tar.gz "
            f"by hand from {CIFAR10_URL}, extract it (tar -xzf cifar-10-python.tar.gz) and "
            f"pass the extracted folder cifar-10-batches-py as root; it must contain "
            f"data_batch_1, ..., data_batch_5 and test_batch. Nothing is downloaded "
            f"automatically.")


def _pickle_globals() -> dict:
    """The only globals a CIFAR batch pickle needs: numpy arrays, scalars and bytes."""
    reconstruct = np.empty(0).__reduce__()[0]
    scalar = np.int64(0).__reduce__()[0]
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("_codecs", "encode"): codecs.encode}
    # Batches written by python 2 / numpy 1 name numpy.core, numpy 2 names numpy._core.
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = reconstruct
        allowed[(module, "scalar")] = scalar
    return allowed


class _BatchUnpickler(pickle.Unpickler):
    """Unpickle a CIFAR batch, refusing any other global: a pickle can run code."""

    allowed = _pickle_globals()

    def find_class(self, module, name):
        try:
            return self.allowed[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: not part of a CIFAR-10 batch") from None


def _load_batch(path: Path):
    """Read one batch file -> (X uint8 (n, 3, 32, 32), y int64 (n,))."""
    with open(path, "rb") as f:
        # latin1-era pickles from python 2: keep their strings as bytes, like the real keys.
        batch = _BatchUnpickler(f, encoding="bytes").load()
    if not isinstance(batch, dict):
        raise ValueError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    # The real files use bytes keys (b"data"); accept str keys too.
    data = batch.get(b"data", batch.get("data"))
    labels = batch.get(b"labels", batch.get("labels"))
    if data is None or labels is None:
        raise ValueError(f"{path}: expected keys b'data' and b'labels', got {list(batch)}")
    data = np.asarray(data)
    labels = np.asarray(labels)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or data.dtype != np.uint8:
        raise ValueError(f"{path}: expected b'data' as uint8 of shape (n, 3072), "
                         f"got {data.dtype} of shape {data.shape}")
    if labels.shape != (len(data),) or (labels.size and labels.dtype.kind not in "iu"):
        raise ValueError(f"{path}: expected {len(data)} integer labels, got {labels.shape}")
    # Each row holds the red plane, then green, then blue, each 32x32 row-major.
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def load_cifar10(root, num_training=49000, num_validation=1000, num_test=1000,
                 subtract_mean=True, dtype=np.float64):
    """CIFAR-10 from the python batches in a local folder, split like CS231n.

    Reads ``data_batch_1``, ``data_batch_2``, ... in order until there are
    ``num_training + num_validation`` training images (the full set has five
    batches of 10000), and ``test_batch``. Validation is taken from the end:
    images ``num_training .. num_training + num_validation - 1``. Test is the
    first ``num_test`` images of ``test_batch``.

    Inputs:
    - root: folder holding the batches (str or path)
    - num_training (>= 1), num_validation (>= 0), num_test (>= 0): split sizes
    - subtract_mean: subtract the mean training image from every split
    - dtype: np.float32 or np.float64
    Returns a dict with:
    - X_train, X_val, X_test: arrays of shape (N, 3, 32, 32), channels first,
      pixel values 0..255 (minus the mean image if subtract_mean)
    - y_train, y_val, y_test: int64 labels in 0..9, shape (N,); the names are
      in ``CIFAR10_CLASSES``
    - mean_image: (only if subtract_mean) shape (3, 32, 32)
    Raises FileNotFoundError if the folder or a needed batch is missing, and
    ValueError if the folder holds fewer images than asked for.
    """
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"root: expected a folder path (str or pathlib.Path), "
                        f"got {type(root).__name__}")
    num_training = _checks.integer("num_training", num_training, 1)
    num_validation = _checks.integer("num_validation", num_validation, 0)
    num_test = _checks.integer("num_test", num_test, 0)
    dt = _checks.float_dtype(dtype)

    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"CIFAR-10 folder not found: {root}. {_cifar_help(root)}")
    for name in ("data_batch_1", "test_batch"):
        if not (root / name).is_file():
            raise FileNotFoundError(f"CIFAR-10 batch {name} not found in {root}. "
                                    f"{_cifar_help(root)}")

    wanted = num_training + num_validation
    xs, ys, have, k = [], [], 0, 1
    while have < wanted and (root / f"data_batch_{k}").is_file():
        X, y = _load_batch(root / f"data_batch_{k}")
        xs.append(X)
        ys.append(y)
        have += len(X)
        k += 1
    if have < wanted:
        later = [f"data_batch_{j}" for j in range(k + 1, 6) if (root / f"data_batch_{j}").is_file()]
        if later:
            raise FileNotFoundError(f"CIFAR-10 batch data_batch_{k} not found in {root}, "
                                    f"but {', '.join(later)} exist. {_cifar_help(root)}")
        raise ValueError(f"num_training + num_validation: asked for {num_training} + "
                         f"{num_validation} = {wanted} training images, but the "
                         f"{k - 1} batch(es) in {root} hold only {have}")
    X_train_all = np.concatenate(xs)
    y_train_all = np.concatenate(ys)

    X_test, y_test = _load_batch(root / "test_batch")
    if num_test > len(X_test):
        raise ValueError(f"num_test: asked for {num_test} test images, but "
                         f"{root / 'test_batch'} holds only {len(X_test)}")

    data = {
        "X_train": X_train_all[:num_training].astype(dt),
        "y_train": y_train_all[:num_training],
        "X_val": X_train_all[num_training:wanted].astype(dt),
        "y_val": y_train_all[num_training:wanted],
        "X_test": X_test[:num_test].astype(dt),
        "y_test": y_test[:num_test],
    }
    if subtract_mean:
        mean_image = data["X_train"].mean(axis=0, dtype=np.float64)
        for split in ("train", "val", "test"):
            # In place on our own fresh copies; saves a second 49000-image array.
            data[f"X_{split}"] -= mean_image.astype(dt)
        data["mean_image"] = mean_image.astype(dt)
    return data


# ---------------------------------------------------------------- minibatches

def iterate_minibatches(X, y, batch_size, seed=None, shuffle=True):
    """An iterator of ``(X_batch, y_batch)`` pairs covering every row of X once.

    Inputs:
    - X: array of shape (N, ...); y: array of shape (N,)
    - batch_size: rows per batch (>= 1); the last batch may be smaller
    - seed: integer >= 0 or None, for the shuffle
    - shuffle: visit the rows in a random order (else in order)
    Returns a generator of copies; X and y are not modified.
    """
    X = np.asarray(X)
    y = np.asarray(y)
    batch_size = _checks.integer("batch_size", batch_size, 1)
    if X.ndim == 0 or y.shape != (len(X),):
        raise ValueError(f"y: expected shape ({len(X) if X.ndim else 'N'},), one label per "
                         f"row of X of shape {X.shape}, got {y.shape}")
    rng = np.random.default_rng(_seed(seed))
    order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
    # The checks above run at the call; the batches come lazily from here.
    return ((X[order[i:i + batch_size]], y[order[i:i + batch_size]])
            for i in range(0, len(X), batch_size))
