"""The entry point hidden test cells call: ``check("affine_backward", affine_backward)``.

Runs the registered suite on fresh random inputs and raises ``AssertionError``
listing every failed comparison (without expected values), so nbgrader scores
the cell 0 unless every check passes.
"""

from __future__ import annotations

import os

import numpy as np

from autograder.checks import Judge, load_all


def check(name: str, student, seed: int | None = None) -> None:
    """Run the hidden checks of graded item ``name`` on ``student`` (a function or class)."""
    suites = load_all()
    if name not in suites:
        raise KeyError(f"no hidden checks registered for {name!r}")
    if seed is None:
        seed = int.from_bytes(os.urandom(8), "little")
    judge = Judge()
    try:
        suites[name](student, np.random.default_rng(seed), judge)
    except NotImplementedError:
        judge.record(name, False, f"{name} is not implemented yet")
    failures = judge.failures()
    if failures:
        lines = "\n".join(f"- {v.message}" for v in failures)
        raise AssertionError(f"{name}: {len(failures)} of {len(judge.verdicts)} hidden checks "
                             f"failed:\n{lines}")
    print(f"{name}: all {len(judge.verdicts)} hidden checks passed")
