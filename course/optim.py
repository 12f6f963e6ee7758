"""First-order update rules, in the CS231n form.

Every rule has the signature::

    next_w, config = update(w, dw, config=None)

Inputs:
- w: array of any shape, the current weights.
- dw: array of w's shape, the gradient of the loss with respect to w.
- config: dict of hyperparameters and of the rule's state between steps
  (velocity, moving averages, step count). ``None`` starts a new dict with
  the defaults; a dict passed in is filled in with ``setdefault``, updated
  with the new state and returned, so the caller keeps passing it back.

Returns:
- next_w: a new array of w's shape and dtype (w and dw are never modified,
  and neither are the state arrays found in config: new ones replace them).
- config: the same dict, holding the state for the next step.

Keys a rule does not know are left alone. A learning rate of 0 is accepted
(the step is then zero), so that a schedule annealing to 0 can drive a rule.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from course import _checks


def _start(w, dw, config):
    """Check w, dw and config; return them as arrays and a dict."""
    w = _checks.float_array("w", w)
    dw = _checks.same_shape("dw", dw, w.shape, "w")
    if config is None:
        config = {}
    elif not isinstance(config, dict):
        raise TypeError(f"config: expected a dict or None, got {type(config).__name__}")
    return w, dw, config


def _learning_rate(config) -> float:
    return _checks.positive("config['learning_rate']", config["learning_rate"],
                            allow_zero=True)


def _fraction(config, key) -> float:
    """A decay factor such as momentum or beta1: a number in [0, 1)."""
    value = _checks.positive(f"config[{key!r}]", config[key], allow_zero=True)
    if value >= 1:
        raise ValueError(f"config[{key!r}]: expected a number in [0, 1), got {value}")
    return value


def _state(config, key, w):
    """The state array config[key] (zeros like w on the first step), checked against w."""
    value = config.setdefault(key, np.zeros_like(w))
    return _checks.same_shape(f"config[{key!r}]", value, w.shape, "w")


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: w - learning_rate * dw.

    config: learning_rate (default 1e-2).
    """
    w, dw, config = _start(w, dw, config)
    config.setdefault("learning_rate", 1e-2)
    lr = _learning_rate(config)

    next_w = w - lr * dw
    return next_w.astype(w.dtype, copy=False), config


def sgd_momentum(w, dw, config=None):
    """SGD with momentum: the velocity v keeps a running sum of past steps.

        v = momentum * v - learning_rate * dw
        next_w = w + v

    config: learning_rate (1e-2), momentum (0.9, in [0, 1)), velocity
    (array of w's shape, zeros at first).
    """
    w, dw, config = _start(w, dw, config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    lr = _learning_rate(config)
    mu = _fraction(config, "momentum")
    v = _state(config, "velocity", w)

    v = (mu * v - lr * dw).astype(w.dtype, copy=False)
    next_w = (w + v).astype(w.dtype, copy=False)
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: divide the step by a moving average of squared gradients.

        cache = decay_rate * cache + (1 - decay_rate) * dw**2
        next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)

    config: learning_rate (1e-2), decay_rate (0.99, in [0, 1)),
    epsilon (1e-8, > 0), cache (array of w's shape, zeros at first).
    """
    w, dw, config = _start(w, dw, config)
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    lr = _learning_rate(config)
    rho = _fraction(config, "decay_rate")
    eps = _checks.positive("config['epsilon']", config["epsilon"])
    cache = _state(config, "cache", w)

    cache = (rho * cache + (1 - rho) * dw * dw).astype(w.dtype, copy=False)
    next_w = (w - lr * dw / (np.sqrt(cache) + eps)).astype(w.dtype, copy=False)
    config["cache"] = cache
    return next_w, config


def adam(w, dw, config=None):
    """Adam: momentum (first moment m) plus RMSProp (second moment v), bias-corrected.

        t = t + 1                                  (before it is used)
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        next_w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    config: learning_rate (1e-3), beta1 (0.9), beta2 (0.999), both in [0, 1),
    epsilon (1e-8, > 0), m and v (arrays of w's shape, zeros at first),
    t (the number of steps taken so far, an int >= 0, 0 at first).
    """
    w, dw, config = _start(w, dw, config)
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("t", 0)
    lr = _learning_rate(config)
    beta1 = _fraction(config, "beta1")
    beta2 = _fraction(config, "beta2")
    eps = _checks.positive("config['epsilon']", config["epsilon"])
    m = _state(config, "m", w)
    v = _state(config, "v", w)
    t = config["t"]
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"config['t']: expected the step count, an int, got {t!r}")
    if t < 0:
        raise ValueError(f"config['t']: expected the step count, an int >= 0, got {t}")

    t = int(t) + 1
    # Besides the new m and v, one new array, ``step``, holds every intermediate
    # result and becomes next_w: on large weights, making new arrays is much of
    # the time a step takes. The arrays in config are never written to.
    step = np.empty_like(w)
    np.multiply(1 - beta1, dw, out=step)
    m = beta1 * m + step  # m = beta1 * m + (1 - beta1) * dw
    np.multiply(dw, dw, out=step)  # dw read once, not twice as in (1 - beta2) * dw * dw
    step *= 1 - beta2
    v = beta2 * v + step  # v = beta2 * v + (1 - beta2) * dw**2
    m, v = m.astype(w.dtype, copy=False), v.astype(w.dtype, copy=False)
    # m and v start at zero, so early on both underestimate the true moments;
    # v's shortfall (under a square root) dominates, and without the correction
    # the first steps would be about 3x too large (sqrt(1 - beta2) / (1 - beta1)).
    # With m_hat = m / c1 and v_hat = v / c2**2 (c1 = 1 - beta1**t, c2 = sqrt(1 - beta2**t)),
    #     learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    #         = (learning_rate * c2 / c1) * m / (sqrt(v) + epsilon * c2):
    # the corrections are two numbers, folded into the step size and epsilon
    # (the order of computation the Adam paper suggests, Kingma & Ba, section 2),
    # which saves a pass over the arrays, and a division. next_w is built in step:
    c1, c2 = 1 - beta1**t, math.sqrt(1 - beta2**t)
    np.sqrt(v, out=step)
    step += eps * c2
    np.divide(m, step, out=step)
    step *= lr * c2 / c1
    next_w = np.subtract(w, step, out=step)
    config["m"], config["v"], config["t"] = m, v, t
    return next_w, config


UPDATE_RULES = {
    "sgd": sgd,
    "sgd_momentum": sgd_momentum,
    "rmsprop": rmsprop,
    "adam": adam,
}


def get_update_rule(name_or_callable):
    """Return the update rule called ``name_or_callable``, or the callable itself.

    Inputs:
    - name_or_callable: a key of UPDATE_RULES ("sgd", "sgd_momentum",
      "rmsprop", "adam") or a function update(w, dw, config) -> (next_w, config).
    """
    if isinstance(name_or_callable, str):
        try:
            return UPDATE_RULES[name_or_callable]
        except KeyError:
            valid = ", ".join(repr(k) for k in UPDATE_RULES)
            raise ValueError(f"update_rule: unknown name {name_or_callable!r}; "
                             f"expected one of {valid} or a callable") from None
    if callable(name_or_callable):
        return name_or_callable
    raise TypeError(f"update_rule: expected a rule name (str) or a callable, "
                    f"got {type(name_or_callable).__name__}")
