"""Elementwise maths, each function beside its local gradient.

The scalar engine (``course.graph``) and the vectorized layers
(``course.layers``) both call these, so every derivative is written once.
Each works on numpy arrays of any shape (and on numpy/Python floats), keeps
float32 as float32, and never overflows: no warnings, no inf, no nan, even
for inputs of magnitude 1e3 and beyond.

Sigmoid and tanh give their local gradient in terms of their output, as the
lecture does (``sigma'(x) = (1 - sigma(x)) sigma(x)``); the others take ``x``.

Some formulas are built step by step in place (``out *= x``), always on a new
array made inside the function, never on an input: for arrays of a million
numbers, making a new array (and the memory it touches) costs more than the
arithmetic on it.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

SQRT_2 = np.sqrt(2.0)
SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
GELU_TANH_COEF = 0.044715


def _in_place(ufunc, a):
    """ufunc(a), written over ``a`` (a new array of the caller's) when it is a float array."""
    if isinstance(a, np.ndarray) and a.ndim and a.dtype.kind == "f":
        return ufunc(a, out=a)
    return ufunc(a)


def relu(x):
    """max(0, x)."""
    return np.maximum(x, 0)


def relu_local_grad(x):
    """1 where x > 0, else 0 (0 at exactly x = 0)."""
    return np.greater(x, 0).astype(np.result_type(x, np.float32))


def leaky_relu(x, alpha=0.01):
    """x for x > 0, alpha * x otherwise."""
    return np.where(x > 0, x, alpha * x)


def leaky_relu_local_grad(x, alpha=0.01):
    """1 for x > 0, alpha otherwise."""
    dtype = np.result_type(x, np.float32)
    return np.where(x > 0, np.ones((), dtype), np.asarray(alpha, dtype))


def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    # expm1 only ever sees x <= 0, so large positive x cannot overflow.
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_local_grad(x, alpha=1.0):
    """1 for x > 0, alpha * exp(x) otherwise."""
    return np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))).astype(
        np.result_type(x, np.float32), copy=False)


def sigmoid(x):
    """1 / (1 + exp(-x)), computed as exp(min(x, 0)) / (1 + exp(-|x|)) so it never overflows.

    For x >= 0 that is 1 / (1 + e^-x), for x < 0 it is e^x / (1 + e^x): the same
    number, with every exponent <= 0.
    """
    out = _in_place(np.exp, np.minimum(x, 0))
    denominator = _in_place(np.exp, -np.abs(x))
    denominator += 1
    out /= denominator
    return out


def sigmoid_local_grad_from_out(s):
    """(1 - s) * s, where s = sigmoid(x)."""
    local = 1 - s
    local *= s
    return local


def tanh(x):
    """tanh(x) (numpy's is already overflow-free)."""
    return np.tanh(x)


def tanh_local_grad_from_out(t):
    """1 - t**2, where t = tanh(x)."""
    return 1 - t * t


def silu(x):
    """x * sigmoid(x) (also called swish)."""
    out = sigmoid(x)
    out *= x
    return out


def silu_local_grad(x):
    """sigmoid(x) * (1 + x * (1 - sigmoid(x)))."""
    s = sigmoid(x)
    local = 1 - s
    local *= x
    local += 1
    local *= s
    return local


def _keep_float_dtype(x, out):
    # erf and the float64 constants promote float32; hand back x's float dtype.
    dtype = getattr(x, "dtype", None)
    return out.astype(dtype, copy=False) if dtype is not None and dtype.kind == "f" else out


def _gelu_safe(x):
    # Beyond |x| = 40 the Gaussian density is exactly 0 in float64 and the
    # tanh form is saturated; clipping keeps x**2 and x**3 finite for any x.
    return np.clip(x, -40, 40)


def _normal_cdf(x):
    """Phi(x) = 0.5 * (1 + erf(x / sqrt(2))), the standard normal CDF."""
    cdf = _in_place(erf, x / SQRT_2)
    cdf += 1
    cdf *= 0.5
    return cdf


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (exact, via erf).

    ``approximate="tanh"``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    if approximate == "tanh":
        xc = _gelu_safe(x)
        out = 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (xc + GELU_TANH_COEF * xc**3)))
        return _keep_float_dtype(x, out)
    if approximate != "none":
        raise ValueError(f'approximate: expected "none" or "tanh", got {approximate!r}')
    out = _normal_cdf(x)
    out *= x
    return _keep_float_dtype(x, out)


def gelu_local_grad(x, approximate="none"):
    """Phi(x) + x * phi(x) (exact), or the derivative of the tanh form."""
    xc = _gelu_safe(x)
    if approximate == "tanh":
        inner = SQRT_2_OVER_PI * (xc + GELU_TANH_COEF * xc**3)
        t = np.tanh(inner)
        dinner = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_COEF * xc**2)
        return _keep_float_dtype(x, 0.5 * (1 + t) + 0.5 * xc * (1 - t * t) * dinner)
    if approximate != "none":
        raise ValueError(f'approximate: expected "none" or "tanh", got {approximate!r}')
    local = xc * INV_SQRT_2PI
    local *= _in_place(np.exp, -0.5 * xc * xc)  # x * phi(x)
    local += _normal_cdf(x)
    return _keep_float_dtype(x, local)
