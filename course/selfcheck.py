"""Self-checks for the notebooks' visible test cells: say in plain words what is wrong.

A failed check raises ``SelfCheckError`` (an ``AssertionError``, so nbgrader
counts it as a failed test) whose message names the quantity, where it is
wrong, how far off it is, and a hint for the usual mistake. A passed check
prints one line, so the student sees progress.

    >>> check_close("dx", dx, expected_dx, hint="did you reshape dx to x's shape?")
    ✓ dx matches (relative error 3.2e-11)
"""

from __future__ import annotations

import numpy as np


class SelfCheckError(AssertionError):
    """A visible check failed; the message says what is wrong in plain words."""


def _fail(message: str, hint: str | None) -> None:
    if hint:
        message += f"\nHint: {hint}"
    raise SelfCheckError(message)


def _ok(message: str, quiet: bool) -> None:
    if not quiet:
        print(f"\u2713 {message}")


def _as_array(name: str, got, hint):
    if got is None:
        _fail(f"{name} is None: did the function forget to return it?", hint)
    if isinstance(got, (list, tuple)) and any(g is None for g in np.ravel(np.array(got, object))):
        _fail(f"{name} contains None", hint)
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        _fail(f"{name} should be a number or an array of numbers, got {type(got).__name__}", hint)


def check_shape(name: str, got, expected_shape, hint: str | None = None, quiet=False):
    """``got`` has shape ``expected_shape``."""
    shape = np.shape(got)
    if tuple(shape) != tuple(expected_shape):
        _fail(f"{name} has shape {tuple(shape)}, expected {tuple(expected_shape)}", hint)
    _ok(f"{name} has shape {tuple(shape)}", quiet)


def check_close(name: str, got, expected, tol: float = 1e-7, hint: str | None = None,
                quiet=False) -> float:
    """``got`` equals ``expected`` up to relative error ``tol``; returns the relative error."""
    got_arr = _as_array(name, got, hint)
    expected = np.asarray(expected, dtype=np.float64)
    if got_arr.shape != expected.shape:
        _fail(f"{name} has shape {got_arr.shape}, expected {expected.shape}", hint)
    if not np.all(np.isfinite(got_arr)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(got_arr))[0])
        at = f" at index {where}" if got_arr.ndim else ""
        _fail(f"{name} is not finite{at} (got {got_arr[where]}): "
              "an overflow, a division by zero or a log of 0?", hint)
    err = np.abs(got_arr - expected) / np.maximum(1e-8, np.abs(got_arr) + np.abs(expected))
    worst = float(err.max()) if err.size else 0.0
    if worst > tol:
        ix = np.unravel_index(int(np.argmax(err)), err.shape) if err.ndim else ()
        at = f" at index {tuple(int(i) for i in ix)}" if err.ndim else ""
        wrong = int(np.sum(err > tol))
        _fail(f"{name} is wrong{at}: you have {got_arr[ix]:.6g}, expected {expected[ix]:.6g} "
              f"(relative error {worst:.1e}; {wrong} of {err.size} entries off by more "
              f"than {tol:g})", hint)
    _ok(f"{name} matches (relative error {worst:.1e})", quiet)
    return worst


def check_gradient(name: str, analytic, f, x, df=None, tol: float = 1e-7, h: float = 1e-5,
                   hint: str | None = None, quiet=False) -> float:
    """``analytic`` agrees with the centered-difference gradient of ``f`` at ``x``.

    ``f(x)`` returns a scalar (``df`` None) or an array (``df`` its upstream gradient).
    """
    from course.gradcheck import eval_numerical_gradient, eval_numerical_gradient_array

    if df is None:
        numeric = eval_numerical_gradient(f, x, verbose=False, h=h)
    else:
        numeric = eval_numerical_gradient_array(f, x, df, h=h)
    return check_close(name, analytic, numeric, tol=tol, hint=hint, quiet=quiet)


def check_unmodified(name: str, before, after, hint: str | None = None, quiet=False):
    """The function left its input ``name`` unchanged (``before`` is a copy taken earlier)."""
    if not np.array_equal(np.asarray(before), np.asarray(after)):
        _fail(f"your function changed its input {name} in place; work on a copy or build a "
              "new array instead (e.g. x.copy(), or np.maximum(x, 0) instead of x[x < 0] = 0)",
              hint)
    _ok(f"{name} left unchanged", quiet)


def check_equal(name: str, got, expected, hint: str | None = None, quiet=False):
    """``got == expected`` exactly (for labels, counts, strings, answers)."""
    if got is None:
        _fail(f"{name} is None: did you set it (or return it)?", hint)
    same = np.array_equal(np.asarray(got), np.asarray(expected)) if (
        isinstance(got, np.ndarray) or isinstance(expected, np.ndarray)) else got == expected
    if not same:
        _fail(f"{name} is {got!r:.200}, expected {expected!r:.200}", hint)
    _ok(f"{name} is right", quiet)
