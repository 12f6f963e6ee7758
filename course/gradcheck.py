"""Numerical gradients: the check every backward pass must pass.

The centered difference ``(f(x + h) - f(x - h)) / 2h`` has error O(h^2), so in
float64 with h = 1e-5 a correct analytic gradient agrees to a relative error
of about 1e-7 or better; above 1e-2 it is almost certainly wrong.

The functions perturb ``x`` in place, one entry at a time, and put every entry
back exactly, so ``f`` may close over ``x`` (the CS231n idiom
``f = lambda _: model.loss(X, y)[0]`` with ``x = model.params["W1"]``).
"""

from __future__ import annotations

import numpy as np

from course._checks import float_array, positive


def rel_error(x, y) -> float:
    """Largest relative error ``max(|x - y| / max(1e-8, |x| + |y|))`` between two arrays."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape:
        raise ValueError(f"rel_error: x and y must have the same shape, "
                         f"got {x.shape} and {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _nudged(f, x: np.ndarray, ix: tuple, h: float):
    """Return ``(f(x with x[ix] + h), f(x with x[ix] - h))``, restoring ``x[ix]``."""
    old = x[ix]
    x[ix] = old + h
    plus = f(x)
    plus = plus.copy() if isinstance(plus, np.ndarray) else plus
    x[ix] = old - h
    minus = f(x)
    minus = minus.copy() if isinstance(minus, np.ndarray) else minus
    x[ix] = old
    return plus, minus


def eval_numerical_gradient(f, x, verbose=True, h=1e-5) -> np.ndarray:
    """Numerical gradient of a scalar function ``f`` at ``x``.

    Inputs:
    - f: function taking an array of x's shape and returning a float
    - x: float array of any shape; perturbed in place, then restored
    - verbose: print each entry's index and gradient
    - h: step of the centered difference
    Returns:
    - grad: array of x's shape, d f / d x
    """
    x = float_array("x", x)
    positive("h", h)
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _nudged(f, x, ix, h)
        grad[ix] = (plus - minus) / (2 * h)
        if verbose:
            print(ix, grad[ix])
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5) -> np.ndarray:
    """Numerical gradient of ``sum(f(x) * df)``: the downstream gradient for upstream ``df``.

    Inputs:
    - f: function taking an array of x's shape and returning an array of df's shape
    - x: float array of any shape; perturbed in place, then restored
    - df: upstream gradient, of the shape of f(x)
    - h: step of the centered difference
    Returns:
    - grad: array of x's shape
    """
    x = float_array("x", x)
    df = np.asarray(df, dtype=np.float64)
    positive("h", h)
    grad = np.zeros_like(x, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _nudged(f, x, ix, h)
        grad[ix] = np.sum((np.asarray(plus) - np.asarray(minus)) * df) / (2 * h)
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None, verbose=True):
    """Compare ``analytic_grad`` with centered differences at ``num_checks`` random entries.

    Inputs:
    - f: function taking an array of x's shape and returning a float
    - x: float array; perturbed in place, then restored
    - analytic_grad: array of x's shape
    - num_checks: how many random entries to check
    - seed: seed for choosing the entries (None: numpy's global state)
    Returns:
    - list of the relative errors, one per check (each also printed when verbose)
    """
    x = float_array("x", x)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(f"analytic_grad: expected shape {x.shape} (the shape of x), "
                         f"got {analytic_grad.shape}")
    rng = np.random if seed is None else np.random.default_rng(seed)
    errors = []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(n)) if seed is not None else int(rng.randint(n))
                   for n in x.shape)
        plus, minus = _nudged(f, x, ix, h)
        numeric = (plus - minus) / (2 * h)
        analytic = analytic_grad[ix]
        err = abs(numeric - analytic) / max(1e-8, abs(numeric) + abs(analytic))
        errors.append(float(err))
        if verbose:
            print(f"numerical: {numeric:f} analytic: {analytic:f}, relative error: {err:e}")
    return errors


def numerical_jacobian(f, x, h=1e-5) -> np.ndarray:
    """The Jacobian of a vector function, column by column.

    Inputs:
    - f: function taking an array of x's shape and returning an array y
    - x: float array; perturbed in place, then restored
    Returns:
    - J: array of shape (y.size, x.size), J[i, j] = d y_i / d x_j (both flattened)
    """
    x = float_array("x", x)
    positive("h", h)
    columns = []
    for ix in np.ndindex(x.shape):
        plus, minus = _nudged(f, x, ix, h)
        columns.append((np.ravel(plus) - np.ravel(minus)) / (2 * h))
    if not columns:
        return np.zeros((np.size(f(x)), 0))
    return np.stack(columns, axis=1)
