"""Hidden checks of assignment 03_losses: SVM and softmax losses, L2 regularization, concepts.

Each data-loss suite draws fresh scores (N = 1 always among them, random N
and C, ties, margins of exactly 0, large magnitudes where the suite is about
them, float32) and compares the student's ``(loss, dx)`` with
``course.losses``. Where the answer is wrong, the usual mistakes (no 1/N, the
correct class in the hinge sum, no -count on the correct class, >= 0 instead
of > 0, no one-hot, log10, a missing or doubled 0.5 ...) are replayed on the
same input: if one reproduces the student's numbers, the message names it.

Every call of student code runs with numpy warnings recorded: a warning
(overflow in exp, log of 0) is a failed check, since nbgrader scores any
stderr output of a test cell as 0 anyway.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograder.checks import suite
from autograder.checks.judge import diagnose, unpack
from autograder.remote import type_name
from course import losses as ref

TOL = 1e-7          # float64, the same exact operations in a possibly different order
TOL_SOFTMAX = 1e-6  # float64 through exp and log
TOL32 = 1e-4        # float32 inputs

LN10 = float(np.log(10.0))


# ---------------------------------------------------------------- calling student code






def _loss_value(got):
    """The loss as a float for diagnosis (None if it is not a number)."""
    try:
        return float(np.asarray(got, dtype=np.float64))
    except (TypeError, ValueError):
        return None


# ---------------------------------------------------------------- inputs

def _size(rng, low_n=2, high_n=9, low_c=2, high_c=8):
    return int(rng.integers(low_n, high_n)), int(rng.integers(low_c, high_c))


def _labels(rng, N, C):
    return rng.integers(0, C, size=N)


def _tied_scores(rng, N, C):
    """Small integer scores: ties between classes and margins of exactly 0 (and exactly 1).

    Row 0 gets a wrong class exactly 1 below the correct one (margin 0: inactive by
    the convention "margin > 0"), the last row a wrong class equal to the correct one
    (margin 1: active).
    """
    x = rng.integers(-2, 3, size=(N, C)).astype(np.float64)
    y = _labels(rng, N, C)
    others = [j for j in range(C) if j != y[0]]
    x[0, others[int(rng.integers(len(others)))]] = x[0, y[0]] - 1.0
    others = [j for j in range(C) if j != y[-1]]
    x[-1, others[int(rng.integers(len(others)))]] = x[-1, y[-1]]
    return x, y


def _data_cases(rng, large=False):
    """(description, x, y) cases for the value and gradient suites, all float64."""
    C = int(rng.integers(2, 8))
    cases = [("one example (N = 1)", rng.standard_normal((1, C)) * 3, _labels(rng, 1, C))]
    N, C = _size(rng)
    cases.append((f"random scores, N = {N}, C = {C}",
                  rng.standard_normal((N, C)) * rng.uniform(0.5, 5), _labels(rng, N, C)))
    N, C = _size(rng, 10, 40, 3, 11)
    cases.append((f"random scores, N = {N}, C = {C}",
                  rng.standard_normal((N, C)) * 2, _labels(rng, N, C)))
    N, C = _size(rng, 3, 9, 3, 7)
    cases.append((f"tied integer scores, N = {N}, C = {C}", *_tied_scores(rng, N, C)))
    if large:
        N, C = _size(rng)
        cases.append((f"scores of magnitude 1e3, N = {N}, C = {C}",
                      rng.standard_normal((N, C)) * 1e3, _labels(rng, N, C)))
    return cases


def _float32_case(rng):
    N, C = _size(rng, 2, 9, 3, 7)
    x = rng.standard_normal((N, C)).astype(np.float32)
    return f"float32 scores, N = {N}, C = {C}", x, _labels(rng, N, C)


def _run_data_loss(student, judge, name, cases, check):
    """Call ``student`` on every case; ``check(desc, x, y, loss, dx)`` judges one case.

    The expected values come from copies taken before the call (the student's code
    might change its inputs). Stops at the first case that fails, so the feedback
    stays short.
    """
    for desc, x, y in cases:
        x_before, y_before = x.copy(), y.copy()
        got = unpack(judge, f"{name}(x, y) on {desc}",
                     judge.attempt(f"{name}(x, y) on {desc}", student, x, y,
                           hint=WARN_HINT if name == "softmax_loss" else ""),
                     names=("loss", "dx"))
        if got is None:
            return
        ok = check(desc, x_before, y_before, *got)
        ok = judge.unmodified(f"x ({desc})", x_before, x) and ok
        ok = judge.unmodified(f"y ({desc})", y_before, y) and ok
        if not ok:
            return


def _one_hot(y, C):
    out = np.zeros((len(y), C))
    out[np.arange(len(y)), y] = 1.0
    return out


# ---------------------------------------------------------------- multiclass SVM

SVM_LOSS_GENERIC = ("the loss is the mean over the N examples of sum over j != y_i of "
                    "max(0, x[i, j] - x[i, y_i] + 1)")
SVM_GRAD_GENERIC = ("dx[i, j] = 1/N for every wrong class j with margin > 0, and the correct "
                    "class gets minus the number of such classes (divided by N)")


def _svm_margins(x, y):
    """Raw margins x_j - x_y + 1 (float64) and a mask of the wrong classes."""
    x = x.astype(np.float64)
    rows = np.arange(len(y))
    raw = x - x[rows, y][:, None] + 1
    wrong = np.ones_like(raw, dtype=bool)
    wrong[rows, y] = False
    return raw, wrong


def _svm_loss_mistakes(x, y):
    N = len(y)
    raw, wrong = _svm_margins(x, y)
    loss = float(np.sum(np.maximum(0, raw) * wrong)) / N
    return [
        (loss * N, "the loss is summed over the examples but not divided by N: take the mean"),
        (loss + 1, "each example's loss is 1 too high: the sum must skip the correct class "
         "j = y_i (its margin x_y - x_y + 1 is always 1)"),
        ((loss + 1) * N, "the correct class is in the sum (each example gets +1) and the "
         "loss is not divided by N"),
        (float(np.sum(raw * wrong)) / N, "negative margins must count as 0: "
         "max(0, x_j - x_y + 1)"),
        (float(np.sum(np.maximum(0, raw - 1) * wrong)) / N, "the margin is 1: "
         "max(0, x_j - x_y + 1), not max(0, x_j - x_y)"),
    ]


def _svm_grad_mistakes(x, y):
    N = len(y)
    rows = np.arange(N)
    raw, wrong = _svm_margins(x, y)

    def grad(active, correct_extra=0.0, with_correct=True):
        dx = active.astype(np.float64)
        dx[rows, y] = -(active.sum(axis=1) + correct_extra) if with_correct else 0.0
        return dx / N

    active = (raw > 0) & wrong
    dx = grad(active)
    return [
        (dx * N, "dx is not divided by N: the loss is a mean over the N examples"),
        (grad(active, with_correct=False), "the correct class's score needs a gradient too: "
         "minus the number of wrong classes with a positive margin (divided by N)"),
        (grad(active, correct_extra=1.0), "the correct class counts as one of the active "
         "margins: skip j = y_i when counting (each example's correct-class entry is 1/N "
         "too negative)"),
        (grad((raw >= 0) & wrong), "a margin of exactly 0 was counted as active: by this "
         "course's convention only margins > 0 (strictly) give a gradient"),
        (-dx, "the signs are flipped: raising a wrong class's score raises the loss, so its "
         "gradient is positive"),
    ]


def _svm_value_check(judge):
    def check(desc, x, y, loss, dx):
        expected, _ = ref.svm_loss(x, y)
        value = _loss_value(loss)
        hint = SVM_LOSS_GENERIC if value is None else diagnose(
            value, expected, _svm_loss_mistakes(x, y), SVM_LOSS_GENERIC)
        return judge.close(f"loss ({desc})", loss, expected, tol=TOL, hint=hint)
    return check


def _svm_grad_check(judge):
    def check(desc, x, y, loss, dx):
        _, expected = ref.svm_loss(x, y)
        tol = TOL32 if x.dtype == np.float32 else TOL
        hint = diagnose(dx, expected, _svm_grad_mistakes(x, y), SVM_GRAD_GENERIC)
        ok = judge.close(f"dx ({desc})", dx, expected, tol=tol, hint=hint)
        if ok and x.dtype == np.float32:
            ok = judge.record(f"dx dtype ({desc})", np.asarray(dx).dtype == np.float32,
                              f"dx ({desc}): dtype {np.asarray(dx).dtype}, expected float32 "
                              "like x; build dx with np.zeros_like(x) or .astype(x.dtype)")
        return ok
    return check


@suite("svm_loss_value")
def _(student, rng, judge):
    cases = _data_cases(rng, large=True)
    _run_data_loss(student, judge, "svm_loss", cases, _svm_value_check(judge))


@suite("svm_loss_grad")
def _(student, rng, judge):
    cases = _data_cases(rng, large=True) + [_float32_case(rng)]
    _run_data_loss(student, judge, "svm_loss", cases, _svm_grad_check(judge))


# ---------------------------------------------------------------- softmax

WARN_HINT = ("subtract each row's max before np.exp (no overflow), and take -log p of the "
             "correct class as -(shifted score - log(sum(exp(shifted)))) so it is never log(0)")
SOFTMAX_LOSS_GENERIC = "the loss is the mean over the N examples of -log p[i, y_i]"
SOFTMAX_GRAD_GENERIC = "dx = (p - one_hot(y)) / N, p the softmax probabilities of each row"


def _log_probs(x):
    x = x.astype(np.float64)
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax_loss_mistakes(x, y):
    N = len(y)
    log_p = _log_probs(x)
    loss = -float(log_p[np.arange(N), y].sum()) / N
    return [
        (loss * N, "the loss is summed over the examples but not divided by N: take the mean"),
        (loss / LN10, "use the natural logarithm np.log, not np.log10"),
        (loss / np.log(2.0), "use the natural logarithm np.log, not np.log2"),
        (-loss, "the sign is flipped: the loss is -log p of the correct class (>= 0)"),
        (-float(log_p.sum()) / N, "only the correct class's probability enters the loss: "
         "-log p[i, y_i], not a sum over all classes"),
    ]


def _softmax_grad_mistakes(x, y):
    N, C = x.shape
    p = np.exp(_log_probs(x))
    dx = (p - _one_hot(y, C)) / N
    return [
        (dx * N, "dx is not divided by N: the loss is a mean over the N examples"),
        (p / N, "subtract 1 at the correct class: dx = (p - one_hot(y)) / N"),
        (-dx, "the signs are flipped: dx = (p - one_hot(y)) / N"),
        (p * (p - _one_hot(y, C)) / N, "dx is p - one_hot(y) (divided by N); no extra factor p"),
    ]


def _softmax_value_check(judge):
    def check(desc, x, y, loss, dx):
        expected, _ = ref.softmax_loss(x, y)
        value = _loss_value(loss)
        hint = SOFTMAX_LOSS_GENERIC if value is None else diagnose(
            value, expected, _softmax_loss_mistakes(x, y), SOFTMAX_LOSS_GENERIC)
        return judge.close(f"loss ({desc})", loss, expected, tol=TOL_SOFTMAX, hint=hint)
    return check


def _softmax_grad_check(judge):
    def check(desc, x, y, loss, dx):
        _, expected = ref.softmax_loss(x, y)
        tol = TOL32 if x.dtype == np.float32 else TOL_SOFTMAX
        hint = diagnose(dx, expected, _softmax_grad_mistakes(x, y), SOFTMAX_GRAD_GENERIC)
        ok = judge.close(f"dx ({desc})", dx, expected, tol=tol, hint=hint)
        if ok and x.dtype == np.float32:
            ok = judge.record(f"dx dtype ({desc})", np.asarray(dx).dtype == np.float32,
                              f"dx ({desc}): dtype {np.asarray(dx).dtype}, expected float32 "
                              "like x")
        return ok
    return check


def _stable_cases(rng):
    """Scores of magnitude about 1e4, where exp overflows and probabilities underflow."""
    C = int(rng.integers(3, 8))
    big = float(rng.uniform(5e3, 2e4))
    x = np.zeros((2, C))
    x[:, int(rng.integers(C))] = big             # one huge logit: naive exp overflows
    y = np.array([int(np.argmax(x[0])), (int(np.argmax(x[1])) + 1) % C])  # 2nd: p_y ~ 0
    cases = [(f"one logit of about {big:.0e}, C = {C}", x, y)]
    N, C = _size(rng, 2, 9, 3, 8)
    cases.append((f"random scores of magnitude 1e4, N = {N}, C = {C}",
                  rng.standard_normal((N, C)) * 1e4, _labels(rng, N, C)))
    N, C = _size(rng, 2, 6, 2, 6)
    offsets = np.where(np.arange(N) % 2 == 0, 1.0, -1.0)[:, None] * rng.uniform(5e3, 1e4)
    cases.append((f"rows far apart (some near +1e4, some near -1e4), N = {N}, C = {C}",
                  offsets + rng.standard_normal((N, C)), _labels(rng, N, C)))
    C = int(rng.integers(2, 8))
    cases.append((f"all scores equal to -1e4, C = {C}", np.full((1, C), -1e4),
                  _labels(rng, 1, C)))
    # float32: classes 1e3 apart, so every probability is exactly 0 or 1 in any order of
    # operations (near-ties would make p - 1 differ by float32 rounding between two
    # correct implementations)
    N, C = _size(rng, 2, 6, 3, 6)
    x32 = np.stack([rng.permutation(C) * 1e3 + rng.uniform(-2e3, 2e3) for _ in range(N)])
    cases.append((f"float32 scores of magnitude 1e3, N = {N}, C = {C}", x32.astype(np.float32),
                  _labels(rng, N, C)))
    return cases


def _softmax_stable_check(judge):
    def check(desc, x, y, loss, dx):
        expected_loss, expected_dx = ref.softmax_loss(x, y)
        tol = TOL32 if x.dtype == np.float32 else TOL_SOFTMAX
        ok = judge.close(f"loss ({desc})", loss, expected_loss, tol=tol, hint=WARN_HINT)
        # dx entries near 0 may differ by ~1e-12 between correct stable formulas
        return judge.close(f"dx ({desc})", dx, expected_dx, tol=tol, hint=WARN_HINT,
                           atol=1e-10) and ok
    return check


@suite("softmax_loss_value")
def _(student, rng, judge):
    _run_data_loss(student, judge, "softmax_loss", _data_cases(rng),
                   _softmax_value_check(judge))


@suite("softmax_loss_grad")
def _(student, rng, judge):
    cases = _data_cases(rng) + [_float32_case(rng)]
    _run_data_loss(student, judge, "softmax_loss", cases, _softmax_grad_check(judge))


@suite("softmax_loss_stable")
def _(student, rng, judge):
    _run_data_loss(student, judge, "softmax_loss", _stable_cases(rng),
                   _softmax_stable_check(judge))


# ---------------------------------------------------------------- L2 regularization

L2_LOSS_GENERIC = "loss = 0.5 * reg * sum(W**2), summed over every entry of W"
L2_GRAD_GENERIC = "dW = reg * W, of the shape of W"


def _l2_cases(rng):
    D, M = _size(rng, 1, 8, 1, 8)
    return [
        (f"W of shape ({D}, {M}), reg = 0", rng.standard_normal((D, M)), 0.0),
        (f"W of shape ({D},)", rng.standard_normal(D), float(rng.uniform(0.1, 10))),
        (f"W of shape ({D}, {M})", rng.standard_normal((D, M)) * 3,
         float(10 ** rng.uniform(-4, 1))),
        (f"W of shape (1, {M}, 2)", rng.standard_normal((1, M, 2)), float(rng.uniform(0.5, 2))),
        (f"float32 W of shape ({D}, {M})", rng.standard_normal((D, M)).astype(np.float32),
         float(rng.uniform(0.1, 1))),
    ]


def _l2_mistakes(W, reg):
    W = W.astype(np.float64)
    loss = 0.5 * reg * float(np.sum(W * W))
    loss_mistakes = [
        (2 * loss, "the 0.5 is missing: loss = 0.5 * reg * sum(W**2)"),
        (0.5 * loss, "the loss is half what it should be: 0.5 * reg * sum(W**2), the 0.5 "
         "only once"),
        (loss / W.size, "sum the squares of W, don't average them"),
        (0.5 * reg * float(np.sum(np.abs(W))), "that is L1; L2 squares the weights"),
        (0.5 * reg * float(np.sqrt(np.sum(W * W))), "square the entries and sum them: "
         "sum(W**2), not the norm of W"),
    ]
    grad_mistakes = [
        (2 * reg * W, "dW is twice too big: the 2 from the derivative of W**2 cancels the 0.5, "
         "so dW = reg * W"),
        (0.5 * reg * W, "dW is half too small: the derivative of 0.5 * W**2 is W, "
         "so dW = reg * W"),
        (reg * W * W, "the derivative of 0.5 * reg * W**2 is reg * W, not reg * W**2"),
        (reg * np.sign(W), "that is the L1 gradient; for L2, dW = reg * W"),
    ]
    return loss_mistakes, grad_mistakes


@suite("l2_regularization")
def _(student, rng, judge):
    for desc, W, reg in _l2_cases(rng):
        W_before = W.copy()
        what = f"l2_regularization(W, reg) on {desc}"
        got = unpack(judge, what, judge.attempt(what, student, W, reg), names=("loss", "dW"))
        if got is None:
            return
        loss, dW = got
        expected_loss, expected_dW = ref.l2_regularization(W_before, reg)
        loss_mistakes, grad_mistakes = _l2_mistakes(W_before, reg)
        tol = TOL32 if W.dtype == np.float32 else TOL
        value = _loss_value(loss)
        hint = L2_LOSS_GENERIC if value is None else diagnose(
            value, expected_loss, loss_mistakes, L2_LOSS_GENERIC)
        ok = judge.close(f"loss ({desc}, reg = {reg:.3g})", loss, expected_loss, tol=tol,
                         hint=hint)
        hint = diagnose(dW, expected_dW, grad_mistakes, L2_GRAD_GENERIC)
        ok = judge.close(f"dW ({desc}, reg = {reg:.3g})", dW, expected_dW, tol=tol,
                         hint=hint) and ok
        if ok and W.dtype == np.float32:
            ok = judge.record(f"dW dtype ({desc})", np.asarray(dW).dtype == np.float32,
                              f"dW ({desc}): dtype {np.asarray(dW).dtype}, expected float32 "
                              "like W")
        ok = judge.unmodified(f"W ({desc})", W_before, W) and ok
        if not ok:
            return


# ---------------------------------------------------------------- concept checks

def _choice(answer):
    return answer.strip().lower() if isinstance(answer, str) else None


def _number(answer):
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    return float(answer)


@suite("q1_svm_init_loss")
def _(answer, rng, judge):
    value = _number(answer)
    if value is None:
        judge.record("answer_q1", False, f"answer_q1 should be a number, got "
                     f"{type_name(answer)}")
        return
    judge.record("answer_q1", abs(value - 9.0) < 1e-6,
                 "answer_q1 is not right: with all scores equal, work out the margin "
                 "s_j - s_y + 1 of one wrong class, then count the wrong classes (C = 10)")


@suite("q2_svm_doubled_scores")
def _(answer, rng, judge):
    judge.record("answer_q2", _choice(answer) == "a",
                 "answer_q2 is not right: if s_y - s_j >= 1 for every wrong class j, how large "
                 "is 2 s_y - 2 s_j?")


@suite("q3_softmax_loss_range")
def _(answer, rng, judge):
    judge.record("answer_q3", _choice(answer) == "b",
                 "answer_q3 is not right: what is -log p when p -> 1, and when p -> 0?")


@suite("q4_hinge_vs_softmax")
def _(answer, rng, judge):
    judge.record("answer_q4", _choice(answer) == "c",
                 "answer_q4 is not right: compute both losses for both score vectors; are any "
                 "SVM margins positive, and is p of the correct class exactly 1?")
