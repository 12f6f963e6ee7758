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
import json
import logging
import os
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder.config import nbgrader_config, put_tools_on_path

_WORKER: dict = {}  # this process's NbGraderAPI and course root, set by init_worker


class _CompiledSchemas:
    """``jsonschema`` as nbgrader's cell-metadata check uses it, each schema compiled once.

    ``jsonschema.validate`` checks the schema itself before every cell (about 0.1 s per
    notebook); the result is the same.
    """

    def __init__(self, jsonschema):
        self._jsonschema, self._validators = jsonschema, {}

    def __getattr__(self, name):
        return getattr(self._jsonschema, name)

    def validate(self, instance, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            cls = self._jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = cls(schema)
        error = self._jsonschema.exceptions.best_match(
            self._validators[key].iter_errors(instance))
        if error is not None:
            raise error


def make_api(course_root: Path, db_path: Path):
    """An NbGraderAPI for the course directory ``course_root`` with the grading settings."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.nbgraderformat import common

    if not isinstance(common.jsonschema, _CompiledSchemas):
        common.jsonschema = _CompiledSchemas(common.jsonschema)

    config = nbgrader_config(course_root, db_path)
    config.Execute.timeout = int(os.environ.get("COURSE_CELL_TIMEOUT", "120"))
    # the notebook has run: nothing the kernel would do at exit counts, and its sandbox
    # dies with it, so it is killed rather than waited for (about 0.6 s per notebook)
    config.Execute.shutdown_kernel = "immediate"
    # a minimal traceback names the error without printing the (hidden) test code around it;
    # the kernel's own log (a warning about its local TCP transport) is noise here; nobody
    # reads its input history, an sqlite write per cell
    config.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal",
                                      "--HistoryManager.enabled=False",
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


def _exit_with_parent() -> None:
    """In a pool worker: exit as soon as the grading process dies (SIGKILL too).

    An orphaned worker would otherwise wait for tasks forever. The parent holds the
    other end of a pipe (multiprocessing's parent sentinel) that closes when it dies,
    however early. Its kernels follow the worker: ipykernel exits when its parent does.
    """
    import multiprocessing
    import threading
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    if parent is None:
        return  # grading in the main process itself

    def watch():
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def init_worker(out: Path, template_db: Path) -> None:
    """Give this process its own course directory and gradebook under ``out/workers``."""
    _exit_with_parent()
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


def reset_nbgrader_metadata(nb, release) -> None:
    """Give every graded or locked cell of ``nb`` its release metadata back.

    Students copy test cells in JupyterLab (the copy keeps the grade id), or edit
    the metadata (points, grade ids, ``solution: true`` on a test cell); nbgrader then
    refuses the whole notebook. Here the first cell with each release grade id gets
    the release's nbgrader metadata, and duplicates and unknown grade ids lose theirs
    (they run as plain cells and earn nothing).
    """
    wanted = {_grade_id(c): c for c in release.cells if _grade_id(c)}
    seen = set()
    for cell in nb.cells:
        if "nbgrader" not in cell.get("metadata", {}):
            continue
        original = wanted.get(_grade_id(cell))
        if original is not None and original.cell_type == cell.cell_type \
                and _grade_id(cell) not in seen:
            cell.metadata["nbgrader"] = copy.deepcopy(original.metadata["nbgrader"])
            seen.add(_grade_id(cell))
        else:
            del cell.metadata["nbgrader"]


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

    from autograder.execute import VERDICTS
    from autograder.grade import rows_for
    from autograder.submissions import Submission
    from autograder.verdicts import final_rows

    api, root = _WORKER["api"], _WORKER["root"]
    sid, aid = task.student_id, task.assignment
    for folder in ("submitted", "autograded"):
        shutil.rmtree(root / folder / sid / aid, ignore_errors=True)
    dest = root / "submitted" / sid / aid
    dest.mkdir(parents=True)
    for name, path in task.notebooks:
        nb = nbformat.read(path, as_version=4)
        release = nbformat.read(task.release / f"{name}.ipynb", as_version=4)
        reset_nbgrader_metadata(nb, release)
        restore_test_cells(nb, release)
        nbformat.write(nb, dest / f"{name}.ipynb")
    VERDICTS.clear()
    result = api.autograde(aid, sid, force=True, create=True)
    rows, scores, autograded = [], {}, {}
    with Gradebook(api.coursedir.db_url) as gb:
        for name, path in task.notebooks:
            sub = Submission(sid, aid, name, Path(path))
            done = root / "autograded" / sid / aid / f"{name}.ipynb"
            rows += final_rows(rows_for(sub, root, gb, task.points[name], result), done,
                               VERDICTS.get(name, {}))
            autograded[name] = done.read_text(encoding="utf-8") if done.is_file() else ""
            scores[name] = {r.grade_id: r.score for r in rows if r.notebook == name}
    return Done(task, rows, scores, autograded)


def record(done: Done, course_root: Path, db_url: str, before_commit=None) -> None:
    """Write a worker's result into the class course directory and gradebook.

    The autograded notebooks are replaced atomically first, then ``before_commit(done)``
    runs (``course grade`` journals the grades there: see autograder.journal), then the
    gradebook commits. A kill at any point leaves each file and the gradebook whole.
    """
    from nbgrader.api import Gradebook

    from autograder.journal import write_atomic

    sid, aid = done.task.student_id, done.task.assignment
    for name, text in done.autograded.items():
        target = course_root / "autograded" / sid / aid / f"{name}.ipynb"
        if text:
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, text.encode("utf-8"))
    if before_commit is not None:
        before_commit(done)
    with Gradebook(db_url) as gb:
        record_scores(gb, sid, aid, done.scores)
        gb.db.commit()


def record_scores(gb, student_id: str, assignment: str, scores: dict, fresh: bool = True):
    """Set a submission's scores ({notebook: {grade_id: score}}) in the open gradebook ``gb``.

    ``fresh``: the scores come from a new grading, so manual scores are cleared; otherwise
    (recording journaled scores again) only a grade whose score differs changes, and
    recording the same scores twice changes nothing.
    """
    from nbgrader.api import MissingEntry

    gb.update_or_create_student(student_id)
    try:
        submission = gb.find_submission(assignment, student_id)
    except MissingEntry:
        submission = gb.add_submission(assignment, student_id)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            score = scores.get(notebook.name, {}).get(grade.name, 0.0)
            if fresh or grade.auto_score != score:
                grade.auto_score, grade.manual_score = score, None


def run(tasks, workers: int, out: Path, template_db: Path, on_done,
        scheduler: str | None = None) -> None:
    """Autograde every task with ``workers`` processes (1: in this process); call on_done(Done).

    ``scheduler``: the address of a Dask scheduler whose workers grade instead
    (``workers`` is then unused; see autograder.cluster).
    """
    if scheduler:
        from autograder import cluster

        cluster.run(tasks, scheduler, template_db, on_done)
        return
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
