"""Tests for course.layers: activation pairs (assignment 02) and affine layers (assignment 04)."""

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from course import layers
from course.gradcheck import eval_numerical_gradient_array, rel_error
from tests import strategies as S

GRAD_TOL = 1e-7     # analytic vs centered differences, float64
ORACLE_TOL = 1e-10  # analytic vs PyTorch autograd, float64

# Points each activation's check keeps away from: kinks (ReLU, Leaky ReLU and
# ELU at 0) and zeros of the derivative (GELU, SiLU), where the gradient is so
# small that the round-off of a centered difference dominates the relative
# error. The zeros were found with scipy.optimize.brentq on the closed-form
# derivatives; a gap of 1e-2 makes their last digits irrelevant.
GELU_GRAD_ZERO = -0.7517915
GELU_TANH_GRAD_ZERO = -0.7524614
SILU_GRAD_ZERO = -1.2784645

# (name, forward kwargs, points to avoid in gradient checks)
SPECS = [
    ("relu", {}, (0.0,)),
    ("leaky_relu", {}, (0.0,)),
    ("leaky_relu", {"alpha": 0.2}, (0.0,)),
    ("elu", {}, (0.0,)),
    ("elu", {"alpha": 0.5}, (0.0,)),
    ("gelu", {}, (GELU_GRAD_ZERO,)),
    ("gelu", {"approximate": "tanh"}, (GELU_TANH_GRAD_ZERO,)),
    ("silu", {}, (SILU_GRAD_ZERO,)),
    ("sigmoid", {}, ()),
    ("tanh", {}, ()),
]
SPEC_IDS = [name + "".join(f"-{v}" for v in kw.values()) for name, kw, _ in SPECS]


def pair(name, kwargs):
    """The (forward, backward) of an activation, forward bound to ``kwargs``."""
    forward = getattr(layers, f"{name}_forward")
    backward = getattr(layers, f"{name}_backward")
    return (lambda x: forward(x, **kwargs)), backward


def keep_away(a, points, gap):
    """Move entries of ``a`` closer than ``gap`` to any of ``points`` out to 2 * gap."""
    for p in points:
        near = np.abs(a - p) < gap
        a = np.where(near, p + 2 * gap * np.where(a >= p, 1, -1), a)
    return a


def torch_activation(name, kwargs):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    return torch, {
        "relu": torch.relu,
        "leaky_relu": lambda t: tf.leaky_relu(t, negative_slope=kwargs.get("alpha", 0.01)),
        "elu": lambda t: tf.elu(t, alpha=kwargs.get("alpha", 1.0)),
        "gelu": lambda t: tf.gelu(t, approximate=kwargs.get("approximate", "none")),
        "silu": tf.silu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
    }[name]


# ===========================================================================
# Assignment 02: activation functions
# ===========================================================================


@pytest.mark.activations
@pytest.mark.parametrize("name, kwargs, avoid", SPECS, ids=SPEC_IDS)
class TestActivationPairs:

    @given(data=st.data(), shape=S.shapes(max_dims=3, max_side=4))
    def test_backward_matches_numerical_gradient(self, name, kwargs, avoid, data, shape):
        forward, backward = pair(name, kwargs)
        x = keep_away(data.draw(S.arrays(shape)), avoid, gap=1e-2)
        dout = data.draw(S.arrays(shape))
        _, cache = forward(x)
        dx = backward(dout, cache)
        dx_num = eval_numerical_gradient_array(lambda v: forward(v)[0], x, dout)
        assert dx.shape == x.shape
        assert rel_error(dx, dx_num) < GRAD_TOL

    @pytest.mark.oracle
    @given(data=st.data(), shape=S.shapes(max_dims=3, max_side=5))
    def test_matches_torch(self, name, kwargs, avoid, data, shape):
        torch, torch_fn = torch_activation(name, kwargs)
        # Wide values, exact zeros (hypothesis likes them) and kinks included:
        # the gradient conventions at 0 must agree with PyTorch's too.
        x = data.draw(S.arrays(shape, low=-20, high=20))
        dout = data.draw(S.arrays(shape))
        forward, backward = pair(name, kwargs)
        out, cache = forward(x)
        dx = backward(dout, cache)
        xt = torch.tensor(x, requires_grad=True)
        out_t = torch_fn(xt)
        out_t.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=ORACLE_TOL, atol=1e-12)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=ORACLE_TOL, atol=1e-12)

    @pytest.mark.parametrize("value", [1e3, -1e3, 1e5, -1e5, 1e300, -1e300])
    def test_large_inputs_are_finite_without_warnings(self, name, kwargs, avoid, value):
        forward, backward = pair(name, kwargs)
        x = np.array([value, 0.5, -value])
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out, cache = forward(x)
            dx = backward(np.ones_like(x), cache)
        assert np.all(np.isfinite(out)) and np.all(np.isfinite(dx))

    def test_float32_in_float32_out_and_inputs_not_modified(self, name, kwargs, avoid):
        forward, backward = pair(name, kwargs)
        x = np.linspace(-4, 4, 24).reshape(2, 3, 4)
        dout = np.cos(x)
        x_copy, dout_copy = x.copy(), dout.copy()
        out64, cache64 = forward(x)
        dx64 = backward(dout, cache64)
        np.testing.assert_array_equal(backward(dout, cache64), dx64)  # cache not altered
        np.testing.assert_array_equal(x, x_copy)
        np.testing.assert_array_equal(dout, dout_copy)
        out, cache = forward(x.astype(np.float32))
        dx = backward(dout.astype(np.float32), cache)
        assert out.dtype == np.float32 and dx.dtype == np.float32
        np.testing.assert_allclose(out, out64, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(dx, dx64, rtol=1e-5, atol=1e-6)

    def test_bad_inputs(self, name, kwargs, avoid):
        forward, backward = pair(name, kwargs)
        with pytest.raises(TypeError, match=r"^x: expected a floating-point array"):
            forward(np.arange(6).reshape(2, 3))
        with pytest.raises(ValueError, match=r"^x: contains NaN \(first at index \(1, 0\)\)"):
            forward(np.array([[0.5, 1.0], [np.nan, 2.0]]))
        _, cache = forward(np.zeros((2, 3)))
        with pytest.raises(ValueError, match=r"^dout: expected shape \(2, 3\).*got \(3, 2\)"):
            backward(np.zeros((3, 2)), cache)
        with pytest.raises(TypeError, match=r"^dout: expected a floating-point array"):
            backward(np.zeros((2, 3), dtype=int), cache)

    def test_accepts_lists(self, name, kwargs, avoid):
        forward, backward = pair(name, kwargs)
        out, cache = forward([[-1.0, 2.0]])
        out_arr, _ = forward(np.array([[-1.0, 2.0]]))
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, out_arr)
        assert backward([[1.0, 1.0]], cache).shape == (1, 2)


@pytest.mark.activations
class TestActivationValues:
    """Pinned values, limits and the identities the docstrings state."""

    def test_relu_gradient_at_exact_zero_is_zero(self):
        x = np.array([-1.0, 0.0, -0.0, 1e-300, 2.0])
        out, cache = layers.relu_forward(x)
        dx = layers.relu_backward(np.full(5, 7.0), cache)
        np.testing.assert_array_equal(out, [0, 0, 0, 1e-300, 2])
        np.testing.assert_array_equal(dx, [0, 0, 0, 7, 7])  # dout * (x > 0)

    def test_leaky_relu_and_elu_at_zero_take_the_negative_side(self):
        x = np.array([-2.0, 0.0, 3.0])
        _, cache = layers.leaky_relu_forward(x, alpha=0.1)
        np.testing.assert_allclose(layers.leaky_relu_backward(np.ones(3), cache), [0.1, 0.1, 1])
        out, cache = layers.elu_forward(x, alpha=0.5)
        # by hand: 0.5 * (e^-2 - 1), 0, 3; derivative 0.5 * e^x below 0
        np.testing.assert_allclose(out, [0.5 * (np.exp(-2) - 1), 0, 3], rtol=1e-15)
        np.testing.assert_allclose(layers.elu_backward(np.ones(3), cache),
                                   [0.5 * np.exp(-2), 0.5, 1], rtol=1e-15)

    def test_hyperparameters_travel_in_the_cache(self):
        x = np.array([-1.0, 1.0])
        _, cache = layers.leaky_relu_forward(x, alpha=0.3)
        np.testing.assert_allclose(layers.leaky_relu_backward(np.ones(2), cache), [0.3, 1])
        _, c_exact = layers.gelu_forward(x)
        _, c_tanh = layers.gelu_forward(x, approximate="tanh")
        assert not np.array_equal(layers.gelu_backward(np.ones(2), c_exact),
                                  layers.gelu_backward(np.ones(2), c_tanh))

    def test_pinned_values_at_zero(self):
        # sigma(0) = 1/2, sigma'(0) = 1/4; tanh'(0) = 1; silu'(0) = gelu'(0) = 1/2
        zero = np.zeros(1)
        for name, out0, grad0 in [("sigmoid", 0.5, 0.25), ("tanh", 0.0, 1.0),
                                  ("silu", 0.0, 0.5), ("gelu", 0.0, 0.5)]:
            forward, backward = pair(name, {})
            out, cache = forward(zero)
            assert out[0] == out0 and backward(np.ones(1), cache)[0] == grad0, name

    def test_limits_at_huge_inputs(self):
        # Far from 0 every activation is x or a constant, with derivative 1 or 0.
        x = np.array([-1e300, -1e5, 1e5, 1e300])
        ones = np.ones(4)
        expected = {  # name: (out, dout/dx)
            "relu": ([0, 0, 1e5, 1e300], [0, 0, 1, 1]),
            "elu": ([-1, -1, 1e5, 1e300], [0, 0, 1, 1]),
            "gelu": ([0, 0, 1e5, 1e300], [0, 0, 1, 1]),
            "silu": ([0, 0, 1e5, 1e300], [0, 0, 1, 1]),
            "sigmoid": ([0, 0, 1, 1], [0, 0, 0, 0]),
            "tanh": ([-1, -1, 1, 1], [0, 0, 0, 0]),
        }
        for name, (out_ref, dx_ref) in expected.items():
            for kwargs in ({}, {"approximate": "tanh"}) if name == "gelu" else ({},):
                forward, backward = pair(name, kwargs)
                out, cache = forward(x)
                np.testing.assert_allclose(out, out_ref, err_msg=name)
                np.testing.assert_allclose(backward(ones, cache), dx_ref, err_msg=name)

    @given(x=S.arrays(S.shapes(), low=-50, high=50))
    def test_sigmoid_tanh_silu_identities(self, x):
        # sigma(-x) = 1 - sigma(x);  tanh(x/2) = 2 sigma(x) - 1;  silu(x) = x sigma(x)
        s, _ = layers.sigmoid_forward(x)
        s_neg, _ = layers.sigmoid_forward(-x)
        np.testing.assert_allclose(s_neg, 1 - s, rtol=1e-12, atol=1e-15)
        t, _ = layers.tanh_forward(x / 2)
        np.testing.assert_allclose(t, 2 * s - 1, rtol=1e-12, atol=1e-15)
        out, _ = layers.silu_forward(x)
        np.testing.assert_allclose(out, x * s, rtol=1e-14, atol=1e-300)

    def test_gelu_tanh_form_is_close_to_exact(self):
        x = np.linspace(-5, 5, 10001)
        exact, _ = layers.gelu_forward(x)
        approx, _ = layers.gelu_forward(x, approximate="tanh")
        gap = np.abs(exact - approx).max()
        assert 1e-5 < gap < 1e-3  # close, but a different function

    def test_gelu_rejects_unknown_form(self):
        with pytest.raises(ValueError, match=r"^approximate: .*got 'erf'"):
            layers.gelu_forward(np.zeros(2), approximate="erf")

    @pytest.mark.parametrize("name", ["leaky_relu", "elu"])
    def test_alpha_checked(self, name):
        forward = getattr(layers, f"{name}_forward")
        with pytest.raises(ValueError, match=r"^alpha: expected a finite number >= 0, got -0.1"):
            forward(np.zeros(2), alpha=-0.1)
        with pytest.raises(TypeError, match=r"^alpha: expected a number"):
            forward(np.zeros(2), alpha="0.1")

    def test_registry(self):
        assert set(layers.ACTIVATIONS) == {
            "relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh"}
        for name, (forward, backward) in layers.ACTIVATIONS.items():
            assert forward is getattr(layers, f"{name}_forward")
            assert backward is getattr(layers, f"{name}_backward")
            out, cache = forward(np.array([1.0, -1.0]))
            assert backward(np.ones(2), cache).shape == (2,)


# ===========================================================================
# Assignment 04: vectorized backprop, the affine layer and the sandwich
# ===========================================================================

# affine is linear in each of x, w and b separately, so a centered difference
# is exact for any step; a step of 1 leaves only round-off (with 1e-5 the
# round-off alone exceeds 1e-7 relative on ~0.3% of random draws).
AFFINE_H = 1.0
AFFINE_PAIRS = {"affine": (layers.affine_forward, layers.affine_backward),
                "affine_relu": (layers.affine_relu_forward, layers.affine_relu_backward)}


def numerical_grads(forward, x, w, b, dout, h):
    return (eval_numerical_gradient_array(lambda v: forward(v, w, b)[0], x, dout, h=h),
            eval_numerical_gradient_array(lambda v: forward(x, v, b)[0], w, dout, h=h),
            eval_numerical_gradient_array(lambda v: forward(x, w, v)[0], b, dout, h=h))


def random_affine(seed, x_shape, M, dtype=np.float64):
    """x of x_shape, w (D, M), b (M,), dout (N, M), standard normal."""
    rng = np.random.default_rng(seed)
    D = int(np.prod(x_shape[1:]))
    return tuple(rng.standard_normal(s).astype(dtype)
                 for s in (x_shape, (D, M), (M,), (x_shape[0], M)))


@pytest.mark.vector_backprop
class TestAffine:

    @given(seed=S.seeds(), x_shape=S.shapes(min_dims=2, max_dims=4, max_side=3),
           M=st.integers(1, 4))
    @example(seed=1, x_shape=(1, 2, 3), M=4)  # N = 1
    def test_backward_matches_numerical_gradient(self, seed, x_shape, M):
        # Random normal values: hypothesis' hand-picked ones (1e-9 next to 3.0,
        # exact cancellations) give gradients near 0, where the 1e-8 floor of
        # rel_error turns even 1e-15 of round-off into 1e-7. Those values are
        # covered against an independent formula in test_matches_einsum.
        x, w, b, dout = random_affine(seed, x_shape, M)
        out, cache = layers.affine_forward(x, w, b)
        dx, dw, db = layers.affine_backward(dout, cache)
        assert out.shape == (x_shape[0], M)
        assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
        for grad, num in zip((dx, dw, db),
                             numerical_grads(layers.affine_forward, x, w, b, dout, AFFINE_H),
                             strict=True):
            assert rel_error(grad, num) < GRAD_TOL

    @given(data=st.data(), x_shape=S.shapes(min_dims=2, max_dims=4, max_side=3),
           M=st.integers(1, 4))
    def test_matches_einsum(self, data, x_shape, M):
        N, D = x_shape[0], int(np.prod(x_shape[1:]))
        x = data.draw(S.arrays(x_shape))
        w, b, dout = (data.draw(S.arrays(s)) for s in ((D, M), (M,), (N, M)))
        out, cache = layers.affine_forward(x, w, b)
        dx, dw, db = layers.affine_backward(dout, cache)
        # The same sums written index by index: out_nm = sum_d x_nd w_dm + b_m,
        # dx_nd = sum_m dout_nm w_dm, dw_dm = sum_n x_nd dout_nm, db_m = sum_n dout_nm.
        x2 = x.reshape(N, D)
        np.testing.assert_allclose(out, np.einsum("nd,dm->nm", x2, w) + b, atol=1e-12)
        np.testing.assert_allclose(dx.reshape(N, D), np.einsum("nm,dm->nd", dout, w),
                                   atol=1e-12)
        np.testing.assert_allclose(dw, np.einsum("nd,nm->dm", x2, dout), atol=1e-12)
        np.testing.assert_allclose(db, np.einsum("nm->m", dout), atol=1e-12)

    def test_by_hand(self):
        x = np.array([[1.0, 2.0], [3.0, 4.0]])
        w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
        b = np.array([0.5, -1.0, 2.0])
        out, cache = layers.affine_forward(x, w, b)
        np.testing.assert_array_equal(out, [[5.5, 1, 1], [11.5, 3, -1]])
        dx, dw, db = layers.affine_backward(np.ones((2, 3)), cache)
        np.testing.assert_array_equal(dx, [[0, 3], [0, 3]])         # row sums of w
        np.testing.assert_array_equal(dw, [[4, 4, 4], [6, 6, 6]])   # column sums of x
        np.testing.assert_array_equal(db, [2, 2, 2])                # N copies of dout

    def test_non_contiguous_input(self):
        x, w, b, dout = random_affine(2, (3, 4, 2), 5)
        x_t = np.ascontiguousarray(x.transpose(0, 2, 1)).transpose(0, 2, 1)
        assert not x_t.flags.c_contiguous
        out, cache = layers.affine_forward(x_t, w, b)
        out_ref, cache_ref = layers.affine_forward(x, w, b)
        np.testing.assert_allclose(out, out_ref, rtol=1e-14)
        for g, g_ref in zip(layers.affine_backward(dout, cache),
                            layers.affine_backward(dout, cache_ref), strict=True):
            np.testing.assert_allclose(g, g_ref, rtol=1e-14)

    def test_bad_inputs(self):
        x = np.zeros((2, 3, 4))
        with pytest.raises(ValueError, match=r"^w: expected shape \(12, M\) to match x "
                                             r"flattened to \(N, 12\), got \(13, 5\)"):
            layers.affine_forward(x, np.zeros((13, 5)), np.zeros(5))
        with pytest.raises(ValueError, match=r"^w: expected shape \(12, M\).*got \(12,\)"):
            layers.affine_forward(x, np.zeros(12), np.zeros(5))
        with pytest.raises(ValueError, match=r"^b: expected shape \(5,\).*got \(4,\)"):
            layers.affine_forward(x, np.zeros((12, 5)), np.zeros(4))
        with pytest.raises(ValueError, match=r"^x: expected at least 2 dimensions"):
            layers.affine_forward(np.zeros(12), np.zeros((12, 5)), np.zeros(5))
        with pytest.raises(TypeError, match=r"^w: expected a floating-point array"):
            layers.affine_forward(x, np.zeros((12, 5), dtype=int), np.zeros(5))
        with pytest.raises(ValueError, match=r"^b: contains NaN"):
            layers.affine_forward(x, np.zeros((12, 5)), np.array([0, 0, np.nan, 0, 0]))
        _, cache = layers.affine_forward(x, np.zeros((12, 5)), np.zeros(5))
        with pytest.raises(ValueError, match=r"^dout: expected shape \(2, 5\).*got \(5, 2\)"):
            layers.affine_backward(np.zeros((5, 2)), cache)


@pytest.mark.vector_backprop
class TestAffineRelu:

    @given(seed=S.seeds(), x_shape=S.shapes(min_dims=2, max_dims=4, max_side=3),
           M=st.integers(1, 4))
    @example(seed=0, x_shape=(1, 3), M=2)  # N = 1
    def test_backward_matches_numerical_gradient(self, seed, x_shape, M):
        x, w, b, dout = random_affine(seed, x_shape, M)
        a = x.reshape(x.shape[0], -1) @ w + b
        assume(np.abs(a).min() > 1e-3)  # ReLU's kink
        # Piecewise linear: the centered difference is exact for any step that
        # cannot move a pre-activation across 0 (|da| <= h * max(|x|, |w|, 1)).
        h = min(1.0, 0.5 * np.abs(a).min() / max(1.0, np.abs(x).max(), np.abs(w).max()))
        out, cache = layers.affine_relu_forward(x, w, b)
        grads = layers.affine_relu_backward(dout, cache)
        np.testing.assert_array_equal(out, np.maximum(a, 0))
        nums = numerical_grads(layers.affine_relu_forward, x, w, b, dout, h)
        for g, n in zip(grads, nums, strict=True):
            assert rel_error(g, n) < GRAD_TOL

    def test_is_the_composition(self):
        x, w, b, dout = random_affine(5, (3, 2, 3), 4)
        out, cache = layers.affine_relu_forward(x, w, b)
        a, fc_cache = layers.affine_forward(x, w, b)
        out_ref, relu_cache = layers.relu_forward(a)
        np.testing.assert_array_equal(out, out_ref)
        expected = layers.affine_backward(layers.relu_backward(dout, relu_cache), fc_cache)
        for g, e in zip(layers.affine_relu_backward(dout, cache), expected, strict=True):
            np.testing.assert_array_equal(g, e)

    def test_dead_units_pass_no_gradient(self):
        x, w, _, dout = random_affine(6, (4, 3), 2)
        b = np.array([-1e3, 1e3])  # unit 0 is dead for every example, unit 1 always alive
        _, cache = layers.affine_relu_forward(x, w, b)
        dx, dw, db = layers.affine_relu_backward(dout, cache)
        np.testing.assert_array_equal(dw[:, 0], 0)
        assert db[0] == 0 and db[1] == dout[:, 1].sum()
        np.testing.assert_allclose(dx, np.outer(dout[:, 1], w[:, 1]), rtol=1e-14)

    def test_bad_inputs(self):
        with pytest.raises(ValueError, match=r"^w: expected shape \(6, M\)"):
            layers.affine_relu_forward(np.zeros((2, 3, 2)), np.zeros((5, 4)), np.zeros(4))
        _, cache = layers.affine_relu_forward(np.zeros((2, 6)), np.zeros((6, 4)), np.zeros(4))
        with pytest.raises(ValueError, match=r"^dout: expected shape \(2, 4\)"):
            layers.affine_relu_backward(np.zeros((2, 3)), cache)


@pytest.mark.vector_backprop
@pytest.mark.parametrize("name", list(AFFINE_PAIRS))
class TestAffinePairs:

    def test_float32_in_float32_out_and_inputs_not_modified(self, name):
        forward, backward = AFFINE_PAIRS[name]
        arrays = random_affine(7, (2, 3, 2), 3, dtype=np.float32)
        copies = [a.copy() for a in arrays]
        x, w, b, dout = arrays
        out, cache = forward(x, w, b)
        grads = backward(dout, cache)
        assert out.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
        for a, c in zip(arrays, copies, strict=True):
            np.testing.assert_array_equal(a, c)

    @pytest.mark.oracle
    @given(seed=S.seeds(), x_shape=S.shapes(min_dims=2, max_dims=4, max_side=4),
           M=st.integers(1, 5))
    def test_matches_torch(self, name, seed, x_shape, M):
        torch = pytest.importorskip("torch")
        forward, backward = AFFINE_PAIRS[name]
        x, w, b, dout = random_affine(seed, x_shape, M)
        out, cache = forward(x, w, b)
        grads = backward(dout, cache)
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        out_t = xt.reshape(x.shape[0], -1) @ wt + bt
        out_t = torch.relu(out_t) if name == "affine_relu" else out_t
        out_t.backward(torch.tensor(dout))
        np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=ORACLE_TOL, atol=1e-12)
        for g, t in zip(grads, (xt, wt, bt), strict=True):
            np.testing.assert_allclose(g, t.grad.numpy(), rtol=ORACLE_TOL, atol=1e-12)
