"""What a ``course grade`` run has finished, kept so that a killed run resumes.

``OUT/journal.jsonl`` is append-only: one JSON record a line, each written, flushed
and fsynced before the gradebook or any output that depends on it changes. After a
kill (SIGKILL, power loss) it therefore says exactly which work is done; a torn last
line (the kill came mid-write) is cut off when the journal is opened. The records:

- ``graded``: a (student, assignment) is graded; its grade rows, with the digest of
  the submitted notebooks and of the course. Reused while both digests still match,
  so a grade once written is never silently drawn again;
- ``feedback``: the feedback HTML of that grading is written;
- ``forget``: these (student, assignment) pairs are graded again from scratch
  (``--regrade``, a changed or withdrawn submission);
- ``preparing`` / ``released``: the class course directory is being set up again /
  an assignment is set up in the gradebook for this course digest.

Holding the journal open also holds a lock on it (flock), so two runs never write to
one output folder at once; the kernel drops the lock when the process dies.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from autograder.results import Row


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` at once: readers, and a killed writer, see old or new."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def digest(items) -> str:
    """sha256 of (name, bytes) pairs, each length-prefixed so no two lists collide."""
    h = hashlib.sha256()
    for name, data in items:
        for part in (os.fsencode(name), data):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
    return h.hexdigest()


def tree_digest(folder: Path, pattern: str = "*") -> str:
    """Digest of the files under ``folder`` matching ``pattern`` (caches excluded)."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob(pattern) if p.is_file()
                   and not {".ipynb_checkpoints", "__pycache__"} & set(p.parts))
    return digest((str(p.relative_to(folder)), p.read_bytes()) for p in files)


class Journal:
    """The journal at ``path``, read, repaired and locked; use as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise ValueError(f"--out: {self.path.parent} is in use by another `course grade` "
                             "run; wait for it to finish") from None
        self._graded: dict = {}  # (student, assignment) -> its latest graded record
        self._feedback: set = set()  # pairs whose latest grading has its feedback written
        self._released: dict = {}  # assignment -> course digest it was set up for
        self.unreadable = 0  # lines that were not a record (skipped)
        self._load()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # also drops the lock
            self._fd = -1

    def _load(self) -> None:
        data = self.path.read_bytes()
        end = data.rfind(b"\n") + 1
        if end < len(data):
            os.ftruncate(self._fd, end)  # a torn last line: the writer was killed mid-line
        for line in data[:end].splitlines():
            try:
                self._apply(json.loads(line))
            except (ValueError, KeyError, TypeError):
                self.unreadable += 1

    def _apply(self, record: dict) -> None:
        kind = record["kind"]
        if kind == "graded":
            pair = (record["student_id"], record["assignment"])
            self._graded[pair] = record
            self._feedback.discard(pair)
        elif kind == "feedback":
            pair = (record["student_id"], record["assignment"])
            if pair in self._graded:
                self._feedback.add(pair)
        elif kind == "forget":
            for sid, aid in record["pairs"]:
                self._graded.pop((sid, aid), None)
                self._feedback.discard((sid, aid))
        elif kind == "preparing":
            self._released.clear()
        elif kind == "released":
            self._released[record["assignment"]] = record["course"]

    def _append(self, record: dict) -> None:
        line = (json.dumps(record, sort_keys=True) + "\n").encode("utf-8")
        view = memoryview(line)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)
        self._apply(record)

    # --- grading -------------------------------------------------------------------------

    def rows(self, student_id: str, assignment: str, submission: str,
             course: str) -> list[Row] | None:
        """The journaled rows of this pair if it was graded from these very digests."""
        record = self._graded.get((student_id, assignment))
        if record is None or (record["submission"], record["course"]) != (submission, course):
            return None
        return [Row(**r) for r in record["rows"]]

    def knows(self, student_id: str, assignment: str) -> bool:
        return (student_id, assignment) in self._graded

    def add_graded(self, student_id: str, assignment: str, submission: str, course: str,
                   rows) -> None:
        self._append({"kind": "graded", "student_id": student_id, "assignment": assignment,
                      "submission": submission, "course": course,
                      "rows": [asdict(r) for r in rows]})

    def forget(self, pairs) -> None:
        pairs = sorted(pairs)
        if pairs:
            self._append({"kind": "forget", "pairs": [list(p) for p in pairs]})

    def has_feedback(self, student_id: str, assignment: str) -> bool:
        return (student_id, assignment) in self._feedback

    def add_feedback(self, student_id: str, assignment: str) -> None:
        self._append({"kind": "feedback", "student_id": student_id, "assignment": assignment})

    # --- the course directory --------------------------------------------------------------

    def is_released(self, assignment: str, course: str) -> bool:
        return self._released.get(assignment) == course

    def preparing(self) -> None:
        self._append({"kind": "preparing"})

    def add_released(self, assignment: str, course: str) -> None:
        self._append({"kind": "released", "assignment": assignment, "course": course})
