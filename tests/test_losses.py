"""Tests for course.losses (assignment 03): softmax, multiclass SVM and L2 regularization."""

import math

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from course.gradcheck import eval_numerical_gradient, rel_error
from course.losses import l2_regularization, softmax_loss, svm_loss
from tests import strategies as S

pytestmark = pytest.mark.losses

GRAD_TOL = 1e-7     # analytic vs centered differences, float64
ORACLE_TOL = 1e-10  # analytic vs PyTorch autograd, float64
LOSSES = [softmax_loss, svm_loss]

# The lecture's three training examples (cat, car, frog), one row per image,
# columns the scores for the classes cat, car, frog.
LECTURE_SCORES = np.array([[3.2, 5.1, -1.7],
                           [1.3, 4.9, 2.0],
                           [2.2, 2.5, -3.1]])
LECTURE_LABELS = np.array([0, 1, 2])


@st.composite
def scores_and_labels(draw, max_n=5, max_c=5, low=-3.0, high=3.0):
    N = draw(st.integers(1, max_n))
    C = draw(st.integers(1, max_c))
    x = draw(S.arrays((N, C), low=low, high=high))
    y = draw(hnp.arrays(np.int64, (N,), elements=st.integers(0, C - 1)))
    return x, y


def away_from_hinge(x, y, gap=1e-3):
    """Move scores so that no margin x_j - x_y + 1 (j != y) lies within ``gap`` of 0."""
    x = x.copy()
    correct = x[np.arange(len(y)), y][:, None]
    margins = x - correct + 1
    near = np.abs(margins) < gap
    near[np.arange(len(y)), y] = False
    x[near] = (correct - 1 + 2 * gap * np.where(margins >= 0, 1, -1))[near]
    return x


def numerical_dx(loss_fn, x, y, h=1e-5):
    return eval_numerical_gradient(lambda v: loss_fn(v, y)[0], x, verbose=False, h=h)


# ===========================================================================
# Softmax
# ===========================================================================


@given(case=scores_and_labels(low=-2.0, high=2.0))
@example(case=(np.array([[0.3, -1.2, 2.0]]), np.array([2])))  # N = 1
def test_softmax_gradient_matches_numerical(case):
    # A gradient entry can be as small as p_min / N while the round-off of the
    # loss is absolute: with scores in [-3, 3] and h = 1e-5 about 1% of extreme
    # draws exceed 1e-7. Scores in [-2, 2] and h = 1e-4 (truncation error
    # ~h^2/6 = 2e-9 relative) keep the worst case near 3e-9; the PyTorch
    # oracle below covers scores up to 30.
    x, y = case
    loss, dx = softmax_loss(x, y)
    assert dx.shape == x.shape
    assert rel_error(dx, numerical_dx(softmax_loss, x, y, h=1e-4)) < GRAD_TOL


def test_softmax_lecture_example():
    # Lecture: the cat image's probabilities are 0.13, 0.87, 0.00 and L_i = 2.04
    # (two decimals); to full precision L_i = log(sum_j e^{s_j}) - s_cat with math.
    loss, _ = softmax_loss(LECTURE_SCORES[:1], LECTURE_LABELS[:1])
    closed_form = math.log(sum(math.exp(s) for s in LECTURE_SCORES[0])) - 3.2
    assert loss == pytest.approx(closed_form, rel=1e-14)
    assert round(loss, 2) == 2.04


def test_softmax_uniform_scores():
    # Equal scores: every probability is 1/C, so L = log C and dx = (1/C - 1{j=y}) / N.
    x, y = np.zeros((2, 4)), np.array([1, 3])
    loss, dx = softmax_loss(x, y)
    assert loss == pytest.approx(math.log(4), rel=1e-15)
    expected = np.full((2, 4), 0.25)
    expected[[0, 1], [1, 3]] -= 1
    np.testing.assert_allclose(dx, expected / 2, rtol=1e-15)


def test_softmax_sanity_check_small_weights():
    # CS231n's sanity check: with tiny random weights all scores are ~0, so
    # the loss is ~ -log(1/C) = log C.
    rng = np.random.default_rng(231)
    X = rng.standard_normal((200, 50))
    W = 1e-4 * rng.standard_normal((50, 10))
    y = rng.integers(0, 10, size=200)
    loss, _ = softmax_loss(X @ W, y)
    assert abs(loss - math.log(10)) < 1e-3


@pytest.mark.parametrize("scale", [1e4, 1e6, 1e300])
def test_softmax_is_stable_for_huge_logits(scale):
    x = np.array([[scale, 0.0, -scale], [0.0, scale, scale]])
    y = np.array([1, 0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dx = softmax_loss(x, y)
    # By hand: row 0 puts all mass on class 0, so L_0 = scale; row 1 splits it
    # between classes 1 and 2, so L_1 = scale + log 2. dx = (p - onehot) / N.
    assert math.isfinite(loss) and np.all(np.isfinite(dx))
    assert loss == pytest.approx((2 * scale + math.log(2)) / 2, rel=1e-15)
    np.testing.assert_allclose(dx, [[0.5, -0.5, 0.0], [-0.5, 0.25, 0.25]], atol=1e-300)


@given(case=scores_and_labels(), shift=st.floats(-1e4, 1e4))
def test_softmax_is_shift_invariant(case, shift):
    x, y = case
    loss, dx = softmax_loss(x, y)
    loss_s, dx_s = softmax_loss(x + shift, y)
    # x + shift rounds each score by up to ulp(1e4) ~ 2e-12
    assert loss_s == pytest.approx(loss, abs=1e-10)
    np.testing.assert_allclose(dx_s, dx, atol=1e-10)


# ===========================================================================
# Multiclass SVM
# ===========================================================================


@given(case=scores_and_labels())
@example(case=(np.array([[0.3, -1.2, 2.0]]), np.array([0])))  # N = 1
def test_svm_gradient_matches_numerical(case):
    x, y = case
    x = away_from_hinge(x, y)
    loss, dx = svm_loss(x, y)
    assert dx.shape == x.shape
    assert rel_error(dx, numerical_dx(svm_loss, x, y)) < GRAD_TOL


def test_svm_lecture_example():
    # Lecture: per-image losses 2.9, 0 and 12.9, so L = (2.9 + 0 + 12.9) / 3 = 5.27.
    loss, dx = svm_loss(LECTURE_SCORES, LECTURE_LABELS)
    assert loss == pytest.approx(15.8 / 3, rel=1e-14)
    # By hand: cat image, only car's margin (2.9) is active; car image, none
    # (margins -2.6, -1.9); frog image, both (6.3 and 6.6).
    expected = np.array([[-1, 1, 0], [0, 0, 0], [1, 1, -2]]) / 3
    np.testing.assert_allclose(dx, expected, rtol=1e-15)


def test_svm_ties_are_active():
    # All scores equal: every margin is exactly 1 > 0, so L = C - 1 and the
    # correct score is pushed down by C - 1.
    x, y = np.full((2, 4), 0.7), np.array([0, 2])
    loss, dx = svm_loss(x, y)
    assert loss == 3.0
    np.testing.assert_array_equal(dx, np.array([[-3, 1, 1, 1], [1, 1, -3, 1]]) / 2)


def test_svm_margin_of_exactly_zero_is_inactive():
    # x_j - x_y + 1 = 0 exactly: the hinge is at its kink; the gradient takes 0 there.
    loss, dx = svm_loss(np.array([[1.0, 0.0, -5.0]]), np.array([0]))
    assert loss == 0.0
    np.testing.assert_array_equal(dx, 0)


def test_svm_single_class_has_zero_loss():
    loss, dx = svm_loss(np.array([[2.0], [-1.0]]), np.array([0, 0]))
    assert loss == 0.0
    np.testing.assert_array_equal(dx, 0)


def test_svm_is_finite_for_huge_scores():
    x = np.array([[1e300, -1e300, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss, dx = svm_loss(x, np.array([1]))
    # By hand: margins 2e300 + 1 and 1e300 + 1 (both below float64's max, 1.8e308).
    assert loss == pytest.approx(2e300 + 1e300 + 1, rel=1e-15)
    np.testing.assert_array_equal(dx, [[1, -2, 1]])


# ===========================================================================
# Both data losses: dtypes, inputs, errors
# ===========================================================================


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_float32_in_float32_out(loss_fn):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 4, size=6)
    loss64, dx64 = loss_fn(x, y)
    loss, dx = loss_fn(x.astype(np.float32), y)
    assert type(loss) is float and type(loss64) is float
    assert dx.dtype == np.float32
    assert loss == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(dx, dx64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_inputs_not_modified(loss_fn):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 3)), rng.integers(0, 3, size=5)
    x_copy, y_copy = x.copy(), y.copy()
    loss_fn(x, y)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(y, y_copy)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_accepts_labels_as_list_and_unsigned(loss_fn):
    x = np.array([[0.1, 0.5], [2.0, -1.0]])
    ref = loss_fn(x, np.array([1, 0]))
    for y in ([1, 0], np.array([1, 0], dtype=np.uint8)):
        loss, dx = loss_fn(x, y)
        assert loss == ref[0]
        np.testing.assert_array_equal(dx, ref[1])


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_bad_inputs(loss_fn):
    x, y = np.zeros((3, 4)), np.array([0, 1, 3])
    with pytest.raises(ValueError, match=r"^x: expected a 2-d array, got shape \(12,\)"):
        loss_fn(np.zeros(12), y)
    with pytest.raises(TypeError, match=r"^x: expected a floating-point array"):
        loss_fn(np.zeros((3, 4), dtype=int), y)
    with pytest.raises(ValueError, match=r"^x: contains NaN"):
        loss_fn(np.where(np.eye(3, 4) > 0, np.nan, 0.0), y)
    with pytest.raises(ValueError, match=r"^x: expected at least one example"):
        loss_fn(np.zeros((0, 4)), np.zeros(0, dtype=int))
    with pytest.raises(TypeError, match=r"^y: expected integer class labels"):
        loss_fn(x, y.astype(float))
    with pytest.raises(ValueError, match=r"^y: labels must lie in \[0, 4\), got 4"):
        loss_fn(x, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"^y: labels must lie in \[0, 4\), got -1"):
        loss_fn(x, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"^y: expected shape \(3,\).*got \(2,\)"):
        loss_fn(x, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"^y: expected shape \(3,\).*got \(3, 1\)"):
        loss_fn(x, y[:, None])


# ===========================================================================
# L2 regularization
# ===========================================================================


def test_l2_by_hand():
    # 0.5 * 0.1 * (1 + 4 + 9 + 16) = 1.5; gradient reg * W
    W = np.array([[1.0, -2.0], [3.0, 4.0]])
    loss, dW = l2_regularization(W, 0.1)
    assert type(loss) is float and loss == pytest.approx(1.5, rel=1e-15)
    np.testing.assert_allclose(dW, 0.1 * W, rtol=1e-15)


def test_l2_containers_keep_their_kind():
    W1, W2 = np.ones((2, 3)), np.full((3,), 2.0)
    expected_loss = 0.5 * 0.2 * (6 + 12)
    loss, grads = l2_regularization([W1, W2], 0.2)
    assert isinstance(grads, list) and loss == pytest.approx(expected_loss, rel=1e-15)
    loss, grads = l2_regularization((W1, W2), 0.2)
    assert isinstance(grads, tuple) and loss == pytest.approx(expected_loss, rel=1e-15)
    loss, grads = l2_regularization({"W1": W1, "W2": W2}, 0.2)
    assert isinstance(grads, dict) and list(grads) == ["W1", "W2"]
    assert loss == pytest.approx(expected_loss, rel=1e-15)
    np.testing.assert_allclose(grads["W2"], 0.2 * W2, rtol=1e-15)
    assert l2_regularization([], 0.5) == (0.0, [])


@given(data=st.data(), shapes=st.lists(S.shapes(), min_size=1, max_size=3),
       reg=st.floats(0, 10))
def test_l2_gradient_matches_numerical(data, shapes, reg):
    # The loss is quadratic in each weight, so a centered difference is exact
    # for any step: h = 1 leaves only the round-off of the summed loss. That
    # round-off is absolute, so weights stay 1e-3 away from 0, where a tiny
    # gradient would make it dominate the relative error.
    weights = [data.draw(S.arrays(s, away_from=0.0)) for s in shapes]
    _, grads = l2_regularization(weights, reg)
    for W, dW in zip(weights, grads, strict=True):
        num = eval_numerical_gradient(lambda _: l2_regularization(weights, reg)[0], W,
                                      verbose=False, h=1.0)
        assert dW.shape == W.shape
        assert rel_error(dW, num) < GRAD_TOL


def test_l2_zero_reg_float32_and_inputs_not_modified():
    W = np.arange(6, dtype=np.float32).reshape(2, 3)
    W_copy = W.copy()
    loss, dW = l2_regularization({"W": W}, 0)
    assert loss == 0.0 and dW["W"].dtype == np.float32
    np.testing.assert_array_equal(dW["W"], 0)
    _, dW = l2_regularization(W, 0.5)
    assert dW.dtype == np.float32
    np.testing.assert_array_equal(W, W_copy)


def test_l2_bad_inputs():
    W = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"^reg: expected a finite number >= 0, got -0.1"):
        l2_regularization(W, -0.1)
    with pytest.raises(TypeError, match=r"^reg: expected a number"):
        l2_regularization(W, "0.1")
    with pytest.raises(TypeError, match=r"^weights\[1\]: expected a floating-point array"):
        l2_regularization([W, np.ones((2, 2), dtype=int)], 0.1)
    with pytest.raises(ValueError, match=r"^weights\['W2'\]: contains NaN"):
        l2_regularization({"W1": W, "W2": np.array([np.nan])}, 0.1)
    with pytest.raises(TypeError, match=r"^weights: expected a numpy array of floats"):
        l2_regularization("W", 0.1)


# ===========================================================================
# PyTorch oracle
# ===========================================================================


@pytest.mark.oracle
@given(case=scores_and_labels(max_n=6, max_c=6, low=-30, high=30))
def test_softmax_matches_torch(case):
    torch = pytest.importorskip("torch")
    x, y = case
    loss, dx = softmax_loss(x, y)
    xt = torch.tensor(x, requires_grad=True)
    loss_t = torch.nn.functional.cross_entropy(xt, torch.tensor(y))
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=ORACLE_TOL, abs=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=ORACLE_TOL, atol=1e-12)


@pytest.mark.oracle
@given(case=scores_and_labels(max_n=6, max_c=6))
def test_svm_matches_torch(case):
    torch = pytest.importorskip("torch")
    x, y = case
    x = away_from_hinge(x, y)  # the two may take different subgradients at a kink
    C = x.shape[1]
    loss, dx = svm_loss(x, y)
    # multi_margin_loss averages over the C classes as well as over N, so scale by C.
    xt = torch.tensor(x, requires_grad=True)
    loss_t = C * torch.nn.functional.multi_margin_loss(xt, torch.tensor(y), margin=1.0)
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=ORACLE_TOL, abs=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=ORACLE_TOL, atol=1e-12)


@pytest.mark.oracle
@given(data=st.data(), shapes=st.lists(S.shapes(), min_size=1, max_size=3),
       reg=st.floats(0, 10))
def test_l2_matches_torch(data, shapes, reg):
    torch = pytest.importorskip("torch")
    weights = {f"W{i}": data.draw(S.arrays(s)) for i, s in enumerate(shapes)}
    loss, grads = l2_regularization(weights, reg)
    wt = {k: torch.tensor(w, requires_grad=True) for k, w in weights.items()}
    loss_t = 0.5 * reg * sum((w * w).sum() for w in wt.values())
    loss_t.backward()
    assert loss == pytest.approx(loss_t.item(), rel=ORACLE_TOL, abs=1e-12)
    for k, t in wt.items():
        np.testing.assert_allclose(grads[k], t.grad.numpy(), rtol=ORACLE_TOL, atol=1e-12)
