"""Grading throughput, ``course grade`` against nbgrader: ``python -m benchmarks.bench_grading``.

A synthetic class: S students (``--students``, default 10) times the course's six
assignments, each notebook a copy of an example submission from
``autograder/examples/submitted/``: the master solution or one of the flawed students
of that assignment, taken in turn (student 0 always hands in the solution). The same
class is graded three ways, one after the other on this machine:

- ``course grade``, one worker (``autograder.grade.grade(..., feedback=False,
  report=False, workers=1)``), course setup included;
- the same with two workers;
- plain nbgrader, as an instructor runs it: a course directory with the same
  ``solutions/`` (``generate_assignment`` through ``NbGraderAPI``, not timed), an
  ``nbgrader_config.py`` with the same execution timeout, and ``nbgrader autograde
  ASSIGNMENT --force`` run in it as a subprocess per assignment over every student.

Reported per way: notebooks per second, the speedup against nbgrader, and the median
seconds per notebook beyond the notebook's own compute. Own compute is the time
nbclient takes to run the assignment's master solution once as graded
(``NBGRADER_EXECUTION`` set), kernel already started: all its cells for nbgrader, all
but those tagged ``experiment`` for ``course grade``, which does not run them (the
printout says how much of the compute they are).
Per-notebook times are: for ``course grade``, the time a worker spends on each
notebook (``autograder.workers.autograde``, timed by wrapping it); for nbgrader, each
subprocess's wall time divided by its number of notebooks (it grades them in one
process and says nothing per notebook). Goals: >= 2.5 x nbgrader's throughput and a
median overhead under 1.5 s per notebook. Writes ``benchmarks/results/grading.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import grade as grading
from autograder import workers as pool
from autograder.config import ASSIGNMENTS, CODE_STUB, REPO, SOURCE, put_tools_on_path
from benchmarks.bench_layers import machine

EXAMPLES = REPO / "autograder" / "examples" / "submitted"
OUT = Path(__file__).parent / "results" / "grading.json"
GOAL_SPEEDUP = 2.5
GOAL_OVERHEAD = 1.5  # seconds per notebook, median
TIMEOUT = 120  # Execute.timeout, as autograder.workers.make_api sets it


# ---------------------------------------------------------------- the class


def _sources(aid: str) -> list[str]:
    """The example students with a notebook for ``aid``: the solution first, then the flawed."""
    flawed = sorted(p.name for p in EXAMPLES.iterdir()
                    if p.is_dir() and p.name not in ("solution", "empty") and (p / aid).is_dir())
    return ["solution", *flawed]


def build_class(dest: Path, students: int, assignments) -> dict:
    """Write ``dest/<student>/<aid>/<nb>.ipynb``; returns {(student, aid): example copied}."""
    made = {}
    for aid in assignments:
        sources = _sources(aid)
        for k in range(students):
            sid, example = f"student{k:03d}", sources[k % len(sources)]
            shutil.copytree(EXAMPLES / example / aid, dest / sid / aid)
            made[(sid, aid)] = example
    return made


def own_compute(assignments) -> dict:
    """{aid: {"all": s, "experiments": s}}: nbclient running the master solution's cells as
    they run when graded (``NBGRADER_EXECUTION`` set, so training cells use their grading
    budgets), kernel started. "experiments" is the part spent in cells tagged ``experiment``,
    which ``course grade`` does not run and nbgrader does."""
    from nbclient import NotebookClient

    from autograder.execute import is_experiment

    put_tools_on_path()
    seconds = {}
    before = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        for aid in assignments:
            total = experiments = 0.0
            for path in sorted((REPO / SOURCE / aid).glob("*.ipynb")):
                nb = nbformat.read(path, as_version=4)
                client = NotebookClient(nb, timeout=TIMEOUT, kernel_name="python3",
                                        allow_errors=True,
                                        extra_arguments=["--IPKernelApp.log_level=ERROR"],
                                        resources={"metadata": {"path": str(path.parent)}})
                with client.setup_kernel():
                    for index, cell in enumerate(nb.cells):
                        start = time.perf_counter()
                        client.execute_cell(cell, index)
                        took = time.perf_counter() - start
                        total += took
                        experiments += took if is_experiment(cell) else 0.0
            seconds[aid] = {"all": total, "experiments": experiments}
    finally:
        if before is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = before
    return seconds


# ---------------------------------------------------------------- the three ways


class _TimedWorkers:
    """Wraps ``workers.autograde`` (in every worker) to time each notebook it grades."""

    def __init__(self):
        self.seconds = []  # (aid, seconds per notebook)

    def __enter__(self):
        self._autograde, self._record = pool.autograde, pool.record
        pool.autograde = _timed_autograde  # by reference: spawned workers import it too

        def record(done, *args, **kwargs):
            per_notebook = done.seconds / max(1, len(done.task.notebooks))
            self.seconds += [(done.task.assignment, per_notebook)] * len(done.task.notebooks)
            return self._record(done, *args, **kwargs)

        pool.record = record
        return self

    def __exit__(self, *exc):
        pool.autograde, pool.record = self._autograde, self._record


def _timed_autograde(task):
    start = time.perf_counter()
    done = _real_autograde(task)
    done.seconds = time.perf_counter() - start
    return done


_real_autograde = pool.autograde  # captured at import, before any wrapping


def time_course_grade(class_dir: Path, out: Path, workers: int, assignments) -> dict:
    with _TimedWorkers() as timed:
        start = time.perf_counter()
        rows = grading.grade(class_dir, out, assignments=list(assignments), feedback=False,
                             report=False, workers=workers)
        wall = time.perf_counter() - start
    graded = {(r.student_id, r.assignment, r.notebook) for r in rows
              if r.status not in ("missing", "invalid")}
    return {"wall_seconds": wall, "notebooks": len(graded), "per_notebook": timed.seconds}


def _write_config(course: Path) -> None:
    (course / "nbgrader_config.py").write_text(
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.source_directory = {SOURCE!r}\n"
        "c.CourseDirectory.release_directory = 'release'\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(course / 'gradebook.db')!r}\n"
        f"c.ClearSolutions.code_stub = {{'python': {CODE_STUB!r}}}\n"
        f"c.Execute.timeout = {TIMEOUT}\n")


def time_nbgrader(class_dir: Path, course: Path, assignments) -> dict:
    """Plain nbgrader: generate (untimed), then ``nbgrader autograde AID --force`` per aid."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    course.mkdir(parents=True)
    shutil.copytree(REPO / SOURCE, course / SOURCE,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    _write_config(course)
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.source_directory = SOURCE
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    config.ClearSolutions.code_stub = {"python": CODE_STUB}
    api = NbGraderAPI(config=config)
    for aid in assignments:
        result = api.generate_assignment(aid, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not set up {aid}: {result.get('error')}")
    for sid_dir in sorted(class_dir.iterdir()):
        for aid in assignments:
            if (sid_dir / aid).is_dir():
                shutil.copytree(sid_dir / aid, course / "submitted" / sid_dir.name / aid)

    nbgrader = Path(sys.executable).parent / "nbgrader"
    env = dict(os.environ, PATH=f"{nbgrader.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    wall, per_notebook, failures = 0.0, [], []
    for aid in assignments:
        count = len(list((course / "submitted").glob(f"*/{aid}/*.ipynb")))
        start = time.perf_counter()
        proc = subprocess.run([str(nbgrader), "autograde", aid, "--force"], cwd=course, env=env,
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        wall += seconds
        per_notebook += [(aid, seconds / max(1, count))] * count
        if proc.returncode:
            failures.append(f"{aid}: exit {proc.returncode}: {proc.stderr[-300:]}")
    graded = len(list((course / "autograded").glob("*/*/*.ipynb")))
    return {"wall_seconds": wall, "notebooks": graded, "per_notebook": per_notebook,
            "failures": failures}


# ---------------------------------------------------------------- the report


def _row(way, result, compute, reference=None):
    """``compute``: {aid: seconds of the notebook's own compute in this way of grading}."""
    beyond = [seconds - compute[aid] for aid, seconds in result["per_notebook"]]
    rate = result["notebooks"] / result["wall_seconds"]
    return {"way": way, "notebooks": result["notebooks"], "wall_seconds": result["wall_seconds"],
            "notebooks_per_second": rate,
            "speedup_vs_nbgrader": rate / reference if reference else 1.0,
            "median_overhead_seconds": statistics.median(beyond) if beyond else None}


def _print_table(rows):
    header = (f"{'way':28s} {'notebooks':>9s} {'wall s':>8s} {'nb/s':>7s} {'vs nbgrader':>11s} "
              f"{'overhead s/nb':>13s}")
    print(header)
    print("-" * len(header))
    for r in rows:
        overhead = r["median_overhead_seconds"]
        print(f"{r['way']:28s} {r['notebooks']:9d} {r['wall_seconds']:8.1f} "
              f"{r['notebooks_per_second']:7.3f} {r['speedup_vs_nbgrader']:10.2f}x "
              f"{'-' if overhead is None else f'{overhead:.2f}':>13s}")
    print(f"\nGoals: course grade >= {GOAL_SPEEDUP:g}x nbgrader's notebooks/s; median overhead "
          f"< {GOAL_OVERHEAD:g} s per notebook (beyond the solution's own compute).")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_grading",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10, help="students in the class")
    parser.add_argument("--assignment", action="append", choices=ASSIGNMENTS,
                        help="only this assignment (may be repeated; default: all six)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 2 students x 1 assignment")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    assignments = tuple(args.assignment or ASSIGNMENTS)
    if args.quick:
        args.students, assignments = 2, assignments[:1]
    if args.students < 1:
        parser.error(f"--students: got {args.students}; expected at least 1")
    args.out.parent.mkdir(parents=True, exist_ok=True)

    info = machine()
    load_before = os.getloadavg()
    print(f"{info['cpu']}, {info['cpus']} CPUs, {info['platform']}; load average "
          f"{' '.join(f'{x:.2f}' for x in load_before)}")
    print(f"{args.students} students x {len(assignments)} assignments\n", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_grading_") as tmp:
        tmp = Path(tmp)
        made = build_class(tmp / "class", args.students, assignments)
        compute = own_compute(assignments)
        theirs = time_nbgrader(tmp / "class", tmp / "nbgrader", assignments)
        one = time_course_grade(tmp / "class", tmp / "out1", 1, assignments)
        two = time_course_grade(tmp / "class", tmp / "out2", 2, assignments)
    reference = theirs["notebooks"] / theirs["wall_seconds"]
    everything = {aid: c["all"] for aid, c in compute.items()}
    graded_cells = {aid: c["all"] - c["experiments"] for aid, c in compute.items()}
    rows = [_row("nbgrader autograde", theirs, everything),
            _row("course grade, 1 worker", one, graded_cells, reference),
            _row("course grade, 2 workers", two, graded_cells, reference)]
    _print_table(rows)
    print(f"Own compute of the {len(assignments)} solutions as graded: "
          f"{sum(everything.values()):.1f} s, of which "
          f"{sum(everything.values()) - sum(graded_cells.values()):.1f} s in cells tagged "
          "experiment (nbgrader runs them, course grade does not).")
    for failure in theirs["failures"]:
        print(f"nbgrader autograde failed: {failure}")
    load = [load_before[0], os.getloadavg()[0]]
    print(f"Load average {load[0]:.2f} before, {load[1]:.2f} after.")
    best = max(rows[1:], key=lambda r: r["notebooks_per_second"])
    args.out.write_text(json.dumps({
        "goal_speedup": GOAL_SPEEDUP, "goal_overhead_seconds": GOAL_OVERHEAD,
        "students": args.students, "assignments": list(assignments),
        "examples": sorted(set(made.values())), "own_compute_seconds": compute,
        "execute_timeout": TIMEOUT, "machine": info, "load_average": load,
        "nbgrader_failures": theirs["failures"], "rows": rows,
        "goals_met": {"speedup": best["speedup_vs_nbgrader"] >= GOAL_SPEEDUP,
                      "overhead": (best["median_overhead_seconds"] or 0.0) < GOAL_OVERHEAD},
    }, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
