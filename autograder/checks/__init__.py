"""Hidden checks: one suite per graded function, called from hidden test cells.

A suite receives the student's function (or class) and a random generator
seeded fresh at grading time. It draws inputs the student could not know in
advance (random shapes and values, ties, zeros, 1e3-magnitude values),
calls the student's code, and compares every output with the reference
library: values, gradients (the reference backward is itself checked
against centered differences in the test suite), shapes, dtypes, and inputs
left unmodified. Each comparison is a ``Verdict`` with a plain message.

    @suite("relu_backward")
    def _(student, rng, judge):
        x = rng.standard_normal((4, 5))
        ...
        judge.close("dx", got, expected)

Suites live in one module per assignment (``a01_graphs.py`` ...) and are
registered on import of this package.
"""

from __future__ import annotations

import importlib
import numbers
import os
import pkgutil

import numpy as np

from autograder.checks.judge import Judge, Verdict  # noqa: F401

SUITES: dict = {}


def suite(name: str):
    """Register ``fn(student, rng, judge)`` as the hidden checks of graded item ``name``."""

    def register(fn):
        if name in SUITES:
            raise ValueError(f"two hidden-check suites for {name!r}")
        SUITES[name] = fn
        return fn

    return register


def concept(name: str, hint: str, expected, options) -> None:
    """Register a concept-question suite: the answer must be one of ``options``, then right.

    A wrong format is told apart from a wrong answer; the message never gives the answer.
    """
    def check(student, rng, judge):
        got = student.strip().lower() if isinstance(student, str) else student
        if isinstance(got, bool) or not isinstance(got, (str, numbers.Number)) \
                or got not in options:
            judge.record(name, False, f"{name}: the answer should be one of "
                         f"{', '.join(repr(o) for o in options)}, got {student!r:.60}")
            return
        judge.record(name, got == expected, f"{name}: {hint}")

    suite(name)(check)


def run_suite(name: str, student, seed: int | None = None, conn=None):
    """Run the suite of graded item ``name`` on ``student``; returns a ``SuiteResult``.

    ``conn``: the probe connection ``student`` came through (its record of the student's
    errors tells whether the code called a reference implementation hidden while grading).
    """
    from autograder.remote import REFERENCE_HIDDEN, RemoteGone, SuiteResult

    suites = load_all()
    if name not in suites:
        return SuiteResult(name, False, f"no hidden checks registered for {name!r}")
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    judge = Judge()
    try:
        suites[name](student, np.random.default_rng(seed), judge)
    except NotImplementedError:
        judge.record(name, False, f"{name} is not implemented yet")
    except RemoteGone as err:
        judge.record(name, False, f"{name}: {err}")
    except RecursionError:
        judge.record(name, False, f"{name}: the checks went too deep (a recursive structure?)")
    except Exception as err:  # a student object no suite expected: a failure, with the reason
        judge.record(name, False, f"{name}: the hidden checks stopped on what your code "
                                  f"returned ({type(err).__name__}: {str(err)[:200]})")
    if not judge.verdicts:
        judge.record(name, False, f"{name}: no hidden check could run on what was submitted")
    flagged = ""
    if conn is not None and REFERENCE_HIDDEN in conn.errors:
        from autograder.verdicts import REFERENCE_USED

        flagged = f"{name}: {REFERENCE_USED}"
        judge.record(name, False, flagged)
    failures = judge.failures()
    if failures:
        lines = "\n".join(f"- {v.message}" for v in failures)
        message = (f"{name}: {len(failures)} of {len(judge.verdicts)} hidden checks failed:"
                   f"\n{lines}")
        return SuiteResult(name, False, message, flagged)
    return SuiteResult(name, True, f"{name}: all {len(judge.verdicts)} hidden checks passed")


def load_all() -> dict:
    """Import every suite module of this package and return the registry."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("a0"):
            importlib.import_module(f"{__name__}.{info.name}")
    return SUITES
