"""``course grade SUBMISSIONS --out DIR``: autograde a class with nbgrader, write reports.

Pipeline (nbgrader 0.9 does the execution and keeps the gradebook):

1. find the submissions: ``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb``
   (nbgrader's ``submitted/`` layout) or ``SUBMISSIONS/<student>.zip`` holding that
   ``<assignment>/<notebook>.ipynb`` layout; the input folder is never modified;
2. set up a course directory in ``DIR/course`` with the gradebook ``DIR/gradebook.db``
   and record every assignment from ``solutions/`` in it (``generate_assignment``);
3. check each notebook (readable JSON, nbformat 4) and copy it in; a broken one gets
   an ``invalid`` row, an expected one that is absent a ``missing`` row;
4. autograde each (student, assignment) with nbgrader, in-process, test cells restored
   from the gradebook; read every graded cell's score from the gradebook and its
   status and message from the executed notebook;
5. write ``DIR/grades.csv``, per-student feedback (``DIR/feedback``, hidden tests
   removed) and ``DIR/report.html``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.config import RELEASE, REPO, SOURCE, put_tools_on_path
from autograder.results import Row, write_csv

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
"""A submitted notebook larger than this is not graded (``invalid``): real ones are < 1 MB."""


@dataclass
class Submission:
    """One student's notebook for one assignment (``path`` None when it is missing)."""

    student_id: str
    assignment: str
    notebook: str
    path: Path | None
    problem: str = ""  # why it cannot be graded ('' when it can)


@dataclass
class Course:
    """The assignments and their notebooks, read from the master notebooks."""

    notebooks: dict = field(default_factory=dict)  # assignment -> [notebook name without .ipynb]
    points: dict = field(default_factory=dict)  # (assignment, notebook) -> {grade_id: points}


def read_course(root: Path = REPO) -> Course:
    course = Course()
    for aid_dir in sorted((root / SOURCE).iterdir()):
        if not aid_dir.is_dir() or aid_dir.name.startswith("."):
            continue
        for path in sorted(aid_dir.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            course.notebooks.setdefault(aid_dir.name, []).append(path.stem)
            course.points[(aid_dir.name, path.stem)] = {
                c.metadata["nbgrader"]["grade_id"]: float(c.metadata["nbgrader"]["points"])
                for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    return course


# --- 1. finding submissions ---------------------------------------------------------



def _unpack_zip(zip_path: Path, dest: Path) -> str:
    """Extract a student's zip into ``dest``; returns a problem ('' when fine)."""
    try:
        with zipfile.ZipFile(zip_path) as zf:
            for info in zf.infolist():
                parts = Path(info.filename).parts
                if info.filename.startswith("/") or ".." in parts:
                    return f"the zip holds a path leaving its folder: {info.filename!r}"
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    return f"the zip holds a symbolic link: {info.filename!r}"
            for info in zf.infolist():
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    return f"{info.filename!r} is too large ({info.file_size} bytes)"
            zf.extractall(dest)
    except (zipfile.BadZipFile, OSError) as err:
        return f"not a readable zip file: {err}"
    return ""


def find_submissions(folder: Path, course: Course, scratch: Path, students=None,
                     assignments=None) -> list[Submission]:
    """Every expected (student, assignment, notebook), each found, missing or invalid."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"SUBMISSIONS: no folder at {folder}")
    wanted = [a for a in course.notebooks if not assignments or a in assignments]
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.is_symlink() or entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".zip":
            sid, base = entry.stem, scratch / "unzipped" / entry.stem
            problem = _unpack_zip(entry, base)
        elif entry.is_dir():
            sid, base, problem = entry.name, entry, ""
        else:
            continue
        if students and sid not in students:
            continue
        for aid in wanted:
            for nb_name in course.notebooks[aid]:
                path = base / aid / f"{nb_name}.ipynb"
                if problem:
                    found.append(Submission(sid, aid, nb_name, None, problem))
                elif path.is_symlink():
                    found.append(Submission(sid, aid, nb_name, None, "the notebook is a "
                                            "symbolic link, not a file"))
                elif path.is_file():
                    found.append(Submission(sid, aid, nb_name, path))
                else:
                    found.append(Submission(sid, aid, nb_name, None))
    return found


def notebook_problem(path: Path) -> str:
    """Why the notebook at ``path`` cannot be graded ('' when it can)."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return f"the notebook is {size / 2**20:.0f} MB; at most {MAX_NOTEBOOK_BYTES // 2**20} MB"
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"the notebook is not valid JSON: {err}"
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        return f"the notebook has nbformat version {version!r}; expected 4"
    try:
        nbformat.validate(nbformat.reads(json.dumps(raw), as_version=4))
    except Exception as err:  # nbformat raises several kinds
        return f"the notebook does not follow the notebook format: {str(err)[:200]}"
    return ""


# --- 4. reading one graded notebook ---------------------------------------------------------


def _cell_outcome(cell) -> tuple[str, str]:
    """(status, message) of an executed test cell from its outputs."""
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            ename, evalue = out.get("ename", ""), out.get("evalue", "")
            if "Timeout" in ename:
                return "timeout", f"the cell did not finish in time ({ename})"
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


def _prepare_course(out: Path, root: Path, assignments):
    """The class course directory ``out/course`` and gradebook, every assignment recorded."""
    from autograder.workers import make_api

    course_root = out / "course"
    if (course_root / SOURCE).exists():
        shutil.rmtree(course_root / SOURCE)
    shutil.copytree(root / SOURCE, course_root / SOURCE,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    api = make_api(course_root, out / "gradebook.db")
    for aid in assignments:
        result = api.generate_assignment(aid, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not set up {aid}: {result.get('error')}")
    return course_root, api


def grade(submissions, out, students=None, assignments=None, root: Path = REPO,
          progress: bool = False, feedback: bool = True, report: bool = True,
          workers: int | None = None) -> list[Row]:
    """Grade every submission under ``submissions`` into ``out``; returns the grade rows.

    ``workers``: processes grading at once (default: the number of cores).
    """
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        # nbgrader 0.9 triggers SQLAlchemy session warnings on every autograde: noise only
        warnings.simplefilter("ignore", SAWarning)
        return _grade(submissions, out, students, assignments, root, progress, feedback, report,
                      workers or os.cpu_count() or 1)


def _grade(submissions, out, students, assignments, root, progress, feedback, report, workers):
    from tqdm.auto import tqdm

    from autograder import workers as pool

    put_tools_on_path()
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    course = read_course(root)
    unknown = set(assignments or ()) - set(course.notebooks)
    if unknown:
        raise ValueError(f"--assignment: no such assignment {sorted(unknown)}; "
                         f"expected one of {sorted(course.notebooks)}")
    wanted = [a for a in course.notebooks if not assignments or a in assignments]
    scratch = out / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    subs = find_submissions(Path(submissions), course, scratch, students, assignments)
    course_root, api = _prepare_course(out, root, wanted)

    rows, tasks = [], []
    pairs = sorted({(s.student_id, s.assignment) for s in subs})
    for sid, aid in pairs:
        gradable = []
        for sub in (s for s in subs if (s.student_id, s.assignment) == (sid, aid)):
            points = course.points[(aid, sub.notebook)]
            problem = sub.problem or (notebook_problem(sub.path) if sub.path else "")
            if sub.path is None and not problem:
                rows += _rows_without_grading(sub, points, "missing",
                                              f"no {sub.notebook}.ipynb submitted")
            elif problem:
                rows += _rows_without_grading(sub, points, "invalid", problem)
            else:
                gradable.append((sub.notebook, str(sub.path)))
        if gradable:
            tasks.append(pool.Task(sid, aid, gradable,
                                   {n: course.points[(aid, n)] for n, _ in gradable},
                                   course_root / RELEASE / aid))
        for folder in ("submitted", "autograded"):
            shutil.rmtree(course_root / folder / sid / aid, ignore_errors=True)

    bar = tqdm(total=len(tasks), desc="grading", unit="notebook", disable=not progress)

    def on_done(done):
        pool.record(done, course_root, api.coursedir.db_url)
        rows.extend(done.rows)
        bar.update()

    pool.run(tasks, min(workers, max(1, len(tasks))), out, out / "gradebook.db", on_done)
    bar.close()
    rows.sort(key=lambda r: r.key)
    all_rows = _merge_with_earlier(out / "grades.csv", rows, set(pairs) | {
        (s.student_id, s.assignment) for s in subs})
    write_csv(all_rows, out / "grades.csv")
    if feedback:
        write_feedback(api, [(t.student_id, t.assignment) for t in tasks], out)
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
    return ["Student code and hidden tests run in one kernel per notebook (nbgrader's model): "
            "grades are not yet protected against submissions that tamper with the tests."]


def write_feedback(api, pairs, out: Path) -> None:
    """HTML feedback per student and assignment, hidden tests removed, in ``out/feedback``."""
    api.coursedir.config.GenerateFeedback.preprocessors = [
        "nbgrader.preprocessors.GetGrades",
        "nbgrader.preprocessors.ClearHiddenTests",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    ]
    api.config.GenerateFeedback.preprocessors = api.coursedir.config.GenerateFeedback.preprocessors
    for sid, aid in pairs:
        if (out / "course" / "autograded" / sid / aid).is_dir():
            api.generate_feedback(aid, sid, force=True)
    src = out / "course" / "feedback"
    if src.is_dir():
        dest = out / "feedback"
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(src, dest)
