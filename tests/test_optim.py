"""Tests for course.optim: sgd, sgd_momentum, rmsprop, adam and the rule registry.

Reference values come from the update recurrences written out again with
plain Python floats, one weight at a time (no numpy, no vectorization), and
from PyTorch's optimizers where their formulation coincides with CS231n's.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course import optim
from course.gradcheck import rel_error
from tests.strategies import arrays, shapes

pytestmark = pytest.mark.optimization

RULES = ["sgd", "sgd_momentum", "rmsprop", "adam"]
STATE_KEYS = {"sgd": [], "sgd_momentum": ["velocity"], "rmsprop": ["cache"],
              "adam": ["m", "v"]}


# ---------------------------------------------------------------------------
# Plain-Python references: one float at a time, straight from the formulas.
# ---------------------------------------------------------------------------

def ref_momentum(w, v, g, lr, mu):
    v = mu * v - lr * g
    return w + v, v


def ref_rmsprop(w, cache, g, lr, rho, eps):
    cache = rho * cache + (1 - rho) * g * g
    return w - lr * g / (math.sqrt(cache) + eps), cache


def ref_adam(w, m, v, t, g, lr, b1, b2, eps):
    t += 1
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1**t)
    v_hat = v / (1 - b2**t)
    return w - lr * m_hat / (math.sqrt(v_hat) + eps), m, v, t


def quad_grad(w):
    """Gradient of the toy loss sum(0.5 * k * w**2 + w) with a different k per weight."""
    k = np.arange(1, w.size + 1, dtype=np.float64).reshape(w.shape)
    return k * w + 1.0


W0 = np.array([0.5, -1.2, 2.0, 0.03])


# ---------------------------------------------------------------------------
# Defaults and the config dict
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, defaults", [
    ("sgd", {"learning_rate": 1e-2}),
    ("sgd_momentum", {"learning_rate": 1e-2, "momentum": 0.9}),
    ("rmsprop", {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8}),
    ("adam", {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}),
])
def test_defaults_from_the_contract(name, defaults):
    _, config = optim.UPDATE_RULES[name](W0, quad_grad(W0))
    for key, value in defaults.items():
        assert config[key] == value, key
    for key in STATE_KEYS[name]:
        assert config[key].shape == W0.shape
    if name == "adam":
        assert config["t"] == 1


@pytest.mark.parametrize("name", RULES)
def test_caller_config_is_filled_in_and_returned(name):
    config = {"learning_rate": 0.05, "unrelated": "kept"}
    _, out = optim.UPDATE_RULES[name](W0, quad_grad(W0), config)
    assert out is config
    assert config["learning_rate"] == 0.05
    assert config["unrelated"] == "kept"
    for key in STATE_KEYS[name]:
        assert key in config


def test_sgd_by_hand():
    # 1 - 0.1 * 0.5 = 0.95 and -2 - 0.1 * 0.25 = -2.025.
    next_w, _ = optim.sgd(np.array([1.0, -2.0]), np.array([0.5, 0.25]),
                          {"learning_rate": 0.1})
    np.testing.assert_allclose(next_w, [0.95, -2.025], rtol=1e-15)


def test_momentum_by_hand_two_steps():
    # Same gradient g twice: v1 = -lr g, v2 = mu v1 - lr g = -(1 + mu) lr g.
    w, g = np.array([1.0]), np.array([2.0])
    w1, config = optim.sgd_momentum(w, g, {"learning_rate": 0.1, "momentum": 0.5})
    w2, config = optim.sgd_momentum(w1, g, config)
    assert w1[0] == pytest.approx(1.0 - 0.2, rel=1e-15)
    assert w2[0] == pytest.approx(1.0 - 0.2 - 0.3, rel=1e-15)
    assert config["velocity"][0] == pytest.approx(-0.3, rel=1e-15)


def test_momentum_zero_is_sgd():
    g = quad_grad(W0)
    a, _ = optim.sgd_momentum(W0, g, {"learning_rate": 0.3, "momentum": 0.0})
    b, _ = optim.sgd(W0, g, {"learning_rate": 0.3})
    np.testing.assert_array_equal(a, b)


def test_zero_learning_rate_leaves_weights():
    # Accepted on purpose: a schedule may anneal the rate to 0.
    for name in RULES:
        next_w, _ = optim.UPDATE_RULES[name](W0, quad_grad(W0), {"learning_rate": 0.0})
        np.testing.assert_array_equal(next_w, W0)


# ---------------------------------------------------------------------------
# Against the plain-Python recurrences
# ---------------------------------------------------------------------------

def _run(rule, config, steps=8):
    w, path = W0.copy(), []
    for _ in range(steps):
        w, config = rule(w, quad_grad(w), config)
        path.append(w)
    return np.array(path), config


def test_sgd_momentum_matches_recurrence():
    lr, mu = 0.05, 0.9
    path, _ = _run(optim.sgd_momentum, {"learning_rate": lr, "momentum": mu})
    for i, w in enumerate(W0.tolist()):
        v, k = 0.0, i + 1
        for step in range(len(path)):
            w, v = ref_momentum(w, v, k * w + 1.0, lr, mu)
            assert path[step, i] == pytest.approx(w, rel=1e-12, abs=1e-15)


def test_rmsprop_matches_recurrence():
    lr, rho, eps = 0.01, 0.99, 1e-8
    path, _ = _run(optim.rmsprop, {"learning_rate": lr})
    for i, w in enumerate(W0.tolist()):
        cache, k = 0.0, i + 1
        for step in range(len(path)):
            w, cache = ref_rmsprop(w, cache, k * w + 1.0, lr, rho, eps)
            assert path[step, i] == pytest.approx(w, rel=1e-12, abs=1e-15)


def test_adam_matches_recurrence():
    lr, b1, b2, eps = 0.02, 0.9, 0.999, 1e-8
    path, config = _run(optim.adam, {"learning_rate": lr})
    assert config["t"] == len(path)
    for i, w in enumerate(W0.tolist()):
        m, v, t, k = 0.0, 0.0, 0, i + 1
        for step in range(len(path)):
            w, m, v, t = ref_adam(w, m, v, t, k * w + 1.0, lr, b1, b2, eps)
            assert path[step, i] == pytest.approx(w, rel=1e-12, abs=1e-15)


def test_adam_resumes_from_given_state():
    # CS231n-style check: a mid-training state (t = 5) is continued, not restarted.
    N, D = 4, 5
    w = np.linspace(-0.4, 0.6, num=N * D).reshape(N, D)
    dw = np.linspace(-0.6, 0.4, num=N * D).reshape(N, D)
    m = np.linspace(0.6, 0.9, num=N * D).reshape(N, D)
    v = np.linspace(0.7, 0.5, num=N * D).reshape(N, D)
    config = {"learning_rate": 1e-2, "m": m, "v": v, "t": 5}
    next_w, config = optim.adam(w, dw, config)
    assert config["t"] == 6
    for idx in np.ndindex(N, D):
        ref_w, ref_m, ref_v, _ = ref_adam(float(w[idx]), float(m[idx]), float(v[idx]), 5,
                                          float(dw[idx]), 1e-2, 0.9, 0.999, 1e-8)
        assert next_w[idx] == pytest.approx(ref_w, rel=1e-13)
        assert config["m"][idx] == pytest.approx(ref_m, rel=1e-13)
        assert config["v"][idx] == pytest.approx(ref_v, rel=1e-13)


@pytest.mark.parametrize("name", RULES)
def test_every_rule_descends_a_quadratic(name):
    lr = {"sgd": 0.05, "sgd_momentum": 0.02, "rmsprop": 0.01, "adam": 0.05}[name]
    w, config = W0.copy(), {"learning_rate": lr}
    loss = lambda w: float(np.sum(0.5 * np.arange(1, 5) * w**2 + w))
    start = loss(w)
    for _ in range(300):
        w, config = optim.UPDATE_RULES[name](w, quad_grad(w), config)
    # The minimum is w_i = -1 / k_i, loss -sum(1 / (2 k_i)).
    minimum = -sum(0.5 / k for k in range(1, 5))
    assert loss(w) < start
    assert loss(w) - minimum < 0.05 * (start - minimum)


# ---------------------------------------------------------------------------
# Hypothesis: shapes, dtypes, inputs untouched, the step count
# ---------------------------------------------------------------------------

@given(data=st.data(), shape=shapes(), name=st.sampled_from(RULES))
def test_inputs_not_modified(data, shape, name):
    w = data.draw(arrays(shape))
    dw = data.draw(arrays(shape))
    state = {k: data.draw(arrays(shape, low=0.0 if k in ("cache", "v") else -3.0))
             for k in STATE_KEYS[name]}
    config = {"learning_rate": 1e-2, **{k: s.copy() for k, s in state.items()}}
    if name == "adam":
        config["t"] = 3
    w0, dw0 = w.copy(), dw.copy()
    before = {k: config[k] for k in STATE_KEYS[name]}
    next_w, config = optim.UPDATE_RULES[name](w, dw, config)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(dw, dw0)
    for k, s in state.items():
        np.testing.assert_array_equal(before[k], s)   # old state array untouched
    assert next_w is not w and next_w.shape == w.shape
    assert not np.shares_memory(next_w, w)


@given(data=st.data(), shape=shapes(), name=st.sampled_from(RULES))
def test_float32_kept(data, shape, name):
    w = data.draw(arrays(shape)).astype(np.float32)
    dw = data.draw(arrays(shape)).astype(np.float32)
    config = None
    for _ in range(2):
        w, config = optim.UPDATE_RULES[name](w, dw, config)
        assert w.dtype == np.float32
        for k in STATE_KEYS[name]:
            assert config[k].dtype == np.float32, k


@given(data=st.data(), shape=shapes(), steps=st.integers(1, 6))
def test_adam_t_increments_once_per_step(data, shape, steps):
    w, dw = data.draw(arrays(shape)), data.draw(arrays(shape))
    config = None
    for i in range(steps):
        w, config = optim.adam(w, dw, config)
        assert config["t"] == i + 1


@given(data=st.data(), shape=shapes(), lr=st.floats(1e-4, 1e-1),
       dtype=st.sampled_from([np.float64, np.float32]))
def test_adam_first_step_is_lr_times_sign(data, shape, lr, dtype):
    # Bias correction makes m_hat = dw and v_hat = dw**2 on step 1, so each
    # weight moves by lr * dw / (|dw| + eps) ~ lr * sign(dw), whatever |dw| is.
    w = data.draw(arrays(shape)).astype(dtype)
    dw = data.draw(arrays(shape, away_from=0.0, gap=1e-3)).astype(dtype)
    next_w, _ = optim.adam(w, dw, {"learning_rate": lr})
    step = w.astype(np.float64) - next_w.astype(np.float64)
    # |dw| >= 1e-3 here, so eps / |dw| <= 1e-5 is how far from lr * sign(dw) it may be.
    tol = 2e-5 if dtype == np.float64 else 1e-2
    np.testing.assert_allclose(step, lr * np.sign(dw), rtol=tol, atol=0)
    if dtype == np.float64:
        np.testing.assert_allclose(step, lr * dw / (np.abs(dw) + 1e-8), rtol=1e-9)


@given(data=st.data(), shape=shapes(), lr=st.floats(1e-4, 1.0))
def test_sgd_step_is_lr_times_gradient(data, shape, lr):
    w, dw = data.draw(arrays(shape)), data.draw(arrays(shape))
    next_w, _ = optim.sgd(w, dw, {"learning_rate": lr})
    np.testing.assert_allclose(next_w, w - lr * dw, rtol=0, atol=1e-15)


# ---------------------------------------------------------------------------
# PyTorch oracle
# ---------------------------------------------------------------------------

def _torch_path(torch, make_opt, steps=20):
    p = torch.tensor(W0.copy(), dtype=torch.float64, requires_grad=True)
    opt = make_opt([p])
    path = []
    for _ in range(steps):
        opt.zero_grad()
        with torch.no_grad():
            p.grad = torch.from_numpy(quad_grad(p.detach().numpy().copy()))
        opt.step()
        path.append(p.detach().numpy().copy())
    return np.array(path)


@pytest.mark.oracle
def test_sgd_momentum_matches_torch_at_constant_lr():
    # torch: b = mu b + g, w -= lr b.  CS231n: v = mu v - lr g, w += v.
    # With lr constant, v = -lr b at every step, so the trajectories coincide.
    torch = pytest.importorskip("torch")
    lr = 0.03
    ours, _ = _run(optim.sgd_momentum, {"learning_rate": lr, "momentum": 0.9}, steps=20)
    theirs = _torch_path(torch, lambda ps: torch.optim.SGD(ps, lr=lr, momentum=0.9,
                                                           dampening=0))
    assert rel_error(ours, theirs) < 1e-10


@pytest.mark.oracle
def test_sgd_momentum_differs_from_torch_when_lr_changes():
    # The two formulations part ways once lr changes: CS231n's velocity holds
    # steps already scaled by the old lr, torch's buffer holds raw gradients.
    torch = pytest.importorskip("torch")
    config, w = {"learning_rate": 0.03, "momentum": 0.9}, W0.copy()
    p = torch.tensor(W0.copy(), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.03, momentum=0.9)
    for step in range(6):
        if step == 3:
            config["learning_rate"] = opt.param_groups[0]["lr"] = 0.003
        w, config = optim.sgd_momentum(w, quad_grad(w), config)
        p.grad = torch.from_numpy(quad_grad(p.detach().numpy().copy()))
        opt.step()
    assert rel_error(w, p.detach().numpy()) > 1e-3


@pytest.mark.oracle
def test_rmsprop_matches_torch():
    # torch.optim.RMSprop: s = alpha s + (1 - alpha) g^2, w -= lr g / (sqrt(s) + eps),
    # eps outside the square root as in CS231n.
    torch = pytest.importorskip("torch")
    lr = 0.01
    ours, _ = _run(optim.rmsprop, {"learning_rate": lr}, steps=20)
    theirs = _torch_path(torch, lambda ps: torch.optim.RMSprop(ps, lr=lr, alpha=0.99,
                                                               eps=1e-8))
    assert rel_error(ours, theirs) < 1e-10


@pytest.mark.oracle
def test_adam_matches_torch():
    # torch.optim.Adam (amsgrad off): w -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps),
    # which is lr * m_hat / (sqrt(v_hat) + eps): eps added after the square root, as here.
    torch = pytest.importorskip("torch")
    lr = 0.05
    ours, _ = _run(optim.adam, {"learning_rate": lr}, steps=20)
    theirs = _torch_path(torch, lambda ps: torch.optim.Adam(ps, lr=lr, betas=(0.9, 0.999),
                                                            eps=1e-8))
    assert rel_error(ours, theirs) < 1e-10


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("lr", [-1e-3, float("nan"), float("inf")])
def test_bad_learning_rate(name, lr):
    with pytest.raises(ValueError, match="learning_rate"):
        optim.UPDATE_RULES[name](W0, W0, {"learning_rate": lr})


@pytest.mark.parametrize("name", RULES)
def test_learning_rate_must_be_a_number(name):
    with pytest.raises(TypeError, match="learning_rate"):
        optim.UPDATE_RULES[name](W0, W0, {"learning_rate": "0.1"})


@pytest.mark.parametrize("name, key, value", [
    ("sgd_momentum", "momentum", 1.0),
    ("sgd_momentum", "momentum", -0.1),
    ("rmsprop", "decay_rate", 1.5),
    ("rmsprop", "epsilon", 0.0),
    ("rmsprop", "epsilon", -1e-8),
    ("adam", "beta1", 1.0),
    ("adam", "beta2", -0.5),
    ("adam", "epsilon", 0.0),
    ("adam", "t", -1),
])
def test_bad_hyperparameter(name, key, value):
    with pytest.raises(ValueError, match=key):
        optim.UPDATE_RULES[name](W0, W0, {key: value})


@pytest.mark.parametrize("t", [1.5, True, "3"])
def test_adam_step_count_must_be_an_int(t):
    with pytest.raises(TypeError, match=r"config\['t'\]"):
        optim.adam(W0, W0, {"t": t})


@pytest.mark.parametrize("name", RULES)
def test_mismatched_shapes(name):
    with pytest.raises(ValueError, match=r"dw: expected shape \(4,\).*got \(3,\)"):
        optim.UPDATE_RULES[name](W0, W0[:3])


@pytest.mark.parametrize("name", ["sgd_momentum", "rmsprop", "adam"])
def test_state_of_wrong_shape(name):
    key = STATE_KEYS[name][0]
    with pytest.raises(ValueError, match=key):
        optim.UPDATE_RULES[name](W0, W0, {key: np.zeros(3)})


@pytest.mark.parametrize("name", RULES)
def test_bad_arrays_and_config(name):
    rule = optim.UPDATE_RULES[name]
    with pytest.raises(TypeError, match="w:"):
        rule(np.arange(4), W0)
    with pytest.raises(ValueError, match="dw: contains NaN"):
        rule(W0, np.array([0.0, np.nan, 0.0, 0.0]))
    with pytest.raises(TypeError, match="config"):
        rule(W0, W0, [("learning_rate", 0.1)])


def test_get_update_rule():
    for name in RULES:
        assert optim.get_update_rule(name) is getattr(optim, name)
    custom = lambda w, dw, config=None: (w, config)
    assert optim.get_update_rule(custom) is custom
    with pytest.raises(ValueError, match="'sgd', 'sgd_momentum', 'rmsprop', 'adam'") as err:
        optim.get_update_rule("adamw")
    assert "adamw" in str(err.value)
    with pytest.raises(TypeError, match="update_rule"):
        optim.get_update_rule(3)
