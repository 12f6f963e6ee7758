"""The judge: compares what student code returned with the reference, in plain words."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from autograder.remote import error_line, type_name


@dataclass
class Verdict:
    """One comparison: what was checked, whether it passed, and why not."""

    what: str
    passed: bool
    message: str = ""


class Judge:
    """Collects verdicts. Every method records one and returns whether it passed."""

    def __init__(self):
        self.verdicts: list[Verdict] = []

    def record(self, what: str, passed: bool, message: str = "") -> bool:
        self.verdicts.append(Verdict(what, bool(passed), "" if passed else message))
        return bool(passed)

    def call(self, what: str, fn, *args, **kwargs):
        """Call student code; an exception becomes a failed verdict and ``None`` is returned."""
        try:
            return self._not_none(what, fn(*args, **kwargs))
        except Exception as err:  # student code may raise anything
            where = error_line(err)
            self.record(what, False, f"{what} raised {type(err).__name__}: {err}{where}")
            return None

    def attempt(self, what: str, fn, *args, hint: str = "", warn_hint: str = "", **kwargs):
        """Call student code as a graded call: ``None`` after a failed verdict.

        An exception fails the call, naming its type and line; so does a numpy warning
        (overflow, division by zero, invalid value: under grading it would reach stderr),
        with ``warn_hint`` (or ``hint``) added. A stub's NotImplementedError is raised on,
        so the suite reports "not implemented yet" once instead of failing every case.
        """
        extra = f"; {hint}" if hint else ""
        # underflow stays silent (numpy's default): exp(-1000) = 0 is the right answer
        with warnings.catch_warnings(record=True) as caught, \
                np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            try:
                got = fn(*args, **kwargs)
            except NotImplementedError:
                raise
            except Exception as err:  # student code may raise anything
                self.record(what, False, f"{what} raised {type(err).__name__}: {err}"
                            f"{error_line(err)}{extra}")
                return None
        numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
        extra = f"; {warn_hint or hint}" if warn_hint or hint else ""
        if numeric:
            self.record(what, False, f"{what} made numpy warn ({numeric[0].message}); "
                        f"nbgrader scores a test cell that prints a warning as 0{extra}")
            return None
        return self._not_none(what, got)

    def _not_none(self, what, got):
        """``got``; a graded call that returns None is a failed verdict (callers stop on None)."""
        if got is None:
            self.record(what, False, f"{what} returned None (is a return statement missing?)")
        return got

    def close(self, what: str, got, expected, tol: float = 1e-7, hint: str = "",
              atol: float = 0.0, scale=None) -> bool:
        """``got`` is a real array of ``expected``'s shape, equal up to relative error ``tol``.

        ``atol``: entries that differ by at most this much count as equal whatever their
        relative error (for entries near 0, where a different correct formula rounds
        differently). ``scale``: per entry (or one number), the size its error is relative
        to where that is larger than ``|got| + |expected|``: the magnitude of the terms
        behind an entry whose terms nearly cancel, so that rounding them in another order
        is no mistake.
        """
        expected = np.asarray(expected)
        if got is None:
            return self.record(what, False, f"{what}: got None")
        # exact types only: an ndarray subclass or an object with a clever __eq__ is refused
        if not (type(got) in (np.ndarray, float, int) or isinstance(got, (np.floating,
                                                                           np.integer))):
            return self.record(what, False, f"{what}: expected a numpy array or number, "
                               f"got {type_name(got)}")
        got = np.asarray(got)
        if got.shape != expected.shape:
            return self.record(what, False, f"{what}: shape {got.shape}, expected "
                               f"{expected.shape}")
        if got.dtype.kind not in "fiu":
            return self.record(what, False, f"{what}: dtype {got.dtype}, expected floats")
        got64 = got.astype(np.float64)
        if not np.all(np.isfinite(got64)):
            return self.record(what, False, f"{what}: contains inf or nan")
        exp64 = expected.astype(np.float64)
        diff = np.abs(got64 - exp64)
        size = np.abs(got64) + np.abs(exp64)
        if scale is not None:
            scale = np.asarray(scale, np.float64)
            size = np.maximum(size, np.where(np.isfinite(scale), scale, 0.0))
        err = np.where(diff <= atol, 0.0, diff / np.maximum(1e-8, size))
        worst = float(err.max()) if err.size else 0.0
        message = f"{what}: relative error {worst:.1e} (allowed {tol:g})"
        return self.record(what, worst <= tol, message + (f"; {hint}" if hint else ""))

    def dtype(self, what: str, got, dtype) -> bool:
        got_dtype = getattr(got, "dtype", None)
        return self.record(what, got_dtype == np.dtype(dtype),
                           f"{what}: dtype {got_dtype}, expected {np.dtype(dtype)}")

    def unmodified(self, what: str, before, after) -> bool:
        return self.record(what, np.array_equal(before, after),
                           f"{what} was modified in place; inputs must be left unchanged")

    def equal(self, what: str, got, expected, message: str = "") -> bool:
        try:
            if type(expected) is np.ndarray:
                same = type(got) is np.ndarray and bool(np.array_equal(got, expected))
            else:
                same = type(got) is type(expected) and bool(got == expected)
        except Exception:  # a student object whose comparison raises
            same = False
        return self.record(what, same, message or f"{what}: wrong value")

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def failures(self) -> list[Verdict]:
        return [v for v in self.verdicts if not v.passed]


def matches(got, candidate, tol: float = 1e-6) -> bool:
    """``got`` equals ``candidate`` to relative error ``tol`` (to recognise a known mistake)."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    candidate = np.asarray(candidate, dtype=np.float64)
    if got.shape != candidate.shape or not np.all(np.isfinite(got)):
        return False
    err = np.abs(got - candidate) / np.maximum(1e-8, np.abs(got) + np.abs(candidate))
    return bool(err.max() <= tol) if err.size else True


def diagnose(got, expected, mistakes, default: str) -> str:
    """The hint of the first mistake that reproduces ``got`` while the right answer doesn't.

    ``mistakes``: (candidate output, hint) pairs, each the output a known mistake gives.
    """
    if matches(got, expected):
        return default
    for candidate, hint in mistakes:
        if not matches(expected, candidate) and matches(got, candidate):
            return hint
    return default


def unpack(judge: Judge, what: str, got, names=("out", "cache")):
    """``got`` as a tuple of ``len(names)`` items, or None after recording a failed verdict."""
    if got is None:
        return None
    if not isinstance(got, tuple) or len(got) != len(names):
        kind = f"a tuple of length {len(got)}" if isinstance(got, tuple) else type_name(got)
        judge.record(what, False, f"{what} should return a tuple ({', '.join(names)}), "
                     f"got {kind}")
        return None
    return got
