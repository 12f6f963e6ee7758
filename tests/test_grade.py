"""`course grade`: real nbgrader grading of a small class with every kind of bad input."""

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from autograder.grade import grade
from autograder.results import read_csv

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
AID, NB = "01_computational_graphs", "computational_graphs"
MASTER = ROOT / "solutions" / AID / f"{NB}.ipynb"
RELEASE = ROOT / "notebooks" / AID / f"{NB}.ipynb"


def _put(folder: Path, student: str, text: str) -> Path:
    path = folder / student / AID / f"{NB}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    subs = tmp_path_factory.mktemp("submitted")
    _put(subs, "good", MASTER.read_text())
    _put(subs, "blank", RELEASE.read_text())
    _put(subs, "badjson", MASTER.read_text()[:-40])
    v3 = json.loads(MASTER.read_text())
    v3["nbformat"] = 3
    _put(subs, "oldformat", json.dumps(v3))
    (subs / "nothing" / AID).mkdir(parents=True)  # a student folder without the notebook
    (subs / "nothing" / AID / "notes.txt").write_text("extra files are ignored")
    target = _put(subs, "linked_target", MASTER.read_text())
    (subs / "linked" / AID).mkdir(parents=True)
    (subs / "linked" / AID / f"{NB}.ipynb").symlink_to(target)
    with zipfile.ZipFile(subs / "zipped.zip", "w") as zf:
        zf.writestr(f"{AID}/{NB}.ipynb", MASTER.read_text())
    with zipfile.ZipFile(subs / "escaper.zip", "w") as zf:
        zf.writestr(f"../../{NB}.ipynb", MASTER.read_text())
    (subs / "ünïcødé").mkdir()
    shutil.copytree(subs / "good" / AID, subs / "ünïcødé" / AID)
    before = _digest(subs)
    out = tmp_path_factory.mktemp("out")
    rows = grade(subs, out, assignments=[AID])
    return subs, out, rows, before


def _by_student(rows):
    result = {}
    for r in rows:
        result.setdefault(r.student_id, []).append(r)
    return result


def test_every_student_gets_a_row_per_test_cell(graded):
    _, _, rows, _ = graded
    students = _by_student(rows)
    assert set(students) == {"good", "blank", "badjson", "oldformat", "nothing",
                             "linked_target", "linked", "zipped", "escaper", "ünïcødé"}
    counts = {len(v) for v in students.values()}
    assert len(counts) == 1 and counts.pop() == 11  # assignment 01 has 11 graded cells


def test_good_submissions_get_full_marks_and_blank_gets_zero(graded):
    students = _by_student(graded[2])
    for sid in ("good", "zipped", "ünïcødé", "linked_target"):
        assert sum(r.score for r in students[sid]) == 100.0, sid
        assert {r.status for r in students[sid]} == {"passed"}
    assert sum(r.score for r in students["blank"]) == 0.0
    assert {r.status for r in students["blank"]} == {"failed"}


@pytest.mark.parametrize("student, status, words", [
    ("badjson", "invalid", "not valid JSON"),
    ("oldformat", "invalid", "nbformat version 3"),
    ("nothing", "missing", "no computational_graphs.ipynb"),
    ("linked", "invalid", "symbolic link"),
    ("escaper", "invalid", "leaving its folder"),
])
def test_bad_input_gets_a_clear_row_and_zero(graded, student, status, words):
    rows = _by_student(graded[2])[student]
    assert {r.status for r in rows} == {status}
    assert all(words in r.message and r.score == 0 for r in rows)


def test_input_folder_is_untouched_and_outputs_exist(graded):
    subs, out, rows, before = graded
    assert _digest(subs) == before
    assert read_csv(out / "grades.csv") == sorted(rows, key=lambda r: r.key)
    feedback = out / "feedback" / "good" / AID / f"{NB}.html"
    html = feedback.read_text()
    assert "HIDDEN TESTS" not in html and "autograder.hidden" not in html
    assert (out / "report.html").stat().st_size > 1000


def test_regrading_is_idempotent(graded):
    subs, out, rows, _ = graded
    first = (out / "grades.csv").read_text()
    again = grade(subs, out, assignments=[AID], students=["good", "badjson"], report=False,
                  feedback=False)
    assert {r.student_id for r in again} == {"good", "badjson"}
    assert sorted((r for r in rows if r.student_id in ("good", "badjson")),
                  key=lambda r: r.key) == sorted(again, key=lambda r: r.key)
    assert (out / "grades.csv").read_text() == first  # nobody else's grades were dropped


def test_one_worker_and_two_workers_give_the_same_grades(graded, tmp_path):
    subs, out, rows, _ = graded
    one = grade(subs, tmp_path / "one", assignments=[AID], students=["good", "blank"],
                workers=1, feedback=False, report=False)
    two = grade(subs, tmp_path / "two", assignments=[AID], students=["good", "blank"],
                workers=2, feedback=False, report=False)
    assert one == two == [r for r in rows if r.student_id in ("good", "blank")]
    from nbgrader.api import Gradebook

    for folder in ("one", "two"):
        with Gradebook(f"sqlite:///{tmp_path / folder / 'gradebook.db'}") as gb:
            assert gb.find_submission(AID, "good").score == 100.0
            assert gb.find_submission(AID, "blank").score == 0.0


def _tampered(student_cells):
    """A master (or release) notebook with its test cells changed by ``student_cells``."""
    import nbformat

    nb = nbformat.read(MASTER if student_cells[0] == "master" else RELEASE, as_version=4)
    student_cells[1](nb)
    return nbformat.writes(nb)


def _test_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
            and not c.metadata["nbgrader"].get("solution")]


def _delete_tests(nb):
    nb.cells = [c for c in nb.cells if c not in _test_cells(nb)[:3]]


def _gut_tests(nb):
    for cell in _test_cells(nb):
        cell.source = "pass"


def _retype_tests(nb):
    for cell in _test_cells(nb):
        cell.cell_type = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _pointless_points(nb):
    for cell in _test_cells(nb):
        cell.metadata["nbgrader"]["points"] = 1000


def test_tampered_test_cells_earn_exactly_what_the_code_deserves(tmp_path):
    subs = tmp_path / "submitted"
    cases = {
        "deleted_tests_correct_code": ("master", _delete_tests, 100.0),
        "gutted_tests_no_code": ("release", _gut_tests, 0.0),
        "gutted_tests_correct_code": ("master", _gut_tests, 100.0),
        "retyped_tests_no_code": ("release", _retype_tests, 0.0),
        "inflated_points_correct_code": ("master", _pointless_points, 100.0),
    }
    for sid, (base, change, _) in cases.items():
        _put(subs, sid, _tampered((base, change)))
    rows = grade(subs, tmp_path / "out", assignments=[AID], feedback=False, report=False)
    totals = {sid: sum(r.score for r in rows if r.student_id == sid) for sid in cases}
    assert totals == {sid: expected for sid, (_, _, expected) in cases.items()}
    assert all(r.max_score < 1000 for r in rows)


def _with_cell_after(grade_id, source):
    def change(nb):
        import nbformat

        idx = next(i for i, c in enumerate(nb.cells)
                   if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        nb.cells.insert(idx + 1, nbformat.v4.new_code_cell(source))
    return change


def _killing_function(nb):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add_local_grads":
            cell.source = "def add_local_grads(x, y):\n    import os\n    os._exit(1)\n"


def test_a_dying_kernel_costs_only_the_cell_that_killed_it(tmp_path):
    subs = tmp_path / "submitted"
    cases = {
        "exit_in_extra_cell": (_with_cell_after("test_max_local_grads",
                                                "import os\nos._exit(0)"), 100.0),
        "sys_exit_and_interrupt": (_with_cell_after(
            "test_max_local_grads", "import sys\ntry:\n    raise KeyboardInterrupt\n"
            "finally:\n    sys.exit(3)"), 100.0),
        "function_kills_kernel": (_killing_function, 95.0),
    }
    for sid, (change, _) in cases.items():
        _put(subs, sid, _tampered(("master", change)))
    rows = grade(subs, tmp_path / "out", assignments=[AID], feedback=False, report=False)
    totals = {sid: sum(r.score for r in rows if r.student_id == sid) for sid in cases}
    assert totals == {sid: expected for sid, (_, expected) in cases.items()}
    [killed] = [r for r in rows if r.student_id == "function_kills_kernel" and r.score == 0]
    assert killed.grade_id == "test_add_local_grads" and killed.status == "error"
    assert "stopped the Python kernel" in killed.message


def test_a_harmless_warning_costs_nothing(tmp_path):
    subs = tmp_path / "submitted"
    noisy = _with_cell_after("test_max_local_grads",
                             "import warnings\nwarnings.warn('just saying')\n"
                             "import sys\nprint('to stderr', file=sys.stderr)")

    def warn_in_test_cells(nb):
        noisy(nb)
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == "add_local_grads":
                cell.source = ("import warnings\n\ndef add_local_grads(x, y):\n"
                               "    warnings.warn('a harmless warning')\n    return 1.0, 1.0\n")

    _put(subs, "noisy", _tampered(("master", warn_in_test_cells)))
    rows = grade(subs, tmp_path / "out", assignments=[AID], feedback=False, report=False)
    assert sum(r.score for r in rows) == 100.0
