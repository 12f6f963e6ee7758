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
import pkgutil

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


def load_all() -> dict:
    """Import every suite module of this package and return the registry."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("a0"):
            importlib.import_module(f"{__name__}.{info.name}")
    return SUITES
