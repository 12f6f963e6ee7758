"""`course grade --scheduler`: grading on a real Dask cluster gives the local grades.

A LocalCluster on loopback with two worker processes stands in for grading machines.
Part of the example class (one flawed student per assignment) is graded through it and
on this machine, and both are compared, cell by cell, with each other and with the
scores declared in ``autograder/examples/expected.csv``.
"""

import csv
import socket
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip(
    "distributed", reason="the 'distributed' package (extra 'cluster') is not installed")

from autograder import cluster as grid  # noqa: E402
from autograder.cli import main  # noqa: E402
from autograder.grade import grade  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DASHBOARD = "127.0.0.1:0"  # any free port: the scheduler's HTTP server always starts
EXAMPLES = ROOT / "autograder" / "examples"
# one flawed student per assignment: partial scores, and 'missing' for the other five
STUDENTS = ["value_overwrites", "relu_at_zero", "svm_no_mean", "affine_dw_transposed",
            "adam_late_t", "twolayer_no_reg_grad"]


def _outcomes(rows):
    return sorted((r.student_id, r.assignment, r.notebook, r.grade_id, r.score, r.status)
                  for r in rows)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=DASHBOARD) as local:
        yield local


@pytest.fixture(scope="module")
def graded(cluster, tmp_path_factory):
    """(cluster rows, local rows, cluster output folder); prints the seconds each took."""
    out = tmp_path_factory.mktemp("on_cluster")
    start = time.perf_counter()
    remote = grade(EXAMPLES / "submitted", out, students=STUDENTS, feedback=False,
                   report=False, scheduler=cluster.scheduler_address)
    remote_s = time.perf_counter() - start
    start = time.perf_counter()
    local = grade(EXAMPLES / "submitted", tmp_path_factory.mktemp("local"), students=STUDENTS,
                  feedback=False, report=False, workers=2)
    local_s = time.perf_counter() - start
    print(f"\ncluster: {remote_s:.1f} s, local (2 workers): {local_s:.1f} s")
    return remote, local, out


@pytest.mark.slow
def test_the_cluster_grades_exactly_as_this_machine_does(graded):
    remote, local, _ = graded
    assert {r.student_id for r in remote} == set(STUDENTS)
    assert len(remote) > 100
    assert _outcomes(remote) == _outcomes(local)


@pytest.mark.slow
def test_the_cluster_grades_are_the_declared_ones(graded):
    remote, _, _ = graded
    got = {(r.student_id, r.assignment, r.grade_id): r for r in remote}
    with open(EXAMPLES / "expected.csv", newline="", encoding="utf-8") as f:
        expected = [w for w in csv.DictReader(f) if w["student_id"] in STUDENTS]
    assert len({w["assignment"] for w in expected}) == 6
    for want in expected:
        row = got[want["student_id"], want["assignment"], want["grade_id"]]
        assert (row.score, row.max_score) == (float(want["score"]), float(want["max_score"])), \
            (want, row)
        assert want["message_contains"] in row.message, (want, row)
    # the rest are assignments these students did not hand in
    declared = {(w["student_id"], w["assignment"], w["grade_id"]) for w in expected}
    assert {r.status for r in remote if r.key[:2] + r.key[3:] not in declared} == {"missing"}


@pytest.mark.slow
def test_only_the_grading_process_writes_the_class_gradebook(graded, cluster):
    from nbgrader.api import Gradebook

    remote, _, out = graded
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for sid, aid in {(r.student_id, r.assignment) for r in remote if r.status != "missing"}:
            total = sum(r.score for r in remote if (r.student_id, r.assignment) == (sid, aid))
            assert gb.find_submission(aid, sid).score == total, (sid, aid)
    assert not (out / "workers").exists()  # no worker graded in the grader's folder
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        folders = client.run(lambda: str(grid._COURSE.get("folder", "")))
    assert len(set(folders.values())) == 2 and "" not in folders.values()  # both graded
    assert all(str(out) not in folder for folder in folders.values())


@pytest.mark.slow
def test_a_task_carries_its_files_by_value(graded, cluster, tmp_path):
    """The worker grades from what was shipped: the original files are gone by then."""
    from autograder.workers import Task

    remote, _, out = graded
    aid, name = "03_losses", "losses"
    copy = tmp_path / "svm_no_mean.ipynb"
    copy.write_bytes((EXAMPLES / "submitted" / "svm_no_mean" / aid / f"{name}.ipynb")
                     .read_bytes())
    release = tmp_path / "release"
    release.mkdir()
    (release / f"{name}.ipynb").write_bytes((ROOT / "notebooks" / aid / f"{name}.ipynb")
                                            .read_bytes())
    points = {r.grade_id: r.max_score for r in remote if r.key[:3] == ("svm_no_mean", aid, name)}
    task = Task("svm_no_mean", aid, [(name, str(copy))], {name: points}, release)
    parcel = grid.pack(task)
    copy.unlink()
    (release / f"{name}.ipynb").unlink()
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        done = client.submit(grid.grade_parcel, parcel, (out / "gradebook.db").read_bytes(),
                             pure=False).result()
    assert done.task == task
    assert _outcomes(done.rows) == _outcomes(r for r in remote
                                             if r.key[:2] == ("svm_no_mean", aid))


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("address", [f"tcp://127.0.0.1:{_closed_port()}", "not-an-address",
                                     "udp://127.0.0.1:8786"])
def test_a_bad_scheduler_address_is_one_line_and_quick(address, tmp_path, capsys):
    start = time.perf_counter()
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(EXAMPLES / "submitted"), "--out", str(tmp_path / "out"),
              "--scheduler", address])
    assert time.perf_counter() - start < grid.CONNECT_TIMEOUT + 5
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--scheduler: no Dask scheduler answered at {address!r}" \
        in err, err
    assert not (tmp_path / "out").exists()  # nothing was set up


def test_a_silent_server_is_not_waited_for(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(grid, "CONNECT_TIMEOUT", 1)
    with socket.socket() as silent:  # accepts connections (in its backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        start = time.perf_counter()
        with pytest.raises(SystemExit) as stop:
            main(["grade", str(EXAMPLES / "submitted"), "--out", str(tmp_path),
                  "--scheduler", address])
    assert time.perf_counter() - start < 5 and stop.value.code == 2
    assert "sent no Dask handshake" in capsys.readouterr().err


def test_a_scheduler_without_workers_is_an_error(monkeypatch):
    monkeypatch.setattr(grid, "WORKERS_TIMEOUT", 1)
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address=DASHBOARD) as empty:
        with pytest.raises(ValueError, match="has no workers"):
            grid.connect(empty.scheduler_address)


def test_workers_and_scheduler_exclude_each_other(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["grade", str(EXAMPLES / "submitted"), "--out", str(tmp_path),
              "--scheduler", "tcp://127.0.0.1:8786", "--workers", "2"])
    assert stop.value.code == 2 and "--workers" in capsys.readouterr().err
