"""Nothing is lost: `course grade` killed (SIGKILL) at random points resumes and ends
exactly as an uninterrupted run; the journal survives torn writes."""

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from autograder.journal import Journal, digest, write_atomic
from autograder.results import Row, read_csv

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "autograder" / "examples" / "submitted"
AID = "01_computational_graphs"


# --- the journal on its own ----------------------------------------------------------------


def _row(sid, score):
    return Row(sid, AID, "nb", "test_x", score, 5.0, "passed" if score == 5 else "failed", "")


def test_a_torn_last_line_is_ignored_and_cut_off(tmp_path):
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:
        journal.add_graded("alice", AID, "s1", "c1", [_row("alice", 5.0)])
    whole = path.read_bytes()
    with open(path, "ab") as f:
        f.write(b'{"kind": "graded", "student_id": "bob", "assignm')  # killed mid-write
    with Journal(path) as journal:
        assert journal.rows("alice", AID, "s1", "c1") == [_row("alice", 5.0)]
        assert journal.rows("bob", AID, "s1", "c1") is None
        assert path.read_bytes() == whole  # the torn tail is gone, so appends start clean
        journal.add_graded("bob", AID, "s2", "c1", [_row("bob", 0.0)])
    with Journal(path) as journal:
        assert journal.rows("bob", AID, "s2", "c1") == [_row("bob", 0.0)]
        assert journal.unreadable == 0


def test_a_grade_is_reused_only_for_the_same_submission_and_course(tmp_path):
    with Journal(tmp_path / "journal.jsonl") as journal:
        journal.add_graded("alice", AID, "s1", "c1", [_row("alice", 5.0)])
        assert journal.rows("alice", AID, "s1", "c1") is not None
        assert journal.rows("alice", AID, "s2", "c1") is None  # the submission changed
        assert journal.rows("alice", AID, "s1", "c2") is None  # the course changed
        journal.add_feedback("alice", AID)
        assert journal.has_feedback("alice", AID)
        journal.add_graded("alice", AID, "s2", "c1", [_row("alice", 0.0)])
        assert not journal.has_feedback("alice", AID)  # that feedback was for the old grade
        journal.forget([("alice", AID)])
        assert journal.rows("alice", AID, "s2", "c1") is None
        assert not journal.knows("alice", AID)
    with Journal(tmp_path / "journal.jsonl") as journal:  # the same, read back
        assert not journal.knows("alice", AID)


def test_preparing_again_voids_every_release(tmp_path):
    with Journal(tmp_path / "journal.jsonl") as journal:
        journal.add_released(AID, "c1")
        assert journal.is_released(AID, "c1") and not journal.is_released(AID, "c2")
        journal.preparing()
        assert not journal.is_released(AID, "c1")


def test_one_output_folder_one_run_at_a_time(tmp_path):
    with Journal(tmp_path / "journal.jsonl"):
        with pytest.raises(ValueError, match="in use by another"):
            Journal(tmp_path / "journal.jsonl")
    Journal(tmp_path / "journal.jsonl").close()  # free again once the first is closed


def test_a_second_run_on_a_busy_output_folder_gets_a_one_line_error(tmp_path, capsys):
    from autograder.cli import main

    (tmp_path / "out").mkdir()
    with Journal(tmp_path / "out" / "journal.jsonl"):  # a run in progress holds it
        with pytest.raises(SystemExit) as info:
            main(["grade", str(tmp_path), "--out", str(tmp_path / "out")])
    assert info.value.code == 2
    assert "is in use by another `course grade` run" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")  # nbgrader 0.9's noise
def test_recording_journaled_scores_again_keeps_the_instructors_manual_grade(tmp_path):
    from nbgrader.api import Gradebook

    from autograder.config import put_tools_on_path
    from autograder.workers import record_scores

    put_tools_on_path()  # a new gradebook runs `alembic`
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        gb.add_assignment(AID)
        gb.add_notebook("nb", AID)
        gb.add_grade_cell("test_x", "nb", AID, max_score=5, cell_type="code")

        def recorded(score, fresh):
            record_scores(gb, "alice", AID, {"nb": {"test_x": score}}, fresh=fresh)
            gb.db.commit()
            found = gb.find_grade("test_x", "nb", AID, "alice")
            return found.auto_score, found.manual_score

        assert recorded(5.0, fresh=True) == (5.0, None)
        gb.find_grade("test_x", "nb", AID, "alice").manual_score = 3.0  # set in formgrader
        gb.db.commit()
        assert recorded(5.0, fresh=False) == (5.0, 3.0)  # a resumed run: unchanged
        assert recorded(0.0, fresh=False) == (0.0, None)  # the journal says otherwise
        gb.find_grade("test_x", "nb", AID, "alice").manual_score = 3.0
        gb.db.commit()
        assert recorded(0.0, fresh=True) == (0.0, None)  # graded anew: manual grade void


def test_write_atomic_replaces_the_whole_file(tmp_path):
    target = tmp_path / "grades.csv"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]


def test_digest_separates_names_from_contents():
    assert digest([("ab", b"c")]) != digest([("a", b"bc")])
    assert digest([("a", b"x")]) == digest([("a", b"x")])


# --- killing the real command ----------------------------------------------------------------

KILLS, CAMPAIGNS = 20, 4  # SIGKILLs in all, over this many output folders
SEED = 20240605
MARKER = "COURSE_FAULT_TEST"  # in the environment of every process a run starts
ORPHAN_GRACE = 15.0  # seconds a killed run's workers and kernels may take to exit
GRADABLE = ("solution", "value_overwrites")  # real example students: full marks, and not


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """Two real example students on one assignment, plus a broken and an absent notebook."""
    import shutil

    subs = tmp_path_factory.mktemp("class")
    for sid in GRADABLE:
        shutil.copytree(EXAMPLES / sid / AID, subs / sid / AID)
    (subs / "broken" / AID).mkdir(parents=True)
    (subs / "broken" / AID / "computational_graphs.ipynb").write_text("{not json")
    (subs / "absent").mkdir()
    return subs


def _start(subs: Path, out: Path, workers: int, token: str) -> subprocess.Popen:
    log = open(out.parent / f"{out.name}.log", "ab")
    cmd = [sys.executable, "-m", "autograder.cli", "grade", str(subs), "--out", str(out),
           "--assignment", AID, "--workers", str(workers)]
    with log:
        return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=log,
                                env={**os.environ, MARKER: token}, start_new_session=True)


def _log(out: Path) -> str:
    return (out.parent / f"{out.name}.log").read_text(errors="replace")[-3000:]


def _marked_processes(token: str) -> list[int]:
    """Processes (workers, kernels, ...) started by the runs marked with ``token``."""
    needle = f"{MARKER}={token}".encode() + b"\0"
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if needle in (proc / "environ").read_bytes():
                    found.append(int(proc.name))
            except OSError:  # gone meanwhile, or not ours to read
                pass
    return found


def _wait_for_orphans(token: str) -> float:
    start = time.monotonic()
    while _marked_processes(token):
        assert time.monotonic() - start < ORPHAN_GRACE, (
            f"processes of a killed run still alive after {ORPHAN_GRACE:.0f} s: "
            f"{_marked_processes(token)}")
        time.sleep(0.1)
    return time.monotonic() - start


GRADES_SQL = """
SELECT st.id, a.name, n.name, c.name, g.auto_score, g.manual_score FROM grade g
JOIN submitted_notebook sn ON g.notebook_id = sn.id
JOIN submitted_assignment sa ON sn.assignment_id = sa.id
JOIN student st ON sa.student_id = st.id
JOIN assignment a ON sa.assignment_id = a.id
JOIN notebook n ON sn.notebook_id = n.id
JOIN base_cell c ON g.cell_id = c.id
ORDER BY 1, 2, 3, 4
"""
TABLES = {"grade", "submitted_notebook", "submitted_assignment", "student", "assignment",
          "notebook", "base_cell"}


def _gradebook(out: Path) -> list[tuple]:
    """Every grade in the gradebook; the database must pass sqlite's integrity check."""
    with sqlite3.connect(out / "gradebook.db") as db:  # rolls back a killed transaction
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        if not TABLES <= tables:
            return []  # killed before nbgrader created all its tables (one at a time)
        return db.execute(GRADES_SQL).fetchall()


def _journal(out: Path) -> list[dict]:
    """The journal's records; only a last line cut short by the kill may be unreadable."""
    path = out / "journal.jsonl"
    if not path.is_file():
        return []
    whole = path.read_bytes().rpartition(b"\n")[0]
    return [json.loads(line) for line in whole.splitlines()]  # every finished line parses


def _check_nothing_wrong_was_written(out: Path, reference: dict) -> None:
    """After a kill: the gradebook is whole, and every grade written so far is final."""
    final = set(reference["rows"])
    if (out / "gradebook.db").is_file():
        assert set(_gradebook(out)) <= set(reference["gradebook"])
    for record in _journal(out):
        if record["kind"] == "graded":
            assert {Row(**r) for r in record["rows"]} <= final
    if (out / "grades.csv").is_file():
        assert (out / "grades.csv").read_bytes() == reference["csv"]


def _outcome(out: Path) -> dict:
    return {"rows": read_csv(out / "grades.csv"), "csv": (out / "grades.csv").read_bytes(),
            "gradebook": _gradebook(out),
            "feedback": sorted(str(p.relative_to(out / "feedback"))
                               for p in (out / "feedback").rglob("*.html"))}


def _graded_once_per_course(out: Path) -> None:
    """No (student, assignment) was graded twice for one course: no work was redone."""
    seen = [(r["student_id"], r["assignment"], r["course"]) for r in _journal(out)
            if r["kind"] == "graded"]
    assert len(seen) == len(set(seen)), seen


def _graded_share(out: Path) -> float:
    """The share of the class's notebooks already graded in ``out`` (from its journal)."""
    graded = {r["student_id"] for r in _journal(out) if r["kind"] == "graded"}
    return len(graded) / len(GRADABLE)


@pytest.mark.slow
def test_killed_at_random_moments_the_run_ends_as_if_never_killed(small_class, tmp_path):
    token, reference_out = uuid.uuid4().hex, tmp_path / "reference"
    start = time.monotonic()
    assert _start(small_class, reference_out, 2, token).wait(timeout=600) == 0, \
        _log(reference_out)
    full = time.monotonic() - start
    reference = _outcome(reference_out)
    assert {r.status for r in reference["rows"]} == {"passed", "failed", "invalid", "missing"}
    assert len(reference["feedback"]) == len(GRADABLE)
    again = time.monotonic()  # a run with everything graded already: changes nothing
    assert _start(small_class, reference_out, 2, token).wait(timeout=600) == 0
    finish = time.monotonic() - again
    assert _outcome(reference_out) == reference
    _wait_for_orphans(token)

    # Each run is killed at a random moment of the time it is expected to take: a whole
    # run in a new folder, less as the journal fills up (``finish`` once all is graded).
    rng = random.Random(SEED)
    kills, moments, orphan_exits, finished_early, killed_runs, to_the_end = 0, [], [], 0, 0.0, []
    for campaign in range(CAMPAIGNS):
        # even campaigns grade with 2 worker processes, odd ones in the grading process
        out, workers = tmp_path / f"killed{campaign}", 2 if campaign % 2 == 0 else 1
        while kills < KILLS * (campaign + 1) // CAMPAIGNS:
            expected = finish + (1 - _graded_share(out)) * (full - finish)
            delay = rng.uniform(0.0, expected)
            proc = _start(small_class, out, workers, token)
            try:
                code = proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
                kills += 1
                moments.append(delay / expected)
                killed_runs += delay
                orphan_exits.append(_wait_for_orphans(token))
                _check_nothing_wrong_was_written(out, reference)
            else:  # it ended before its moment came; the next run is killed instead
                assert code == 0, _log(out)
                finished_early += 1
        resumed = time.monotonic()
        assert _start(small_class, out, workers, token).wait(timeout=600) == 0, _log(out)
        to_the_end.append(time.monotonic() - resumed)
        assert _outcome(out) == reference, f"campaign {campaign}"
        _graded_once_per_course(out)
        _wait_for_orphans(token)
    total = time.monotonic() - start
    print(f"\nfault test: {kills} kills over {CAMPAIGNS} folders ({finished_early} runs ended "
          f"before their kill); a whole run {full:.1f} s, one with all graded {finish:.1f} s; "
          f"kill moments {min(moments):.0%}-{max(moments):.0%} of the expected run; "
          f"killed runs {killed_runs:.0f} s, last runs {sum(to_the_end):.0f} s; "
          f"orphans gone within {max(orphan_exits):.1f} s ({sum(orphan_exits):.0f} s in all); "
          f"total {total:.0f} s")


def _with_token(token: str) -> list[int]:
    """Processes whose command line holds ``token``."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if token.encode() in (proc / "cmdline").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                pass
    return found


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bwrap")
def test_a_sandbox_whose_starter_dies_at_once_does_not_outlive_it(tmp_path):
    from autograder import sandbox

    (tmp_path / "work").mkdir()
    box = sandbox.Sandbox(tmp_path, tmp_path, tmp_path / "work")
    token = f"30.{random.randrange(10**8):08d}"  # sleep 30.xxxxxxxx: ours, found by it
    starter = os.fork()
    if starter == 0:  # a grading worker killed right after it started a kernel's sandbox,
        try:  # before bwrap could set up --die-with-parent
            sandbox.hold(box)
            subprocess.Popen(sandbox.limited_command(["/bin/sleep", token], box))
        finally:
            os._exit(0)
    os.waitpid(starter, 0)
    deadline = time.monotonic() + ORPHAN_GRACE
    while _with_token(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _with_token(token)
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert left == [], "the sandbox outlived the process that started it"


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bwrap")
def test_the_sandbox_stops_when_the_grader_lets_go_of_it(tmp_path):
    # bwrap's --die-with-parent can miss (its inner process was once left running after
    # a kill); the watchdog inside also stops the sandbox once the grading process no
    # longer holds the FIFO, here while that process lives on
    from autograder import sandbox

    (tmp_path / "work").mkdir()
    box = sandbox.Sandbox(tmp_path, tmp_path, tmp_path / "work")
    token = f"30.{random.randrange(10**8):08d}"
    alive = sandbox.hold(box)
    proc = subprocess.Popen(sandbox.limited_command(["/bin/sleep", token], box))
    try:
        deadline = time.monotonic() + ORPHAN_GRACE
        while len(_with_token(token)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)  # bwrap, the watchdog and the command (sleep) all started
        time.sleep(0.3)
        assert proc.poll() is None, "the sandbox stopped while the grader held it"
        os.close(alive)
        assert proc.wait(timeout=ORPHAN_GRACE) is not None
        deadline = time.monotonic() + ORPHAN_GRACE
        while _with_token(token) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _with_token(token) == []
    finally:
        for pid in _with_token(token):
            os.kill(pid, signal.SIGKILL)
