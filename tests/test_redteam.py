"""Red team: adversarial submissions through the real `course grade`, in one class.

Each attack (declared in tests/redteam/attacks.py) must get exactly the grade its
own code deserves, nothing it can read may show up in any output, and nothing it
does may change the grader's files, the input folder or another student's grade:
an honest control student and the example class's 03_losses students are graded
in the same run and keep their usual grades.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import signal
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from autograder.config import REPO
from autograder.grade import grade, read_course
from autograder.results import read_csv
from autograder.sandbox import bwrap
from tests.redteam.attacks import (
    AID,
    ATTACKS,
    BACKGROUND_MARKER,
    CONTROL,
    HTML_PAYLOAD,
    LEAKS,
    NB,
    SECRET,
    SECRET_ENV,
)

pytestmark = pytest.mark.slow

CELL_TIMEOUT = 20
"""Seconds a cell may run (``COURSE_CELL_TIMEOUT``): the timeout attacks end sooner."""
EXAMPLES = REPO / "autograder" / "examples"
SANDBOX = bwrap() is not None
GRADED = [a for a in ATTACKS if SANDBOX or not a.sandboxed]
POINTS = read_course().points[(AID, NB)]


def _put(folder: Path, student: str, nb) -> None:
    path = folder / student / AID / f"{NB}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def _example_students() -> list[str]:
    return sorted(p.name for p in (EXAMPLES / "submitted").iterdir() if (p / AID).is_dir())


def _processes_with(marker: str) -> list[int]:
    """Ids of the running processes whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:  # the process ended meanwhile
            pass
    return found


def _survivors() -> list[int]:
    """Background processes an attack started that outlived grading (killed, then listed)."""
    deadline = time.monotonic() + 5
    while _processes_with(BACKGROUND_MARKER) and time.monotonic() < deadline:
        time.sleep(0.2)  # a sandbox may take a moment to wind down
    left = _processes_with(BACKGROUND_MARKER)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


@dataclass
class Class:
    submissions: Path
    out: Path
    rows: list
    before: str  # digest of the submissions folder before grading
    survivors: list  # processes started by submissions still running after grading


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Class:
    subs = tmp_path_factory.mktemp("submitted")
    out = tmp_path_factory.mktemp("graded")
    paths = {"REPO": REPO, "OUT": out, "SUBMISSIONS": subs}
    for attack in [*GRADED, CONTROL]:
        _put(subs, attack.name, attack.build(paths))
    for student in _example_students():
        shutil.copytree(EXAMPLES / "submitted" / student / AID, subs / student / AID)
    before = _digest(subs)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COURSE_CELL_TIMEOUT", str(CELL_TIMEOUT))
        mp.setenv(SECRET_ENV, SECRET)
        rows = grade(subs, out, assignments=[AID], workers=2)
    return Class(subs, out, rows, before, _survivors())


def _rows(graded: Class, student: str) -> dict:
    return {r.grade_id: r for r in graded.rows if r.student_id == student}


def _autograded(graded: Class, student: str):
    path = graded.out / "course" / "autograded" / student / AID / f"{NB}.ipynb"
    return nbformat.read(path, as_version=4) if path.is_file() else None


def _outputs(nb) -> str:
    """Everything the notebook's cells showed (text, errors, plain-text results)."""
    parts = []
    for cell in nb.cells if nb else ():
        for output in cell.get("outputs", []):
            parts += [output.get("text", ""), output.get("ename", ""), output.get("evalue", ""),
                      output.get("data", {}).get("text/plain", "")]
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def _feedback(graded: Class, student: str) -> str:
    path = graded.out / "feedback" / student / AID / f"{NB}.html"
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _grades(rows: dict) -> dict:
    return {gid: (r.score, r.status) for gid, r in rows.items()}


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.name)
def test_an_attack_earns_exactly_what_its_own_code_deserves(graded, attack):
    if attack not in GRADED:
        pytest.skip("needs bwrap: without it the sandbox does not hold (see the README)")
    rows = _rows(graded, attack.name)
    expected = {gid: attack.expect.get(gid, (points, "passed")) for gid, points in POINTS.items()}
    assert _grades(rows) == expected, attack.does
    assert {gid: r.max_score for gid, r in rows.items()} == POINTS
    shown = _outputs(_autograded(graded, attack.name))
    for wanted in attack.ran:
        options = (wanted,) if isinstance(wanted, str) else wanted
        assert any(text in shown for text in options), \
            f"{attack.name}: the graded notebook shows none of {options}"


def test_the_control_and_the_example_class_keep_their_usual_grades(graded):
    rows = _rows(graded, CONTROL.name)
    assert _grades(rows) == {gid: (points, "passed") for gid, points in POINTS.items()}
    with open(EXAMPLES / "expected.csv", newline="", encoding="utf-8") as f:
        usual = [r for r in csv.DictReader(f) if r["assignment"] == AID]
    assert {r["student_id"] for r in usual} == set(_example_students())
    got = {(r.student_id, r.grade_id): r.score for r in graded.rows}
    assert {(r["student_id"], r["grade_id"]): float(r["score"]) for r in usual} == {
        (r["student_id"], r["grade_id"]): got[r["student_id"], r["grade_id"]] for r in usual}


def test_no_output_and_no_feedback_shows_what_is_hidden(graded):
    leaked = {}
    for student in {r.student_id for r in graded.rows} - {CONTROL.name}:
        shown = _outputs(_autograded(graded, student)) + _feedback(graded, student)
        found = [text for text in LEAKS if text in shown]
        if found:
            leaked[student] = found
    assert leaked == {}
    assert _feedback(graded, CONTROL.name), "the feedback was not written"
    report = (graded.out / "report.html").read_text(encoding="utf-8")
    assert [text for text in LEAKS if text in report] == []
    assert HTML_PAYLOAD not in report  # shown as text, never run
    assert "redteam" in report  # the message itself is there


def test_the_grader_files_and_the_submissions_are_untouched(graded):
    assert _digest(graded.submissions) == graded.before
    assert not (graded.submissions / "scribbled.txt").exists()
    assert not (graded.out / "scribbled.txt").exists()
    assert not (graded.out / "background.txt").exists()
    assert read_csv(graded.out / "grades.csv") == sorted(graded.rows, key=lambda r: r.key)
    with sqlite3.connect(graded.out / "gradebook.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    from nbgrader.api import Gradebook

    totals = {}
    for r in graded.rows:
        totals[r.student_id] = totals.get(r.student_id, 0.0) + r.score
    with Gradebook(f"sqlite:///{graded.out / 'gradebook.db'}") as gb:
        assert {sid: gb.find_submission(AID, sid).score for sid in totals} == totals


@pytest.mark.skipif(not SANDBOX, reason="needs bwrap's process namespace")
def test_no_process_a_submission_started_outlives_grading(graded):
    assert graded.survivors == []
