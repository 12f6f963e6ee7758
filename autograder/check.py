"""``course check NOTEBOOK``: a student's self-check of their own notebook.

Runs the notebook top to bottom in a fresh kernel (a copy: the student's file
is never touched) and reports, per question, whether its visible checks pass,
and for those that don't, the plain-words message and hint they printed.
Hidden tests are not in a student's notebook, so this says nothing about them.
"""

from __future__ import annotations

import copy
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat


@dataclass
class Result:
    """One checked cell: its grade id, points (None for an ungraded self-check) and outcome."""

    grade_id: str
    points: float | None
    status: str  # "passed", "failed", "not done"
    message: str = ""


def _first_error(cell):
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            return out
    return None


def _outcome(cell) -> tuple[str, str]:
    error = _first_error(cell)
    if error is None:
        return "passed", ""
    if error.ename in ("NotImplementedError", "NameError"):
        return "not done", f"{error.ename}: {error.evalue}"
    return "failed", f"{error.ename}: {error.evalue}" if error.ename not in (
        "SelfCheckError", "AssertionError") or not error.evalue else error.evalue


def check_notebook(path, timeout: int = 300) -> list[Result]:
    """Execute a copy of the notebook at ``path``; return one Result per test or self-check cell."""
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    nb = nbformat.read(path, as_version=4)
    run = copy.deepcopy(nb)
    env_before = os.environ.pop("NBGRADER_EXECUTION", None)
    try:
        client = NotebookClient(run, timeout=timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": str(path.parent.resolve())}})
        # the kernel's own log (a transport warning) would only confuse a student
        client.execute(stderr=subprocess.DEVNULL)
    finally:
        if env_before is not None:
            os.environ["NBGRADER_EXECUTION"] = env_before
    results = []
    for cell in run.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id", "")
        if meta.get("grade") and cell.cell_type == "code":
            results.append(Result(gid, float(meta.get("points", 0)), *_outcome(cell)))
        elif gid.startswith("selfcheck_"):
            results.append(Result(gid, None, *_outcome(cell)))
    return results


def report(path, results: list[Result]) -> str:
    """The self-check as text for the terminal."""
    graded = [r for r in results if r.points is not None]
    earned = sum(r.points for r in graded if r.status == "passed")
    total = sum(r.points for r in graded)
    lines = [f"{Path(path).name}: visible checks pass for {earned:g} of {total:g} points "
             "(hidden tests decide the grade)"]
    marks = {"passed": "PASS", "failed": "FAIL", "not done": "TODO"}
    for r in results:
        pts = f"{r.points:g} pt" if r.points is not None else "self-check"
        lines.append(f"  {marks[r.status]}  {r.grade_id}  ({pts})")
        if r.status != "passed" and r.message:
            lines += [f"        {line}" for line in r.message.splitlines()[:8]]
    return "\n".join(lines)
