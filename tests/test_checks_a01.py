"""Assignment 01's hidden checks: right answers pass, the usual mistakes fail and are named.

Every suite of ``autograder/checks/a01_graphs.py`` is run through
``autograder.hidden.check`` (as a hidden test cell does) on the reference
(the gates of ``course.graph``), on a student-style ``Value`` class written
here (a factory with one switch per classic mistake), and on the master
notebook's own solution cells.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import load_all
from autograder.hidden import check
from course import graph as ref
from tests.checking import check_fails as fails
from tests.checking import master_namespace

pytestmark = pytest.mark.graphs

SEEDS = (0, 1, 2, 12345)
VALUE_SUITES = ("Value_forward", "Value_backward_simple", "Value_backward_shared_node",
                "Value_backward_deep")
MASTER = (Path(__file__).resolve().parents[1] / "solutions" / "01_computational_graphs"
          / "computational_graphs.ipynb")



# ---- a student-style Value, with switches for the classic mistakes -------------------------

def make_value(accumulate=True, order="topological", reset=True, root_one=True,
               relu_at_zero=0.0, sub_flipped=False, tanh_local=None, float_results=False):
    """A scalar engine as a student would write it; each keyword switches on one mistake."""

    class V:
        def __init__(self, data, inputs=(), local_grads=(), op=""):
            self.data = float(data)
            self.grad = 0.0
            self.inputs = tuple(inputs)
            self.local_grads = tuple(local_grads)
            self.op = op

        def _new(self, data, inputs, local_grads, op):
            return data if float_results else V(data, inputs, local_grads, op)

        def __add__(self, other):
            other = wrap(other)
            return self._new(self.data + other.data, (self, other), (1.0, 1.0), "+")

        def __mul__(self, other):
            other = wrap(other)
            return self._new(self.data * other.data, (self, other), (other.data, self.data), "*")

        def __pow__(self, k):
            return self._new(self.data**k, (self,), (k * self.data ** (k - 1),), "**")

        def __neg__(self):
            return self * -1.0

        def __sub__(self, other):
            return wrap(other) + (-self) if sub_flipped else self + (-wrap(other))

        def __truediv__(self, other):
            return self * wrap(other) ** -1

        def __radd__(self, other):
            return self + other

        def __rmul__(self, other):
            return self * other

        def __rsub__(self, other):
            return wrap(other) - self

        def __rtruediv__(self, other):
            return wrap(other) / self

        def relu(self):
            local = 1.0 if self.data > 0 else (relu_at_zero if self.data == 0 else 0.0)
            return self._new(max(self.data, 0.0), (self,), (local,), "relu")

        def exp(self):
            e = math.exp(self.data)
            return self._new(e, (self,), (e,), "exp")

        def tanh(self):
            t = math.tanh(self.data)
            local = tanh_local(self.data) if tanh_local else 1 - t * t
            return self._new(t, (self,), (local,), "tanh")

        def backward(self):
            nodes = topo_recursive(self) if order == "recursive" else (
                searched(self, order) if order in ("bfs", "dfs") else topo(self)[::-1])
            if reset:
                for node in nodes:
                    node.grad = 0.0
            self.grad = 1.0 if root_one else self.grad
            for node in nodes:
                for child, local in zip(node.inputs, node.local_grads):
                    if accumulate:
                        child.grad += local * node.grad
                    else:
                        child.grad = local * node.grad

    def wrap(x):
        return x if isinstance(x, V) else V(x)

    return V


def topo(root):
    """Inputs before the nodes that use them, with an explicit stack."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack += [(c, False) for c in node.inputs if id(c) not in seen]
    return order


def topo_recursive(root):
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for child in node.inputs:
                visit(child)
            order.append(node)

    visit(root)
    return order[::-1]


def searched(root, how):
    """Every node once, in breadth-first (or depth-first pre-) order from the output: wrong."""
    order, seen, todo = [], {id(root)}, [root]
    while todo:
        node = todo.pop(0) if how == "bfs" else todo.pop()
        order.append(node)
        for child in node.inputs:
            if id(child) not in seen:
                seen.add(id(child))
                todo.append(child)
    return order


# ---- the right answers pass ------------------------------------------------------------------

def test_every_graded_item_has_a_suite():
    names = {"add_local_grads", "multiply_local_grads", "max_local_grads", "sigmoid_local_grad",
             *VALUE_SUITES, "q1_swap_gate", "q2_shared_node", "q3_backward_order"}
    assert names <= set(load_all())


@pytest.mark.parametrize("seed", SEEDS)
def test_reference_gates_pass(seed, capsys):
    check("add_local_grads", ref.AddGate.local_grads, seed=seed)
    check("multiply_local_grads", ref.MultiplyGate.local_grads, seed=seed)
    check("max_local_grads", ref.MaxGate.local_grads, seed=seed)
    check("sigmoid_local_grad", lambda x: ref.SigmoidGate.local_grads(x)[0], seed=seed)
    assert capsys.readouterr().out.count("hidden checks passed") == 4


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", VALUE_SUITES)
def test_student_style_value_passes(name, seed):
    check(name, make_value(), seed=seed)


def test_concept_answers_pass():
    check("q1_swap_gate", "multiply")
    check("q1_swap_gate", " Multiply ")
    check("q2_shared_node", 1.5)
    check("q2_shared_node", np.float64(1.5))
    check("q3_backward_order", "b")


@pytest.mark.skipif(not MASTER.exists(), reason="master notebook not written yet")
@pytest.mark.parametrize("seed", SEEDS[:2])
def test_master_notebook_solutions_pass(seed):
    ns = master_namespace(MASTER)
    for name in ("add_local_grads", "multiply_local_grads", "max_local_grads",
                 "sigmoid_local_grad"):
        check(name, ns[name], seed=seed)
    for name in VALUE_SUITES:
        check(name, ns["Value"], seed=seed)
    check("q1_swap_gate", ns["answer_q1"])
    check("q2_shared_node", ns["answer_q2"])
    check("q3_backward_order", ns["answer_q3"])



# Seeds on which the master's Value once failed: it adds a shared node's contributions in
# another order than course.graph, and a grad that nearly cancels differed by more than
# 1e-7 of itself (found by running the suite on 3,000 seeds; about 1 in 1,000 failed).
@pytest.mark.skipif(not MASTER.exists(), reason="master notebook not written yet")
@pytest.mark.parametrize("seed", [1168, 1500, 1897])
def test_master_value_passes_where_a_grad_nearly_cancels(seed):
    check("Value_backward_shared_node", master_namespace(MASTER)["Value"], seed=seed)


def test_error_scales_follow_first_order_propagation():
    from autograder.checks.a01_graphs import _error_scales, build

    # f = a * b + c with a = 2, b = -3, c = 6: f is 0, but its terms are 6 in size
    nodes = build(ref.Value, [2.0, -3.0, 6.0], [("*", [0, 1]), ("+", [3, 2])])
    data, grad = _error_scales(nodes)
    assert nodes[-1].data == 0.0
    # m = a * b: |m| + |b| |a| + |a| |b| = 18; f: |f| + |m|'s scale + |c| = 0 + 18 + 6
    assert data == [2.0, 3.0, 6.0, 18.0, 24.0]
    # backward with absolute values: da = |b|, db = |a|, dc = dm = df = 1
    assert grad == [3.0, 2.0, 1.0, 1.0, 1.0]

# ---- wrong gates fail, naming the mistake ----------------------------------------------------

def test_add_returning_the_inputs_fails():
    fails("add_local_grads", lambda x, y: (x, y), "returned input values")


def test_add_returning_one_number_fails():
    fails("add_local_grads", lambda x, y: 1.0, "must return a pair")


def test_multiply_not_swapped_fails():
    fails("multiply_local_grads", lambda x, y: (x, y), "not swapped")


def test_multiply_as_add_fails():
    fails("multiply_local_grads", lambda x, y: (1.0, 1.0), "add gate")


def test_max_tie_to_second_input_fails():
    message = fails("max_local_grads", lambda x, y: (1.0, 0.0) if x > y else (0.0, 1.0),
                    "tie rule", "FIRST input")
    assert "random inputs" not in message  # only the ties are wrong


def test_max_split_on_tie_fails():
    def split(x, y):
        return (0.5, 0.5) if x == y else ref.MaxGate.local_grads(x, y)

    fails("max_local_grads", split, "does not split")


def test_max_routing_to_the_smaller_input_fails():
    fails("max_local_grads", lambda x, y: (0.0, 1.0) if x >= y else (1.0, 0.0), "smaller input")


def test_max_returning_booleans_passes():
    check("max_local_grads", lambda x, y: (x >= y, x < y))


def test_a_length_two_array_counts_as_a_pair():
    check("multiply_local_grads", lambda x, y: np.array([y, x], dtype=float))
    fails("multiply_local_grads", lambda x, y: np.array([[y, x]]), "must return a pair")
    fails("multiply_local_grads", lambda x, y: ((y, x), 0.0), "expected real, finite numbers")


def test_sigmoid_returning_sigma_fails():
    fails("sigmoid_local_grad", lambda x: ref.SigmoidGate.forward(x), "sigma(x) itself")


def test_sigmoid_of_x_instead_of_sigma_fails():
    fails("sigmoid_local_grad", lambda x: (1 - x) * x, "needs sigma(x), not x")


def test_naive_sigmoid_overflow_is_named():
    def naive(x):
        s = 1 / (1 + math.exp(-x))
        return (1 - s) * s

    message = fails("sigmoid_local_grad", naive, "OverflowError", "exp(-|x|)")
    assert "random inputs" not in message


def test_numpy_overflow_warning_is_a_failure_and_stays_quiet(capsys):
    def naive(x):
        s = 1 / (1 + np.exp(-x))
        return (1 - s) * s

    fails("sigmoid_local_grad", naive, "warning", "overflow")
    assert capsys.readouterr().err == ""  # nbgrader scores any stderr in a test cell as 0


# ---- wrong Values fail, naming the mistake ---------------------------------------------------

def test_reference_value_class_is_refused():
    for name in VALUE_SUITES:
        fails(name, ref.Value, "your own class")


def test_overwriting_instead_of_accumulating_is_named():
    wrong = make_value(accumulate=False)
    for seed in SEEDS:
        fails("Value_backward_shared_node", wrong, "=, not +=", seed=seed)
    check("Value_backward_simple", wrong)  # on trees it does not matter: partial credit


@pytest.mark.parametrize("how", ["bfs", "dfs"])
def test_wrong_visiting_order_is_named(how):
    wrong = make_value(order=how)
    fails("Value_backward_shared_node", wrong, "wrong order")
    check("Value_backward_simple", wrong)


def test_recursive_topological_sort_fails_only_the_deep_check():
    wrong = make_value(order="recursive")
    fails("Value_backward_deep", wrong, "RecursionError", "explicit stack")
    check("Value_backward_shared_node", wrong)


def test_raising_the_recursion_limit_does_not_hide_recursion():
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        fails("Value_backward_deep", make_value(order="recursive"), "RecursionError")
        assert sys.getrecursionlimit() == 100_000  # restored
    finally:
        sys.setrecursionlimit(old)


def test_not_resetting_before_backward_is_named():
    fails("Value_backward_shared_node", make_value(reset=False), "twice", "set every node's grad")


def test_output_grad_not_one_is_named():
    fails("Value_backward_simple", make_value(root_one=False), "self.grad = 1")


def test_relu_gradient_at_zero_counted_as_one_fails():
    fails("Value_backward_simple", make_value(relu_at_zero=1.0), "x == 0", "not x >= 0")


def test_flipped_subtraction_fails_forward():
    fails("Value_forward", make_value(sub_flipped=True), "x - y: wrong data")


def test_wrong_tanh_gradient_names_tanh():
    message = fails("Value_backward_simple", make_value(tanh_local=lambda x: 1 - x * x),
                    "gradient of x.tanh()", "1 - tanh(x)**2")
    assert "gradient of x * y" not in message
    check("Value_forward", make_value(tanh_local=lambda x: 1 - x * x))


def test_operations_returning_floats_fail():
    fails("Value_forward", make_value(float_results=True), "expected a new Value")


def test_an_unimplemented_class_fails_cleanly():
    class Stub:
        def __init__(self, data):
            self.data, self.grad = float(data), 0.0

        def __add__(self, other):
            raise NotImplementedError("your code here")

        __mul__ = __add__

    for name in VALUE_SUITES:
        fails(name, Stub, "NotImplementedError")


def test_an_operation_changing_its_input_is_named():
    V = make_value()
    honest_add = V.__add__

    def add(self, other):
        out = honest_add(self, other)
        self.data = out.data  # "x += y" style: the input is overwritten
        return out

    V.__add__ = add
    fails("Value_forward", V, "changed its input's data")


# ---- concept checks ----------------------------------------------------------------------------

def test_wrong_concept_answers_fail_without_giving_the_answer():
    message = fails("q1_swap_gate", "add", "not this one")
    assert "multiply" not in message.split("not this one")[1]
    fails("q1_swap_gate", "the multiply gate", "must be one of")
    fails("q2_shared_node", 2.0, "only the first")
    fails("q2_shared_node", "1.5", "must be a number")
    message = fails("q3_backward_order", "a", "not this one")
    assert "'b'" not in message.split("not this one")[1]
