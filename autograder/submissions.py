"""Finding a class's submissions, and what keeps a notebook from being graded.

``SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb`` (nbgrader's ``submitted/``
layout) or ``SUBMISSIONS/<student>.zip`` holding that ``<assignment>/<notebook>.ipynb``
layout. The input folder is never modified. Every expected notebook becomes a
``Submission``: found, missing (with what the folder holds instead), or refused with a
problem in words (a symbolic link, a name that is not UTF-8, the same student twice, a
zip leaving its folder, a notebook too large, not JSON, not nbformat 4).
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.config import REPO, SOURCE

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
    note: str = ""  # for a missing notebook: what the folder holds instead


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


def shown_name(name: str) -> str:
    """A file name as text that prints and saves: bytes that are not UTF-8 become ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def _student_entries(folder: Path):
    """(student id, entry, is it a zip, problem) for each student in ``folder``.

    A student is a folder or a ``.zip`` file; other files are ignored, and so are
    names starting with a dot. Problems: a symbolic link, a name that is not UTF-8,
    the same student twice (``alice/`` and ``alice.zip``).
    """
    students: dict = {}
    for entry in sorted(folder.iterdir()):
        is_zip = entry.suffix == ".zip" and (entry.is_symlink() or entry.is_file())
        if entry.name.startswith(".") or not (is_zip or entry.is_dir()):
            continue
        raw = entry.stem if is_zip else entry.name
        students.setdefault(shown_name(raw), []).append((entry, is_zip, raw))
    for sid, entries in students.items():
        entry, is_zip, raw = entries[0]
        kind = "zip file" if is_zip else "student folder"
        if len(entries) > 1:
            names = " and ".join(f"'{shown_name(e.name)}'" for e, _, _ in entries)
            problem = f"this student was submitted twice ({names}); keep one"
        elif entry.is_symlink():
            problem = f"the {kind} is a symbolic link; put the files themselves there"
        elif sid != raw:
            problem = (f"the {kind} name is not valid UTF-8 (shown with its undecodable "
                       "bytes as \\xNN); rename it to grade it")
        else:
            problem = ""
        yield sid, entry, is_zip, problem


def _unpack_zip(zip_path: Path, dest: Path, members) -> str:
    """Extract the expected notebooks ``members`` of a student's zip into ``dest``.

    Returns a problem ('' when fine). An entry anywhere in the zip that leaves its
    folder or is a symbolic link refuses the whole zip; other unexpected entries are
    ignored (never extracted).
    """
    try:
        with zipfile.ZipFile(zip_path) as zf:
            infos = zf.infolist()
            for info in infos:
                parts = Path(info.filename).parts
                if info.filename.startswith("/") or ".." in parts:
                    return f"the zip holds a path leaving its folder: {info.filename!r}"
                if (info.external_attr >> 16) & 0o170000 == 0o120000:
                    return f"the zip holds a symbolic link: {info.filename!r}"
            for info in infos:
                if info.filename not in members:
                    continue
                if info.file_size > MAX_NOTEBOOK_BYTES:
                    return (f"{info.filename!r} in the zip is {info.file_size / 2**20:.0f} MB; "
                            f"at most {MAX_NOTEBOOK_BYTES // 2**20} MB")
                zf.extract(info, dest)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError, ValueError, zlib.error) as err:
        return f"not a readable zip file: {err}"
    return ""


def _other_notebooks(folder: Path) -> str:
    """For a missing notebook: the notebooks that are in its folder instead ('' if none)."""
    if folder.is_symlink() or not folder.is_dir():
        return ""
    names = sorted(shown_name(p.name) for p in folder.iterdir() if p.suffix == ".ipynb")
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    listed = ", ".join(f"'{name}'" for name in names[:3])
    return f"found instead: {listed}{more}" if names else ""


def _locate(sid: str, aid: str, nb_name: str, base: Path) -> Submission:
    folder = base / aid
    path = folder / f"{nb_name}.ipynb"
    if folder.is_symlink():
        return Submission(sid, aid, nb_name, None, f"the folder {aid} is a symbolic link, not "
                                                   "a folder")
    if path.is_symlink():
        return Submission(sid, aid, nb_name, None, "the notebook is a symbolic link, not a file")
    if path.is_file():
        return Submission(sid, aid, nb_name, path)
    return Submission(sid, aid, nb_name, None, note=_other_notebooks(folder))


def find_submissions(folder: Path, course: Course, scratch: Path, students=None,
                     assignments=None) -> list[Submission]:
    """Every expected (student, assignment, notebook), each found, missing or invalid."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"SUBMISSIONS: no folder at {folder}")
    wanted = [a for a in course.notebooks if not assignments or a in assignments]
    members = {f"{aid}/{nb}.ipynb" for aid in wanted for nb in course.notebooks[aid]}
    found = []
    for sid, entry, is_zip, problem in _student_entries(folder):
        if students and sid not in students:
            continue
        base = entry
        if is_zip and not problem:
            base = scratch / "unzipped" / sid
            problem = _unpack_zip(entry, base, members)
        for aid in wanted:
            for nb_name in course.notebooks[aid]:
                found.append(Submission(sid, aid, nb_name, None, problem) if problem
                             else _locate(sid, aid, nb_name, base))
    return found


def notebook_problem(path: Path) -> str:
    """Why the notebook at ``path`` cannot be graded ('' when it can).

    The size is checked first, so an enormous file is never read.
    """
    try:
        size = path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            return (f"the notebook is {size / 2**20:.0f} MB; at most "
                    f"{MAX_NOTEBOOK_BYTES // 2**20} MB")
        data = path.read_bytes()
    except OSError as err:
        return f"the notebook cannot be read: {err.strerror or err}"
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"the notebook is not valid JSON: {err}"
    except RecursionError:
        return "the notebook is not valid JSON: nested too deeply"
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        version = raw.get("nbformat") if isinstance(raw, dict) else None
        return f"the notebook has nbformat version {version!r}; expected 4"
    try:
        nbformat.validate(nbformat.reads(json.dumps(raw), as_version=4))
    except Exception as err:  # nbformat raises several kinds
        return f"the notebook does not follow the notebook format: {str(err)[:200]}"
    return ""
