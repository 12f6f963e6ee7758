"""One grade row per student, assignment and graded test cell, and the grades.csv file."""

from __future__ import annotations

import csv
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

STATUSES = ("passed", "failed", "partial", "error", "timeout", "missing", "invalid", "flagged")


@dataclass(frozen=True)
class Row:
    """A graded test cell's outcome for one student (or a whole-notebook problem, grade_id '')."""

    student_id: str
    assignment: str
    notebook: str
    grade_id: str
    score: float
    max_score: float
    status: str
    message: str = ""

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"status: expected one of {STATUSES}, got {self.status!r}")

    @property
    def key(self) -> tuple:
        return (self.student_id, self.assignment, self.notebook, self.grade_id)


COLUMNS = tuple(f.name for f in fields(Row))


def write_csv(rows, path: Path) -> None:
    """Write rows sorted by student, assignment, notebook and grade id (atomically)."""
    path = Path(path)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for row in sorted(rows, key=lambda r: r.key):
            d = asdict(row)
            d["score"], d["max_score"] = f"{row.score:g}", f"{row.max_score:g}"
            writer.writerow(d)
        f.flush()
        os.fsync(f.fileno())  # on disk before it replaces the old file (power loss too)
    tmp.replace(path)


def read_csv(path: Path) -> list[Row]:
    with open(path, newline="", encoding="utf-8") as f:
        return [Row(**{**d, "score": float(d["score"]), "max_score": float(d["max_score"])})
                for d in csv.DictReader(f)]
