"""Input checks shared by the library: clear errors instead of deep numpy tracebacks.

Every message names the argument, what it got, and what it expects, e.g.
``ValueError: w: expected shape (12, 5) to match x flattened to (N, 12), got (13, 5)``.
"""

from __future__ import annotations

import numbers

import numpy as np


def _describe(x) -> str:
    if isinstance(x, np.ndarray):
        return f"array of shape {x.shape} and dtype {x.dtype}"
    return f"{type(x).__name__}"


def float_array(name: str, x, *, ndim: int | None = None, min_ndim: int | None = None):
    """Return ``x`` as a floating ndarray (not copied), or raise naming ``name``.

    Accepts numpy arrays of dtype float16/32/64 (their dtype is kept) and
    Python/numpy floats and nested lists of numbers (converted to float64).
    Rejects integer, bool, complex and object arrays, wrong ``ndim`` and NaNs.
    """
    if isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            raise TypeError(
                f"{name}: expected a floating-point array (float32 or float64), "
                f"got {_describe(x)}; convert it with {name}.astype(np.float64)"
            )
        arr = x
    elif isinstance(x, (list, tuple, numbers.Real)) and not isinstance(x, bool):
        try:
            arr = np.asarray(x, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name}: expected numbers, got {x!r:.80}") from err
    else:
        raise TypeError(f"{name}: expected a numpy array of floats, got {_describe(x)}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-d array, got shape {arr.shape}")
    if min_ndim is not None and arr.ndim < min_ndim:
        raise ValueError(
            f"{name}: expected at least {min_ndim} dimensions, got shape {arr.shape}"
        )
    no_nan(name, arr)
    return arr


def no_nan(name: str, arr: np.ndarray) -> None:
    """Raise ValueError if ``arr`` holds a NaN (one cheap reduction on the fast path)."""
    if arr.size and np.isnan(np.add.reduce(arr, axis=None)) and np.isnan(arr).any():
        where = tuple(int(i) for i in np.argwhere(np.isnan(arr))[0])
        raise ValueError(f"{name}: contains NaN (first at index {where}); expected finite values")


def same_shape(name: str, arr, shape: tuple, what: str) -> np.ndarray:
    """Check that ``arr`` (an upstream gradient) has ``shape``, the shape of ``what``."""
    arr = float_array(name, arr)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name}: expected shape {tuple(shape)} (the shape of {what}), "
                         f"got {arr.shape}")
    return arr


def labels(name: str, y, n: int, num_classes: int) -> np.ndarray:
    """Check integer class labels ``y`` of shape (n,) with values in [0, num_classes)."""
    if not isinstance(y, np.ndarray):
        y = np.asarray(y)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer class labels, got {_describe(y)}")
    if y.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), one label per row of scores, "
                         f"got {y.shape}")
    if n and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)][0]
        raise ValueError(f"{name}: labels must lie in [0, {num_classes}), got {bad}")
    return y


def positive(name: str, value, *, allow_zero: bool = False) -> float:
    """Check a real hyperparameter is > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: expected a finite number {bound}, got {value}")
    return float(value)


def integer(name: str, value, minimum: int = 1, *, allow_none: bool = False):
    """Check a whole number >= ``minimum`` (bools refused); ``None`` passes with ``allow_none``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        also = " or None" if allow_none else ""
        raise TypeError(f"{name}: expected an int >= {minimum}{also}, "
                        f"got {type(value).__name__} {value!r:.40}")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")
    return int(value)


def float_dtype(dtype) -> np.dtype:
    """Check ``dtype`` names float32 or float64 and return it as an np.dtype."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype: expected np.float32 or np.float64, got {dtype!r}") from err
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: expected np.float32 or np.float64, got {dt}")
    return dt


def choice(name: str, value, options) -> str:
    """Check ``value`` is one of ``options`` (any iterable of names)."""
    if value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, options))}, "
                         f"got {value!r}")
    return value
