"""Class reports from grade rows: ``grade_table`` for the terminal, ``summary`` (a dict) and
``write_report``, one self-contained report.html (figures embedded as base64 PNG, no network).

Student ids, messages and all other row text are untrusted: the HTML escapes them, and
the terminal table replaces control and format characters (ANSI escapes, bidi overrides).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import statistics
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

from autograder.config import ASSIGNMENTS
from autograder.results import STATUSES, Row
from course import _checks

MISSING = "—"
ID_WIDTH = 28  # at most this many terminal columns for a student id
COL_WIDTH = 14  # at most this many for an assignment's header
MESSAGE_CHARS = 1500  # longer messages are cut in the per-student tables
TOP_FAILURES = 5


# ------------------------------------------------------------------ shared

# ANSI colour codes (IPython tracebacks carry them), other C0/C1 controls except
# newline and tab, and the bidirectional overrides that can make text read reversed
_UNPRINTABLE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f-\x9f"
                          r"\u202a-\u202e\u2066-\u2069]")


def _check_rows(rows) -> list[Row]:
    try:
        rows = list(rows)
    except TypeError:
        raise TypeError(f"rows: expected an iterable of Row, got {type(rows).__name__}") from None
    for i, row in enumerate(rows):
        if not isinstance(row, Row):
            raise TypeError(f"rows[{i}]: expected an autograder.results.Row, "
                            f"got {type(row).__name__}")
    return rows


def _assignments(rows) -> list[str]:
    """Assignments present in rows: course order first, then any others sorted."""
    present = {r.assignment for r in rows}
    return [a for a in ASSIGNMENTS if a in present] + sorted(present - set(ASSIGNMENTS))


def _questions(rows, assignment) -> list[str]:
    """Grade ids of one assignment in order of first appearance (notebook order from grade.py)."""
    return list(dict.fromkeys(r.grade_id for r in rows if r.assignment == assignment))


def _totals(rows):
    """({(student, assignment): score total}, {(student, assignment): max_score total})."""
    score, out_of = defaultdict(float), defaultdict(float)
    for r in rows:
        score[r.student_id, r.assignment] += r.score
        out_of[r.student_id, r.assignment] += r.max_score
    return score, out_of


def _num(x: float) -> str:
    """A score for people: at most two decimals, no trailing zeros (12.5, 10, 3.33)."""
    if not math.isfinite(x):
        return str(x)
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _count_statuses(rows) -> dict[str, int]:
    counts = Counter(r.status for r in rows)
    return {s: counts.get(s, 0) for s in STATUSES}


def summary(rows) -> dict:
    """Counts and score statistics of a class.

    Inputs: rows, an iterable of ``autograder.results.Row``.
    Returns a dict with
      ``students``: number of distinct student ids;
      ``notebooks``: distinct (student, assignment, notebook) with a row whose
      status is not ``missing`` (notebooks actually graded);
      ``rows``: number of rows;
      ``status``: {status: count} over all rows, every status of ``STATUSES``;
      ``assignments``: {assignment: {students, mean, median, max, out_of, status}}
      in course order, where mean/median/max are over the totals of the
      students with rows for that assignment and out_of is the largest
      total of max_score.
    """
    rows = _check_rows(rows)
    score, out_of = _totals(rows)
    per = {}
    for a in _assignments(rows):
        keys = [k for k in score if k[1] == a]
        totals = [score[k] for k in keys]
        per[a] = {
            "students": len(totals),
            "mean": statistics.fmean(totals),
            "median": statistics.median(totals),
            "max": max(totals),
            "out_of": max(out_of[k] for k in keys),
            "status": _count_statuses(r for r in rows if r.assignment == a),
        }
    graded = {(r.student_id, r.assignment, r.notebook) for r in rows if r.status != "missing"}
    return {
        "students": len({r.student_id for r in rows}),
        "notebooks": len(graded),
        "rows": len(rows),
        "status": _count_statuses(rows),
        "assignments": per,
    }


# ------------------------------------------------------------------ terminal table

def _char_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _terminal_text(text: str) -> str:
    # Control and format characters (ESC of ANSI sequences, newlines, U+202E) could
    # rewrite the instructor's terminal or break the alignment.
    text = unicodedata.normalize("NFC", text)
    return "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in text)


def _fit(text: str, width: int, right: bool = False) -> str:
    """``text`` cut (with …) or padded to exactly ``width`` terminal columns."""
    text = _terminal_text(text)
    used = sum(_char_width(ch) for ch in text)
    if used > width:
        kept, used = [], 0
        for ch in text:
            w = _char_width(ch)
            if used + w > width - 1:
                break
            kept.append(ch)
            used += w
        text, used = "".join(kept) + "…", used + 1
    pad = " " * (width - used)
    return pad + text if right else text + pad


def grade_table(rows) -> str:
    """A plain-text grade table, sorted by student id.

    Inputs: rows, an iterable of ``autograder.results.Row``.
    Returns lines of: header; one line per student with their total score per
    assignment (``—`` where they have no rows for it) and overall; a rule; the
    class mean per assignment (over the students with rows for it) and of the
    overall totals.
    """
    rows = _check_rows(rows)
    assignments = _assignments(rows)
    score, _ = _totals(rows)
    students = sorted({r.student_id for r in rows})
    total = {s: 0.0 for s in students}
    for (s, _a), value in score.items():
        total[s] += value

    cells = {s: [_num(score[s, a]) if (s, a) in score else MISSING for a in assignments]
             + [_num(total[s])] for s in students}
    means = []
    for a in assignments:
        values = [score[s, a] for s in students if (s, a) in score]
        means.append(_num(statistics.fmean(values)))
    means.append(_num(statistics.fmean(total.values())) if students else MISSING)

    headers = assignments + ["total"]
    widths = [max([min(len(h), COL_WIDTH), 5, len(means[j])]
                  + [len(c[j]) for c in cells.values()]) for j, h in enumerate(headers)]
    label = "class mean"
    id_width = min(ID_WIDTH, max([len("student"), len(label)]
                                 + [sum(map(_char_width, _terminal_text(s))) for s in students]))

    def line(first, values):
        return "  ".join([_fit(first, id_width)] + [_fit(v, w, right=True)
                                                    for v, w in zip(values, widths)]).rstrip()

    out = [line("student", headers)]
    out += [line(s, cells[s]) for s in students]
    out.append("-" * (id_width + sum(w + 2 for w in widths)))
    out.append(line(label, means))
    return "\n".join(out)


# ------------------------------------------------------------------ common failures

# Hex addresses, then numbers that do not continue a word: "W1" and "float64" stay,
# "3.1e-01", "-2", "(3, 4)" become "#".
_NUMBER = re.compile(r"0x[0-9a-fA-F]+|(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def normalise_message(message: str, status: str = "failed") -> str:
    """A failure message with its numbers replaced by ``#`` and whitespace collapsed.

    "relative error 3.1e-01" and "relative error 2.0e-01" both give "relative error #".
    An empty message gives "(status, no message)".
    """
    text = " ".join(_NUMBER.sub("#", _UNPRINTABLE.sub("", message)).split())
    return text or f"({status}, no message)"


def common_failures(rows, top: int = TOP_FAILURES) -> dict:
    """The most common failure messages of each question.

    Inputs: rows, an iterable of Row; top, how many messages to keep per question.
    Returns {assignment: {grade_id: [(pattern, count, example), ...]}} for the
    rows whose status is not ``passed``, grouped by ``normalise_message``,
    most frequent first (ties by pattern); questions without failures are left out.
    """
    rows = _check_rows(rows)
    top = _checks.integer("top", top)
    groups: dict = defaultdict(lambda: defaultdict(Counter))
    examples: dict = {}
    for r in rows:
        if r.status == "passed":
            continue
        pattern = normalise_message(r.message, r.status)
        groups[r.assignment][r.grade_id][pattern] += 1
        examples.setdefault((r.assignment, r.grade_id, pattern), r.message)
    out = {}
    for a in _assignments(rows):
        per_question = {}
        for q in _questions(rows, a):
            counts = groups[a].get(q)
            if counts:
                ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
                per_question[q] = [(p, n, examples[a, q, p]) for p, n in ranked]
        if per_question:
            out[a] = per_question
    return out


# ------------------------------------------------------------------ figures

def _histograms_png(assignment: str, questions: list) -> str:
    """Base64 PNG of one small histogram per (grade_id, scores, max_score) in ``questions``."""
    import numpy as np
    from matplotlib.figure import Figure

    n = max(1, len(questions))
    ncols = min(5, n)
    nrows = -(-n // ncols)
    w, h = 2.3 * ncols, 1.75 * nrows + 0.35
    fig = Figure(figsize=(w, h), dpi=72)
    # fixed margins: a layout engine would cost more than drawing these plots
    fig.subplots_adjust(left=0.35 / w, right=1 - 0.1 / w, bottom=0.3 / h, top=1 - 0.6 / h,
                        wspace=0.35, hspace=0.75)
    fig.suptitle(_mpl_text(assignment), fontsize=10)
    for i, (grade_id, scores, top) in enumerate(questions):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        top = top if top > 0 else max(1.0, max(scores, default=1.0))
        if top <= 20 and all(float(v).is_integer() for v in [*scores, top]):
            edges = np.arange(-0.5, top + 1.0)  # one bar centred on each whole score
        else:
            edges = np.linspace(0.0, top, 11)
        values = np.clip(np.asarray(scores, dtype=float), edges[0], edges[-1])
        counts, _ = np.histogram(values, bins=edges)
        ax.stairs(counts, edges, fill=True, color="#4a6fa5")
        ax.set_xlim(edges[0], edges[-1])
        # Fixed ticks and a text title: tick locators and set_title's placement search
        # take most of the drawing time of 60 small panels.
        xticks = [0.0, top / 2, top]
        ax.set_xticks(xticks, [_num(t) for t in xticks], fontsize=7)
        ax.set_yticks([0, counts.max()], ["0", str(counts.max())], fontsize=7)
        ax.text(0.5, 1.06, _mpl_text(grade_id or "(notebook)", 24) + f"  /{_num(top)}",
                transform=ax.transAxes, ha="center", va="bottom", fontsize=8)
    if not questions:
        fig.text(0.5, 0.5, "no graded questions", ha="center", va="center")
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _mpl_text(text: str, limit: int = 60) -> str:
    # "$...$" would be parsed as mathtext (and can fail to parse): escape the dollars
    text = _terminal_text(text)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("$", r"\$")


# ------------------------------------------------------------------ HTML

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;color:#222;padding:0 1em}
h2{border-bottom:1px solid #ccc;margin-top:2em} table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums} img{max-width:100%}
.notes{background:#fff3cd;border:2px solid #e0a800;padding:.6em 1em;margin:1em 0;font-size:1.05em}
.msg{white-space:pre-wrap;font-family:monospace;font-size:.85em;overflow-wrap:anywhere}
details{border-bottom:1px solid #eee;padding:2px 0} summary{cursor:pointer}
.sid{font-family:monospace;font-weight:bold;overflow-wrap:anywhere}
.st{border-radius:3px;padding:0 4px;white-space:nowrap}
.s-passed{background:#d4edda}.s-partial{background:#fff3cd}.s-failed{background:#f8d7da}
.s-error{background:#f5b7b1}.s-timeout{background:#e8d5f5}.s-missing{background:#e2e3e5}
.s-invalid{background:#fde2c4}.s-flagged{background:#c0392b;color:#fff}
"""


def _e(text: str) -> str:
    """Untrusted text made safe to place in HTML (element content or a quoted attribute)."""
    return html.escape(_UNPRINTABLE.sub("", text), quote=True)


def _status(status: str, text: str | None = None) -> str:
    cls = status if status in STATUSES else "invalid"
    return f'<span class="st s-{cls}">{_e(text if text is not None else status)}</span>'


def _header(stats: dict, notes: list) -> list[str]:
    parts = ["<h1>Class report</h1>"]
    if notes:
        items = "".join(f"<li>{_e(str(note))}</li>" for note in notes)
        parts.append(f'<div class="notes"><strong>Notes</strong><ul>{items}</ul></div>')
    parts.append(f"<p><strong>{stats['students']}</strong> students, "
                 f"<strong>{stats['notebooks']}</strong> notebooks graded, "
                 f"{stats['rows']} graded cells.</p>")
    parts.append("<p>" + " ".join(_status(s, f"{s} {n}") for s, n in stats["status"].items() if n)
                 + "</p>")
    parts.append("<table><tr><th>assignment</th><th>students</th><th>mean</th><th>median</th>"
                 "<th>max</th><th>out of</th></tr>")
    for i, (a, st) in enumerate(stats["assignments"].items()):
        parts.append(f'<tr><td><a href="#a{i}">{_e(a)}</a></td><td class="n">{st["students"]}</td>'
                     + "".join(f'<td class="n">{_num(st[k])}</td>'
                               for k in ("mean", "median", "max", "out_of")) + "</tr>")
    parts.append("</table>")
    return parts


def _assignment_section(i: int, assignment: str, rows: list, failures: dict) -> list[str]:
    by_question = defaultdict(list)
    top = defaultdict(float)
    for r in rows:
        if r.grade_id and math.isfinite(r.score):  # '' marks a whole-notebook problem
            by_question[r.grade_id].append(r.score)
            top[r.grade_id] = max(top[r.grade_id], r.max_score)
    questions = [(q, by_question[q], top[q]) for q in _questions(rows, assignment) if q]
    png = _histograms_png(assignment, questions)
    parts = [f'<h2 id="a{i}">{_e(assignment)}</h2>',
             f'<img src="data:image/png;base64,{png}" alt="score histograms per question of '
             f'{_e(assignment)}">',
             "<h3>Most common failures</h3>"]
    if not failures:
        parts.append("<p>No failures.</p>")
        return parts
    parts.append("<table><tr><th>question</th><th>count</th><th>message (numbers as #)</th>"
                 "<th>example</th></tr>")
    for q, ranked in failures.items():
        for j, (pattern, count, example) in enumerate(ranked):
            head = (f'<td rowspan="{len(ranked)}">{_e(q or "(notebook)")}</td>' if j == 0
                    else "")
            parts.append(f'<tr>{head}<td class="n">{count}</td><td class="msg">'
                         f'{_e(_cut(pattern, 300))}</td><td class="msg">'
                         f'{_e(_cut(example, 300))}</td></tr>')
    parts.append("</table>")
    return parts


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more chars)"


def _student_sections(rows: list, assignments: list) -> list[str]:
    order = {a: i for i, a in enumerate(assignments)}
    question_order = {}
    for a in assignments:
        for j, q in enumerate(_questions(rows, a)):
            question_order[a, q] = j
    per_student = defaultdict(list)
    for r in rows:
        per_student[r.student_id].append(r)
    parts = ["<h2>Students</h2>"]
    for sid in sorted(per_student):
        mine = sorted(per_student[sid], key=lambda r: (order[r.assignment], r.notebook,
                                                        question_order[r.assignment, r.grade_id]))
        got = sum(r.score for r in mine)
        possible = sum(r.max_score for r in mine)
        counts = Counter(r.status for r in mine)
        badges = " ".join(_status(s, f"{counts[s]} {s}") for s in STATUSES
                          if s != "passed" and counts[s])
        parts.append(f'<details><summary><span class="sid">{_e(sid)}</span> '
                     f"{_num(got)} / {_num(possible)} {badges}</summary>"
                     "<table><tr><th>assignment</th><th>question</th><th>score</th>"
                     "<th>status</th><th>message</th></tr>")
        parts.extend(
            f"<tr><td>{_e(r.assignment)}</td><td>{_e(r.grade_id or '(notebook)')}</td>"
            f'<td class="n">{_num(r.score)} / {_num(r.max_score)}</td>'
            f'<td>{_status(r.status)}</td><td class="msg">{_e(_cut(r.message, MESSAGE_CHARS))}'
            "</td></tr>" for r in mine)
        parts.append("</table></details>")
    return parts


def write_report(rows, path, notes=()) -> Path:
    """Write a self-contained HTML class report to ``path`` (atomically) and return the path.

    Inputs: rows, an iterable of Row; path, the .html file to write (its folder
    is created); notes, strings shown prominently at the top (for example
    "isolation reduced: bubblewrap not installed").
    Contents: counts and score statistics; per assignment, a figure of score
    histograms per question and the most common failure messages per question;
    per student, a collapsible table of every row.
    """
    rows = _check_rows(rows)
    notes = [notes] if isinstance(notes, str) else list(notes)
    path = Path(path)
    stats = summary(rows)
    assignments = list(stats["assignments"])
    failures = common_failures(rows)
    by_assignment = defaultdict(list)
    for r in rows:
        by_assignment[r.assignment].append(r)

    parts = ['<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>Class report</title><style>{_CSS}</style></head><body>"]
    parts += _header(stats, notes)
    if not rows:
        parts.append("<p>No grades.</p>")
    for i, a in enumerate(assignments):
        parts += _assignment_section(i, a, by_assignment[a], failures.get(a, {}))
    if rows:
        parts += _student_sections(rows, assignments)
    parts.append("</body></html>\n")

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(path)
    return path
