"""Class reports (autograder.report): the terminal table, the summary and report.html."""

import base64
import html
import random
import re
import statistics
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.config import ASSIGNMENTS
from autograder.report import (
    common_failures,
    grade_table,
    normalise_message,
    summary,
    write_report,
)
from autograder.results import STATUSES, Row

pytestmark = pytest.mark.project

A1, A3, EXTRA = ASSIGNMENTS[0], ASSIGNMENTS[2], "zz_bonus"
HOSTILE = "<script>alert(1)</script>"
HTML_MESSAGE = 'expected <img src=x onerror="alert(2)"> & more'
NOTE = "isolation reduced: bubblewrap not installed <b>"

# (student, assignment, grade_id, score, max_score, status, message); the extra
# assignment comes first so that column order cannot follow the input order.
CELLS = [
    ("bob", EXTRA, "test_$x$", 1.0, 1.0, "passed", ""),
    ("alice", A1, "test_gates", 2.0, 2.0, "passed", ""),
    ("alice", A1, "test_value", 0.5, 3.0, "partial", "relative error 3.1e-01"),
    ("alice", A3, "test_svm_loss", 0.0, 4.0, "failed", HTML_MESSAGE),
    ("bob", A1, "test_gates", 0.0, 2.0, "failed", "wrong local gradient of W1"),
    ("bob", A1, "test_value", 1.5, 3.0, "partial", "relative error 2.0e-01"),
    (HOSTILE, A1, "test_gates", 2.0, 2.0, "passed", ""),
    (HOSTILE, A1, "test_value", 0.0, 3.0, "error", "NameError: name 'Value' is not defined"),
    (HOSTILE, A3, "test_svm_loss", 4.0, 4.0, "passed", ""),
    ("émilie", A3, "test_svm_loss", 0.0, 4.0, "missing", "no notebook submitted"),
    ("émilie", A1, "", 0.0, 0.0, "timeout", ""),  # the whole notebook timed out
]
# Totals worked out by hand from CELLS ({student: {assignment: total}}).
TOTALS = {
    "alice": {A1: 2.5, A3: 0.0},
    "bob": {A1: 1.5, EXTRA: 1.0},
    HOSTILE: {A1: 2.0, A3: 4.0},
    "émilie": {A1: 0.0, A3: 0.0},
}


def _rows():
    return [Row(s, a, f"{a}.ipynb", g, score, top, status, msg)
            for s, a, g, score, top, status, msg in CELLS]


def _table_cells(text):
    """{first cell: [other cells]} of a table whose first column holds no spaces."""
    lines = text.splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines if not line.startswith("-")}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "out" / "report.html"
    assert write_report(_rows(), path, notes=[NOTE]) == path
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- grade_table

def test_table_totals_and_dashes_match_the_hand_computed_totals():
    cells = _table_cells(grade_table(_rows()))
    columns = [A1, A3, EXTRA]
    for student, per in TOTALS.items():
        line = cells[student]
        for j, a in enumerate(columns):
            if a in per:
                assert float(line[j]) == per[a]
            else:
                assert line[j] == "—"
        assert float(line[-1]) == sum(per.values())


def test_table_columns_follow_the_course_order_then_others_and_rows_are_sorted():
    lines = grade_table(_rows()).splitlines()
    header = lines[0].split()
    assert header[0] == "student" and header[-1] == "total"
    assert [h.rstrip("…") for h in header[1:-1]] == [A1[:len(header[1]) - 1], A3, EXTRA]
    assert [line.split()[0] for line in lines[1:5]] == sorted(TOTALS)
    assert set(lines[5]) == {"-"} and lines[6].startswith("class mean") and len(lines) == 7


def test_table_class_mean_is_over_the_students_with_rows_for_the_assignment():
    mean_line = grade_table(_rows()).splitlines()[-1].split()[2:]  # after "class", "mean"
    for j, a in enumerate([A1, A3, EXTRA]):
        expected = statistics.mean(per[a] for per in TOTALS.values() if a in per)
        assert float(mean_line[j]) == pytest.approx(expected, abs=0.005)
    overall = statistics.mean(sum(per.values()) for per in TOTALS.values())
    assert float(mean_line[-1]) == pytest.approx(overall, abs=0.005)


def _display_width(text):
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF"
               else 1 for c in text)


def test_long_wide_and_control_character_ids_keep_the_columns_aligned():
    ids = ["x" * 80, "名前" * 30, "evil\x1b[31mred\nsecond line", "e\u0301te\u202eabc"]
    rows = [Row(s, A1, "n.ipynb", "q", 1.0, 1.0, "passed") for s in ids]
    lines = grade_table(rows).splitlines()
    assert len(lines) == len(ids) + 3
    assert "\x1b" not in "".join(lines) and "\u202e" not in "".join(lines)
    assert len({_display_width(line) for line in lines}) == 1  # the total column lines up
    assert any("…" in line for line in lines[1:-2])
    assert max(len(line) for line in lines) < 80


@given(st.lists(st.tuples(st.sampled_from(["ann", "ben", "cy", "dee"]),
                          st.sampled_from([A1, A3, EXTRA]),
                          st.integers(0, 40)), min_size=1, max_size=30))
def test_table_totals_for_random_rows(cells):
    rows = [Row(s, a, "n.ipynb", f"q{i}", k / 4, 10.0, "partial")  # quarters add exactly
            for i, (s, a, k) in enumerate(cells)]
    table = _table_cells(grade_table(rows))
    for student in {s for s, _, _ in cells}:
        total = sum(k / 4 for s, _, k in cells if s == student)
        assert float(table[student][-1]) == pytest.approx(total, abs=0.005)


def test_empty_rows_give_a_table_with_no_students():
    assert grade_table([]).splitlines()[0].split() == ["student", "total"]


def test_rows_must_be_rows():
    with pytest.raises(TypeError, match=r"rows\[1\]"):
        grade_table([_rows()[0], ("alice", A1)])
    with pytest.raises(TypeError, match="rows"):
        summary(3)
    with pytest.raises(ValueError, match="top"):
        common_failures(_rows(), top=0)


# ---------------------------------------------------------------- summary

def test_summary_statistics_and_status_counts():
    s = summary(_rows())
    assert (s["students"], s["rows"]) == (4, len(CELLS))
    # graded notebooks: the 8 (student, assignment) pairs of TOTALS but émilie's missing A3
    assert s["notebooks"] == 7
    assert list(s["assignments"]) == [A1, A3, EXTRA]
    a1 = s["assignments"][A1]  # totals 2.5, 1.5, 2.0, 0.0 (alice, bob, hostile, émilie)
    assert a1["students"] == 4
    assert a1["mean"] == pytest.approx(6.0 / 4)
    assert (a1["median"], a1["max"], a1["out_of"]) == ((1.5 + 2.0) / 2, 2.5, 5.0)
    assert set(s["status"]) == set(STATUSES)
    expected = {st: sum(c[5] == st for c in CELLS) for st in STATUSES}
    assert s["status"] == expected and s["status"]["passed"] == 4
    assert s["assignments"][A3]["status"]["missing"] == 1


# ---------------------------------------------------------------- common failures

@pytest.mark.parametrize("a, b, same", [
    ("relative error 3.1e-01", "relative error 2.0e-01", True),
    ("got shape (3, 4), expected (5,)", "got shape (2, 7), expected (9,)", True),
    ("at 0x7f3a2c", "at 0x55aa01", True),
    ("\x1b[31mAssertionError\x1b[0m: 1 != 2", "AssertionError: 3 != 4", True),
    ("wrong gradient of W1", "wrong gradient of W2", False),
    ("dtype float64 expected", "dtype float32 expected", False),
])
def test_normalise_message_groups_messages_that_differ_only_in_numbers(a, b, same):
    assert (normalise_message(a) == normalise_message(b)) is same


def test_common_failures_counts_grouped_messages():
    failures = common_failures(_rows())
    assert failures[A1]["test_value"][0][:2] == ("relative error #", 2)
    assert failures[A1]["test_value"][1][:2] == ("NameError: name 'Value' is not defined", 1)
    assert "test_gates" in failures[A1] and EXTRA not in failures  # bonus: nothing failed
    assert failures[A1][""] == [("(timeout, no message)", 1, "")]
    assert failures[A3]["test_svm_loss"][0][1] == 1  # the message with HTML, once


def test_common_failures_keeps_the_top_five_by_count():
    rows = [Row(f"s{i}", A1, "n.ipynb", "q", 0.0, 1.0, "failed", f"msg{k} {i}")
            for k in range(7) for i in range(k + 1)]  # message k appears k + 1 times
    ranked = common_failures(rows)[A1]["q"]
    assert [(p, n) for p, n, _ in ranked] == [(f"msg{k} #", k + 1) for k in (6, 5, 4, 3, 2)]


# ---------------------------------------------------------------- report.html

def test_report_escapes_student_ids_and_messages(report):
    assert html.escape(HOSTILE) in report
    assert "<script" not in report.lower()
    assert html.escape(HTML_MESSAGE) in report
    assert "<img src=x" not in report and 'onerror="' not in report


def test_report_is_self_contained_with_one_embedded_png_per_assignment(report):
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', report)
    assert len(images) == 3 == report.count("<img ")
    assert all(base64.b64decode(png)[:8] == b"\x89PNG\r\n\x1a\n" for png in images)
    assert not re.search(r"(src|href)=\"(?!data:|#)", report)  # no external file or URL
    assert "<link" not in report


def test_report_shows_the_notes_first_and_the_counts(report):
    note = html.escape(NOTE)
    assert note in report
    assert report.index(note) < report.index(f">{A1}</h2>")
    assert "<strong>4</strong> students" in report and "<strong>7</strong> notebooks" in report


def test_report_lists_the_grouped_failure_with_its_count(report):
    assert re.search(r'<td class="n">2</td><td class="msg">relative error #</td>', report)
    assert report.count("relative error #") == 1


def test_report_has_a_collapsible_colour_coded_table_per_student(report):
    assert report.count("<details>") == len(TOTALS)
    summaries = re.findall(r'<summary><span class="sid">(.*?)</span>', report)
    assert summaries == [html.escape(s) for s in sorted(TOTALS)]
    for status in ("passed", "partial", "failed", "error", "missing", "timeout"):
        assert f'<span class="st s-{status}">{status}</span>' in report
    assert '<td class="n">0.5 / 3</td>' in report  # alice's test_value


def test_report_with_no_rows_still_writes(tmp_path):
    path = write_report([], tmp_path / "report.html", notes="a single note")
    text = path.read_text(encoding="utf-8")
    assert "No grades." in text and "<li>a single note</li>" in text


def test_large_report_for_a_class(tmp_path):
    rng = random.Random(0)
    statuses = ["passed", "passed", "failed", "partial", "error", "timeout"]
    rows = []
    for i in range(50):
        for a in ASSIGNMENTS:
            for q in range(10):
                status = rng.choice(statuses)
                score = {"passed": 2.0, "partial": 1.0}.get(status, 0.0)
                message = "" if status == "passed" else f"relative error {rng.random():.1e}"
                rows.append(Row(f"student{i:03d}", a, f"{a}.ipynb", f"test_q{q}", score, 2.0,
                                status, message))
    assert len(rows) == 3000
    text = write_report(rows, tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == len(ASSIGNMENTS)
    assert text.count("<details>") == 50
    table = grade_table(rows).splitlines()
    assert len(table) == 50 + 3
