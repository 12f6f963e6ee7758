"""nbgrader configuration for this course, built in code (no nbgrader_config.py to drift).

The repository is the nbgrader course directory: master notebooks live in
``solutions/<assignment>/`` (nbgrader's source folder) and the student
release in ``notebooks/<assignment>/`` (its release folder).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

REPO = Path(__file__).resolve().parents[1]
SOURCE = "solutions"
RELEASE = "notebooks"

ASSIGNMENTS = (
    "01_computational_graphs",
    "02_activations",
    "03_losses",
    "04_vector_backprop",
    "05_optimization",
    "06_neural_networks",
)

# One line, the same in every release notebook (STYLE.md: one stub format everywhere).
CODE_STUB = 'raise NotImplementedError("your code here")'


def nbgrader_config(root: Path, db_path: Path) -> Config:
    """The nbgrader Config for a course directory at ``root`` with its gradebook at ``db_path``."""
    c = Config()
    c.CourseDirectory.root = str(Path(root).resolve())
    c.CourseDirectory.source_directory = SOURCE
    c.CourseDirectory.release_directory = RELEASE
    c.CourseDirectory.db_url = f"sqlite:///{Path(db_path).resolve()}"
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.Exchange.root = str(Path(root).resolve() / ".exchange")
    return c


def put_tools_on_path() -> None:
    """Put this interpreter's scripts folder first on PATH.

    nbgrader runs ``alembic`` (and kernels run ``python``) by name; with a
    virtual environment that is used but not activated they would not be found.
    """
    scripts = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != scripts:
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
