"""Elementwise maths, each function beside its local gradient.

The scalar engine (``course.graph``) and the vectorized layers
(``course.layers``) both call these, so every derivative is written once.
Each works on numpy arrays of any shape (and on numpy/Python floats), keeps
float32 as float32, and never overflows: no warnings, no inf, no nan, even
for inputs of magnitude 1e3 and beyond.

Sigmoid and tanh give their local gradient in terms of their output, as the
lecture does (``sigma'(x) = (1 - sigma(x)) sigma(x)``); the others take ``x``.
GELU's can also start from the normal CDF Phi(x) that its forward computed
(``gelu_local_grad_from_cdf``), so that the layer's backward does not redo the
slow erf.

Some formulas are built step by step in place (``out *= x``), always on a new
array made inside the function, never on an input: for arrays of a million
numbers, making a new array (and the memory it touches) costs more than the
arithmetic on it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

# Python floats, not numpy ones: numpy keeps float32 arrays float32 when they meet a
# Python float, but promotes them to float64 when they meet an np.float64.
SQRT_2 = math.sqrt(2.0)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
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
    """1 / (1 + exp(-x)), computed from z = exp(-|x|) so it never overflows.

    z lies in (0, 1]. For x >= 0 the sigmoid is 1 / (1 + z); for x < 0 it is
    e^x / (1 + e^x) = z / (1 + z): the same number, with one exp and no
    exponent above 0.
    """
    z = _in_place(np.exp, -np.abs(x))
    # The numerator, 1 for x >= 0 and z for x < 0, is max(z, x >= 0) as z <= 1.
    # (np.where(x >= 0, 1, z) says the same but is several times slower: it
    # branches on every element.)
    out = np.maximum(z, x >= 0)
    z += 1
    out /= z
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
    # scipy's erf has no float16 loop (it returns float32 or float64): keep x's dtype.
    dtype = getattr(x, "dtype", None)
    return out.astype(dtype, copy=False) if dtype is not None and dtype.kind == "f" else out


def _gelu_safe(x):
    # Beyond |x| = 40 the Gaussian density is exactly 0 in float64 and the
    # tanh form is saturated; clipping keeps x**2 and x**3 finite for any x.
    return np.clip(x, -40, 40)


def _check_approximate(approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f'approximate: expected "none" or "tanh", got {approximate!r}')


def normal_cdf(x, approximate="none"):
    """Phi(x) = 0.5 * (1 + erf(x / sqrt(2))), the standard normal CDF.

    ``approximate="tanh"``: GELU's tanh approximation of it,
    0.5 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    _check_approximate(approximate)
    if approximate == "tanh":
        xc = _gelu_safe(x)
        return 0.5 * (1 + np.tanh(SQRT_2_OVER_PI * (xc + GELU_TANH_COEF * xc**3)))
    cdf = _in_place(erf, x / SQRT_2)
    cdf += 1
    cdf *= 0.5
    return _keep_float_dtype(x, cdf)


def gelu(x, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF (exact, via erf).

    ``approximate="tanh"``: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """
    out = normal_cdf(x, approximate)
    out *= x
    return out


def gelu_local_grad(x, approximate="none"):
    """Phi(x) + x * phi(x) (exact), or the derivative of the tanh form."""
    return gelu_local_grad_from_cdf(x, normal_cdf(x, approximate), approximate)


def gelu_local_grad_from_cdf(x, cdf, approximate="none"):
    """Phi(x) + x * phi(x) (the product rule on x * Phi(x)), where cdf = Phi(x).

    phi = Phi' is the standard normal density exp(-x**2 / 2) / sqrt(2 pi). For
    ``approximate="tanh"``, cdf = 0.5 (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3),
    and its derivative is 0.5 (1 - tanh(u)**2) u' = 2 cdf (1 - cdf) u' (as for the sigmoid).
    """
    _check_approximate(approximate)
    xc = _gelu_safe(x)
    if approximate == "tanh":
        du = SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_COEF * xc * xc)
        local = 2 * cdf * (1 - cdf) * du
    else:
        local = _in_place(np.exp, -0.5 * xc * xc)
        local *= INV_SQRT_2PI  # phi(x)
    local *= xc  # x * phi(x)
    local += cdf
    return local
