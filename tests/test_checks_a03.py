"""The hidden checks of assignment 03_losses pass correct code and name the usual mistakes.

Every suite runs on the reference (and on a second correct implementation,
written differently, so the tolerances are not tuned to one order of
operations) for many seeds; realistic wrong implementations must fail with a
message that names the mistake.
"""

import numpy as np
import pytest

from autograder.hidden import check
from course import losses as ref

pytestmark = pytest.mark.losses

SEEDS = range(30)


def fails(name, fn, *fragments, seeds=range(5)):
    """``check(name, fn)`` fails for every seed, with a message holding every fragment."""
    for seed in seeds:
        with pytest.raises(AssertionError) as info:
            check(name, fn, seed=seed)
        message = str(info.value)
        for fragment in fragments:
            assert fragment in message, message
        assert "expected 0." not in message  # no expected values in messages
    return message


# ---------------------------------------------------------------- other correct versions

def svm_loop(x, y):
    """The multiclass SVM written with loops, one example and one class at a time."""
    N, C = x.shape
    loss, dx = 0.0, np.zeros_like(x)
    for i in range(N):
        for j in range(C):
            if j == y[i]:
                continue
            margin = x[i, j] - x[i, y[i]] + 1
            if margin > 0:
                loss += margin
                dx[i, j] += 1
                dx[i, y[i]] -= 1
    return loss / N, dx / N


def softmax_probs(x, y):
    """Softmax through normalized exponentials, the loss through log-sum-exp."""
    N = len(y)
    shifted = x - np.max(x, axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1)
    loss = np.mean(np.log(total) - shifted[np.arange(N), y])
    dx = e / total[:, None]
    dx[np.arange(N), y] -= 1
    return loss, dx / N


def l2_plain(W, reg):
    return 0.5 * reg * np.sum(W**2), reg * W


SUITES = {
    "svm_loss_value": [ref.svm_loss, svm_loop],
    "svm_loss_grad": [ref.svm_loss, svm_loop],
    "softmax_loss_value": [ref.softmax_loss, softmax_probs],
    "softmax_loss_grad": [ref.softmax_loss, softmax_probs],
    "softmax_loss_stable": [ref.softmax_loss, softmax_probs],
    "l2_regularization": [ref.l2_regularization, l2_plain],
}


@pytest.mark.parametrize("name", sorted(SUITES))
def test_correct_implementations_pass(name, capsys):
    for fn in SUITES[name]:
        for seed in SEEDS:
            check(name, fn, seed=seed)
    assert "all" in capsys.readouterr().out


def test_correct_concept_answers_pass():
    check("q1_svm_init_loss", 9)
    check("q1_svm_init_loss", 9.0)
    check("q2_svm_doubled_scores", "a")
    check("q3_softmax_loss_range", "b")
    check("q3_softmax_loss_range", " B ")
    check("q4_hinge_vs_softmax", "c")


@pytest.mark.parametrize("name, wrong, fragment", [
    ("q1_svm_init_loss", 10, "not right"),
    ("q1_svm_init_loss", "9", "should be a number"),
    ("q1_svm_init_loss", True, "should be a number"),
    ("q2_svm_doubled_scores", "b", "not right"),
    ("q3_softmax_loss_range", "a", "not right"),
    ("q4_hinge_vs_softmax", "a", "not right"),
    ("q4_hinge_vs_softmax", None, "not right"),
])
def test_wrong_concept_answers_fail(name, wrong, fragment):
    fails(name, wrong, fragment, seeds=[0])


@pytest.mark.parametrize("name", sorted(SUITES))
def test_a_stub_is_reported_as_not_implemented(name):
    def stub(*args):
        raise NotImplementedError("your code here")

    fails(name, stub, "is not implemented yet", seeds=[0])


# ---------------------------------------------------------------- SVM mistakes

def svm_no_mean(x, y):
    loss, dx = ref.svm_loss(x, y)
    return loss * len(y), dx * len(y)


def svm_with_correct_class(x, y):
    """The hinge summed over every class, the correct one included (margin 1 each)."""
    N = len(y)
    margins = np.maximum(0, x - x[np.arange(N), y][:, None] + 1)
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(N), y] = -dx.sum(axis=1)
    return margins.sum() / N, dx / N


def svm_no_count(x, y):
    loss, dx = ref.svm_loss(x, y)
    dx = dx.copy()
    dx[np.arange(len(y)), y] = 0
    return loss, dx


def svm_ties_active(x, y):
    N = len(y)
    rows = np.arange(N)
    raw = x - x[rows, y][:, None] + 1
    active = raw >= 0
    active[rows, y] = False
    dx = active.astype(x.dtype)
    dx[rows, y] = -active.sum(axis=1)
    return float(np.sum(np.maximum(0, raw) * active)) / N, dx / N


def svm_in_place(x, y):
    loss, dx = ref.svm_loss(x, y)
    x -= x.max()
    return loss, dx


def svm_float64(x, y):
    loss, dx = ref.svm_loss(x, y)
    return loss, dx.astype(np.float64)


def svm_no_clamp(x, y):
    N = len(y)
    raw = x - x[np.arange(N), y][:, None] + 1
    raw[np.arange(N), y] = 0
    return raw.sum() / N, ref.svm_loss(x, y)[1]


def test_svm_value_names_the_missing_mean():
    fails("svm_loss_value", svm_no_mean, "not divided by N")


def test_svm_value_names_the_correct_class_in_the_sum():
    fails("svm_loss_value", svm_with_correct_class, "skip the correct class")


def test_svm_value_names_the_missing_max():
    fails("svm_loss_value", svm_no_clamp, "max(0, x_j - x_y + 1)")


def test_svm_grad_names_the_missing_mean():
    fails("svm_loss_grad", svm_no_mean, "dx is not divided by N")


def test_svm_grad_names_the_missing_count_on_the_correct_class():
    fails("svm_loss_grad", svm_no_count, "correct class's score needs a gradient")


def test_svm_grad_names_the_correct_class_counted():
    fails("svm_loss_grad", svm_with_correct_class, "skip j = y_i when counting")


def test_svm_grad_names_the_tie_convention():
    # the tied-integer case always holds a margin of exactly 0
    fails("svm_loss_grad", svm_ties_active, "margin of exactly 0", seeds=range(10))
    check("svm_loss_value", svm_ties_active, seed=0)  # the value is the same either way


def test_svm_modifying_x_fails():
    fails("svm_loss_value", svm_in_place, "modified in place")


def test_svm_grad_keeps_float32():
    fails("svm_loss_grad", svm_float64, "expected float32")
    check("svm_loss_value", svm_float64, seed=0)


def test_svm_wrong_return_type_is_reported():
    fails("svm_loss_value", lambda x, y: ref.svm_loss(x, y)[0], "should return a tuple")


# ---------------------------------------------------------------- softmax mistakes

def softmax_naive(x, y):
    """No max shift: right for moderate scores, overflows for large ones."""
    N = len(y)
    e = np.exp(x)
    p = e / e.sum(axis=1, keepdims=True)
    dx = p.copy()
    dx[np.arange(N), y] -= 1
    return -np.log(p[np.arange(N), y]).mean(), dx / N


def softmax_log_of_probs(x, y):
    """Max shift, but log of a probability that may underflow to 0."""
    N = len(y)
    e = np.exp(x - x.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    dx = p.copy()
    dx[np.arange(N), y] -= 1
    return -np.log(p[np.arange(N), y]).mean(), dx / N


def softmax_global_max(x, y):
    """Shift by the max of the whole array instead of each row's max."""
    N = len(y)
    shifted = x - x.max()
    e = np.exp(shifted)
    total = e.sum(axis=1)
    loss = np.mean(np.log(total) - shifted[np.arange(N), y])
    dx = e / total[:, None]
    dx[np.arange(N), y] -= 1
    return loss, dx / N


def softmax_no_mean(x, y):
    loss, dx = ref.softmax_loss(x, y)
    return loss * len(y), dx * len(y)


def softmax_log10(x, y):
    loss, dx = ref.softmax_loss(x, y)
    return loss / np.log(10), dx


def softmax_no_one_hot(x, y):
    loss, dx = ref.softmax_loss(x, y)
    dx = dx.copy()
    dx[np.arange(len(y)), y] += 1 / len(y)
    return loss, dx


def test_naive_softmax_earns_value_and_grad_but_not_stability():
    for seed in SEEDS:
        check("softmax_loss_value", softmax_naive, seed=seed)
        check("softmax_loss_grad", softmax_naive, seed=seed)
    fails("softmax_loss_stable", softmax_naive, "made numpy warn", "subtract each row's max")


def test_log_of_underflowed_probability_fails_stability():
    check("softmax_loss_value", softmax_log_of_probs, seed=0)
    fails("softmax_loss_stable", softmax_log_of_probs, "never log(0)")


def test_shift_by_the_global_max_fails_stability():
    fails("softmax_loss_stable", softmax_global_max, "subtract each row's max")


def test_softmax_value_names_the_missing_mean():
    fails("softmax_loss_value", softmax_no_mean, "not divided by N")


def test_softmax_value_names_log10():
    fails("softmax_loss_value", softmax_log10, "np.log, not np.log10")


def test_softmax_grad_names_the_missing_one_hot():
    fails("softmax_loss_grad", softmax_no_one_hot, "subtract 1 at the correct class")
    fails("softmax_loss_grad", softmax_no_mean, "dx is not divided by N")


# ---------------------------------------------------------------- L2 mistakes

def l2_no_half(W, reg):
    return reg * np.sum(W * W), reg * W


def l2_double_grad(W, reg):
    return 0.5 * reg * np.sum(W * W), 2 * reg * W


def l2_half_grad(W, reg):
    return 0.5 * reg * np.sum(W * W), 0.5 * reg * W


def l2_in_place(W, reg):
    loss = 0.5 * reg * np.sum(W * W)
    W *= reg
    return loss, W.copy()


def test_l2_names_the_missing_half():
    fails("l2_regularization", l2_no_half, "the 0.5 is missing")


def test_l2_names_a_doubled_or_halved_gradient():
    fails("l2_regularization", l2_double_grad, "dW is twice too big")
    fails("l2_regularization", l2_half_grad, "dW is half too small")


def test_l2_modifying_W_fails():
    fails("l2_regularization", l2_in_place, "modified in place")


def test_logsumexp_softmax_without_a_max_shift_passes_the_stable_check():
    # log_probs = x - logsumexp(x) is stable; its dx entries near 0 differ from the
    # reference by ~1e-12, which must not count as wrong (it once failed 0.14% of seeds)
    from scipy.special import logsumexp

    def softmax_loss(x, y):
        n = x.shape[0]
        log_probs = x - logsumexp(x, axis=1, keepdims=True)
        dx = np.exp(log_probs)
        dx[np.arange(n), y] -= 1
        return -log_probs[np.arange(n), y].mean(), dx / n

    for seed in range(300):
        check("softmax_loss_stable", softmax_loss, seed=seed)
