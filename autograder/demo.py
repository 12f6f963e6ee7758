"""``course demo``: the instructor's workflow end to end on the bundled examples.

1. ``course release``: regenerate ``notebooks/`` from ``solutions/``;
2. ``course grade``: grade ``autograder/examples/submitted`` (the full solution, the
   untouched release and realistic flawed submissions) into ``OUT``;
3. print the grade table and compare every grade with ``expected.csv``, whose scores
   were declared from each example's mistake, not taken from a grading run.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from autograder.config import REPO

EXAMPLES = REPO / "autograder" / "examples"


def compare_with_expected(rows, expected_csv: Path) -> list[str]:
    """Differences between grade rows and the declared expected scores ('' list if none)."""
    got = {(r.student_id, r.assignment, r.grade_id): r for r in rows}
    problems = []
    with open(expected_csv, newline="", encoding="utf-8") as f:
        for want in csv.DictReader(f):
            key = (want["student_id"], want["assignment"], want["grade_id"])
            row = got.get(key)
            if row is None:
                problems.append(f"{'/'.join(key)}: not graded")
            elif abs(row.score - float(want["score"])) > 1e-9:
                problems.append(f"{'/'.join(key)}: scored {row.score:g}, expected "
                                f"{float(want['score']):g} ({row.status}: {row.message[:80]})")
            elif want.get("message_contains") and want["message_contains"] not in row.message:
                problems.append(f"{'/'.join(key)}: message lacks {want['message_contains']!r}")
    return problems


def run_demo(out: Path) -> int:
    from autograder.grade import grade
    from autograder.release import release
    from autograder.report import grade_table

    start = time.perf_counter()
    written = release()
    print(f"released {len(written)} notebooks into {REPO / 'notebooks'}")
    rows = grade(EXAMPLES / "submitted", out, progress=True)
    print(grade_table(rows))
    problems = compare_with_expected(rows, EXAMPLES / "expected.csv")
    for p in problems:
        print(f"UNEXPECTED {p}")
    if not problems:
        print(f"every one of {len(rows)} grades is as declared in autograder/examples/"
              "expected.csv")
    print(f"grades: {out / 'grades.csv'}\nfeedback: {out / 'feedback'}\n"
          f"report: {out / 'report.html'}\n({time.perf_counter() - start:.0f} s)")
    return 1 if problems else 0
