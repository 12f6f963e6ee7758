"""``course release``: generate the student notebooks from the master notebooks."""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from autograder.config import (
    ASSIGNMENTS,
    RELEASE,
    REPO,
    SOURCE,
    nbgrader_config,
    put_tools_on_path,
)


class ReleaseError(RuntimeError):
    """nbgrader could not generate an assignment; the message holds its log."""


def assignments_in(source_root: Path) -> list[str]:
    """Assignment ids with a folder in ``source_root/solutions``, in course order."""
    present = {p.name for p in (source_root / SOURCE).iterdir() if p.is_dir()}
    ordered = [a for a in ASSIGNMENTS if a in present]
    return ordered + sorted(present - set(ordered) - {".ipynb_checkpoints"})


def release(root: Path = REPO, db_path: Path | None = None, assignments=None,
            out: Path | None = None) -> list[Path]:
    """Regenerate ``root/notebooks`` (or ``out``) from ``root/solutions`` with nbgrader.

    Also records every assignment, notebook and test cell in the gradebook at
    ``db_path`` (default ``root/.course/gradebook.db``), which grading restores
    test cells from. Returns the release notebooks written.
    """
    from nbgrader.apps import NbGraderAPI

    root = Path(root).resolve()
    db_path = Path(db_path) if db_path else root / ".course" / "gradebook.db"
    db_path.parent.mkdir(parents=True, exist_ok=True)
    target = Path(out).resolve() if out else root / RELEASE
    assignments = list(assignments) if assignments else assignments_in(root)
    logging.getLogger("traitlets").setLevel(logging.ERROR)
    put_tools_on_path()

    written = []
    # nbgrader writes the release inside its course directory; build it in a
    # scratch course directory so a failed run never leaves notebooks/ half-made.
    with tempfile.TemporaryDirectory(prefix="course-release-") as scratch:
        scratch = Path(scratch)
        shutil.copytree(root / SOURCE, scratch / SOURCE,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        api = NbGraderAPI(config=nbgrader_config(scratch, db_path))
        for aid in assignments:
            result = api.generate_assignment(aid, force=True, create=True)
            if not result["success"]:
                raise ReleaseError(f"nbgrader could not release {aid}:\n"
                                   f"{result.get('error') or result.get('log')}")
            dest = target / aid
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(scratch / RELEASE / aid, dest)
            written += sorted(dest.glob("*.ipynb"))
    return written
