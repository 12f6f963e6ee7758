"""Tests for course.data: the spiral, the digits split, CIFAR-10 from a folder, minibatches."""

import pickle
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.data import (
    CIFAR10_CLASSES,
    iterate_minibatches,
    load_cifar10,
    load_digits,
    make_spiral,
)
from tests.strategies import seeds

pytestmark = pytest.mark.networks


# ================================================================ make_spiral

@given(K=st.integers(1, 6), N=st.integers(1, 60), seed=seeds())
def test_spiral_shapes_and_balance(K, N, seed):
    X, y = make_spiral(K, N, seed=seed)
    assert X.shape == (K * N, 2) and X.dtype == np.float64
    assert y.shape == (K * N,) and y.dtype == np.int64
    assert np.array_equal(np.bincount(y, minlength=K), np.full(K, N))
    assert np.array_equal(y, np.repeat(np.arange(K), N))  # arm by arm


@given(K=st.integers(1, 5), N=st.integers(2, 50), seed=seeds(),
       noise=st.floats(0.0, 2.0))
def test_spiral_radius_is_linspace(K, N, seed, noise):
    # |r (sin t, cos t)| = r whatever the noisy angle t is.
    X, _ = make_spiral(K, N, noise=noise, seed=seed)
    radius = np.hypot(X[:, 0], X[:, 1]).reshape(K, N)
    assert np.all(radius >= 0) and np.all(radius <= 1 + 1e-12)
    np.testing.assert_allclose(radius, np.tile(np.linspace(0, 1, N), (K, 1)), atol=1e-12)


def test_spiral_without_noise_pinned():
    # noise=0: arm j ends at radius 1, angle 4(j + 1), i.e. (sin 4(j+1), cos 4(j+1));
    # arm j's middle point (N = 3) is at radius 1/2, angle 4j + 2.
    X, _ = make_spiral(3, 3, noise=0.0)
    for j in range(3):
        np.testing.assert_allclose(X[3 * j + 2], [np.sin(4 * (j + 1)), np.cos(4 * (j + 1))],
                                   rtol=0, atol=1e-15)
        np.testing.assert_allclose(X[3 * j + 1], [0.5 * np.sin(4 * j + 2),
                                                  0.5 * np.cos(4 * j + 2)], atol=1e-15)
        np.testing.assert_array_equal(X[3 * j], [0.0, 0.0])


def test_spiral_noise_is_on_the_angle():
    # The angle residual against linspace(0, 4, N) should have std ~ noise.
    N, noise = 20000, 0.2
    X, _ = make_spiral(1, N, noise=noise, seed=3)
    t = np.arctan2(X[1:, 0], X[1:, 1])  # skip r = 0, where the angle is undefined
    resid = np.angle(np.exp(1j * (t - np.linspace(0, 4, N)[1:])))  # wrapped to (-pi, pi]
    assert abs(resid.mean()) < 0.01
    assert 0.19 < resid.std() < 0.21


@given(seed=seeds())
def test_spiral_deterministic_per_seed(seed):
    X1, y1 = make_spiral(seed=seed)
    X2, y2 = make_spiral(seed=seed)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    X3, _ = make_spiral(seed=seed + 1)
    assert not np.array_equal(X1, X3)


def test_spiral_leaves_global_random_state_alone():
    np.random.seed(231)
    before = np.random.get_state()[1].copy()
    make_spiral(seed=5)
    make_spiral(seed=None)
    assert np.array_equal(np.random.get_state()[1], before)


def test_spiral_float32():
    X, y = make_spiral(dtype=np.float32)
    X64, _ = make_spiral()
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(X, X64, atol=1e-6)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"num_classes": 0}, ValueError, "num_classes"),
    ({"num_classes": 2.5}, TypeError, "num_classes"),
    ({"num_classes": True}, TypeError, "num_classes"),
    ({"points_per_class": -1}, ValueError, "points_per_class"),
    ({"noise": -0.1}, ValueError, "noise"),
    ({"noise": float("nan")}, ValueError, "noise"),
    ({"noise": "0.2"}, TypeError, "noise"),
    ({"seed": -1}, ValueError, "seed"),
    ({"seed": 1.5}, TypeError, "seed"),
    ({"dtype": np.int32}, ValueError, "dtype"),
    ({"dtype": "banana"}, TypeError, "dtype"),
])
def test_spiral_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        make_spiral(**kwargs)


# ================================================================ load_digits

@pytest.fixture(scope="module")
def sk_digits():
    from sklearn.datasets import load_digits as sklearn_digits
    d = sklearn_digits()
    return d.data, d.target


def test_digits_default_split_sizes():
    data = load_digits()
    sizes = {k: len(v) for k, v in data.items() if k != "mean_image"}
    assert sizes == {"X_train": 1297, "y_train": 1297, "X_val": 200, "y_val": 200,
                     "X_test": 300, "y_test": 300}
    assert data["X_train"].shape == (1297, 64) and data["X_train"].dtype == np.float64
    assert data["mean_image"].shape == (64,)


@given(num_val=st.integers(0, 400), num_test=st.integers(0, 400), seed=seeds())
def test_digits_splits_are_disjoint_and_match_sklearn(sk_digits, num_val, num_test, seed):
    raw_X, raw_y = sk_digits
    data = load_digits(num_val=num_val, num_test=num_test, seed=seed, normalize=False,
                       return_indices=True)
    idx = [data["idx_train"], data["idx_val"], data["idx_test"]]
    assert [len(i) for i in idx] == [1797 - num_val - num_test, num_val, num_test]
    # Every image index lands in exactly one split.
    assert np.array_equal(np.sort(np.concatenate(idx)), np.arange(1797))
    for split, rows in zip(("train", "val", "test"), idx):
        assert np.array_equal(data[f"X_{split}"], raw_X[rows])
        assert np.array_equal(data[f"y_{split}"], raw_y[rows])


def test_digits_deterministic_per_seed():
    a, b, c = load_digits(seed=7), load_digits(seed=7), load_digits(seed=8)
    for key in a:
        assert np.array_equal(a[key], b[key])
    assert not np.array_equal(a["y_train"], c["y_train"])


def test_digits_normalization(sk_digits):
    raw_X, _ = sk_digits
    data = load_digits(return_indices=True)
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-12)
    mean = data["mean_image"]
    np.testing.assert_allclose(mean, raw_X[data["idx_train"]].mean(axis=0) / 16, atol=1e-15)
    for split in ("train", "val", "test"):
        restored = data[f"X_{split}"] + mean
        np.testing.assert_allclose(restored, raw_X[data[f"idx_{split}"]] / 16, atol=1e-15)
        assert restored.min() >= -1e-15 and restored.max() <= 1 + 1e-15


def test_digits_unnormalized_keeps_pixel_values():
    data = load_digits(normalize=False)
    assert "mean_image" not in data
    X = np.concatenate([data["X_train"], data["X_val"], data["X_test"]])
    assert X.min() == 0 and X.max() == 16 and np.array_equal(X, np.round(X))


def test_digits_labels():
    data = load_digits()
    for split in ("train", "val", "test"):
        y = data[f"y_{split}"]
        assert y.dtype == np.int64 and y.min() >= 0 and y.max() <= 9
    assert set(data["y_train"]) == set(range(10))


def test_digits_float32():
    data = load_digits(dtype=np.float32)
    for split in ("train", "val", "test"):
        assert data[f"X_{split}"].dtype == np.float32
        assert data[f"y_{split}"].dtype == np.int64
    assert data["mean_image"].dtype == np.float32
    np.testing.assert_allclose(data["X_train"], load_digits()["X_train"], atol=1e-6)


def test_digits_images_not_flattened():
    flat, images = load_digits(), load_digits(flatten=False)
    assert images["X_train"].shape == (1297, 1, 8, 8)
    assert images["mean_image"].shape == (1, 8, 8)
    for split in ("train", "val", "test"):
        assert np.array_equal(images[f"X_{split}"].reshape(-1, 64), flat[f"X_{split}"])


@pytest.mark.parametrize("kwargs, error, words", [
    ({"num_val": -1}, ValueError, "num_val"),
    ({"num_test": "3"}, TypeError, "num_test"),
    ({"num_val": 1000, "num_test": 797}, ValueError, "num_val \\+ num_test"),
    ({"dtype": np.int64}, ValueError, "dtype"),
    ({"seed": -2}, ValueError, "seed"),
])
def test_digits_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        load_digits(**kwargs)


# ================================================================ load_cifar10

def write_batch(path, data, labels, str_keys=False):
    """Write a batch in the real format: a protocol-2 pickle with bytes keys."""
    batch = {b"batch_label": b"tiny batch", b"data": data, b"labels": labels,
             b"filenames": [b"img_%d.png" % i for i in range(len(data))]}
    if str_keys:
        batch = {k.decode(): v for k, v in batch.items()}
    with open(path, "wb") as f:
        pickle.dump(batch, f, protocol=2)


@pytest.fixture
def cifar(tmp_path):
    """Two training batches of 20 images and a test batch of 10; returns (root, raw)."""
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, size=(40, 3072), dtype=np.uint8)
    train_y = rng.integers(0, 10, size=40)
    test = rng.integers(0, 256, size=(10, 3072), dtype=np.uint8)
    test_y = rng.integers(0, 10, size=10)
    # Image 0: red plane 10, green 20, blue 30. Image 1: one bright green pixel at (2, 5).
    train[0] = np.repeat([10, 20, 30], 1024)
    train[1] = 0
    train[1, 1 * 1024 + 2 * 32 + 5] = 255
    write_batch(tmp_path / "data_batch_1", train[:20], [int(v) for v in train_y[:20]])
    write_batch(tmp_path / "data_batch_2", train[20:], train_y[20:])  # labels as an array
    write_batch(tmp_path / "test_batch", test, [int(v) for v in test_y])
    return tmp_path, (train, train_y, test, test_y)


def test_cifar_classes():
    assert isinstance(CIFAR10_CLASSES, tuple) and len(CIFAR10_CLASSES) == 10
    assert CIFAR10_CLASSES[0] == "airplane" and CIFAR10_CLASSES[9] == "truck"


def test_cifar_loads_splits(cifar):
    root, (train, train_y, test, test_y) = cifar
    data = load_cifar10(root, num_training=30, num_validation=6, num_test=8,
                        subtract_mean=False)
    assert data["X_train"].shape == (30, 3, 32, 32) and data["X_train"].dtype == np.float64
    assert data["X_val"].shape == (6, 3, 32, 32) and data["X_test"].shape == (8, 3, 32, 32)
    # Validation comes from the end of the training images, across the batch boundary.
    assert np.array_equal(data["X_train"].reshape(30, -1), train[:30])
    assert np.array_equal(data["X_val"].reshape(6, -1), train[30:36])
    assert np.array_equal(data["X_test"].reshape(8, -1), test[:8])
    assert np.array_equal(data["y_train"], train_y[:30])
    assert np.array_equal(data["y_val"], train_y[30:36])
    assert np.array_equal(data["y_test"], test_y[:8])
    for split in ("train", "val", "test"):
        assert data[f"y_{split}"].dtype == np.int64
    assert "mean_image" not in data


def test_cifar_channel_order(cifar):
    root, _ = cifar
    X = load_cifar10(root, 35, 5, 10, subtract_mean=False)["X_train"]
    for c, value in enumerate([10, 20, 30]):
        assert np.all(X[0, c] == value)
    assert X[1, 1, 2, 5] == 255 and X[1].sum() == 255


def test_cifar_mean_subtraction(cifar):
    root, (train, _, test, _) = cifar
    data = load_cifar10(root, 30, 10, 10)
    mean = train[:30].astype(np.float64).mean(axis=0).reshape(3, 32, 32)
    np.testing.assert_allclose(data["mean_image"], mean, rtol=1e-14)
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(data["X_val"] + mean, train[30:].reshape(-1, 3, 32, 32),
                               atol=1e-12)
    np.testing.assert_allclose(data["X_test"] + mean, test.reshape(-1, 3, 32, 32), atol=1e-12)


def test_cifar_float32(cifar):
    root, _ = cifar
    data = load_cifar10(root, 30, 10, 10, dtype=np.float32)
    for key in ("X_train", "X_val", "X_test", "mean_image"):
        assert data[key].dtype == np.float32
    ref = load_cifar10(root, 30, 10, 10)
    np.testing.assert_allclose(data["X_val"], ref["X_val"], atol=1e-4)


def test_cifar_python2_numpy1_pickles_load(tmp_path):
    # The real files name numpy.core.multiarray (numpy 1); numpy 2 writes numpy._core.
    rng = np.random.default_rng(1)
    data = rng.integers(0, 256, size=(4, 3072), dtype=np.uint8)
    raw = pickle.dumps({b"data": data, b"labels": [0, 1, 2, 3]}, protocol=2)
    old = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    assert b"numpy.core.multiarray" in old
    for name in ("data_batch_1", "test_batch"):
        (tmp_path / name).write_bytes(old)
    out = load_cifar10(tmp_path, 3, 1, 4, subtract_mean=False)
    assert np.array_equal(out["X_val"].reshape(1, -1), data[3:])


def test_cifar_str_keys_accepted(tmp_path):
    data = np.arange(2 * 3072).reshape(2, 3072).astype(np.uint8)
    write_batch(tmp_path / "data_batch_1", data, [4, 5], str_keys=True)
    write_batch(tmp_path / "test_batch", data, [6, 7], str_keys=True)
    out = load_cifar10(tmp_path, 1, 1, 2, subtract_mean=False)
    assert out["y_val"].tolist() == [5] and out["y_test"].tolist() == [6, 7]


def test_cifar_missing_folder_explains(tmp_path):
    missing = tmp_path / "nowhere" / "cifar-10-batches-py"
    with pytest.raises(FileNotFoundError) as info:
        load_cifar10(missing)
    msg = str(info.value)
    for words in (str(missing), "data_batch_1", "data_batch_5", "test_batch",
                  "cifar-10-python.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar.html"):
        assert words in msg


@pytest.mark.parametrize("name", ["data_batch_1", "test_batch"])
def test_cifar_missing_batch_file(cifar, name):
    root, _ = cifar
    (root / name).unlink()
    with pytest.raises(FileNotFoundError, match=name) as info:
        load_cifar10(root, 30, 5, 5)
    assert str(root) in str(info.value) and "cifar-10-python.tar.gz" in str(info.value)


def test_cifar_gap_in_batches(cifar):
    root, _ = cifar
    (root / "data_batch_2").rename(root / "data_batch_3")
    with pytest.raises(FileNotFoundError, match="data_batch_2"):
        load_cifar10(root, 30, 5, 5)


def test_cifar_too_large_splits(cifar):
    root, _ = cifar
    with pytest.raises(ValueError, match="num_training \\+ num_validation") as info:
        load_cifar10(root)  # the defaults ask for 50000 images
    assert "40" in str(info.value) and str(root) in str(info.value)
    with pytest.raises(ValueError, match="num_training \\+ num_validation"):
        load_cifar10(root, 40, 1, 5)
    with pytest.raises(ValueError, match="num_test"):
        load_cifar10(root, 30, 10, 11)
    assert len(load_cifar10(root, 40, 0, 10)["X_train"]) == 40  # exactly all: fine


def test_cifar_refuses_foreign_pickle_globals(tmp_path):
    data = np.zeros((1, 3072), np.uint8)
    with open(tmp_path / "data_batch_1", "wb") as f:
        pickle.dump({b"data": data, b"labels": [0], b"extra": Fraction(1, 2)}, f, protocol=2)
    write_batch(tmp_path / "test_batch", data, [0])
    with pytest.raises(pickle.UnpicklingError, match="fractions.Fraction"):
        load_cifar10(tmp_path, 1, 0, 1)


@pytest.mark.parametrize("data, labels, words", [
    (np.zeros((2, 3000), np.uint8), [0, 1], "3072"),
    (np.zeros((2, 3072), np.float32), [0, 1], "uint8"),
    (np.zeros((2, 3072), np.uint8), [0], "labels"),
])
def test_cifar_malformed_batch(tmp_path, data, labels, words):
    write_batch(tmp_path / "data_batch_1", data, labels)
    write_batch(tmp_path / "test_batch", np.zeros((1, 3072), np.uint8), [0])
    with pytest.raises(ValueError, match=words) as info:
        load_cifar10(tmp_path, 1, 0, 1)
    assert "data_batch_1" in str(info.value)


@pytest.mark.parametrize("kwargs, error, words", [
    ({"root": 123}, TypeError, "root"),
    ({"num_training": 0}, ValueError, "num_training"),
    ({"num_validation": -1}, ValueError, "num_validation"),
    ({"num_test": 2.0}, TypeError, "num_test"),
    ({"dtype": np.uint8}, ValueError, "dtype"),
])
def test_cifar_bad_arguments(cifar, kwargs, error, words):
    root, _ = cifar
    kwargs = {"root": root, **kwargs}
    with pytest.raises(error, match=words):
        load_cifar10(**kwargs)


# ================================================================ iterate_minibatches

@given(N=st.integers(0, 50), batch_size=st.integers(1, 20), seed=seeds())
def test_minibatches_cover_every_row_once(N, batch_size, seed):
    X = np.arange(N * 3, dtype=np.float64).reshape(N, 3)
    y = np.arange(N)
    X0, y0 = X.copy(), y.copy()
    batches = list(iterate_minibatches(X, y, batch_size, seed=seed))
    assert len(batches) == -(-N // batch_size)
    assert all(len(xb) == batch_size for xb, _ in batches[:-1])
    seen = np.concatenate([yb for _, yb in batches]) if batches else np.array([], int)
    assert np.array_equal(np.sort(seen), y)
    for xb, yb in batches:
        assert np.array_equal(xb, X[yb])  # rows stay paired with their labels
    assert np.array_equal(X, X0) and np.array_equal(y, y0)


def test_minibatches_order_and_seed():
    X, y = np.arange(10.0)[:, None], np.arange(10)
    plain = [yb.tolist() for _, yb in iterate_minibatches(X, y, 4, shuffle=False)]
    assert plain == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    a = [yb.tolist() for _, yb in iterate_minibatches(X, y, 4, seed=1)]
    b = [yb.tolist() for _, yb in iterate_minibatches(X, y, 4, seed=1)]
    assert a == b and a != plain


@pytest.mark.parametrize("args, error, words", [
    ((np.zeros((4, 2)), np.zeros(3), 2), ValueError, "y"),
    ((np.zeros((4, 2)), np.zeros(4), 0), ValueError, "batch_size"),
    ((np.zeros((4, 2)), np.zeros(4), 1.5), TypeError, "batch_size"),
])
def test_minibatches_bad_arguments(args, error, words):
    # Checked at the call, before the first batch is asked for.
    with pytest.raises(error, match=words):
        iterate_minibatches(*args)
