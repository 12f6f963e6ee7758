"""The assignment notebooks: masters run with every test passing, the release is generated.

Checks, per assignment:
- the master notebook is clean (no outputs) and well formed for nbgrader
  (grade ids, points adding up to 100, a test cell per graded item);
- it executes top to bottom in a fresh kernel with every test cell passing;
- nbgrader's validator reports success on it;
- the committed release in notebooks/ is exactly what ``course release`` makes;
- the release executes, and only exercise and test cells fail (not implemented yet).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from autograder.config import ASSIGNMENTS

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
MASTERS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
IDS = [p.parent.name for p in MASTERS]


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def _execute(path: Path, env_extra=None, allow_errors=False, timeout=180):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    old = {k: os.environ.get(k) for k in (env_extra or {})}
    os.environ.update(env_extra or {})
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                allow_errors=allow_errors,
                                resources={"metadata": {"path": str(path.parent)}})
        start = time.perf_counter()
        client.execute()
        return nb, time.perf_counter() - start
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_every_assignment_has_one_master_notebook():
    assert IDS == sorted(ASSIGNMENTS)
    for aid in ASSIGNMENTS:
        assert len(list((ROOT / "solutions" / aid).glob("*.ipynb"))) == 1


@pytest.mark.parametrize("path", MASTERS, ids=IDS)
def test_master_is_clean_and_well_formed(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    grade_ids, points = [], 0.0
    solutions, tests = set(), []
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, "outputs committed"
        meta = _meta(cell)
        if not meta:
            continue
        grade_ids.append(meta["grade_id"])
        if meta.get("solution") and cell.cell_type == "code":
            solutions.add(meta["grade_id"])
            assert "### BEGIN SOLUTION" in cell.source
        if meta.get("grade"):
            assert meta["grade_id"].startswith("test_"), meta["grade_id"]
            points += float(meta["points"])
            tests.append(meta["grade_id"])
    assert len(grade_ids) == len(set(grade_ids)), "duplicate grade ids"
    assert points == 100.0
    for name in solutions:
        assert any(t == f"test_{name}" or t.startswith(f"test_{name}_") for t in tests), \
            f"graded item {name} has no test cell of its own"


@pytest.mark.parametrize("path", MASTERS, ids=IDS)
def test_solution_notebook_runs_with_every_test_passing(path):
    nb, seconds = _execute(path)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error"
            if _meta(cell).get("grade"):
                # nbgrader scores any stderr output in a test cell as 0
                assert not (out.output_type == "stream" and out.name == "stderr"), out.text
    assert seconds < 60, f"{path.name} took {seconds:.0f} s"


@pytest.mark.parametrize("path", MASTERS, ids=IDS)
def test_nbgrader_validates_the_solution(path):
    from nbgrader.validator import Validator

    result = Validator().validate(str(path))
    assert not result.get("failed"), json.dumps(result.get("failed"), indent=1)[:3000]
    assert not result.get("changed")


@pytest.fixture(scope="module")
def fresh_release(tmp_path_factory):
    from autograder.release import release

    scratch = tmp_path_factory.mktemp("release")
    shutil.copytree(ROOT / "solutions", scratch / "solutions")
    release(root=scratch, db_path=scratch / "gradebook.db", out=scratch / "notebooks")
    return scratch / "notebooks"


def test_committed_release_is_exactly_what_course_release_makes(fresh_release):
    made = sorted(p.relative_to(fresh_release) for p in fresh_release.rglob("*.ipynb"))
    committed = sorted(p.relative_to(ROOT / "notebooks")
                       for p in (ROOT / "notebooks").rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in p.parts)
    assert made == committed
    for rel in made:
        assert (fresh_release / rel).read_text() == (ROOT / "notebooks" / rel).read_text(), \
            f"notebooks/{rel} differs from the release: run `course release`"


@pytest.mark.parametrize("aid", sorted(ASSIGNMENTS))
def test_release_runs_outside_the_exercises(aid):
    [path] = (ROOT / "notebooks" / aid).glob("*.ipynb")
    nb, _ = _execute(path, allow_errors=True)
    assert "BEGIN SOLUTION" not in path.read_text() and "HIDDEN TESTS" not in path.read_text()
    for cell in nb.cells:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if not errors:
            continue
        meta = _meta(cell)
        assert meta.get("solution") or meta.get("grade"), \
            f"a given cell failed in the release: {errors[0].ename}: {errors[0].evalue}"
        # an exercise raises NotImplementedError; a test cell fails because of it,
        # or because the answer it checks was never assigned
        assert errors[0].ename in {"NotImplementedError", "NameError", "SelfCheckError",
                                   "AssertionError"}, f"{errors[0].ename}: {errors[0].evalue}"
