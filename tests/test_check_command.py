"""`course check NOTEBOOK`: the student's self-check, on a real release notebook."""

import copy
from pathlib import Path

import nbformat
import pytest

from autograder.check import check_notebook, report
from autograder.cli import main

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
MASTER = ROOT / "solutions" / "03_losses" / "losses.ipynb"
RELEASE = ROOT / "notebooks" / "03_losses" / "losses.ipynb"


def _by_id(results):
    return {r.grade_id: r for r in results}


def test_release_reports_every_question_as_not_done(tmp_path):
    work = tmp_path / RELEASE.name
    work.write_text(RELEASE.read_text())
    results = _by_id(check_notebook(work))
    graded = [r for r in results.values() if r.points is not None]
    assert graded and all(r.status != "passed" for r in graded)
    assert results["test_svm_loss_value"].status == "not done"
    assert work.read_text() == RELEASE.read_text()  # the student's file is untouched


def test_a_filled_in_answer_turns_its_check_to_passed(tmp_path, capsys):
    master = nbformat.read(MASTER, as_version=4)
    student = nbformat.read(RELEASE, as_version=4)
    answer = next(c for c in master.cells
                  if c.metadata.get("nbgrader", {}).get("grade_id") == "svm_loss")
    for i, cell in enumerate(student.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "svm_loss":
            filled = copy.deepcopy(cell)
            filled.source = answer.source  # the solution markers are only comments
            student.cells[i] = filled
    work = tmp_path / "losses.ipynb"
    nbformat.write(student, work)
    assert main(["check", str(work)]) == 1  # other questions are still to do
    out = capsys.readouterr().out
    assert "PASS  test_svm_loss_value" in out and "PASS  test_svm_loss_grad" in out
    assert "TODO  test_softmax_loss_value" in out


def test_a_wrong_answer_gets_a_plain_message(tmp_path):
    student = nbformat.read(RELEASE, as_version=4)
    for cell in student.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "l2_regularization":
            cell.source = ("def l2_regularization(W, reg):\n"
                           "    return reg * np.sum(W * W), 2 * reg * W\n")
    work = tmp_path / "losses.ipynb"
    nbformat.write(student, work)
    results = check_notebook(work)
    l2 = _by_id(results)["test_l2_regularization"]
    assert l2.status == "failed"
    assert "Traceback" not in l2.message and l2.message
    assert "FAIL  test_l2_regularization" in report(work, results)


def test_master_passes_everything():
    results = check_notebook(MASTER)
    assert all(r.status == "passed" for r in results), [r for r in results
                                                       if r.status != "passed"]
