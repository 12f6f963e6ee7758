"""The hidden checks of assignment 05_optimization: the reference passes, mistakes are named.

Every suite is run on the reference (and on a plain student-style solution)
with several seeds; then each realistic wrong implementation must fail with a
message that names its mistake.
"""

import math
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import Judge, run_suite
from autograder.checks import a05_optimization as a05
from autograder.hidden import check
from course import optim, schedules
from tests.checking import check_fails as _fails
from tests.checking import master_namespace

pytestmark = pytest.mark.optimization

SEEDS = range(4)
MASTER = (Path(__file__).resolve().parents[1] / "solutions" / "05_optimization"
          / "optimization.ipynb")



# ---------------------------------------------------------------------------
# Student-style solutions (what the notebook's master solution looks like)
# ---------------------------------------------------------------------------

def momentum_ok(w, dw, config=None):
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))
    v = config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def _rmsprop_config(config):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-2), ("decay_rate", 0.99), ("epsilon", 1e-8)):
        config.setdefault(key, value)
    return config


def rmsprop_ok(w, dw, config=None):
    config = _rmsprop_config(config)
    cache = config.get("cache", np.zeros_like(w))
    rho = config["decay_rate"]
    cache = rho * cache + (1 - rho) * dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def make_adam(late=False, correct=True, eps_inside=False, eps_raw=False, store_t=True,
              store_hat=False, correct_m_only=False, no_eps=False, fixed_beta1=False):
    def adam(w, dw, config=None):
        config = {} if config is None else config
        for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                           ("epsilon", 1e-8), ("t", 0)):
            config.setdefault(key, value)
        b1, b2, eps = config["beta1"], config["beta2"], config["epsilon"]
        if fixed_beta1:
            b1 = 0.9
        m = b1 * config.get("m", np.zeros_like(w)) + (1 - b1) * dw
        v = b2 * config.get("v", np.zeros_like(w)) + (1 - b2) * dw**2
        t = config["t"] if late else config["t"] + 1
        m_hat = m / (1 - b1**t) if correct else m
        v_hat = v / (1 - b2**t) if correct and not correct_m_only else v
        if eps_inside:
            step = m_hat / np.sqrt(v_hat + eps)
        elif eps_raw:
            step = math.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        elif no_eps:
            step = m_hat / np.sqrt(v_hat)
        else:
            step = m_hat / (np.sqrt(v_hat) + eps)
        config["m"], config["v"] = (m_hat, v_hat) if store_hat else (m, v)
        if store_t:
            config["t"] = config["t"] + 1
        return w - config["learning_rate"] * step, config
    return adam


def cosine_ok(lr0, total, t, lr_min=0.0):
    if t >= total:
        return lr_min
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * t / total))


# ---------------------------------------------------------------------------
# The reference and correct solutions pass
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name, fn", [
    ("sgd_momentum", optim.sgd_momentum), ("sgd_momentum", momentum_ok),
    ("rmsprop", optim.rmsprop), ("rmsprop", rmsprop_ok),
    ("adam_first_step", optim.adam), ("adam_first_step", make_adam()),
    ("adam_many_steps", optim.adam), ("adam_many_steps", make_adam()),
    ("cosine_schedule", lambda lr0, total, t, lr_min=0.0:
     schedules.cosine(lr0, total, lr_min)(int(t))),
    ("cosine_schedule", cosine_ok),
])
def test_correct_solutions_pass(name, fn, seed, capsys):
    check(name, fn, seed=seed)
    assert "hidden checks passed" in capsys.readouterr().out


def test_concept_answers():
    check("q1_batch_noise", 2)
    check("q1_batch_noise", 2.0)
    check("q2_first_step", " Adam")
    check("q3_saddle", "b")
    check("q4_learning_rate", "too_high")
    for name, wrong, answer in (("q1_batch_noise", 4, 2), ("q2_first_step", "rmsprop", "adam"),
                                ("q3_saddle", "a", "b"), ("q4_learning_rate", "too_low",
                                                         "too_high")):
        message = _fails(name, wrong, "not")
        assert "should be one of" not in message
        assert repr(answer) not in message
    _fails("q2_first_step", "momentum", "should be one of")
    _fails("q1_batch_noise", "2", "should be one of")
    _fails("q1_batch_noise", np.array([2]), "should be one of")
    _fails("q1_batch_noise", True, "should be one of")
    _fails("q3_saddle", None, "should be one of")


# ---------------------------------------------------------------------------
# SGD + momentum: each mistake fails with a message that names it
# ---------------------------------------------------------------------------

def momentum_variant(kind):
    def rule(w, dw, config=None):
        config = {} if config is None else config
        if kind == "overwrite":
            config["learning_rate"] = 1e-2
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("momentum", 0.9)
        lr, mu = config["learning_rate"], config["momentum"]
        if kind == "fixed":
            lr, mu = 1e-2, 0.9
        if kind == "fixed_mu":
            mu = 0.9
        zeros = np.zeros(w.shape) if kind == "zeros" else np.zeros_like(w)
        v_old = config.get("velocity", zeros)
        if kind == "uphill":
            v = mu * v_old + lr * dw
            next_w = w + v
        elif kind == "flipped":
            v = mu * v_old + lr * dw
            next_w = w - v
        elif kind == "lecture":
            v = mu * v_old + dw
            next_w = w - lr * v
        else:
            v = mu * v_old - lr * dw
            next_w = w + (v_old if kind == "old" else v)
        if kind == "inplace":
            w += v
            next_w = w
        if kind != "forget":
            config["velocity"] = v
        if kind == "no_config":
            return next_w
        return next_w, config
    return rule


@pytest.mark.parametrize("kind, words", [
    ("uphill", ["uphill"]),
    ("flipped", ["opposite sign"]),
    ("lecture", ["running sum of gradients"]),
    ("old", ["old velocity"]),
    ("forget", ["config['velocity'] is missing"]),
    ("fixed", ["use config['learning_rate'] instead of a fixed 0.01"]),
    ("fixed_mu", ["use config['momentum'] instead of a fixed 0.9"]),
    ("overwrite", ["never overwrite what the caller set"]),
    ("inplace", ["modified in place"]),
    ("zeros", ["dtype float64, expected float32", "zeros_like"]),
    ("no_config", ["should return a pair (next_w, config)"]),
])
def test_momentum_mistakes_are_named(kind, words):
    _fails("sgd_momentum", momentum_variant(kind), *words)


def test_momentum_velocity_not_stored_but_kept_at_zero():
    def rule(w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("momentum", 0.9)
        v = config.setdefault("velocity", np.zeros_like(w))
        v = config["momentum"] * v - config["learning_rate"] * dw
        return w + v, config
    _fails("sgd_momentum", rule, "velocity was not stored")


# ---------------------------------------------------------------------------
# RMSProp
# ---------------------------------------------------------------------------

def rmsprop_variant(kind):
    def rule(w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("learning_rate", 1e-2)
        config.setdefault("decay_rate", 0.99)
        config.setdefault("epsilon", 1e-8)
        lr, rho, eps = config["learning_rate"], config["decay_rate"], config["epsilon"]
        if kind == "fixed":
            rho = 0.99
        old = config.get("cache", np.zeros_like(w))
        if kind == "swap":
            cache = (1 - rho) * old + rho * dw**2
        elif kind == "adagrad":
            cache = old + dw**2
        else:
            cache = rho * old + (1 - rho) * dw**2
        if kind == "eps_inside":
            next_w = w - lr * dw / np.sqrt(cache + eps)
        elif kind == "no_sqrt":
            next_w = w - lr * dw / (cache + eps)
        elif kind == "no_eps":
            next_w = w - lr * dw / np.sqrt(cache)
        else:
            next_w = w - lr * dw / (np.sqrt(cache) + eps)
        config["cache"] = old if kind == "forget" else cache
        return next_w, config
    return rule


@pytest.mark.parametrize("kind, words", [
    ("swap", ["decay weights are swapped"]),
    ("eps_inside", ["epsilon went inside the square root"]),
    ("no_sqrt", ["square root of the cache"]),
    ("adagrad", ["AdaGrad"]),
    ("forget", ["cache was not stored"]),
    ("fixed", ["use config['decay_rate'] instead of a fixed 0.99"]),
    ("no_eps", ["inf or nan", "add epsilon"]),
])
def test_rmsprop_mistakes_are_named(kind, words):
    for seed in SEEDS:
        _fails("rmsprop", rmsprop_variant(kind), *words, seed=seed)


# ---------------------------------------------------------------------------
# Adam: the first step and many steps
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("suite_name", ["adam_first_step", "adam_many_steps"])
@pytest.mark.parametrize("kwargs, words", [
    ({"late": True}, ["t is incremented too late"]),
    ({"correct": False}, ["no bias correction"]),
    ({"correct_m_only": True}, ["only m was bias-corrected"]),
    ({"eps_inside": True}, ["epsilon went inside the square root"]),
    ({"eps_raw": True}, ["epsilon was added to sqrt(v) rather than to sqrt(v_hat)"]),
    ({"no_eps": True}, ["inf or nan", "add epsilon to the denominator"]),
])
def test_adam_mistakes_are_named(suite_name, kwargs, words):
    for seed in SEEDS:
        _fails(suite_name, make_adam(**kwargs), *words, seed=seed)


@pytest.mark.parametrize("kwargs, words", [
    ({"store_t": False}, ["config['t']", "step count was not stored"]),
    ({"store_hat": True}, ["raw moments m and v"]),
    ({"fixed_beta1": True}, ["use config['beta1'] instead of a fixed 0.9"]),
])
def test_adam_state_mistakes_show_over_many_steps(kwargs, words):
    # On the first step from zeros these give the right numbers; the state they
    # keep is wrong, which the trajectories catch.
    for seed in SEEDS:
        _fails("adam_many_steps", make_adam(**kwargs), *words, seed=seed)


def test_adam_late_t_in_plain_python_names_the_mistake():
    def adam(w, dw, config=None):
        config = {} if config is None else config
        config.setdefault("t", 0)
        m = 0.1 * dw
        v = 0.001 * dw * dw
        corr = 1.0 / (1 - 0.9 ** config["t"])  # ZeroDivisionError at t = 0
        config["t"] += 1
        return w - 1e-3 * m * corr / (np.sqrt(v) + 1e-8), config
    _fails("adam_first_step", adam, "ZeroDivisionError", "t is incremented too late")


def test_adam_messages_carry_no_expected_values():
    message = _fails("adam_first_step", make_adam(correct=False))
    assert "expected" not in message.replace("expected float", "")


# ---------------------------------------------------------------------------
# Rounding is no mistake: entries whose terms nearly cancel
# ---------------------------------------------------------------------------

def rmsprop_grouped(w, dw, config=None):
    config = _rmsprop_config(config)
    rho = config["decay_rate"]
    cache = rho * config.get("cache", np.zeros_like(w)) + (1 - rho) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * (dw / (np.sqrt(cache) + config["epsilon"])), config


def rmsprop_lerp(w, dw, config=None):
    config = _rmsprop_config(config)
    cache = config.get("cache", np.zeros_like(w))
    cache = cache + (1 - config["decay_rate"]) * (dw**2 - cache)  # moved towards dw**2
    config["cache"] = cache
    return w - config["learning_rate"] * (dw / (np.sqrt(cache) + config["epsilon"])), config


def adam_lerp(w, dw, config=None):
    config = {} if config is None else config
    for key, value in (("learning_rate", 1e-3), ("beta1", 0.9), ("beta2", 0.999),
                       ("epsilon", 1e-8), ("t", 0)):
        config.setdefault(key, value)
    b1, b2, t = config["beta1"], config["beta2"], config["t"] + 1
    m, v = config.get("m", np.zeros_like(w)), config.get("v", np.zeros_like(w))
    m = m + (1 - b1) * (dw - m)  # moved towards dw, as torch's lerp_
    v = v + (1 - b2) * (dw * dw - v)
    denom = np.sqrt(v / (1 - b2**t)) + config["epsilon"]
    config["m"], config["v"], config["t"] = m, v, t
    return w - config["learning_rate"] / denom * (m / (1 - b1**t)), config


# Seeds on which correct rules once failed in float32: a step nearly cancelled the weight
# (or a gradient the moment), and another order of the same operations differed by more
# than 1e-4 of the result, though by a few ulps of the terms (found by running the suites
# on 10,000 seeds; the master's adam failed on 2 of them, adam_lerp on 46).
@pytest.mark.skipif(not MASTER.exists(), reason="master notebook not written yet")
@pytest.mark.parametrize("seed", [4137, 4774])
def test_master_adam_passes_where_the_step_nearly_cancels_the_weight(seed):
    check("adam_many_steps", master_namespace(MASTER)["adam"], seed=seed)


@pytest.mark.parametrize("name, rule, seed", [
    ("rmsprop", rmsprop_grouped, 454), ("rmsprop", rmsprop_grouped, 3603),
    ("rmsprop", rmsprop_lerp, 1898), ("rmsprop", rmsprop_lerp, 5195), ("rmsprop", rmsprop_ok, 2575),
    ("adam_many_steps", adam_lerp, 90), ("adam_many_steps", adam_lerp, 1800),
    ("adam_many_steps", adam_lerp, 7145), ("adam_many_steps", make_adam(), 4137),
])
def test_other_correct_orders_pass_where_terms_nearly_cancel(name, rule, seed):
    check(name, rule, seed=seed)


@pytest.mark.parametrize("name, rule", [
    ("sgd_momentum", momentum_ok), ("rmsprop", rmsprop_grouped), ("adam_many_steps", adam_lerp),
])
def test_other_correct_orders_pass(name, rule):
    for seed in SEEDS:
        check(name, rule, seed=seed)


def test_the_judge_measures_an_error_against_the_larger_of_the_entry_and_its_scale():
    judge = Judge()
    got, expected = np.array([1e-6, 1.0]), np.array([2e-6, 1.0])
    assert not judge.close("x", got, expected, tol=1e-4)  # 1e-6 is a third of |got| + |expected|
    assert judge.close("x", got, expected, tol=1e-4, scale=np.array([1.0, 0.0]))
    assert not judge.close("x", got, expected, tol=1e-4, scale=np.array([1e-3, 0.0]))
    assert not judge.close("x", got, expected, tol=1e-4, scale=np.array([np.inf, 0.0]))
    assert judge.verdicts[-1].message == "x: relative error 3.3e-01 (allowed 0.0001)"


def test_error_scales_add_up_the_sizes_of_the_terms():
    # v = mu v - lr dw = 0.5 * 0.5 - 1 * 0.25 = 0, from terms of size 0.25 each
    w0, v0, dw = np.array([0.0, 2.0]), np.array([0.5, 0.5]), np.array([0.25, -0.25])
    config = {"learning_rate": 1.0, "momentum": 0.5, "velocity": v0}
    next_w, c = optim.sgd_momentum(w0, dw, dict(config))
    assert c["velocity"][0] == 0.0 and next_w[0] == 0.0
    w_abs, c_abs = a05._magnitudes("sgd_momentum", w0, config)
    w_abs, c_abs = optim.sgd_momentum(w_abs, -np.abs(dw), c_abs)
    assert c_abs["velocity"].tolist() == [0.5, 0.5]  # mu |v| + lr |dw|
    assert w_abs.tolist() == [0.5, 2.5]  # |w| + the velocity's scale
    # Adam's m: b1 m + (1 - b1) dw = [-0.5, 0.5], from terms of sizes 0.5 and 1
    config = {"beta1": 0.5, "m": np.array([1.0, -1.0]), "v": np.ones(2), "t": 3}
    dw = np.array([-2.0, 2.0])
    assert optim.adam(np.zeros(2), dw, dict(config))[1]["m"].tolist() == [-0.5, 0.5]
    w_abs, c_abs = a05._magnitudes("adam", np.zeros(2), config)
    _, c_abs = optim.adam(w_abs, -np.abs(dw), c_abs)
    assert np.abs(c_abs["m"]).tolist() == [1.5, 1.5]


@pytest.mark.parametrize("suite_name, name, rule, seed", [
    ("adam_many_steps", "adam", make_adam(), 4137),
    ("rmsprop", "rmsprop", rmsprop_grouped, 1936),
])
def test_a_correct_rule_is_never_told_a_mistake(monkeypatch, suite_name, name, rule, seed):
    # On these seeds the old hint at the failing step was "add epsilon": with gradients far
    # above epsilon the rule without it gives the student's numbers, but the reference's
    # just as closely, so it explains nothing. Hints are worked out at every step.
    hints, diagnose = [], a05._diagnose

    def recorded(*args):
        hints.append(diagnose(*args))
        return hints[-1]

    monkeypatch.setattr(a05, "_diagnose", recorded)
    run_suite(suite_name, rule, seed)
    assert hints and set(hints) == {a05.GENERIC[name]}


def in_float32(rule):
    """A correct rule that works in float32 inside: a near miss in float64."""
    def near_miss(w, dw, config=None):
        next_w, config = rule(w.astype(np.float32), dw.astype(np.float32), config)
        return next_w.astype(w.dtype), config
    return near_miss


@pytest.mark.parametrize("suite_name, name, rule", [
    ("rmsprop", "rmsprop", rmsprop_ok), ("adam_first_step", "adam", make_adam()),
])
def test_a_near_miss_gets_the_generic_hint_not_an_epsilon_mistake(suite_name, name, rule):
    # seed 11: the old hints named epsilon ("add epsilon", "epsilon went inside"), which
    # the reference's own numbers match as closely as the student's
    message = _fails(suite_name, in_float32(rule), a05.GENERIC[name], seed=11)
    assert "epsilon went inside" not in message and "add epsilon" not in message


# ---------------------------------------------------------------------------
# The cosine schedule
# ---------------------------------------------------------------------------

def cosine_variant(kind):
    def schedule(lr0, total, t, lr_min=0.0):
        if kind == "no_min":
            lr_min = 0.0
        if kind == "minus_one":
            return lr_min + 0.5 * (lr0 - lr_min) * (
                1 + math.cos(math.pi * min(t, total - 1) / (total - 1)))
        if t >= total and kind != "no_clamp":
            return lr_min
        c = math.cos(math.pi * t / total)
        if kind == "no_half":
            return lr_min + (lr0 - lr_min) * c
        return lr_min + 0.5 * (lr0 - lr_min) * (1 + c)
    return schedule


@pytest.mark.parametrize("kind, words", [
    ("no_clamp", ["must not rise again"]),
    ("no_min", ["lr_min was ignored"]),
    ("no_half", ["went negative"]),
    ("minus_one", ["not total - 1"]),
])
def test_cosine_mistakes_are_named(kind, words):
    for seed in SEEDS:
        _fails("cosine_schedule", cosine_variant(kind), *words, seed=seed)


def test_cosine_not_implemented_is_reported():
    def stub(lr0, total, t, lr_min=0.0):
        raise NotImplementedError("your code here")
    _fails("cosine_schedule", stub, "NotImplementedError")
