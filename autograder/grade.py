"""``course grade SUBMISSIONS --out DIR``: autograde a class with nbgrader, write reports.

Pipeline (nbgrader 0.9 does the execution and keeps the gradebook):

1. find the submissions (``autograder.submissions``):
   ``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb`` or ``SUBMISSIONS/<student>.zip``;
   the input folder is never modified;
2. set up a course directory in ``DIR/course`` with the gradebook ``DIR/gradebook.db``
   and record every assignment from ``solutions/`` in it (``generate_assignment``);
3. check each notebook (readable JSON, nbformat 4) and copy it in; a broken one gets
   an ``invalid`` row, an expected one that is absent a ``missing`` row;
4. autograde each (student, assignment) with nbgrader, in-process, test cells restored
   from the gradebook; read every graded cell's score from the gradebook and its
   status and message from the executed notebook;
5. write ``DIR/grades.csv``, per-student feedback (``DIR/feedback``, hidden tests
   removed) and ``DIR/report.html``.

Each finished step is written to ``DIR/journal.jsonl`` (autograder.journal) before
anything that depends on it, so a run killed at any point and started again resumes
and ends as an uninterrupted run would: grades already journaled are reused (while
the submission and the course are unchanged), never drawn again.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.config import RELEASE, REPO, SOURCE, put_tools_on_path
from autograder.journal import Journal, digest, tree_digest
from autograder.results import Row, write_csv
from autograder.submissions import (
    Course,
    Submission,
    find_submissions,
    notebook_problem,
    read_course,
)

# --- 4. reading one graded notebook ---------------------------------------------------------


def _cell_outcome(cell) -> tuple[str, str]:
    """(status, message) of an executed test cell from its outputs."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", ""), out.get("evalue", "")
            if "Timeout" in ename:
                return "timeout", (evalue or f"the cell did not finish in time ({ename})")[:300]
            if ename in ("AssertionError", "SelfCheckError"):
                return "failed", evalue or "a test failed"
            if ename == "NotImplementedError":
                return "failed", "not implemented yet"
            if ename == "NameError":
                return "failed", f"{evalue} (not answered yet?)"
            return "error", f"{ename}: {evalue}"[:500]
    return "passed", ""


def rows_for(sub: Submission, course_root: Path, gradebook, points: dict,
             result: dict | None = None) -> list[Row]:
    """One Row per graded cell of an autograded submission (``result``: nbgrader's answer)."""
    done = course_root / "autograded" / sub.student_id / sub.assignment / f"{sub.notebook}.ipynb"
    cells = {}
    if done.is_file():
        nb = nbformat.read(done, as_version=4)
        cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("grade")}
    scores = {}
    try:
        submitted = gradebook.find_submission_notebook(sub.notebook, sub.assignment,
                                                       sub.student_id)
        scores = {g.name: g.score for g in submitted.grades}
    except Exception:  # nbgrader raises MissingEntry
        pass
    rows = []
    for gid, max_score in points.items():
        score = float(scores.get(gid) or 0.0)
        if gid not in cells:
            status, message = "error", "the notebook was not graded (the kernel stopped?)"
            if result and not result.get("success"):
                message = "grading failed: " + (result.get("error") or "")[-300:]
            score = 0.0
        else:
            status, message = _cell_outcome(cells[gid])
            if status == "passed" and score < max_score:
                status = "partial" if score > 0 else "failed"
        rows.append(Row(sub.student_id, sub.assignment, sub.notebook, gid, score, max_score,
                        status, message))
    return rows


def _rows_without_grading(sub: Submission, points: dict, status: str, message: str):
    return [Row(sub.student_id, sub.assignment, sub.notebook, gid, 0.0, pts, status, message)
            for gid, pts in points.items()]


# --- the whole run ----------------------------------------------------------------------------


def course_digest(root: Path = REPO) -> str:
    """Digest of what decides a grade: the master notebooks and the grading code.

    A resumed run reuses a journaled grade only while this is unchanged; a change to
    ``solutions/``, to the reference library or to the autograder regrades everyone.
    """
    import importlib

    parts = [("solutions", tree_digest(Path(root) / SOURCE).encode())]
    for package in ("course", "autograder"):
        folder = Path(importlib.import_module(package).__file__).parent
        parts.append((package, tree_digest(folder, "*.py").encode()))
    return digest(parts)


def _prepare_course(out: Path, root: Path, assignments, journal: Journal, course: str,
                    force: bool = False):
    """The class course directory ``out/course`` and gradebook, every assignment recorded.

    Skipped when the journal says it was done for this very course (``course``: its digest).
    """
    from autograder.workers import make_api

    course_root = out / "course"
    done = (out / "gradebook.db").is_file() and all(
        journal.is_released(aid, course) and (course_root / RELEASE / aid).is_dir()
        for aid in assignments)
    if done and not force:
        return course_root, make_api(course_root, out / "gradebook.db")
    journal.preparing()
    cache = _prepared_cache(course, assignments)
    if not force and cache.is_dir() and not (out / "gradebook.db").exists():
        # the same course prepared by an earlier run (any output folder): copy, don't redo
        shutil.copytree(cache / "course", course_root, dirs_exist_ok=True)
        shutil.copyfile(cache / "gradebook.db", out / "gradebook.db")
        for aid in assignments:
            journal.add_released(aid, course)
        return course_root, make_api(course_root, out / "gradebook.db")
    if (course_root / SOURCE).exists():
        shutil.rmtree(course_root / SOURCE)
    shutil.copytree(root / SOURCE, course_root / SOURCE,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    fresh = not (out / "gradebook.db").exists()
    api = make_api(course_root, out / "gradebook.db")
    for aid in assignments:
        result = api.generate_assignment(aid, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not set up {aid}: {result.get('error')}")
        journal.add_released(aid, course)
    if fresh:
        _store_prepared(cache, course_root, out / "gradebook.db")
    return course_root, api


def _prepared_cache(course: str, assignments) -> Path:
    """Where a prepared course (release and gradebook before any student) is kept."""
    import hashlib

    import nbgrader

    key = hashlib.sha256(f"{course} {sorted(assignments)} {nbgrader.__version__}".encode())
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "backprop-course" / "prepared" / key.hexdigest()[:32]


def _store_prepared(cache: Path, course_root: Path, gradebook: Path) -> None:
    """Keep a copy of a freshly prepared course for later runs (best effort, atomic)."""
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        for folder in (SOURCE, RELEASE):
            shutil.copytree(course_root / folder, tmp / "course" / folder)
        shutil.copyfile(gradebook, tmp / "gradebook.db")
        os.replace(tmp, cache)
    except OSError:  # no cache folder, or another run stored it first: fine either way
        shutil.rmtree(tmp, ignore_errors=True)


@dataclass
class Plan:
    """What a run does with each (student, assignment) it finds."""

    rows: list  # settled without grading: missing, invalid, and journaled grades reused
    tasks: list  # to autograde now
    digests: dict  # (student, assignment) of each task -> digest of its notebooks
    reused: list  # (student, assignment) pairs whose journaled grades are reused
    withdrawn: list  # pairs with nothing to grade (missing or invalid)


def _plan(subs, course: Course, course_root: Path, journal: Journal, fingerprint: str,
          regrade: bool) -> Plan:
    from autograder import workers as pool

    plan = Plan([], [], {}, [], [])
    pairs = sorted({(s.student_id, s.assignment) for s in subs})
    for sid, aid in pairs:
        gradable = []
        for sub in (s for s in subs if (s.student_id, s.assignment) == (sid, aid)):
            points = course.points[(aid, sub.notebook)]
            problem = sub.problem or (notebook_problem(sub.path) if sub.path else "")
            if sub.path is None and not problem:
                note = f"; {sub.note}" if sub.note else ""
                plan.rows += _rows_without_grading(sub, points, "missing",
                                                   f"no {sub.notebook}.ipynb submitted{note}")
            elif problem:
                plan.rows += _rows_without_grading(sub, points, "invalid", problem)
            else:
                gradable.append((sub.notebook, str(sub.path)))
        if not gradable:
            plan.withdrawn.append((sid, aid))
            continue
        key = digest((name, Path(path).read_bytes()) for name, path in gradable)
        earlier = None if regrade else journal.rows(sid, aid, key, fingerprint)
        if earlier is not None:
            plan.rows += earlier
            plan.reused.append((sid, aid))
            continue
        plan.digests[(sid, aid)] = key
        plan.tasks.append(pool.Task(sid, aid, gradable,
                                    {n: course.points[(aid, n)] for n, _ in gradable},
                                    course_root / RELEASE / aid))
    stale = [p for p in pairs if p not in plan.reused]
    journal.forget(p for p in stale if journal.knows(*p))  # before their files go
    for sid, aid in stale:
        for folder in ("submitted", "autograded", "feedback"):
            shutil.rmtree(course_root / folder / sid / aid, ignore_errors=True)
    return plan


def _sync_gradebook(db_url: str, plan: Plan) -> None:
    """Make the gradebook agree with the plan before grading.

    Journaled grades are recorded again (idempotent: the gradebook may lag the journal
    by the one commit a kill interrupted); submissions with nothing left to grade leave.
    """
    from nbgrader.api import Gradebook

    from autograder.workers import record_scores

    scores: dict = {}
    reused = set(plan.reused)
    for r in plan.rows:
        if (r.student_id, r.assignment) in reused:
            scores.setdefault((r.student_id, r.assignment), {}).setdefault(
                r.notebook, {})[r.grade_id] = r.score
    with Gradebook(db_url) as gb:
        for (sid, aid), by_notebook in scores.items():
            record_scores(gb, sid, aid, by_notebook, fresh=False)
        gb.db.commit()
        withdrawn = set(plan.withdrawn)
        for assignment in gb.assignments:
            for submission in list(assignment.submissions):
                if (submission.student_id, assignment.name) in withdrawn:
                    gb.remove_submission(assignment.name, submission.student_id)


def grade(submissions, out, students=None, assignments=None, root: Path = REPO,
          progress: bool = False, feedback: bool = True, report: bool = True,
          workers: int | None = None, scheduler: str | None = None,
          regrade: bool = False) -> list[Row]:
    """Grade every submission under ``submissions`` into ``out``; returns the grade rows.

    ``workers``: processes grading at once (default: the number of cores).
    ``scheduler``: grade on the Dask cluster with this scheduler address instead
    (``autograder.cluster``).
    A run that was killed resumes: grades in ``out/journal.jsonl`` whose submission and
    course are unchanged are reused, not drawn again. ``regrade``: grade everything anew.
    """
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader 0.9 triggers SQLAlchemy session warnings on every autograde: noise only
        warnings.simplefilter("ignore", SAWarning)
        return _grade(submissions, out, students, assignments, root, progress, feedback, report,
                      workers or os.cpu_count() or 1, scheduler, regrade)


def _grade(submissions, out, students, assignments, root, progress, feedback, report, workers,
           scheduler=None, regrade=False):
    put_tools_on_path()
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    course = read_course(root)
    unknown = set(assignments or ()) - set(course.notebooks)
    if unknown:
        raise ValueError(f"--assignment: no such assignment {sorted(unknown)}; "
                         f"expected one of {sorted(course.notebooks)}")
    with Journal(out / "journal.jsonl") as journal:
        return _run(journal, submissions, out, students, assignments, root, progress,
                    feedback, report, workers, scheduler, regrade, course)


def _run(journal, submissions, out, students, assignments, root, progress, feedback, report,
         workers, scheduler, regrade, course):
    from tqdm.auto import tqdm

    from autograder import workers as pool

    wanted = [a for a in course.notebooks if not assignments or a in assignments]
    for leftover in ("scratch", "workers"):  # an earlier run's, killed or not
        shutil.rmtree(out / leftover, ignore_errors=True)
    subs = find_submissions(Path(submissions), course, out / "scratch", students, assignments)
    fingerprint = course_digest(root)
    course_root, api = _prepare_course(out, root, wanted, journal, fingerprint, force=regrade)
    plan = _plan(subs, course, course_root, journal, fingerprint, regrade)
    _sync_gradebook(api.coursedir.db_url, plan)
    rows, tasks = list(plan.rows), plan.tasks
    if progress and plan.reused:
        print(f"resuming: {len(plan.reused)} graded before ({journal.path.name}), "
              f"{len(tasks)} to grade (--regrade grades all again)")
    bar = tqdm(total=len(tasks), desc="grading", unit="notebook", disable=not progress)

    def journal_it(done):
        pair = (done.task.student_id, done.task.assignment)
        journal.add_graded(*pair, plan.digests[pair], fingerprint, done.rows)

    def on_done(done):
        pool.record(done, course_root, api.coursedir.db_url, before_commit=journal_it)
        rows.extend(done.rows)
        bar.update()

    pool.run(tasks, min(workers, max(1, len(tasks))), out, out / "gradebook.db", on_done,
             scheduler=scheduler)
    bar.close()
    rows.sort(key=lambda r: r.key)
    all_rows = _merge_with_earlier(out / "grades.csv", rows, {
        (s.student_id, s.assignment) for s in subs})
    write_csv(all_rows, out / "grades.csv")
    if feedback:
        graded = sorted(plan.reused + [(t.student_id, t.assignment) for t in tasks])
        write_feedback(api, [p for p in graded if not journal.has_feedback(*p)], out,
                       journal.add_feedback)
    if report:
        from autograder.report import write_report

        write_report(all_rows, out / "report.html", notes=isolation_notes())
    return rows


def _merge_with_earlier(csv_path: Path, rows, regraded) -> list[Row]:
    """This run's rows plus earlier rows of (student, assignment) pairs not graded now.

    So ``--student``/``--assignment`` narrow a run without dropping anyone else's grades.
    """
    from autograder.results import read_csv

    earlier = read_csv(csv_path) if csv_path.is_file() else []
    kept = [r for r in earlier if (r.student_id, r.assignment) not in regraded]
    return kept + list(rows)


def isolation_notes() -> list[str]:
    """What the report says about isolation (and a warning printed once when it is reduced)."""
    from autograder.sandbox import bwrap

    notes = ["The hidden checks are decided by the grading process: the student's kernel only "
             "runs the calls it is sent and cannot change a verdict."]
    if bwrap():
        return notes + ["Each kernel ran in a bubblewrap sandbox with resource limits, no "
                        "network, and no access to the repository, the gradebook or other "
                        "submissions."]
    global _WARNED
    if not _WARNED:
        _WARNED = True
        logging.getLogger("autograder").warning(
            "bwrap (bubblewrap) is not installed: isolation is reduced (kernels run with "
            "resource limits but can read the file system and reach the network)")
    return notes + ["Isolation was REDUCED: bwrap is not installed, so kernels ran with "
                    "resource limits only and could read the file system and use the network."]


_WARNED = False


def write_feedback(api, pairs, out: Path, on_written=None) -> None:
    """HTML feedback per student and assignment, hidden tests removed, in ``out/feedback``.

    ``on_written(student, assignment)`` runs after each pair's feedback is written.
    """
    api.coursedir.config.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbgrader.preprocessors.ClearHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    api.config.GenerateFeedback.preprocessors = api.coursedir.config.GenerateFeedback.preprocessors
    for sid, aid in pairs:
        if (out / "course" / "autograded" / sid / aid).is_dir():
            result = api.generate_feedback(aid, sid, force=True)
            if result.get("success") and on_written is not None:
                on_written(sid, aid)
    src = out / "course" / "feedback"
    if src.is_dir():
        dest = out / "feedback"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(src, dest)
