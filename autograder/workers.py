"""Grading in parallel: each worker autogrades in its own nbgrader course directory.

nbgrader grades one notebook at a time against one sqlite gradebook. Here each
worker process gets its own course directory and a copy of the gradebook made
after ``generate_assignment`` (so it knows every test cell), autogrades its share
of (student, assignment) pairs there, and sends back the rows, the scores and the
autograded notebooks. Only the main process writes the class gradebook, one
submission at a time, so there are no lock errors and the result does not depend
on the number of workers.
"""

from __future__ import annotations

import copy
import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.config import nbgrader_config, put_tools_on_path

_WORKER: dict = {}  # this process's NbGraderAPI and course root, set by init_worker


def make_api(course_root: Path, db_path: Path):
    """An NbGraderAPI for the course directory ``course_root`` with the grading settings."""
    from nbgrader.apps import NbGraderAPI

    config = nbgrader_config(course_root, db_path)
    config.Execute.timeout = 120
    # a minimal traceback names the error without printing the (hidden) test code around it;
    # the kernel's own log (a warning about its local TCP transport) is noise here
    config.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal",
                                      "--IPKernelApp.log_level=ERROR"]
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from autograder.execute import SurvivingExecute

    # stderr never decides a grade (nbgrader scores any stderr output, a harmless warning
    # too, as 0): the hidden checks record numpy warnings from the student's code themselves
    config.IgnorePattern.enabled = True
    config.IgnorePattern.pattern = r"[\s\S]"
    # nbgrader's own list, with Execute replaced (see autograder.execute)
    config.Autograde.autograde_preprocessors = [
        SurvivingExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
        AssignLatePenalties, CheckCellMetadata]
    return NbGraderAPI(config=config)


def init_worker(out: Path, template_db: Path) -> None:
    """Give this process its own course directory and gradebook under ``out/workers``."""
    from sqlalchemy.exc import SAWarning

    warnings.simplefilter("ignore", SAWarning)  # nbgrader 0.9's session warnings: noise
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    put_tools_on_path()
    root = Path(out) / "workers" / str(os.getpid())
    shutil.rmtree(root, ignore_errors=True)
    (root / "course").mkdir(parents=True)
    shutil.copyfile(template_db, root / "gradebook.db")
    _WORKER.update(api=make_api(root / "course", root / "gradebook.db"), root=root / "course")


def _grade_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def restore_test_cells(nb, release) -> list[str]:
    """Put back every test cell of ``release`` missing from ``nb``; returns their grade ids.

    Each goes right after the nearest earlier cell of the release still in ``nb`` (nbgrader
    then restores its source from the gradebook and grades it). nbgrader's own
    ``add_missing_cells`` fails on notebooks whose locked cells carry nbgrader metadata.
    """
    restored = []
    for i, cell in enumerate(release.cells):
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade") or meta.get("solution"):
            continue
        where = {_grade_id(c): k for k, c in enumerate(nb.cells) if _grade_id(c)}
        if meta["grade_id"] in where:
            continue
        anchors = [where[_grade_id(c)] for c in release.cells[:i] if _grade_id(c) in where]
        nb.cells.insert(max(anchors) + 1 if anchors else len(nb.cells), copy.deepcopy(cell))
        restored.append(meta["grade_id"])
    return restored


@dataclass
class Task:
    """One student's notebooks for one assignment: [(notebook name, path of the file)]."""

    student_id: str
    assignment: str
    notebooks: list
    points: dict  # notebook name -> {grade_id: points}
    release: Path  # the folder of this assignment's release notebooks


@dataclass
class Done:
    """What a worker hands back for a Task."""

    task: Task
    rows: list
    scores: dict  # notebook -> {grade_id: score}
    autograded: dict  # notebook -> the autograded notebook's JSON text ('' if none)


def autograde(task: Task) -> Done:
    """Autograde ``task`` in this worker's course directory (init_worker must have run)."""
    from nbgrader.api import Gradebook

    from autograder.grade import Submission, rows_for

    api, root = _WORKER["api"], _WORKER["root"]
    sid, aid = task.student_id, task.assignment
    for folder in ("submitted", "autograded"):
        shutil.rmtree(root / folder / sid / aid, ignore_errors=True)
    dest = root / "submitted" / sid / aid
    dest.mkdir(parents=True)
    for name, path in task.notebooks:
        nb = nbformat.read(path, as_version=4)
        restore_test_cells(nb, nbformat.read(task.release / f"{name}.ipynb", as_version=4))
        nbformat.write(nb, dest / f"{name}.ipynb")
    result = api.autograde(aid, sid, force=True, create=True)
    rows, scores, autograded = [], {}, {}
    with Gradebook(api.coursedir.db_url) as gb:
        for name, path in task.notebooks:
            sub = Submission(sid, aid, name, Path(path))
            rows += rows_for(sub, root, gb, task.points[name], result)
            done = root / "autograded" / sid / aid / f"{name}.ipynb"
            autograded[name] = done.read_text(encoding="utf-8") if done.is_file() else ""
            scores[name] = {r.grade_id: r.score for r in rows if r.notebook == name}
    return Done(task, rows, scores, autograded)


def record(done: Done, course_root: Path, db_url: str) -> None:
    """Write a worker's result into the class course directory and gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    sid, aid = done.task.student_id, done.task.assignment
    for name, text in done.autograded.items():
        target = course_root / "autograded" / sid / aid / f"{name}.ipynb"
        if text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    with Gradebook(db_url) as gb:
        gb.update_or_create_student(sid)
        try:
            submission = gb.find_submission(aid, sid)
        except MissingEntry:
            submission = gb.add_submission(aid, sid)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = done.scores.get(notebook.name, {}).get(grade.name, 0.0)
                grade.manual_score = None
        gb.db.commit()


def run(tasks, workers: int, out: Path, template_db: Path, on_done) -> None:
    """Autograde every task with ``workers`` processes (1: in this process); call on_done(Done)."""
    if workers <= 1 or len(tasks) <= 1:
        init_worker(out, template_db)
        for task in tasks:
            on_done(autograde(task))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=init_worker, initargs=(out, template_db)) as pool:
        futures = [pool.submit(autograde, task) for task in tasks]
        for future in as_completed(futures):
            on_done(future.result())
