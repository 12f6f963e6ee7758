"""`course grade`: real nbgrader grading of a small class with every kind of bad input."""

import hashlib
import json
import os
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
        h.update(os.fsencode(p.relative_to(folder)))  # names may not be UTF-8
        if p.is_file() and not p.is_symlink():
            h.update(p.read_bytes())
    return h.hexdigest()


NOT_UTF8 = "caf\\xe9"  # how the student folder b"caf\xe9" is shown: the byte escaped


def _put_bad_names_and_links(subs: Path) -> None:
    """Students whose folders, names or files are not what a submission should be."""
    good = subs / "good" / AID
    huge = _put(subs, "huge", "")
    os.truncate(huge, 200 * 2**20)  # sparse: 200 MB on paper, nothing on disk
    os.mkdir(os.fsencode(subs) + b"/caf\xe9")  # a name that is not UTF-8
    shutil.copytree(good, subs / os.fsdecode(b"caf\xe9") / AID)
    (subs / "misnamed" / AID).mkdir(parents=True)
    shutil.copyfile(good / f"{NB}.ipynb", os.fsencode(subs / "misnamed" / AID) + b"/comp\xe9.ipynb")
    (subs / "linkedfolder").symlink_to(subs / "good", target_is_directory=True)
    (subs / "linkedaid").mkdir()
    (subs / "linkedaid" / AID).symlink_to(good, target_is_directory=True)
    (subs / "fifo" / AID).mkdir(parents=True)
    os.mkfifo(subs / "fifo" / AID / f"{NB}.ipynb")  # reading it would block forever
    os.mkfifo(subs / "stream.zip")
    shutil.copytree(good, subs / "twice" / AID)
    shutil.copyfile(subs / "zipped.zip", subs / "twice.zip")
    with zipfile.ZipFile(subs / "bigzip.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{AID}/{NB}.ipynb", b" " * (21 * 2**20))


def _put_extra_files(subs: Path) -> None:
    """Files no one asked for, next to good submissions: all ignored."""
    (subs / "README.txt").write_text("not a student")
    (subs / "grades.xlsx").write_bytes(b"\x00" * 10)
    (subs / "good" / "notes.txt").write_text("extra")
    (subs / "good" / "99_unknown").mkdir()
    (subs / "good" / "99_unknown" / "other.ipynb").write_text(MASTER.read_text())
    (subs / "good" / AID / "data.csv").write_text("1,2\n")
    (subs / "good" / AID / ".ipynb_checkpoints").mkdir()
    (subs / "good" / AID / ".ipynb_checkpoints" / f"{NB}-checkpoint.ipynb").write_text("{")


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
        zf.writestr("README.md", "an extra file in the zip")
        zf.writestr("__MACOSX/._x", "more")
    with zipfile.ZipFile(subs / "escaper.zip", "w") as zf:
        zf.writestr(f"../../{NB}.ipynb", MASTER.read_text())
    (subs / "ünïcødé").mkdir()
    shutil.copytree(subs / "good" / AID, subs / "ünïcødé" / AID)
    _put_bad_names_and_links(subs)
    _put_extra_files(subs)
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
                             "linked_target", "linked", "zipped", "escaper", "ünïcødé",
                             "huge", NOT_UTF8, "misnamed", "linkedfolder", "linkedaid", "fifo",
                             "twice", "bigzip"}
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
    ("huge", "invalid", "the notebook is 200 MB; at most 20 MB"),
    ("bigzip", "invalid", "in the zip is 21 MB; at most 20 MB"),
    (NOT_UTF8, "invalid", "folder name is not valid UTF-8"),
    ("misnamed", "missing", "no computational_graphs.ipynb submitted; found instead: "
                            "'comp\\xe9.ipynb'"),
    ("linkedfolder", "invalid", "the student folder is a symbolic link"),
    ("linkedaid", "invalid", f"the folder {AID} is a symbolic link"),
    ("fifo", "missing", "no computational_graphs.ipynb submitted"),
    ("twice", "invalid", "submitted twice ('twice' and 'twice.zip')"),
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



def test_names_that_are_not_utf8_are_written_with_the_bytes_escaped(graded):
    _, out, _, _ = graded
    assert f"\n{NOT_UTF8},{AID},{NB}," in (out / "grades.csv").read_text(encoding="utf-8")
    assert NOT_UTF8 in (out / "report.html").read_text(encoding="utf-8")


def _kinds(out: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in (out / "journal.jsonl").read_text().splitlines()]


def _gradebook_totals(out: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(AID).submissions}


def test_a_rerun_reuses_unchanged_grades_and_regrades_the_rest(tmp_path):
    subs, out = tmp_path / "submitted", tmp_path / "out"
    _put(subs, "alice", MASTER.read_text())
    _put(subs, "bob", RELEASE.read_text())
    options = dict(assignments=[AID], report=False, feedback=False, workers=1)
    first = grade(subs, out, **options)
    assert _kinds(out).count("graded") == 2
    (out / "gradebook.db").unlink()  # the gradebook is rebuilt from the journal
    assert grade(subs, out, **options) == first
    assert _kinds(out).count("graded") == 2  # nobody was graded again
    assert _gradebook_totals(out) == {"alice": 100.0, "bob": 0.0}
    changed = json.loads(MASTER.read_text())
    changed["cells"].append({"cell_type": "markdown", "id": "extra", "metadata": {},
                             "source": "done!"})
    _put(subs, "alice", json.dumps(changed))
    grade(subs, out, **options)
    assert _kinds(out).count("graded") == 3  # alice's new notebook only
    (subs / "bob" / AID / f"{NB}.ipynb").unlink()
    rows = grade(subs, out, **options)
    assert {r.status for r in rows if r.student_id == "bob"} == {"missing"}
    assert _gradebook_totals(out) == {"alice": 100.0}  # bob's old grades left with his notebook
    grade(subs, out, regrade=True, **options)
    assert _kinds(out).count("graded") == 4  # --regrade: alice again


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


def test_a_notebook_past_its_time_budget_stops_running(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_NOTEBOOK_TIMEOUT", "0")  # the budget is used up at once
    subs = tmp_path / "submitted"
    _put(subs, "slow", _tampered(("master", lambda nb: None)))
    rows = grade(subs, tmp_path / "out", assignments=[AID], feedback=False, report=False,
                 workers=1)
    assert rows and all(r.score == 0.0 and r.status == "timeout" for r in rows), rows[:2]
    assert all("time budget" in r.message for r in rows)


@pytest.mark.parametrize("meta", [
    {"grade": True, "grade_id": "t1", "locked": True, "points": 2, "schema_version": 3,
     "solution": False, "task": False},
    {"grade": True, "grade_id": "t1", "locked": True, "points": "two", "schema_version": 3,
     "solution": False, "task": False},
    {"grade": True, "grade_id": "t1", "schema_version": 3},
    {"grade": True, "grade_id": "t1", "locked": True, "points": 2, "schema_version": 3,
     "solution": False, "task": False, "extra": 1},
])
def test_the_compiled_metadata_schema_judges_as_jsonschema_does(meta):
    import jsonschema
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    from autograder.workers import _CompiledSchemas

    schema = MetadataValidatorV3().schema

    def verdict(validate):
        try:
            validate(meta, schema)
        except jsonschema.ValidationError as err:
            return err.message
        return "valid"

    expected = verdict(jsonschema.validate)
    compiled = _CompiledSchemas(jsonschema)
    assert verdict(compiled.validate) == verdict(compiled.validate) == expected


def test_kernels_get_a_font_list_built_outside_any_submission():
    from autograder import sandbox

    fonts = sandbox.font_cache()
    assert fonts is not None and fonts.name.startswith("fontlist-")
    import matplotlib

    listed = json.loads(fonts.read_text(encoding="utf-8"))["ttflist"]
    data = Path(matplotlib.get_data_path())  # matplotlib's own fonts are listed relative to it
    assert listed and all((data / font["fname"]).is_file() for font in listed)
    assert sandbox.font_cache() == fonts  # built once per grading process


def test_each_grading_process_has_its_own_fresh_scratch_folder(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from autograder import sandbox
    from autograder.config import REPO

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sandbox, "_SCRATCH", {})
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = int(gone.stdout)
    # left by killed runs: one of a process that is gone, one of a live process (pytest's
    # parent). The folder was once named by the pid alone, and a later process with the
    # same pid reused a killed run's library, old probe included (a01's checks broke)
    left = tmp_path / f"course-grading-{dead}-x1"
    alive = tmp_path / f"course-grading-{os.getppid()}-x2"
    for folder in (left, alive):
        folder.mkdir(parents=True)
        (folder / ".complete").write_text("", encoding="utf-8")
    mine = sandbox.scratch("grading")
    assert mine.parent == tmp_path and mine.name.startswith(f"course-grading-{os.getpid()}-")
    assert list(mine.iterdir()) == [] and (mine.stat().st_mode & 0o777) == 0o700
    assert sandbox.scratch("grading") == mine  # once per process
    assert not left.exists() and alive.exists()
    library = sandbox.grading_library("01_computational_graphs",
                                      mine / "01_computational_graphs")
    assert (library / "autograder" / "hidden.py").read_text(encoding="utf-8") == (
        REPO / "autograder" / "hidden.py").read_text(encoding="utf-8")
