"""Tests for course.schedules: learning-rate schedules and apply_schedule.

Expected values are worked out by hand (halvings, cos at 0, pi/2 and pi) or
from the closed forms written again in the test; lr_decay_schedule is checked
against CS231n Solver's loop (multiply the rate by lr_decay after each epoch).
"""

import math
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course import optim, schedules
from course.schedules import (
    apply_schedule,
    constant,
    cosine,
    exponential,
    linear_warmup,
    lr_decay_schedule,
    step_decay,
)

pytestmark = pytest.mark.optimization

lrs = st.floats(1e-6, 10.0)
factors = st.floats(0.01, 1.0)
epochs = st.integers(0, 200)

ALL = [
    constant(0.1),
    step_decay(0.1, drop=0.5, every=3),
    exponential(0.1, gamma=0.9),
    lr_decay_schedule(0.1, 0.95),
    cosine(0.1, total=10, lr_min=1e-3),
    linear_warmup(0.1, warmup=4),
    linear_warmup(0.1, warmup=4, after=cosine(0.1, total=6)),
]


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

def test_constant():
    s = constant(3e-4)
    assert [s(t) for t in (0, 1, 50)] == [3e-4, 3e-4, 3e-4]


def test_step_decay_by_hand():
    # Halve every 10 epochs: epochs 0-9 at 0.1, 10-19 at 0.05, 20-29 at 0.025.
    s = step_decay(0.1)
    for t, want in [(0, 0.1), (9, 0.1), (10, 0.05), (19, 0.05), (20, 0.025), (35, 0.0125)]:
        assert s(t) == pytest.approx(want, rel=1e-15), t


def test_exponential_by_hand():
    s = exponential(2.0, gamma=0.5)
    assert [s(t) for t in range(4)] == [2.0, 1.0, 0.5, 0.25]


def test_lr_decay_reproduces_cs231n_solver_loop():
    # CS231n's Solver: train an epoch at lr, then lr *= lr_decay; bit for bit.
    lr0, decay = 5e-3, 0.95
    s = lr_decay_schedule(lr0, decay)
    lr, expected = lr0, []
    for _ in range(60):
        expected.append(lr)
        lr *= decay
    assert [s(t) for t in range(60)] == expected
    assert [s(t) for t in reversed(range(60))] == expected[::-1]   # any order of calls
    assert s(40) == pytest.approx(lr0 * decay**40, rel=1e-13)


def test_lr_decay_one_is_constant():
    s = lr_decay_schedule(1e-3, 1.0)
    assert {s(t) for t in range(20)} == {1e-3}


def test_cosine_by_hand():
    # cos(0) = 1, cos(pi/2) = 0, cos(pi) = -1: lr0, the midpoint, lr_min.
    s = cosine(0.1, total=10, lr_min=0.02)
    assert s(0) == pytest.approx(0.1, rel=1e-15)
    assert s(5) == pytest.approx(0.06, rel=1e-14)
    assert s(10) == 0.02
    assert s(11) == s(1000) == 0.02


def test_cosine_default_ends_at_zero():
    s = cosine(1.0, total=4)
    # (1 + cos(pi/4)) / 2 = (2 + sqrt 2) / 4 at t = 1.
    assert s(1) == pytest.approx((2 + math.sqrt(2)) / 4, rel=1e-14)
    assert s(4) == 0.0


def test_linear_warmup_by_hand():
    s = linear_warmup(0.1, warmup=4)
    for t, want in [(0, 0.025), (1, 0.05), (2, 0.075), (3, 0.1), (4, 0.1), (99, 0.1)]:
        assert s(t) == pytest.approx(want, rel=1e-15), t


def test_linear_warmup_hands_over_shifted():
    after = step_decay(0.1, drop=0.5, every=2)
    s = linear_warmup(0.1, warmup=3, after=after)
    for k in range(10):
        assert s(3 + k) == after(k)
    assert s(3) == 0.1 and s(5) == 0.05


def test_linear_warmup_accepts_a_plain_callable():
    s = linear_warmup(1.0, warmup=2, after=lambda t: 1.0 / (t + 1))
    assert [s(t) for t in range(5)] == [0.5, 1.0, 1.0, 0.5, pytest.approx(1 / 3)]


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

@given(lr0=lrs, drop=factors, every=st.integers(1, 20), t=epochs)
def test_step_decay_closed_form_and_monotone(lr0, drop, every, t):
    s = step_decay(lr0, drop, every)
    assert s(t) == pytest.approx(lr0 * drop ** (t // every), rel=1e-12)
    assert s(t + 1) <= s(t)


@given(lr0=lrs, gamma=factors, t=epochs)
def test_exponential_monotone_and_ratio(lr0, gamma, t):
    s = exponential(lr0, gamma)
    assert s(t + 1) <= s(t)
    if s(t) > 1e-250:
        assert s(t + 1) / s(t) == pytest.approx(gamma, rel=1e-9)


@given(lr0=lrs, total=st.integers(1, 100), frac=st.floats(0.0, 1.0), t=epochs)
def test_cosine_monotone_bounded_symmetric(lr0, total, frac, t):
    lr_min = frac * lr0
    s = cosine(lr0, total, lr_min)
    assert s(0) == pytest.approx(lr0, rel=1e-15)
    assert s(total) == lr_min
    assert s(t + 1) <= s(t) + 1e-15 * lr0
    assert lr_min <= s(t) <= lr0
    # cos(pi - x) = -cos(x): rates at t and total - t add up to lr0 + lr_min.
    k = t % (total + 1)
    assert s(k) + s(total - k) == pytest.approx(lr0 + lr_min, rel=1e-12)


@given(lr0=lrs, warmup=st.integers(1, 30))
def test_warmup_is_linear(lr0, warmup):
    s = linear_warmup(lr0, warmup)
    rates = s.rates(warmup + 3)
    np.testing.assert_allclose(np.diff(rates[:warmup]), lr0 / warmup, rtol=1e-9)
    assert rates[0] == pytest.approx(lr0 / warmup, rel=1e-15)
    assert rates[warmup - 1] == pytest.approx(lr0, rel=1e-15)
    np.testing.assert_array_equal(rates[warmup:], lr0)


@pytest.mark.parametrize("s", ALL, ids=repr)
def test_rates_match_calls_and_are_positive_floats(s):
    rates = s.rates(25)
    assert rates.shape == (25,) and rates.dtype == np.float64
    assert list(rates) == [s(t) for t in range(25)]
    assert all(type(s(t)) is float for t in range(3))
    assert (rates >= 0).all()


@pytest.mark.parametrize("s", ALL, ids=repr)
def test_repr_reads_like_the_call(s):
    text = repr(s)
    assert text.startswith(s.name + "(") and "lr0=0.1" in text
    rebuilt = eval(text, vars(schedules))
    assert repr(rebuilt) == text
    assert list(rebuilt.rates(25)) == list(s.rates(25))


@pytest.mark.parametrize("s", ALL, ids=repr)
def test_schedules_pickle(s):
    # The Solver may save a schedule in a checkpoint.
    again = pickle.loads(pickle.dumps(s))
    assert list(again.rates(12)) == list(s.rates(12))


# ---------------------------------------------------------------------------
# apply_schedule with the update rules
# ---------------------------------------------------------------------------

def test_apply_schedule_sets_rate_and_keeps_state():
    config = {"learning_rate": 1.0, "momentum": 0.5, "velocity": np.ones(3)}
    lr = apply_schedule(config, step_decay(0.2, drop=0.5, every=1), 2)
    assert lr == config["learning_rate"] == pytest.approx(0.05, rel=1e-15)
    assert config["momentum"] == 0.5
    np.testing.assert_array_equal(config["velocity"], np.ones(3))


def test_schedule_drives_sgd():
    # With sgd, epoch t moves w by schedule(t) * dw.
    s = exponential(0.5, gamma=0.5)
    w, dw, config = np.array([1.0]), np.array([1.0]), {}
    for t in range(3):
        apply_schedule(config, s, t)
        w, config = optim.sgd(w, dw, config)
    assert w[0] == pytest.approx(1.0 - 0.5 - 0.25 - 0.125, rel=1e-15)


def test_cosine_to_zero_is_accepted_by_the_rules():
    config = {}
    apply_schedule(config, cosine(0.1, total=2), 2)
    assert config["learning_rate"] == 0.0
    next_w, _ = optim.adam(np.ones(2), np.ones(2), config)
    np.testing.assert_array_equal(next_w, np.ones(2))


def test_apply_schedule_errors():
    with pytest.raises(TypeError, match="optim_config"):
        apply_schedule(None, constant(0.1), 0)
    with pytest.raises(TypeError, match="schedule"):
        apply_schedule({}, 0.1, 0)
    with pytest.raises(ValueError, match="t: expected an int >= 0"):
        apply_schedule({}, constant(0.1), -1)
    with pytest.raises(ValueError, match=r"schedule\(0\)"):
        apply_schedule({}, lambda t: -0.1, 0)


# ---------------------------------------------------------------------------
# Bad arguments
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make, exc, name", [
    (lambda: constant(0.0), ValueError, "lr0"),
    (lambda: constant(-1e-3), ValueError, "lr0"),
    (lambda: constant("0.1"), TypeError, "lr0"),
    (lambda: step_decay(0.1, drop=0.0), ValueError, "drop"),
    (lambda: step_decay(0.1, drop=1.5), ValueError, "drop"),
    (lambda: step_decay(0.1, every=0), ValueError, "every"),
    (lambda: step_decay(0.1, every=2.5), TypeError, "every"),
    (lambda: exponential(0.1, gamma=1.01), ValueError, "gamma"),
    (lambda: exponential(0.1, gamma=float("nan")), ValueError, "gamma"),
    (lambda: lr_decay_schedule(0.1, 0.0), ValueError, "lr_decay"),
    (lambda: cosine(0.1, total=0), ValueError, "total"),
    (lambda: cosine(0.1, total=10, lr_min=-0.01), ValueError, "lr_min"),
    (lambda: cosine(0.1, total=10, lr_min=0.2), ValueError, "lr_min"),
    (lambda: linear_warmup(0.1, warmup=0), ValueError, "warmup"),
    (lambda: linear_warmup(0.1, warmup=True), TypeError, "warmup"),
    (lambda: linear_warmup(0.1, warmup=3, after=0.05), TypeError, "after"),
])
def test_bad_arguments(make, exc, name):
    with pytest.raises(exc, match=name):
        make()


@pytest.mark.parametrize("s", ALL, ids=repr)
def test_bad_epoch_index(s):
    with pytest.raises(ValueError, match="t: expected an int >= 0, got -1"):
        s(-1)
    for bad in (1.0, True, "2", None):
        with pytest.raises(TypeError, match="t: expected an int"):
            s(bad)
    assert s(np.int64(2)) == s(2)
