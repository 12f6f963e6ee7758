"""Hidden checks of assignment 02_activations: seven activation layers, stability, concepts.

The student writes each activation as a CS231n layer pair,
``<name>_forward(x[, alpha]) -> (out, cache)`` and ``<name>_backward(dout, cache) -> dx``,
with the cache the notebook's docstrings fix (the one of ``course.layers``,
except GELU, whose student version has no ``approximate`` and caches ``x``):

    relu, silu, gelu: cache = x        leaky_relu, elu: cache = (x, alpha)
    sigmoid, tanh: cache = out

Suites ``<name>_forward`` and ``<name>_backward`` draw fresh shapes (one to
four dims, N = 1 among them), hard inputs (exact zeros at the kinks, +-1e3
for relu, leaky_relu and tanh), a non-default alpha and float32 inputs, and
compare with ``course.layers`` (itself tested against centered differences).
The backward suites hand the student's backward the cache of the contract, so
forward and backward earn their points independently. Suites ``<name>_stable``
(sigmoid, silu, gelu, elu) take the pair ``(forward, backward)`` and run it at
|x| up to a few thousand, in float64 and float32.

Where an answer is wrong, the usual mistakes are replayed on the same input;
if one reproduces the student's numbers, the message names it. Every call of
student code runs with numpy's overflow, divide and invalid warnings recorded:
a warning is a failed check (nbgrader scores any stderr output as 0).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from autograder.checks import suite
from autograder.checks.judge import diagnose, unpack
from course import layers as ref

TOL = 1e-7    # float64, against the reference
TOL32 = 1e-4  # float32 inputs, against the reference computed in float64 ...
ATOL32 = 1e-6  # ... or absolutely, near 0

FORGOT_DOUT = ("the local gradient was not multiplied by the upstream gradient dout "
               "(downstream = local gradient * upstream)")
DTYPE_HINT = ("keep the input's dtype: a float64 array or constant (mask.astype(float), "
              "np.ones(shape), np.sqrt(2)) promotes float32 arrays; multiply by a boolean "
              "mask directly, use Python floats, or cast back with .astype(x.dtype)")


# ---------------------------------------------------------------- calling student code






def _close(judge, what, got, expected, float32=False, mistakes=(), default="", nonfinite=""):
    """judge.close, with the named mistake (if one matches) or a default hint.

    float32 results carry about 7 digits: they pass at relative error TOL32, or
    within ATOL32 of a value near 0 (1 - s is exactly 0 once s rounds to 1).
    """
    usable = (type(got) is np.ndarray and got.dtype.kind == "f"
              and got.shape == np.shape(expected))
    if usable and nonfinite and not np.all(np.isfinite(got)):
        return judge.record(what, False, f"{what}: contains inf or nan; {nonfinite}")
    hint = diagnose(got, expected, mistakes, default)
    if not (float32 and usable and np.all(np.isfinite(got))):
        return judge.close(what, got, expected, tol=TOL32 if float32 else TOL, hint=hint)
    got64, exp64 = got.astype(np.float64), np.asarray(expected, dtype=np.float64)
    diff = np.abs(got64 - exp64)
    ok = diff <= np.maximum(ATOL32, TOL32 * (np.abs(got64) + np.abs(exp64)))
    worst = float(diff.max()) if diff.size else 0.0
    return judge.record(what, bool(ok.all()),
                        f"{what}: off by up to {worst:.1e} (allowed: relative error {TOL32:g}, "
                        f"or {ATOL32:g} near 0)" + (f"; {hint}" if hint else ""))


def _dtype(judge, what, got, dtype):
    got_dtype = getattr(got, "dtype", None)
    return judge.record(what, got_dtype == np.dtype(dtype),
                        f"{what}: {np.dtype(dtype)} inputs gave dtype {got_dtype}; {DTYPE_HINT}")


# ---------------------------------------------------------------- the activations

def _sig(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def _phi(x):
    """Standard normal density (0 beyond |x| = 40, where it underflows anyway)."""
    xc = np.clip(x, -40, 40)
    return np.exp(-0.5 * xc * xc) / np.sqrt(2 * np.pi)


def _Phi(x):
    return 0.5 * (1 + erf(x / np.sqrt(2)))


def _gelu_tanh(x):
    xc = np.clip(x, -40, 40)
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (xc + 0.044715 * xc**3)))


def _gelu_tanh_grad(x):
    _, cache = ref.gelu_forward(x, approximate="tanh")
    return ref.gelu_backward(np.ones_like(x), cache)


@dataclass(frozen=True)
class Activation:
    """What the suites need to know of one activation's student contract."""

    name: str
    alpha: float | None  # the default alpha, None if the layer has none
    cache: str           # what forward returns as cache: "x", "x_alpha" or "out"
    large: bool          # +-1e3 among the inputs of the forward and backward suites
    forward_hint: str
    backward_hint: str
    warn_hint: str = ""  # what to say if numpy warns (an overflow) in forward or backward

    def ref_forward(self, x, alpha=None):
        """Reference output, in float64."""
        x = np.asarray(x, dtype=np.float64)
        fwd = ref.ACTIVATIONS[self.name][0]
        return (fwd(x) if self.alpha is None else fwd(x, self._alpha(alpha)))[0]

    def ref_backward(self, dout, x, alpha=None):
        """Reference dx in float64, from the cache the student's backward receives.

        For sigmoid and tanh that is the output in x's dtype: in float32, 1 - s is
        exactly 0 once s rounds to 1, and the student cannot know better.
        """
        fwd, bwd = ref.ACTIVATIONS[self.name]
        dout = np.asarray(dout, dtype=np.float64)
        if self.cache == "out":
            return bwd(dout, self.contract_cache(x).astype(np.float64))
        x = np.asarray(x, dtype=np.float64)
        _, cache = fwd(x) if self.alpha is None else fwd(x, self._alpha(alpha))
        return bwd(dout, cache)

    def contract_cache(self, x, alpha=None):
        """The cache the student's backward receives, built as the docstring says."""
        if self.cache == "x":
            return x
        if self.cache == "x_alpha":
            return (x, self._alpha(alpha))
        return self.ref_forward(x).astype(x.dtype)

    def _alpha(self, alpha):
        return self.alpha if alpha is None else alpha


STABLE_HINTS = {
    "sigmoid": "1 / (1 + exp(-x)) overflows for x < -709 in float64 (x < -88 in float32); "
               "compute it from z = exp(-|x|), which lies in (0, 1]: 1 / (1 + z) for x >= 0, "
               "z / (1 + z) for x < 0 (np.where evaluates both branches, so both must be safe)",
    "silu": "x * sigmoid(x) needs a sigmoid that does not overflow: build it from "
            "z = exp(-|x|) (np.where evaluates both branches, so both must be safe)",
    "elu": "np.where(x > 0, x, alpha * (np.exp(x) - 1)) still computes exp(x) for large "
           "positive x (np.where evaluates both branches): give exp only x <= 0, e.g. "
           "np.exp(np.minimum(x, 0)) or np.expm1(np.minimum(x, 0))",
    "gelu": "the exact form needs no exp of a large number: Phi(x) = 0.5 * (1 + erf(x / sqrt(2))) "
            "and phi(x) = exp(-x**2 / 2) / sqrt(2 pi), whose exp only underflows (silently) to 0",
}

TANH_HINT = ("(exp(x) - exp(-x)) / (exp(x) + exp(-x)) overflows for |x| > 709 (88 in float32); "
             "np.tanh is stable for every x")

ACTS = {
    "relu": Activation(
        "relu", None, "x", large=True,
        forward_hint="out = max(0, x) elementwise (np.maximum(x, 0))",
        backward_hint="dx = dout where x > 0 and 0 elsewhere, including at exactly x = 0"),
    "leaky_relu": Activation(
        "leaky_relu", 0.01, "x_alpha", large=True,
        forward_hint="out = x where x > 0, alpha * x elsewhere",
        backward_hint="dx = dout where x > 0, alpha * dout elsewhere (alpha also at x = 0)"),
    "elu": Activation(
        "elu", 1.0, "x_alpha", large=False,
        forward_hint="out = x where x > 0, alpha * (exp(x) - 1) elsewhere",
        backward_hint="dx = dout where x > 0, dout * alpha * exp(x) elsewhere",
        warn_hint=STABLE_HINTS["elu"]),
    "gelu": Activation(
        "gelu", None, "x", large=False,
        forward_hint="out = x * Phi(x) with Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))",
        backward_hint="dx = dout * (Phi(x) + x * phi(x)), phi(x) = exp(-x**2 / 2) / sqrt(2 pi)",
        warn_hint=STABLE_HINTS["gelu"]),
    "silu": Activation(
        "silu", None, "x", large=False,
        forward_hint="out = x * sigmoid(x)",
        backward_hint="dx = dout * s * (1 + x * (1 - s)) with s = sigmoid(x)",
        warn_hint=STABLE_HINTS["silu"]),
    "sigmoid": Activation(
        "sigmoid", None, "out", large=False,
        forward_hint="out = 1 / (1 + exp(-x))",
        backward_hint="the cache holds s = sigmoid(x): dx = dout * s * (1 - s)",
        warn_hint=STABLE_HINTS["sigmoid"]),
    "tanh": Activation(
        "tanh", None, "out", large=True,
        forward_hint="out = tanh(x) (np.tanh)",
        backward_hint="the cache holds t = tanh(x): dx = dout * (1 - t**2)",
        warn_hint=TANH_HINT),
}


def _forward_mistakes(name, x, alpha):
    """(output of a usual mistake, what the mistake is) for the forward of ``name``."""
    x = np.asarray(x, dtype=np.float64)
    if name == "relu":
        return [(np.minimum(x, 0), "this keeps the negative part: ReLU is max(0, x)"),
                ((x > 0).astype(float), "this is the mask (x > 0), not max(0, x)")]
    if name == "leaky_relu":
        return [(np.where(x > 0, x, 0.01 * x), "alpha is ignored: use the alpha argument "
                 "instead of a fixed 0.01"),
                (np.maximum(x, 0), "negative inputs give alpha * x, not 0"),
                (np.where(x > 0, x, alpha), "negative inputs give alpha * x, not alpha")]
    if name == "elu":
        return [(np.where(x > 0, x, np.expm1(np.minimum(x, 0))), "alpha is ignored: use "
                 "the alpha argument instead of a fixed 1.0"),
                (np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0))),
                 "the -1 is missing: alpha * (exp(x) - 1) for x <= 0")]
    if name == "gelu":
        return [(_gelu_tanh(x), "this is the tanh approximation of GELU; the graded form is "
                 "the exact x * Phi(x) with Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))"),
                (x * _sig(1.702 * x), "x * sigmoid(1.702 x) is an approximation; use erf"),
                (0.5 * x * (1 + erf(x)), "erf needs x / sqrt(2): "
                 "Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))"),
                (_Phi(x), "this is Phi(x) alone: GELU is x * Phi(x)")]
    if name == "silu":
        return [(_sig(x), "this is sigmoid(x) alone: SiLU is x * sigmoid(x)"),
                (x * _sig(-x), "sign error: sigmoid(x) = 1 / (1 + exp(-x))")]
    if name == "sigmoid":
        return [(_sig(-x), "sign error: sigmoid(x) = 1 / (1 + exp(-x)), minus in the exponent"),
                (np.exp(-x), "the 1 / (1 + ...) is missing")]
    if name == "tanh":
        return [(1 - np.tanh(x) ** 2, "this is tanh's derivative, not tanh")]
    return []


def _backward_mistakes(name, dout, x, alpha):
    """(dx of a usual mistake, what the mistake is) for the backward of ``name``."""
    x = np.asarray(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    act = ACTS[name]
    local = act.ref_backward(np.ones_like(x), x, alpha)
    found = []
    if name == "relu":
        found = [(dout * (x >= 0), "the gradient at exactly x = 0 was taken as 1 (x >= 0); "
                  "it must be 0: use x > 0"),
                 (dout * (x < 0), "the mask is the wrong way round: dx = dout where x > 0")]
    elif name == "leaky_relu":
        found = [(dout * np.where(x >= 0, 1, alpha), "at exactly x = 0 the gradient must be "
                  "alpha (the slope-1 branch is x > 0, not x >= 0)"),
                 (dout * np.where(x > 0, 1, 0.01), "alpha is ignored: take it from the cache"),
                 (dout * (x > 0), "negative inputs have slope alpha, not 0")]
    elif name == "elu":
        e = np.exp(np.minimum(x, 0))
        found = [(dout * np.where(x > 0, 1, alpha * (e - 1)), "alpha * (exp(x) - 1) is the "
                  "output, not the gradient: the derivative is alpha * exp(x)"),
                 (dout * np.where(x > 0, 1, e), "alpha is ignored: take it from the cache"),
                 (dout * np.where(x >= 0, 1, alpha * e), "at exactly x = 0 the gradient must "
                  "be alpha * exp(0) = alpha (the slope-1 branch is x > 0, not x >= 0)")]
    elif name == "gelu":
        found = [(dout * _Phi(x), "the x * phi(x) term of the product rule is missing: "
                  "d/dx [x Phi(x)] = Phi(x) + x phi(x)"),
                 (dout * (_Phi(x) + x * np.exp(-0.5 * np.clip(x, -40, 40) ** 2)),
                  "phi(x) needs the factor 1 / sqrt(2 pi)"),
                 (dout * _gelu_tanh_grad(x), "this is the derivative of the tanh approximation; "
                  "differentiate the exact form x * Phi(x)"),
                 (dout * x * _phi(x), "the Phi(x) term of the product rule is missing")]
    elif name == "silu":
        s = _sig(x)
        found = [(dout * s, "the product rule is missing: d/dx [x s(x)] = s + x s (1 - s)"),
                 (dout * s * (1 - s), "this is the sigmoid's gradient; SiLU = x * sigmoid(x) "
                  "needs the product rule")]
    elif name == "sigmoid":
        s = act.ref_forward(x)  # the cache
        found = [(dout * _sig(s) * (1 - _sig(s)), "the cache was used as if it were x: it holds "
                  "the output s = sigmoid(x), so the local gradient is s * (1 - s)"),
                 (dout * s, "the (1 - s) factor is missing: the local gradient is s * (1 - s)"),
                 (dout * (1 - s), "the s factor is missing: the local gradient is s * (1 - s)")]
    elif name == "tanh":
        t = np.tanh(x)  # the cache
        found = [(dout * (1 - np.tanh(t) ** 2), "the cache was used as if it were x: it holds "
                  "the output t = tanh(x), so the local gradient is 1 - t**2"),
                 (dout * (1 - t), "the square is missing: the local gradient is 1 - t**2"),
                 (dout * t, "the local gradient is 1 - t**2, not t")]
    return [(local, FORGOT_DOUT)] + found


# ---------------------------------------------------------------- inputs

def _shape(rng, one_row=False):
    """1 to 4 dims of size 1 to 5; ``one_row``: a single example (N = 1), at least 2-d."""
    dims = [int(rng.integers(1, 6)) for _ in range(int(rng.integers(1, 5)))]
    if one_row:
        dims = [1] + (dims[1:] or [int(rng.integers(2, 6))])
    return tuple(dims)


def _hard(rng, act):
    """A (3, 6) float64 array of hard inputs: zeros, +-1e3 (or +-8), tiny values, normals."""
    big = 1e3 if act.large else 8.0
    values = [-big, big, -1e-3, 1e-3, -0.5, 0.5, 0.0, 0.0, -0.0]
    x = np.concatenate([values, rng.standard_normal(9)])
    rng.shuffle(x)
    return x.reshape(3, -1)


def _away_from_zero(rng, shape):
    """Magnitudes in [0.1, 3] with random signs (for float32: no cancellation near 0)."""
    return rng.uniform(0.1, 3.0, shape) * rng.choice([-1.0, 1.0], shape)


def _cases(rng, act):
    """(description, x, alpha or None) for the forward and backward suites."""
    x = rng.standard_normal(_shape(rng)) * 3
    x.reshape(-1)[rng.random(x.size) < 0.25] = 0.0  # exact zeros: the kink of the ReLU family
    cases = [("random input", x, None),
             ("one example (N = 1)", rng.standard_normal(_shape(rng, one_row=True)), None),
             ("hard input", _hard(rng, act), None),
             ("float32 input", _away_from_zero(rng, _shape(rng)).astype(np.float32), None)]
    if act.alpha is not None:
        alpha = float(rng.uniform(0.05, 0.3) if act.name == "leaky_relu" else rng.uniform(0.3, 2.5))
        x = rng.standard_normal(_shape(rng)) * 3
        x.reshape(-1)[rng.random(x.size) < 0.2] = 0.0
        cases.append((f"alpha = {alpha:.3g}", x, alpha))
    return cases


# ---------------------------------------------------------------- suites

def _check_cache(judge, act, what, cache, x, out, alpha):
    """The forward's cache is what the docstring says (the backward suites rely on it)."""
    name = f"{act.name}_forward"
    if act.cache == "x":
        ok = type(cache) is np.ndarray and np.array_equal(cache, x)
        return judge.record(what, ok, f"{what}: {name} should return cache = x, its input "
                            f"({act.name}_backward reads x from it)")
    if act.cache == "x_alpha":
        ok = (isinstance(cache, tuple) and len(cache) == 2 and type(cache[0]) is np.ndarray
              and np.array_equal(cache[0], x) and isinstance(cache[1], numbers.Real)
              and float(cache[1]) == act._alpha(alpha))
        return judge.record(what, ok, f"{what}: {name} should return cache = (x, alpha), "
                            f"the input and the alpha it used ({act.name}_backward reads both)")
    ok = type(cache) is np.ndarray and type(out) is np.ndarray and np.array_equal(cache, out)
    return judge.record(what, ok, f"{what}: {name} should return cache = out, the output "
                        f"({act.name}_backward computes the local gradient from it), not x")


def _forward_suite(act):
    def run(student, rng, judge):
        for desc, x, alpha in _cases(rng, act):
            x_before = x.copy()
            args = (x,) if alpha is None else (x, alpha)
            call = f"{act.name}_forward(x{'' if alpha is None else ', alpha'}) on {desc}"
            got = unpack(judge, call, judge.attempt(call, student, *args, warn_hint=act.warn_hint))
            if got is None:
                continue
            out, cache = got
            expected = act.ref_forward(x, alpha)
            _close(judge, f"out ({desc})", out, expected, x.dtype == np.float32,
                   _forward_mistakes(act.name, x, act._alpha(alpha)), act.forward_hint,
                   nonfinite=act.warn_hint or "an overflow, or a division by zero?")
            if x.dtype == np.float32:
                _dtype(judge, f"out ({desc})", out, np.float32)
            _check_cache(judge, act, f"cache ({desc})", cache, x, out, alpha)
            judge.unmodified(f"x ({desc})", x_before, x)
    return run


def _backward_suite(act):
    def run(student, rng, judge):
        for desc, x, alpha in _cases(rng, act):
            dout = rng.standard_normal(x.shape).astype(x.dtype)
            cache = act.contract_cache(x, alpha)
            cache_arr = cache[0] if isinstance(cache, tuple) else cache
            cache_before, dout_before = cache_arr.copy(), dout.copy()
            call = f"{act.name}_backward(dout, cache) on {desc}"
            dx = judge.attempt(call, student, dout, cache, warn_hint=act.warn_hint)
            if dx is None:
                continue
            expected = act.ref_backward(dout, x, alpha)
            _close(judge, f"dx ({desc})", dx, expected, x.dtype == np.float32,
                   _backward_mistakes(act.name, dout, x, act._alpha(alpha)), act.backward_hint,
                   nonfinite=act.warn_hint or "an overflow, or a division by zero?")
            if x.dtype == np.float32:
                _dtype(judge, f"dx ({desc})", dx, np.float32)
            judge.unmodified(f"dout ({desc})", dout_before, dout)
            judge.unmodified(f"cache ({desc})", cache_before, cache_arr)
    return run


for _act in ACTS.values():
    suite(f"{_act.name}_forward")(_forward_suite(_act))
    suite(f"{_act.name}_backward")(_backward_suite(_act))




def _stable_inputs(rng, dtype):
    base = [-1e3, -750.0, -100.0, -50.0, -20.0, -1.0, 0.0, 1.0, 20.0, 50.0, 100.0, 750.0, 1e3]
    extra = rng.choice([-1.0, 1.0], 7) * 10 ** rng.uniform(2, 3.5, 7)
    x = np.concatenate([base, extra])
    rng.shuffle(x)
    return x.reshape(4, 5).astype(dtype)


def _stable_suite(act):
    hint = STABLE_HINTS[act.name]

    def run(student, rng, judge):
        if not (isinstance(student, tuple) and len(student) == 2):
            judge.record("pair", False, f"{act.name}_stable expects the pair "
                         f"({act.name}_forward, {act.name}_backward)")
            return
        forward, backward = student
        for dtype in (np.float64, np.float32):
            x = _stable_inputs(rng, dtype)
            float32 = dtype == np.float32
            desc = f"|x| up to {np.abs(x).max():.0f}, {np.dtype(dtype).name}"
            call = f"{act.name}_forward(x) at {desc}"
            got = unpack(judge, call, judge.attempt(call, forward, x, warn_hint=hint))
            if got is not None:
                _close(judge, f"out ({desc})", got[0], act.ref_forward(x), float32,
                       default=act.forward_hint, nonfinite=hint)
            dout = rng.standard_normal(x.shape).astype(dtype)
            call = f"{act.name}_backward(dout, cache) at {desc}"
            dx = judge.attempt(call, backward, dout, act.contract_cache(x), warn_hint=hint)
            if dx is not None:
                _close(judge, f"dx ({desc})", dx, act.ref_backward(dout, x), float32,
                       default=act.backward_hint, nonfinite=hint)
    return run


for _name in STABLE_HINTS:
    suite(f"{_name}_stable")(_stable_suite(ACTS[_name]))


# ---------------------------------------------------------------- concept checks

def _text(answer) -> str | None:
    return answer.strip().lower() if isinstance(answer, str) else None


def _number(answer) -> float | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    return float(answer)


@suite("q1_zero_centred")
def _(student, rng, judge):
    judge.record("answer_q1", _text(student) == "same_sign",
                 "answer_q1 is not right: dL/dw_i = x_i * dL/da for a = w . x + b; "
                 "what does that say about the signs when every x_i > 0?")


@suite("q2_relu_zero_grad")
def _(student, rng, judge):
    value = _number(student)
    judge.record("answer_q2", value is not None and abs(value - 0.5) < 1e-6,
                 "answer_q2 is not right: which inputs get a zero local gradient from ReLU, "
                 "and how likely is such an input under a distribution symmetric around 0?")


@suite("q3_sigmoid_max_grad")
def _(student, rng, judge):
    value = _number(student)
    judge.record("answer_q3", value is not None and abs(value - 0.25) < 1e-6,
                 "answer_q3 is not right: sigma'(x) = sigma(x) * (1 - sigma(x)) is s * (1 - s) "
                 "for s in (0, 1); where is that product largest?")
