"""Hidden checks of assignment 05_optimization: update rules, the cosine schedule, concepts.

An update rule is run side by side with ``course.optim`` for a few steps on
fresh random weights and gradients (each rule feeding its own config back in,
as the Solver does); every step compares next_w and the state kept in config,
and the first step that differs ends the run. Alongside run the usual mistakes
(momentum sign, Adam's t incremented late, no bias correction, epsilon inside
the square root, RMSProp's decay weights swapped, ...), each on its own
trajectory: if one of them reproduces the student's numbers at the failing step,
the message names it. Messages never contain expected values.

Every entry's error is relative to the larger of its size and the size of the
terms behind it (``_magnitudes``): where a step nearly cancels the weight, or a
new gradient nearly cancels a moment, another correct order of the same
operations rounds differently by far more than the result's own precision.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from autograder.checks import concept, suite
from autograder.remote import type_name
from course import optim, schedules

TOL = 1e-8  # float64, same maths in a possibly different order
TOL32 = 1e-4  # float32 trajectories

STATE = {"sgd_momentum": ("velocity",), "rmsprop": ("cache",), "adam": ("m", "v", "t")}
DEFAULTS = {
    "sgd_momentum": {"learning_rate": 1e-2, "momentum": 0.9},
    "rmsprop": {"learning_rate": 1e-2, "decay_rate": 0.99, "epsilon": 1e-8},
    "adam": {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8},
}
REFERENCE = {"sgd_momentum": optim.sgd_momentum, "rmsprop": optim.rmsprop, "adam": optim.adam}
GENERIC = {
    "sgd_momentum": "compute v = momentum * v - learning_rate * dw first, then next_w = w + v",
    "rmsprop": "cache = decay_rate * cache + (1 - decay_rate) * dw**2, then "
               "next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)",
    "adam": "the order is t = t + 1; m; v; m_hat = m / (1 - beta1**t); "
            "v_hat = v / (1 - beta2**t); next_w = w - lr * m_hat / (sqrt(v_hat) + epsilon)",
}


# ---------------------------------------------------------------- the usual mistakes

def _cfg(config, name):
    """A copy of config with the defaults filled in and the state arrays copied."""
    c = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in config.items()}
    for k, v in DEFAULTS[name].items():
        c.setdefault(k, v)
    return c


def _momentum(uphill=False, add_old=False, lecture=False, store=True):
    def rule(w, dw, config):
        c = _cfg(config, "sgd_momentum")
        lr, mu = c["learning_rate"], c["momentum"]
        v_old = c.get("velocity", np.zeros_like(w))
        if lecture:  # the lecture's form: v = mu v + dw, w -= lr v
            v = mu * v_old + dw
            next_w = w - lr * v
        elif uphill:
            v = mu * v_old + lr * dw
            next_w = w + v
        else:
            v = mu * v_old - lr * dw
            next_w = w + (v_old if add_old else v)
        c["velocity"] = v if store else v_old
        return next_w, c
    return rule


def _momentum_flipped(w, dw, config):
    """v = mu v + lr dw stored, w - v: the right step, the velocity of the opposite sign."""
    c = _cfg(config, "sgd_momentum")
    v = c["momentum"] * c.get("velocity", np.zeros_like(w)) + c["learning_rate"] * dw
    c["velocity"] = v
    return w - v, c


def _rmsprop(swap=False, eps_in=False, no_sqrt=False, no_eps=False, adagrad=False, store=True):
    def rule(w, dw, config):
        c = _cfg(config, "rmsprop")
        lr, rho, eps = c["learning_rate"], c["decay_rate"], c["epsilon"]
        old = c.get("cache", np.zeros_like(w))
        if adagrad:
            cache = old + dw * dw
        elif swap:
            cache = (1 - rho) * old + rho * dw * dw
        else:
            cache = rho * old + (1 - rho) * dw * dw
        if eps_in:
            denom = np.sqrt(cache + eps)
        elif no_sqrt:
            denom = cache + eps
        elif no_eps:
            denom = np.sqrt(cache)
        else:
            denom = np.sqrt(cache) + eps
        c["cache"] = cache if store else old
        return w - lr * dw / denom, c
    return rule


def _adam(late=False, correct_m=True, correct_v=True, eps_in=False, eps_raw=False,
          no_eps=False, store_t=True, store_hat=False):
    def rule(w, dw, config):
        c = _cfg(config, "adam")
        lr, b1, b2, eps = c["learning_rate"], c["beta1"], c["beta2"], c["epsilon"]
        t_old = c.get("t", 0)
        t = t_old if late else t_old + 1
        m = b1 * c.get("m", np.zeros_like(w)) + (1 - b1) * dw
        v = b2 * c.get("v", np.zeros_like(w)) + (1 - b2) * dw * dw
        m_hat = m / (1 - b1**t) if correct_m else m
        v_hat = v / (1 - b2**t) if correct_v else v
        if eps_in:
            step = m_hat / np.sqrt(v_hat + eps)
        elif eps_raw:  # the Adam paper's "efficient" form: epsilon next to sqrt(v)
            step = m / (np.sqrt(v) + eps) * math.sqrt(1 - b2**t) / (1 - b1**t)
        elif no_eps:
            step = m_hat / np.sqrt(v_hat)
        else:
            step = m_hat / (np.sqrt(v_hat) + eps)
        c["m"], c["v"] = (m_hat, v_hat) if store_hat else (m, v)
        c["t"] = t_old + 1 if store_t else t_old
        return w - lr * step, c
    return rule


def _fixed(name, key):
    """The reference, except that config[key] is ignored in favour of its default."""
    def rule(w, dw, config):
        c = _cfg(config, name)
        c[key] = DEFAULTS[name][key]
        next_w, c = REFERENCE[name](w, dw, c)
        c[key] = config.get(key, DEFAULTS[name][key])
        return next_w, c
    return (rule, f"use config[{key!r}] instead of a fixed {DEFAULTS[name][key]}: fill in "
            f"defaults with config.setdefault, never overwrite what the caller set")


NO_EPS = ("a zero gradient gave 0 / 0: add epsilon to the denominator, "
          "(np.sqrt(...) + epsilon)")

MISTAKES = {
    "sgd_momentum": [
        (_momentum(uphill=True), "the step went uphill: the velocity must point against the "
         "gradient, v = momentum * v - learning_rate * dw, then next_w = w + v"),
        (_momentum_flipped, "config['velocity'] has the opposite sign: this course stores "
         "v = momentum * v - learning_rate * dw and adds it, next_w = w + v"),
        (_momentum(lecture=True), "config['velocity'] holds a running sum of gradients "
         "(v = momentum * v + dw); here the velocity is the step itself, "
         "v = momentum * v - learning_rate * dw"),
        (_momentum(add_old=True), "next_w used the old velocity: update v first, then add "
         "the new v to w"),
        (_momentum(store=False), "the new velocity was not stored: put it in "
         "config['velocity'] so the next step can build on it"),
        _fixed("sgd_momentum", "learning_rate"),
        _fixed("sgd_momentum", "momentum"),
    ],
    "rmsprop": [
        (_rmsprop(swap=True), "the decay weights are swapped: the old cache keeps the "
         "weight decay_rate (0.99) and dw**2 gets (1 - decay_rate)"),
        (_rmsprop(eps_in=True), "epsilon went inside the square root: divide by "
         "(np.sqrt(cache) + epsilon), which matters when gradients are tiny"),
        (_rmsprop(no_sqrt=True), "divide by the square root of the cache, not the cache"),
        (_rmsprop(adagrad=True), "that is AdaGrad (cache += dw**2); RMSProp keeps a leaky "
         "average, cache = decay_rate * cache + (1 - decay_rate) * dw**2"),
        (_rmsprop(store=False), "the new cache was not stored: put it in config['cache']"),
        (_rmsprop(no_eps=True), NO_EPS),
        _fixed("rmsprop", "learning_rate"),
        _fixed("rmsprop", "decay_rate"),
    ],
    "adam": [
        (_adam(late=True), "t is incremented too late: add 1 to t BEFORE the bias "
         "correction, so the first step uses t = 1"),
        (_adam(correct_m=False, correct_v=False), "no bias correction: divide m by "
         "(1 - beta1**t) and v by (1 - beta2**t) before the step"),
        (_adam(correct_m=False), "only v was bias-corrected: correct m as well, "
         "m_hat = m / (1 - beta1**t)"),
        (_adam(correct_v=False), "only m was bias-corrected: correct v as well, "
         "v_hat = v / (1 - beta2**t)"),
        (_adam(eps_in=True), "epsilon went inside the square root: divide by "
         "(np.sqrt(v_hat) + epsilon), which matters when gradients are tiny"),
        (_adam(eps_raw=True), "epsilon was added to sqrt(v) rather than to sqrt(v_hat): "
         "compute v_hat first, then divide by (np.sqrt(v_hat) + epsilon)"),
        (_adam(store_hat=True), "config holds the corrected m_hat, v_hat: store the raw "
         "moments m and v, and correct fresh copies at every step"),
        (_adam(store_t=False), "the step count was not stored: put the new t in config['t']"),
        (_adam(no_eps=True), NO_EPS),
        _fixed("adam", "learning_rate"),
        _fixed("adam", "beta1"),
        _fixed("adam", "beta2"),
    ],
}


def _distance(got, expected, scale=0.0) -> float:
    """The judge's largest relative error (``scale`` as in judge.close); inf where shapes
    or types differ.

    Entries that are inf or nan in both count as equal, so that a mistake that
    blows up is recognised by blowing up in the same places.
    """
    try:
        got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, np.float64)
    except (TypeError, ValueError):
        return math.inf
    if got.shape != expected.shape:
        return math.inf
    with np.errstate(all="ignore"):
        size = np.maximum(np.abs(got) + np.abs(expected), np.nan_to_num(scale, posinf=0.0))
        err = np.abs(got - expected) / np.maximum(1e-8, size)
        same = (got == expected) | (np.isnan(got) & np.isnan(expected))
    err = np.where(same, 0.0, err)
    err = np.where(np.isnan(err), math.inf, err)
    return float(err.max()) if err.size else 0.0


def _near(got, expected) -> bool:
    return _distance(got, expected) <= 1e-6


def _gap(name, step, other, sizes) -> float:
    """How far apart two steps (next_w, config) are: the largest distance of next_w and
    of the state, each entry against its error scale (``sizes``, see ``_magnitudes``)."""
    (w, c), (other_w, other_c), (w_abs, c_abs) = step, other, sizes
    return max([_distance(w, other_w, w_abs)] +
               [_distance(c[k], other_c[k], np.abs(c_abs[k])) for k in STATE[name]])


def _diagnose(name, tracks, got, ref, sizes, tol) -> str:
    """The hint of the mistake whose own trajectory comes closest to the student's step.

    A mistake is named only where it shows: where the reference's step differs from the
    mistake's by more than ``tol`` (the check tells them apart) and ten times more than the
    student's does. (Without epsilon, say, the step is the reference's up to rounding while
    the gradients are far above epsilon: a near miss is not told to add it.)
    """
    best, hint = 1e-6, GENERIC[name]
    if not all(k in got[1] for k in STATE[name]):
        return hint
    for (_, mistake_hint), track in zip(MISTAKES[name], tracks):
        if track[0] is None:
            continue
        gap = _gap(name, got, track, sizes)
        if gap < best and _gap(name, ref, track, sizes) > max(tol, 10 * gap):
            best, hint = gap, mistake_hint
    return hint


# ---------------------------------------------------------------- running a rule

def _shape(rng):
    return tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(1, 4))))


def _grad(rng, shape, kind="normal"):
    """Gradients of one kind: normal, mixed (magnitudes 1e-3..1e3 and exact zeros), tiny."""
    g = rng.standard_normal(shape)
    if kind == "mixed":
        g = g * 10.0 ** rng.integers(-3, 4, size=shape)
        g[rng.random(shape) < 0.2] = 0.0
        g.flat[int(rng.integers(g.size))] = 0.0  # at least one exact zero
    elif kind == "tiny":  # small enough that epsilon matters next to sqrt(cache)
        g = g * 10.0 ** rng.uniform(-8, -6, size=shape)
    return g


def _copy(config):
    return {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in config.items()}


def _call(judge, name, student, w, dw, config, label):
    """Call the student's rule; check the inputs survive and a pair comes back."""
    w_before, dw_before = w.copy(), dw.copy()
    before = len(judge.verdicts)
    with np.errstate(all="ignore"):
        out = judge.call(f"{name}(w, dw, config){label}", student, w, dw, config)
    if len(judge.verdicts) > before:  # it raised
        if name == "adam" and "division by zero" in judge.verdicts[-1].message:
            judge.verdicts[-1].message += "; " + MISTAKES["adam"][0][1]
        return None
    judge.unmodified(f"w{label}", w_before, w)
    judge.unmodified(f"dw{label}", dw_before, dw)
    if not (isinstance(out, (tuple, list)) and len(out) == 2 and isinstance(out[1], dict)):
        judge.record(f"return{label}", False, f"{name}{label} should return a pair "
                     f"(next_w, config) with config a dict, got {type_name(out)}")
        return None
    return out


def _close(judge, what, got, expected, tol, hint, scale=None) -> bool:
    """judge.close, with the hint added to every kind of failure (nan, shape, type too)."""
    with np.errstate(all="ignore"):
        ok = judge.close(what, got, expected, tol=tol, hint=hint, scale=scale)
    if not ok and hint and hint not in judge.verdicts[-1].message:
        judge.verdicts[-1].message += f"; {hint}"
    return ok


def _compare(judge, name, label, got_w, got_cfg, ref_w, ref_cfg, sizes, tol, hint) -> bool:
    """next_w (values and dtype) and every state key in config against the reference,
    each entry against its error scale (``sizes``, see ``_magnitudes``)."""
    w_abs, c_abs = sizes
    ok = _close(judge, f"next_w{label}", got_w, ref_w, tol, hint, w_abs)
    if ok and not judge.dtype(f"next_w{label}", got_w, ref_w.dtype):
        judge.verdicts[-1].message += ("; keep w's dtype: create the state with "
                                       "np.zeros_like(w), not np.zeros(w.shape)")
        ok = False
    for key in STATE[name]:
        if key not in got_cfg:
            judge.record(f"config[{key!r}]{label}", False, f"config[{key!r}] is missing "
                         f"after the step{label}: store it so the next step can use it")
            return False
        if key == "t":
            t = got_cfg["t"]
            good = isinstance(t, numbers.Real) and not isinstance(t, bool) and t == ref_cfg["t"]
            ok &= judge.record(f"config['t']{label}", good, f"config['t']{label} does not "
                               f"count the steps taken; {hint}")
        else:
            ok &= _close(judge, f"config[{key!r}]{label}", got_cfg[key], ref_cfg[key], tol,
                         hint, np.abs(c_abs[key]))
    return bool(ok)


def _safe(rule, w, dw, c):
    """One step of a mistake; (None, None) once that mistake cannot go on."""
    if w is None:
        return None, None
    try:
        with np.errstate(all="ignore"):
            return rule(w, dw, c)
    except (ArithmeticError, ValueError, TypeError):
        return None, None


def _magnitudes(name, w0, config0):
    """The start of the reference run on magnitudes, which gives every entry's error scale.

    Fed |w0|, the state's magnitudes and -|dw|, the reference adds up the sizes of the
    terms behind each entry instead of the terms: mu |v| + lr |dw| for the velocity,
    |w| + the step's size for next_w. Adam's m starts at -|m| so that its terms share
    the sign of -|dw|. In float64, so that the scales themselves do not round.
    """
    config = None if config0 is None else {
        k: (np.abs(v).astype(np.float64) if isinstance(v, np.ndarray) else v)
        for k, v in config0.items()}
    if name == "adam" and config is not None and "m" in config:
        config["m"] = -config["m"]
    return np.abs(w0).astype(np.float64), config


def _trajectory(judge, name, student, w0, grads, config0, tol=TOL, what=""):
    """Run student, reference and every mistake from (w0, config0) over grads, side by side.

    Each keeps its own weights and config (as the Solver does); the first step
    where the student differs from the reference ends the run. config0 None is
    passed on as None. Returns the student's last config, or None if a step failed.
    """
    start = {} if config0 is None else config0
    w_ref, c_ref = w0.copy(), None if config0 is None else _copy(start)
    w_stu, c_stu = w0.copy(), None if config0 is None else _copy(start)
    tracks = [(w0.copy(), _copy(start)) for _ in MISTAKES[name]]
    sizes = _magnitudes(name, w0, config0)
    for k, dw in enumerate(grads):
        label = f" at step {k + 1} of {len(grads)}{what}" if len(grads) > 1 else what
        out = _call(judge, name, student, w_stu, dw.copy(), c_stu, label)
        if out is None:
            return None
        w_ref, c_ref = REFERENCE[name](w_ref, dw, c_ref)
        sizes = REFERENCE[name](sizes[0], -np.abs(dw).astype(np.float64), sizes[1])
        tracks = [_safe(rule, w, dw, c) for (rule, _), (w, c) in zip(MISTAKES[name], tracks)]
        w_stu, c_stu = out
        hint = _diagnose(name, tracks, (w_stu, c_stu), (w_ref, c_ref), sizes, tol)
        if not _compare(judge, name, label, w_stu, c_stu, w_ref, c_ref, sizes, tol, hint):
            return None
    return c_stu


def _hyper(rng, name):
    """Random hyperparameters, so that hard-coded constants show."""
    lr = float(10.0 ** rng.uniform(-4, -1))
    if name == "sgd_momentum":
        return {"learning_rate": lr, "momentum": float(rng.uniform(0.5, 0.99))}
    if name == "rmsprop":
        return {"learning_rate": lr, "decay_rate": float(rng.uniform(0.9, 0.999))}
    return {"learning_rate": lr, "beta1": float(rng.uniform(0.8, 0.95)),
            "beta2": float(rng.uniform(0.99, 0.9999))}


def _random_state(rng, name, shape, dtype):
    """A state part-way through training (so t > 0 and nonzero moments for Adam)."""
    if name == "sgd_momentum":
        state = {"velocity": 0.1 * rng.standard_normal(shape)}
    elif name == "rmsprop":
        state = {"cache": rng.random(shape) ** 2}
    else:
        state = {"m": 0.1 * rng.standard_normal(shape), "v": 0.01 * rng.random(shape) ** 2,
                 "t": int(rng.integers(1, 50))}
    return {k: (v.astype(dtype) if isinstance(v, np.ndarray) else v) for k, v in state.items()}


def _check_defaults(judge, name, student, rng):
    """config=None fills in every default; a learning_rate passed in is kept."""
    shape = _shape(rng)
    w = rng.standard_normal(shape)
    config = _trajectory(judge, name, student, w, [_grad(rng, shape, "mixed")], None,
                         what=" with config=None")
    if config is not None:
        for key, value in DEFAULTS[name].items():
            got = config.get(key)
            judge.record(f"default {key}", isinstance(got, numbers.Real) and got == value,
                         f"with config=None, config[{key!r}] should default to {value} "
                         f"(fill it in with config.setdefault), got {got!r:.40}")
    lr = float(10.0 ** rng.uniform(-4, -1))
    config = _trajectory(judge, name, student, w, [_grad(rng, shape, "mixed")],
                         {"learning_rate": lr}, what=" with only learning_rate in config")
    if config is not None:
        judge.record("learning_rate kept", config.get("learning_rate") == lr,
                     "a learning_rate passed in config was replaced: fill in defaults with "
                     "config.setdefault, never overwrite what the caller set")


def _rule_suite(name, student, rng, judge, cases):
    """The defaults, then one trajectory per (kind of gradients, steps, start state)."""
    _check_defaults(judge, name, student, rng)
    for kind, steps, start in cases:
        shape = _shape(rng)
        dtype = np.float32 if kind == "float32" else np.float64
        w0 = rng.standard_normal(shape).astype(dtype)
        grads = [_grad(rng, shape, "normal" if kind == "float32" else kind).astype(dtype)
                 for _ in range(steps)]
        config = _hyper(rng, name)
        if start == "random":
            config.update(_random_state(rng, name, shape, dtype))
        what = f" ({kind} gradients, {start} initial state)"
        _trajectory(judge, name, student, w0, grads, config,
                    tol=TOL32 if dtype == np.float32 else TOL, what=what)


# ---------------------------------------------------------------- the update-rule suites

@suite("sgd_momentum")
def _(student, rng, judge):
    _rule_suite("sgd_momentum", student, rng, judge,
                [("normal", 5, "zero"), ("mixed", 4, "random"), ("float32", 3, "zero")])


@suite("rmsprop")
def _(student, rng, judge):
    _rule_suite("rmsprop", student, rng, judge,
                [("normal", 5, "zero"), ("tiny", 3, "zero"), ("mixed", 4, "random"),
                 ("float32", 3, "zero")])


@suite("adam_first_step")
def _(student, rng, judge):
    """The first step from a fresh config: t becomes 1, bias correction, epsilon."""
    _check_defaults(judge, "adam", student, rng)
    for kind in ("normal", "tiny", "mixed", "float32"):
        shape = _shape(rng)
        dtype = np.float32 if kind == "float32" else np.float64
        config = {} if kind in ("normal", "float32") else _hyper(rng, "adam")
        grads = [_grad(rng, shape, "normal" if kind == "float32" else kind).astype(dtype)]
        _trajectory(judge, "adam", student, rng.standard_normal(shape).astype(dtype), grads,
                    config, tol=TOL32 if dtype == np.float32 else TOL,
                    what=f" ({kind} gradients, zero initial state)")


@suite("adam_many_steps")
def _(student, rng, judge):
    """Several steps: the state carried from call to call, and starts from t > 0."""
    _rule_suite("adam", student, rng, judge,
                [("normal", 6, "zero"), ("mixed", 4, "random"), ("tiny", 4, "zero"),
                 ("normal", 3, "random"), ("float32", 3, "random")])


# ---------------------------------------------------------------- the cosine schedule

def _cosine_mistakes(lr0, total, t, lr_min):
    c = math.cos(math.pi * t / total)
    clamp = min(t, total)
    return [
        (lr_min + 0.5 * (lr0 - lr_min) * (1 + c), "for t >= total the rate should stay at "
         "lr_min; the cosine must not rise again"),
        (0.5 * lr0 * (1 + math.cos(math.pi * clamp / total)), "lr_min was ignored: the "
         "curve goes from lr0 down to lr_min, lr_min + (lr0 - lr_min) * (1 + cos) / 2"),
        (lr_min + (lr0 - lr_min) * math.cos(math.pi * clamp / total), "the rate went "
         "negative: use (1 + cos(pi t / total)) / 2, which runs from 1 down to 0"),
        (lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * clamp / total)), "the rate "
         "starts at twice lr0: halve (1 + cos(pi t / total))"),
        (lr_min + 0.5 * (lr0 - lr_min) * (1 + math.cos(math.pi * min(t, total - 1)
                                                       / max(total - 1, 1))),
         "divide t by total (not total - 1): the rate reaches lr_min at t = total"),
    ]


@suite("cosine_schedule")
def _(student, rng, judge):
    for with_min in (False, True):
        lr0 = float(10.0 ** rng.uniform(-4, 0))
        total = int(rng.integers(2, 60))
        lr_min = float(lr0 * rng.uniform(0.01, 0.5)) if with_min else 0.0
        ts = sorted({0, 1, total // 2, total - 1, total, total + int(rng.integers(1, 10)),
                     *rng.integers(0, total, size=4).tolist()})
        reference = schedules.cosine(lr0, total, lr_min)
        for t in ts:
            args = f"cosine_schedule({lr0:.3g}, {total}, t={t}"
            args += f", lr_min={lr_min:.3g})" if with_min else ")"
            kwargs = {"lr_min": lr_min} if with_min else {}
            t_in = np.int64(t) if t % 2 else t  # schedules may be fed numpy ints
            before = len(judge.verdicts)
            got = judge.call(args, student, lr0, total, t_in, **kwargs)
            if len(judge.verdicts) > before:  # it raised
                break
            hint = next((h for v, h in _cosine_mistakes(lr0, total, t, lr_min)
                         if got is not None and _near(got, v)),
                        "lr_min + (lr0 - lr_min) * (1 + cos(pi * t / total)) / 2 for "
                        "t < total, lr_min afterwards")
            if not _close(judge, args, got, reference(t), 1e-9, hint):
                break


# ---------------------------------------------------------------- concept checks


concept("q1_batch_noise", "not right: look at the slope of the noise plot on log-log axes",
         2, (1, 2, 4, 16))
concept("q2_first_step", "not the right optimizer: write down the first step of each "
         "rule from a zero state and compare its size with learning_rate",
         "adam", ("sgd", "sgd_momentum", "rmsprop", "adam"))
concept("q3_saddle", "not right: think of what the velocity holds when the gradient "
         "becomes zero", "b", ("a", "b", "c"))
concept("q4_learning_rate", "not right: compare with the curves of the learning-rate "
         "demonstration", "too_high", ("too_high", "too_low", "good"))
