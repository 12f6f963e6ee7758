"""Assignment 01: the scalar computational graph, its gates and backward()."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from course.gradcheck import eval_numerical_gradient
from course.graph import (
    AddGate,
    CopyGate,
    MaxGate,
    MultiplyGate,
    SigmoidGate,
    Value,
    backward_steps,
    sigmoid_neuron,
    topological_order,
    trace,
)

pytestmark = pytest.mark.graphs

floats = st.floats(-3, 3, allow_nan=False, allow_infinity=False)
positive = st.floats(0.1, 3, allow_nan=False, allow_infinity=False)


# ---- the lecture's examples ---------------------------------------------------

def test_lecture_example_add_then_multiply():
    # f(x, y, z) = (x + y) z at (-2, 5, -4): q = 3, f = -12,
    # df/dz = q = 3, df/dq = z = -4, and the add gate gives df/dx = df/dy = -4.
    x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    f = (x + y) * z
    f.backward()
    assert f.data == -12.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


def test_lecture_sigmoid_neuron():
    # w = (2, -3, -3), x = (-1, -2): w0 x0 + w1 x1 + w2 = 1, sigma(1) = 0.7311,
    # local gradient sigma(1)(1 - sigma(1)) = 0.19661; each gradient is that times
    # the other factor of its multiply gate (worked by hand on the lecture slide).
    f, w, x = sigmoid_neuron((2.0, -3.0, -3.0), (-1.0, -2.0))
    f.backward()
    s = 1 / (1 + math.exp(-1.0))
    local = s * (1 - s)
    assert f.data == pytest.approx(0.7311, abs=1e-4)
    assert [v.grad for v in w] == pytest.approx([-1 * local, -2 * local, local], rel=1e-12)
    assert [v.grad for v in x] == pytest.approx([2 * local, -3 * local], rel=1e-12)
    assert [round(v.grad, 2) for v in w + x] == [-0.20, -0.39, 0.20, 0.39, -0.59]


def test_sigmoid_gate_equals_its_decomposition():
    # The lecture computes the neuron with *-1, exp, +1, 1/x gates; the sigmoid gate
    # must give the same value and gradient.
    for v in (-2.5, -0.3, 0.0, 1.0, 4.0):
        a, b = Value(v), Value(v)
        fused = a.sigmoid()
        split = 1 / (1 + (-b).exp())
        fused.backward()
        split.backward()
        assert fused.data == pytest.approx(split.data, rel=1e-14)
        assert a.grad == pytest.approx(b.grad, rel=1e-12)


# ---- gate patterns ------------------------------------------------------------

def test_add_distributes():
    assert AddGate.backward(5.0, 2.0, 7.0) == (5.0, 5.0)


def test_multiply_swaps():
    assert MultiplyGate.local_grads(3.0, -4.0) == (-4.0, 3.0)
    assert MultiplyGate.backward(2.0, 3.0, -4.0) == (-8.0, 6.0)


def test_max_routes_and_tie_rule():
    assert MaxGate.backward(2.0, 4.0, 1.0) == (2.0, 0.0)
    assert MaxGate.backward(2.0, 1.0, 4.0) == (0.0, 2.0)
    # tie: the whole gradient goes to the first input
    assert MaxGate.backward(2.0, 3.0, 3.0) == (2.0, 0.0)
    a, b = Value(3.0), Value(3.0)
    m = a.max(b)
    m.backward()
    assert (a.grad, b.grad) == (1.0, 0.0)


def test_copy_adds():
    assert CopyGate.forward(1.5) == (1.5, 1.5)
    assert CopyGate.backward(2.0, -0.5, 1.5) == (1.5,)


def test_sigmoid_gate_local_grad_from_output():
    s = SigmoidGate.forward(0.7)
    assert SigmoidGate.local_grads(0.7)[0] == pytest.approx((1 - s) * s, rel=1e-15)


# ---- the engine -----------------------------------------------------------------

def test_node_used_twice_accumulates():
    a = Value(3.0)
    b = a * a + a  # db/da = 2a + 1 = 7
    b.backward()
    assert a.grad == 7.0


def test_diamond_graph():
    # a feeds b and c, both feed d: d = (2a)(a + 1); dd/da = 4a + 2
    a = Value(1.5)
    d = (a * 2) * (a + 1)
    d.backward()
    assert a.grad == pytest.approx(4 * 1.5 + 2, rel=1e-15)


def test_backward_twice_gives_same_gradients():
    x, y = Value(2.0), Value(-1.0)
    f = x * y + x
    f.backward()
    first = (x.grad, y.grad)
    f.backward()
    assert (x.grad, y.grad) == first


def test_deep_graph_has_no_recursion_limit():
    x = Value(0.5)
    node = x
    for _ in range(10_000):
        node = node * 1.0001
    node.backward()
    assert x.grad == pytest.approx(1.0001**10_000, rel=1e-9)
    assert len(topological_order(node)) == 2 * 10_000 + 1


def test_topological_order_inputs_first():
    x, y, z = Value(1.0), Value(2.0), Value(3.0)
    f = (x + y) * z
    order = topological_order(f)
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for child in node.inputs:
            assert pos[id(child)] < pos[id(node)]
    assert order[-1] is f


def test_trace_counts_edges_per_use():
    a = Value(2.0)
    b = a * a
    nodes, edges = trace(b)
    assert len(nodes) == 2
    assert len(edges) == 2 and all(e == (a, b) for e in edges)


def test_backward_steps_match_backward():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    steps = list(backward_steps(f))
    assert [s["node"].op for s in steps] == ["*", "+"]
    assert steps[0]["upstream"] == 1.0
    assert [(local, down) for _, local, down in steps[0]["inputs"]] == [(-4.0, -4.0), (3.0, 3.0)]
    assert steps[1]["upstream"] == -4.0
    assert (x.grad, y.grad, z.grad) == (-4.0, -4.0, 3.0)


def test_numbers_on_either_side():
    x = Value(3.0)
    for f, want, dwant in [
        (lambda v: 2 + v, 5.0, 1.0), (lambda v: v + 2, 5.0, 1.0),
        (lambda v: 2 - v, -1.0, -1.0), (lambda v: v - 2, 1.0, 1.0),
        (lambda v: 2 * v, 6.0, 2.0), (lambda v: v * 2, 6.0, 2.0),
        (lambda v: 6 / v, 2.0, -6 / 9), (lambda v: v / 2, 1.5, 0.5),
        (lambda v: v**2, 9.0, 6.0), (lambda v: -v, -3.0, -1.0),
    ]:
        out = f(x)
        out.backward()
        assert out.data == pytest.approx(want, rel=1e-15)
        assert x.grad == pytest.approx(dwant, rel=1e-15)


def test_value_is_hashable_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert len({a, b}) == 2


def test_repr_shows_data_and_grad():
    v = Value(2.5, label="w")
    assert repr(v) == "Value(w: data=2.5, grad=0)"


# ---- every operation against centered finite differences ------------------------

UNARY = {
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "pow3": lambda v: v**3,
    "pow-0.5": lambda v: v**-0.5,
}
MATH = {
    "exp": math.exp, "log": math.log, "tanh": math.tanh,
    "sigmoid": lambda t: 1 / (1 + math.exp(-t)), "relu": lambda t: max(0.0, t),
    "pow3": lambda t: t**3, "pow-0.5": lambda t: t**-0.5,
}


def _numeric_grad(fn, values):
    x = np.array(values, dtype=np.float64)
    return eval_numerical_gradient(lambda a: fn(*a), x, verbose=False)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(v=positive)
def test_unary_ops_match_finite_differences(name, v):
    if name == "relu":
        v = v if abs(v) > 1e-3 else 1.0
    node = Value(v)
    out = UNARY[name](node)
    out.backward()
    assert out.data == pytest.approx(MATH[name](v), rel=1e-13)
    numeric = _numeric_grad(MATH[name], [v])[0]
    assert abs(node.grad - numeric) / max(1e-8, abs(node.grad) + abs(numeric)) < 1e-7


@given(a=floats, b=floats, c=positive)
def test_composite_expression_matches_finite_differences(a, b, c):
    def build(x, y, z):
        return ((x * y + z.log()) * x).tanh() + (y - z) / z + (x * z).sigmoid() * y

    def plain(x, y, z):
        return (math.tanh((x * y + math.log(z)) * x) + (y - z) / z
                + 1 / (1 + math.exp(-(x * z))) * y)

    xs = [Value(a), Value(b), Value(c)]
    out = build(*xs)
    out.backward()
    assert out.data == pytest.approx(plain(a, b, c), rel=1e-12, abs=1e-12)
    numeric = _numeric_grad(plain, [a, b, c])
    analytic = np.array([v.grad for v in xs])
    # relative error, floored at 1e-2: a gradient entry near 0 is compared absolutely, since
    # the centered difference itself carries ~1e-11 of rounding noise there
    err = np.max(np.abs(analytic - numeric) / np.maximum(1e-2, np.abs(analytic) + np.abs(numeric)))
    assert err < 1e-7


@given(a=floats, b=floats)
def test_max_gate_matches_finite_differences_away_from_ties(a, b):
    if abs(a - b) < 1e-3:
        b = a + 0.5
    x, y = Value(a), Value(b)
    out = x.max(y) * 2.0
    out.backward()
    numeric = _numeric_grad(lambda p, q: 2 * max(p, q), [a, b])
    assert [x.grad, y.grad] == pytest.approx(list(numeric), abs=1e-8)


def test_relu_at_zero_has_zero_gradient():
    x = Value(0.0)
    y = x.relu()
    y.backward()
    assert (y.data, x.grad) == (0.0, 0.0)


def test_sigmoid_is_stable_for_huge_inputs():
    for v in (-1e3, 1e3, -1e300, 1e300):
        x = Value(v)
        y = x.sigmoid()
        y.backward()
        assert math.isfinite(y.data) and math.isfinite(x.grad)


# ---- bad input ----------------------------------------------------------------

@pytest.mark.parametrize("bad, err, match", [
    ("1.0", TypeError, "real number"), (True, TypeError, "real number"),
    (float("nan"), ValueError, "finite"), (float("inf"), ValueError, "finite"),
])
def test_value_rejects_non_numbers(bad, err, match):
    with pytest.raises(err, match=match):
        Value(bad)


def test_bad_operations_name_the_problem():
    with pytest.raises(ValueError, match="log: expected an input > 0"):
        Value(-1.0).log()
    with pytest.raises(TypeError, match="exponent must be a number"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="negative base"):
        Value(-8.0) ** (1 / 3)
    with pytest.raises(ZeroDivisionError, match="negative power"):
        1 / Value(0.0)
    with pytest.raises(OverflowError, match="exp: input"):
        Value(1000.0).exp()
    with pytest.raises(ValueError, match="3 weights and 2 inputs"):
        sigmoid_neuron((1, 2), (1, 2))


@pytest.mark.oracle
@given(a=floats, b=floats, c=positive)
def test_engine_agrees_with_torch_autograd(a, b, c):
    torch = pytest.importorskip("torch")
    xs = [Value(a), Value(b), Value(c)]
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (a, b, c)]

    def on_values(x, y, z):
        return (x * y).tanh() + z.exp() / (z + 1) + (x - y).sigmoid() * y.relu() + x.max(z)

    def on_tensors(x, y, z):
        return (torch.tanh(x * y) + torch.exp(z) / (z + 1)
                + torch.sigmoid(x - y) * torch.relu(y) + torch.maximum(x, z))

    out, ref = on_values(*xs), on_tensors(*ts)
    if abs(a - c) < 1e-9 or b == 0:
        return  # torch splits ties and defines relu'(0) differently; rules tested above
    out.backward()
    ref.backward()
    assert out.data == pytest.approx(ref.item(), rel=1e-12, abs=1e-12)
    for v, t in zip(xs, ts):
        assert v.grad == pytest.approx(t.grad.item(), rel=1e-10, abs=1e-12)
