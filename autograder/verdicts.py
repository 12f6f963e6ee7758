"""A test cell's final grade: the lower of nbgrader's score and the grading side's verdict.

nbgrader scores a test cell from what happened in the student's kernel (did the cell
raise?), which the student's code can fake. The hidden checks' verdicts are decided
in the grading process (``autograder.remote``). A cell whose hidden checks did not all
pass, or never reported, gets 0 whatever the kernel showed; when the kernel showed a
pass anyway, the row is ``flagged``: the tests were tampered with.
"""

from __future__ import annotations

from dataclasses import replace

import nbformat

from autograder.execute import hidden_suites
from autograder.remote import REFERENCE_HIDDEN

BYPASSED = ("the hidden checks never reported to the grader although the cell ran: the "
            "test cell's code was bypassed or tampered with")
REFERENCE_USED = ("this cell called the course's reference implementation of a graded "
                  "function, which is not available while grading: graded code must be your own")
FAKED = "the notebook showed this cell as passing, but the grader's checks did not pass"


def final_rows(rows, autograded_path, verdicts: dict) -> list:
    """``rows`` (one notebook's, from nbgrader) with each test cell's verdict applied.

    ``verdicts``: grade_id -> (suite names, [SuiteResult], timed out) from
    ``execute.VERDICTS``.
    """
    if not autograded_path.is_file():
        return list(rows)
    nb = nbformat.read(autograded_path, as_version=4)
    calls = {c.metadata["nbgrader"]["grade_id"]: hidden_suites(c) for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    out = []
    for row in rows:
        if row.message.startswith(REFERENCE_HIDDEN):
            out.append(replace(row, score=0.0, status="flagged", message=REFERENCE_USED))
            continue
        names = calls.get(row.grade_id)
        if not names:
            out.append(row)
            continue
        _, results, timed_out = verdicts.get(row.grade_id, (names, [], False))
        by_name = {r.name: r for r in results}
        flagged = [r.flagged for r in results if r.flagged]
        failed = [by_name[n] for n in names if n in by_name and not by_name[n].passed]
        missing = [n for n in names if n not in by_name]
        if flagged:
            out.append(replace(row, score=0.0, status="flagged", message=flagged[0]))
        elif failed and timed_out:
            out.append(replace(row, score=0.0, status="timeout", message=(
                f"{failed[0].name}: the cell did not finish in time (the grader interrupted "
                "it during the hidden checks)")))
        elif failed:
            shown_pass = row.score > 0
            message = failed[0].message + (f" ({FAKED})" if shown_pass else "")
            out.append(replace(row, score=0.0, status="flagged" if shown_pass else "failed",
                               message=message))
        elif missing and row.score > 0:
            out.append(replace(row, score=0.0, status="flagged", message=BYPASSED))
        else:
            out.append(row)
    return out
