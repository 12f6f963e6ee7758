"""Build the example submissions that ``course demo`` grades, and the grades they must get.

    python -m autograder.examples.make_examples [--out DIR]

Every example starts from a release notebook in ``notebooks/`` and fills each
solution cell with the master's solution from ``solutions/`` (a correct answer),
or with a changed copy of it (the student's mistake). A change is either a
mutation, ``(old, new)`` substring replacements that must each match exactly once
(so an example can never silently drift from the master), or a rewrite, a
different but correct body for the cell's solution block.

The scores in ``expected.csv`` come from the declarations below, not from a
grading run: a graded test cell scores 0 if it is in the example's ``fails``,
else the points the master notebook gives it. ``tests/test_examples.py`` grades
the examples and compares.

Writes, under DIR (default: this folder):
- ``submitted/<student>/<assignment>/<notebook>.ipynb`` (nbgrader's layout)
- ``expected.csv``: student_id, assignment, grade_id, score, max_score, message_contains
- ``README.md``: the examples and their expected totals
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.config import ASSIGNMENTS, RELEASE, REPO, SOURCE

HERE = Path(__file__).resolve().parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
ALL = frozenset({"*"})  # fails=ALL: every graded cell of the notebook scores 0
COLUMNS = ("student_id", "assignment", "grade_id", "score", "max_score", "message_contains")


@dataclass(frozen=True)
class Example:
    """One student's submission of one assignment.

    mutations: {solution grade_id: [(old, new), ...]} applied to the master's cell source
    rewrites: {solution grade_id: new body of the cell's (single) solution block}
    fails: grade_ids of the graded test cells that must score 0 (ALL for every one)
    hint_contains: {grade_id: text the grader's message for that cell must contain}
    untouched: submit the release notebook as it is (nothing written)
    """

    student: str
    assignment: str
    describes: str
    mutations: dict = field(default_factory=dict)
    rewrites: dict = field(default_factory=dict)
    fails: frozenset = frozenset()
    hint_contains: dict = field(default_factory=dict)
    untouched: bool = False

    def __post_init__(self):
        object.__setattr__(self, "fails", frozenset(self.fails))


# ---------------------------------------------------------------- correct, written differently

SVM_LOOPS = """
    N, C = x.shape
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    loss /= N
    dx /= N
    return float(loss), dx
"""

AFFINE_BACKWARD_LOOP = """
    x, w, b = cache
    N = x.shape[0]
    x_flat = x.reshape(N, -1)
    dx_flat = np.zeros_like(x_flat)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for i in range(N):  # one example at a time
        dx_flat[i] = w @ dout[i]
        dw += np.outer(x_flat[i], dout[i])
        db += dout[i]
    dx = dx_flat.reshape(x.shape)
"""

SOFTMAX_SCIPY = """
    from scipy.special import logsumexp, softmax  # both subtract the max internally

    N = x.shape[0]
    rows = np.arange(N)
    loss = np.mean(logsumexp(x, axis=1) - x[rows, y])
    dx = softmax(x, axis=1)
    dx[rows, y] -= 1
    dx /= N
    return float(loss), dx
"""

# ---------------------------------------------------------------- the examples

EXAMPLES = [
    *(Example("solution", aid, "the master solution: full marks") for aid in ASSIGNMENTS),
    *(Example("empty", aid, "the release, untouched: nothing answered", fails=ALL,
              untouched=True) for aid in ASSIGNMENTS),
    Example(
        "value_overwrites", "01_computational_graphs",
        "Value.backward overwrites grads (=) instead of accumulating them (+=)",
        mutations={"Value": [("child.grad += local * node.grad",
                              "child.grad = local * node.grad")]},
        fails={"test_Value_backward_shared_node"},
        hint_contains={"test_Value_backward_shared_node": "added with +="}),
    Example(
        "relu_at_zero", "02_activations",
        "relu_backward passes the gradient where x >= 0 (not 0 at x = 0)",
        mutations={"relu": [("dx = dout * (x > 0)", "dx = dout * (x >= 0)")]},
        fails={"test_relu_backward"},
        hint_contains={"test_relu_backward": "you have 6, expected 0"}),
    Example(
        "svm_no_mean", "03_losses",
        "svm_loss forgets the 1/N: loss and dx summed over the batch, not averaged",
        mutations={"svm_loss": [("loss = margins.sum() / N", "loss = margins.sum()"),
                                ("    dx /= N\n", "")]},
        fails={"test_svm_loss_value", "test_svm_loss_grad"},
        hint_contains={"test_svm_loss_value": "you have 15.8",
                       "test_svm_loss_grad": "dx on the lecture's example is wrong"}),
    Example(
        "softmax_no_shift", "03_losses",
        "softmax_loss without the max shift: exp overflows for scores of 1e4",
        mutations={"softmax_loss": [
            ("shifted = x - x.max(axis=1, keepdims=True)  # every exponent <= 0: no overflow",
             "shifted = x")]},
        fails={"test_softmax_loss_stable"},
        hint_contains={"test_softmax_loss_stable": "overflow"}),
    Example(
        "l2_double_grad", "03_losses",
        "l2_regularization returns dW = 2 * reg * W (the 2 of W**2 kept, the 0.5 forgotten)",
        mutations={"l2_regularization": [("    dW = reg * W\n", "    dW = 2 * reg * W\n")]},
        fails={"test_l2_regularization"},
        hint_contains={"test_l2_regularization": "dW is twice too big"}),
    Example(
        "affine_dw_transposed", "04_vector_backprop",
        "affine_backward returns dw transposed, dout.T @ x_flat of shape (M, D)",
        mutations={"affine_backward": [("dw = x.reshape(N, -1).T @ dout",
                                        "dw = dout.T @ x.reshape(N, -1)")]},
        fails={"test_affine_backward_dw", "test_affine_relu_backward"},
        hint_contains={"test_affine_backward_dw": "dw has shape (3, 2), expected (2, 3)",
                       "test_affine_relu_backward": "dw is transposed"}),
    Example(
        "affine_db_not_summed", "04_vector_backprop",
        "affine_backward returns db = dout, not summed over the batch",
        mutations={"affine_backward": [("db = dout.sum(axis=0)", "db = dout")]},
        fails={"test_affine_backward_db", "test_affine_relu_backward"},
        hint_contains={"test_affine_backward_db": "db has shape (2, 3), expected (3,)",
                       "test_affine_relu_backward": "db was not summed over the batch"}),
    Example(
        "momentum_uphill", "05_optimization",
        "sgd_momentum adds learning_rate * dw to the velocity: every step goes uphill",
        mutations={"sgd_momentum": [
            ('v = config["momentum"] * v - config["learning_rate"] * dw',
             'v = config["momentum"] * v + config["learning_rate"] * dw')]},
        fails={"test_sgd_momentum"},
        hint_contains={"test_sgd_momentum": "next_w is wrong"}),
    Example(
        "adam_no_bias_correction", "05_optimization",
        "adam steps with the raw moments m and v (no bias correction)",
        mutations={"adam": [("    m_hat = m / (1 - beta1**t)\n", "    m_hat = m\n"),
                            ("    v_hat = v / (1 - beta2**t)\n", "    v_hat = v\n")]},
        fails={"test_adam_first_step", "test_adam_many_steps"},
        hint_contains={"test_adam_first_step": "next_w after the first step is wrong",
                       "test_adam_many_steps": "w after 5 steps on a constant gradient"}),
    Example(
        "adam_late_t", "05_optimization",
        "adam increments t after the bias correction: the first step divides by 1 - beta**0 = 0",
        mutations={"adam": [('    t = config["t"] + 1\n', '    t = config["t"]\n'),
                            ('config["m"], config["v"], config["t"] = m, v, t\n',
                             'config["m"], config["v"], config["t"] = m, v, t + 1\n')]},
        fails={"test_adam_first_step", "test_adam_many_steps"},
        # numpy's "divide by zero" on stderr, or the self-check's "division by zero"
        hint_contains={"test_adam_first_step": "by zero"}),
    Example(
        "twolayer_no_reg_grad", "06_neural_networks",
        "TwoLayerNet.loss adds the L2 penalty to the loss but not reg * W to the gradients",
        mutations={"TwoLayerNet": [('        grads["W1"] += self.reg * W1\n'
                                    '        grads["W2"] += self.reg * W2\n', "")]},
        fails={"test_TwoLayerNet_loss_and_grads"},
        hint_contains={"test_TwoLayerNet_loss_and_grads": "miss the regularization term"}),
    Example(
        "loops", "03_losses", "correct, with loops: svm_loss over examples and classes",
        rewrites={"svm_loss": SVM_LOOPS}),
    Example(
        "loops", "04_vector_backprop", "correct, with a loop: affine_backward one example "
        "at a time", rewrites={"affine_backward": AFFINE_BACKWARD_LOOP}),
    Example(
        "scipy_softmax", "03_losses",
        "correct, written differently: softmax_loss with scipy's logsumexp and softmax",
        rewrites={"softmax_loss": SOFTMAX_SCIPY}),
]


# ---------------------------------------------------------------- building one example

def notebook_name(assignment: str) -> str:
    """The one notebook of an assignment (without .ipynb)."""
    names = sorted(p.stem for p in (REPO / RELEASE / assignment).glob("*.ipynb"))
    if len(names) != 1:
        raise ValueError(f"{assignment}: expected one release notebook, found {names}")
    return names[0]


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _strip_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if line.strip() not in (BEGIN, END))


def _mutate(source: str, changes, where: str) -> str:
    for old, new in changes:
        count = source.count(old)
        if count != 1:
            raise ValueError(f"{where}: the mutation's old text occurs {count} times in the "
                             f"master (expected exactly once): {old!r}")
        source = source.replace(old, new)
    return source


def _rewrite(source: str, body: str, where: str) -> str:
    """Replace the lines between the cell's only BEGIN/END SOLUTION pair by ``body``."""
    lines = source.split("\n")
    begins = [i for i, line in enumerate(lines) if line.strip() == BEGIN]
    ends = [i for i, line in enumerate(lines) if line.strip() == END]
    if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
        raise ValueError(f"{where}: a rewrite needs exactly one solution block in the master, "
                         f"found {len(begins)}")
    indent = lines[begins[0]][:len(lines[begins[0]]) - len(lines[begins[0]].lstrip())]
    new = textwrap.indent(textwrap.dedent(body).strip("\n"), indent).split("\n")
    return "\n".join(lines[:begins[0] + 1] + new + lines[ends[0]:])


def build(example: Example):
    """(the submitted notebook, {grade_id: points} of its graded cells in notebook order)."""
    name = notebook_name(example.assignment)
    release = nbformat.read(REPO / RELEASE / example.assignment / f"{name}.ipynb", as_version=4)
    master = nbformat.read(REPO / SOURCE / example.assignment / f"{name}.ipynb", as_version=4)
    solutions = {_nbgrader(c)["grade_id"]: c.source for c in master.cells
                 if _nbgrader(c).get("solution")}
    points = {_nbgrader(c)["grade_id"]: float(_nbgrader(c)["points"]) for c in master.cells
              if _nbgrader(c).get("grade")}
    label = f"{example.student}/{example.assignment}"
    for gid in (*example.mutations, *example.rewrites):
        if gid not in solutions:
            raise ValueError(f"{label}: no solution cell {gid!r}")
    for gid in (*(example.fails - ALL), *example.hint_contains):
        if gid not in points:
            raise ValueError(f"{label}: no graded test cell {gid!r}")
    if example.fails != ALL and set(example.hint_contains) - example.fails:
        raise ValueError(f"{label}: a message is declared only for a cell that fails")
    if example.untouched:
        return release, points
    for cell in release.cells:
        gid = _nbgrader(cell).get("grade_id")
        if not _nbgrader(cell).get("solution"):
            continue
        source = solutions[gid]
        if gid in example.mutations:
            source = _mutate(source, example.mutations[gid], f"{label}, cell {gid}")
        if gid in example.rewrites:
            source = _rewrite(source, example.rewrites[gid], f"{label}, cell {gid}")
        cell.source = _strip_markers(source)
    return release, points


def expected_rows(example: Example, points: dict) -> list[dict]:
    rows = []
    for gid, pts in points.items():
        fails = example.fails == ALL or gid in example.fails
        rows.append({"student_id": example.student, "assignment": example.assignment,
                     "grade_id": gid, "score": "0" if fails else f"{pts:g}",
                     "max_score": f"{pts:g}",
                     "message_contains": example.hint_contains.get(gid, "")})
    return rows


# ---------------------------------------------------------------- writing everything

README_HEAD = """\
# Example submissions

The submissions `course demo` grades, in nbgrader's layout
`submitted/<student>/<assignment>/<notebook>.ipynb`. Every file here is generated by
`python -m autograder.examples.make_examples` from the release notebooks and the master
solutions; edit the declarations in `make_examples.py`, never these files.

Each flawed student makes one characteristic mistake and gets everything else right.
`expected.csv` holds the score each graded test cell must get (derived from the declared
mistake, not from a grading run) and, for some cells, text the grader's message must contain.

| student | assignment | what it is | expected total |
|---|---|---|---|
"""


def readme(examples, totals) -> str:
    lines = [f"| `{e.student}` | `{e.assignment}` | {e.describes} | "
             f"{totals[e.student, e.assignment]:g} / 100 |" for e in examples]
    return README_HEAD + "\n".join(lines) + "\n"


def make(out: Path = HERE, examples=EXAMPLES) -> list[Path]:
    """Write the submissions, expected.csv and README.md under ``out``; return the files."""
    out = Path(out)
    seen = set()
    for e in examples:
        if (e.student, e.assignment) in seen:
            raise ValueError(f"two examples for {e.student}/{e.assignment}")
        seen.add((e.student, e.assignment))
    built = [(e, *build(e)) for e in examples]  # everything is checked before writing

    shutil.rmtree(out / "submitted", ignore_errors=True)
    written, rows, totals = [], [], {}
    for e, nb, points in built:
        path = out / "submitted" / e.student / e.assignment / f"{notebook_name(e.assignment)}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        written.append(path)
        these = expected_rows(e, points)
        rows += these
        totals[e.student, e.assignment] = sum(float(r["score"]) for r in these)

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / "expected.csv").write_text(buffer.getvalue(), encoding="utf-8")
    (out / "README.md").write_text(readme(examples, totals), encoding="utf-8")
    return written + [out / "expected.csv", out / "README.md"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE,
                        help="folder to write submitted/, expected.csv and README.md into "
                             "(default: autograder/examples)")
    args = parser.parse_args(argv)
    files = make(args.out)
    print(f"wrote {len(files) - 2} example notebooks, expected.csv and README.md "
          f"into {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
