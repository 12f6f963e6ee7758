"""The hidden checks of assignment 02_activations: the reference passes, mistakes are named.

Every suite is run on the reference (adapted to the student contract) and on
student-style solutions (what the master notebook writes) with several seeds;
then realistic wrong implementations must fail with a message naming the mistake.
"""

import numpy as np
import pytest
from scipy.special import erf

from autograder.hidden import check
from course import layers
from tests.checking import check_fails as _fails

pytestmark = pytest.mark.activations

SEEDS = range(6)
NAMES = ("relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh")
STABLE = ("elu", "gelu", "silu", "sigmoid")



def _passes(name, fn, seeds=SEEDS):
    for seed in seeds:
        check(name, fn, seed=seed)


# ---------------------------------------------------------------------------
# The reference, in the student contract (GELU: no `approximate`, cache = x)
# ---------------------------------------------------------------------------

REFERENCE = dict(layers.ACTIVATIONS)
REFERENCE["gelu"] = (lambda x: (layers.gelu_forward(x)[0], x),
                     lambda dout, x: layers.gelu_backward(dout, (x, "none")))


# ---------------------------------------------------------------------------
# Student-style solutions (as in the master notebook)
# ---------------------------------------------------------------------------

def sigmoid_forward(x):
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return out, out


def sigmoid_backward(dout, cache):
    s = cache
    return dout * s * (1 - s)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def leaky_relu_forward(x, alpha=0.01):
    return np.where(x > 0, x, alpha * x), (x, alpha)


def leaky_relu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, alpha * dout)


def elu_forward(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))), (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    return np.where(x > 0, dout, dout * alpha * np.exp(np.minimum(x, 0)))


def silu_forward(x):
    s, _ = sigmoid_forward(x)
    return x * s, x


def silu_backward(dout, cache):
    x = cache
    s, _ = sigmoid_forward(x)
    return dout * s * (1 + x * (1 - s))


def gelu_forward(x):
    return 0.5 * x * (1 + erf(x / 2**0.5)), x


def gelu_backward(dout, cache):
    x = cache
    Phi = 0.5 * (1 + erf(x / 2**0.5))
    phi = np.exp(-0.5 * x**2) / (2 * np.pi) ** 0.5
    return dout * (Phi + x * phi)


STUDENT = {name: (globals()[f"{name}_forward"], globals()[f"{name}_backward"]) for name in NAMES}


@pytest.mark.parametrize("impl", ["reference", "student"])
@pytest.mark.parametrize("name", NAMES)
def test_correct_implementations_pass(name, impl):
    forward, backward = (REFERENCE if impl == "reference" else STUDENT)[name]
    _passes(f"{name}_forward", forward)
    _passes(f"{name}_backward", backward)
    if name in STABLE:
        _passes(f"{name}_stable", (forward, backward))


def test_other_correct_forms_pass():
    # sigmoid through tanh and through logaddexp: different rounding, same function
    def sig_tanh(x):
        out = 0.5 * (1 + np.tanh(x / 2))
        return out, out

    def sig_logaddexp(x):
        out = np.exp(-np.logaddexp(0, -x))
        return out, out

    for fwd in (sig_tanh, sig_logaddexp):
        _passes("sigmoid_forward", fwd)
        _passes("sigmoid_stable", (fwd, sigmoid_backward))
    # ELU with exp(x) - 1 instead of expm1, exp kept away from large x
    _passes("elu_forward", lambda x, alpha=1.0: (
        np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1)), (x, alpha)))
    # SiLU backward written as s + x s (1 - s)
    def silu_bwd(dout, x):
        s, _ = sigmoid_forward(x)
        return dout * (s + x * s * (1 - s))
    _passes("silu_backward", silu_bwd)


# ---------------------------------------------------------------------------
# Wrong implementations: each fails, naming its mistake
# ---------------------------------------------------------------------------

def not_implemented(*args):
    raise NotImplementedError("your code here")


@pytest.mark.parametrize("name", [f"{n}_{part}" for n in NAMES for part in
                                  ("forward", "backward")])
def test_a_stub_fails(name):
    _fails(name, not_implemented, "not implemented yet")


def test_relu_gradient_at_zero_counted_as_one():
    _fails("relu_backward", lambda dout, x: dout * (x >= 0), "exactly x = 0", "x > 0")


def test_relu_backward_without_dout():
    _fails("relu_backward", lambda dout, x: (x > 0).astype(x.dtype), "upstream gradient dout")


def test_relu_forward_in_place():
    def relu_in_place(x):
        x[x < 0] = 0
        return x, x

    _fails("relu_forward", relu_in_place, "modified in place")


def test_relu_backward_float_mask_promotes_float32():
    _fails("relu_backward", lambda dout, x: dout * (x > 0).astype(float), "float32",
           "dtype float64")


def test_relu_forward_returns_no_cache():
    _fails("relu_forward", lambda x: np.maximum(x, 0), "a tuple (out, cache)")


def test_leaky_relu_with_fixed_alpha():
    _fails("leaky_relu_forward", lambda x, alpha=0.01: (np.where(x > 0, x, 0.01 * x),
                                                        (x, alpha)), "alpha is ignored")
    _fails("leaky_relu_backward",
           lambda dout, c: np.where(c[0] > 0, dout, 0.01 * dout), "alpha is ignored")


def test_leaky_relu_gradient_at_zero():
    _fails("leaky_relu_backward",
           lambda dout, c: np.where(c[0] >= 0, dout, c[1] * dout), "exactly x = 0")


def test_leaky_relu_cache_without_alpha():
    _fails("leaky_relu_forward", lambda x, alpha=0.01: (np.where(x > 0, x, alpha * x), x),
           "cache = (x, alpha)")


def test_elu_naive_exp_overflows():
    def elu_naive(x, alpha=1.0):
        return np.where(x > 0, x, alpha * (np.exp(x) - 1)), (x, alpha)

    def elu_naive_backward(dout, cache):
        x, alpha = cache
        return dout * np.where(x > 0, 1, alpha * np.exp(x))

    _passes("elu_forward", elu_naive, seeds=range(3))  # fine at moderate x ...
    _fails("elu_stable", (elu_naive, elu_backward), "overflow", "both branches")  # ... not at 1e3
    _fails("elu_stable", (elu_forward, elu_naive_backward), "overflow", "both branches")


def test_elu_gradient_from_the_output():
    _fails("elu_backward", lambda dout, c: np.where(c[0] > 0, dout, dout * c[1] * np.expm1(
        np.minimum(c[0], 0))), "output, not the gradient")


def test_elu_forward_without_minus_one():
    _fails("elu_forward", lambda x, alpha=1.0: (np.where(x > 0, x, alpha * np.exp(
        np.minimum(x, 0))), (x, alpha)), "the -1 is missing")


def test_gelu_tanh_approximation_is_not_the_exact_form():
    _fails("gelu_forward", lambda x: (layers.gelu_forward(x, approximate="tanh")[0], x),
           "tanh approximation")

    def gelu_tanh_backward(dout, x):
        return layers.gelu_backward(dout, (x, "tanh"))

    _fails("gelu_backward", gelu_tanh_backward, "tanh approximation")


def test_gelu_float64_constant_promotes_float32():
    _fails("gelu_forward", lambda x: (0.5 * x * (1 + erf(x / np.sqrt(2))), x),
           "float32 inputs gave dtype float64", "np.sqrt(2)")


def test_gelu_erf_without_sqrt2():
    _fails("gelu_forward", lambda x: (0.5 * x * (1 + erf(x)), x), "x / sqrt(2)")


def test_gelu_backward_without_the_product_rule():
    _fails("gelu_backward", lambda dout, x: dout * 0.5 * (1 + erf(x / 2**0.5)),
           "x * phi(x) term")


def test_silu_backward_without_the_product_rule():
    _fails("silu_backward", lambda dout, x: dout * sigmoid_forward(x)[0], "product rule")


def test_silu_naive_sigmoid_overflows():
    def silu_naive(x):
        return x / (1 + np.exp(-x)), x

    _fails("silu_stable", (silu_naive, silu_backward), "overflow", "exp(-|x|)")


def test_sigmoid_naive_overflows():
    def sigmoid_naive(x):
        out = 1 / (1 + np.exp(-x))
        return out, out

    _passes("sigmoid_forward", sigmoid_naive, seeds=range(3))  # fine at moderate x ...
    _fails("sigmoid_stable", (sigmoid_naive, sigmoid_backward), "overflow",
           "exp(-|x|)")  # ... not at 1e3


def test_sigmoid_backward_using_the_cache_as_x():
    def sigmoid_backward_from_x(dout, cache):
        s = sigmoid_forward(cache)[0]
        return dout * s * (1 - s)

    _fails("sigmoid_backward", sigmoid_backward_from_x, "cache was used as if it were x")


def test_sigmoid_forward_caching_x():
    _fails("sigmoid_forward", lambda x: (sigmoid_forward(x)[0], x), "cache = out")


def test_sigmoid_sign_error():
    _fails("sigmoid_forward", lambda x: sigmoid_forward(-x), "sign error")


def test_tanh_backward_using_the_cache_as_x():
    _fails("tanh_backward", lambda dout, t: dout * (1 - np.tanh(t) ** 2),
           "cache was used as if it were x")


def test_tanh_backward_without_the_square():
    _fails("tanh_backward", lambda dout, t: dout * (1 - t), "square is missing")


def test_tanh_naive_exp_overflows():
    def tanh_naive(x):
        out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
        return out, out

    _fails("tanh_forward", tanh_naive, "overflow", "np.tanh")


def test_stable_suite_needs_the_pair():
    _fails("sigmoid_stable", sigmoid_forward, "expects the pair")


@pytest.mark.parametrize("name, right, wrong", [
    ("q1_zero_centred", "same_sign", "random_signs"),
    ("q2_relu_zero_grad", 0.5, 0.25),
    ("q3_sigmoid_max_grad", 0.25, 1.0),
])
def test_concept_checks(name, right, wrong):
    check(name, right)
    message = _fails(name, wrong, "not right")
    assert str(right) not in message  # the answer is never given away
    _fails(name, None, "not right")
