"""A scalar computational graph, as in the lecture.

Every node is a ``Value``. An operation is a *gate*: its ``forward`` computes
the output from the inputs, and its ``local_grads`` gives d output / d input
for each input. Backpropagation visits the nodes from the output back to the
inputs and applies the chain rule at every gate:

    downstream gradient = local gradient * upstream gradient

A node that feeds several gates (the copy gate) receives one upstream
gradient from each and adds them: gradients are accumulated with ``+=``.

    >>> x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    >>> f = (x + y) * z
    >>> f.backward()
    >>> f.data, x.grad, y.grad, z.grad
    (-12.0, -4.0, -4.0, 3.0)

``backward()`` resets every gradient in the graph before it runs, so calling
it twice gives the same gradients (it does not accumulate across calls).
"""

from __future__ import annotations

import math
import numbers

from course import functions as F

# --- gates: forward and local gradients side by side -------------------------


class Gate:
    """A node's operation: ``forward(*inputs)`` and ``local_grads(*inputs)``."""

    name = "?"

    @staticmethod
    def forward(*inputs: float) -> float:
        raise NotImplementedError

    @staticmethod
    def local_grads(*inputs: float) -> tuple[float, ...]:
        raise NotImplementedError

    @classmethod
    def backward(cls, upstream: float, *inputs: float) -> tuple[float, ...]:
        """Downstream gradient of each input: local gradient times upstream."""
        return tuple(local * upstream for local in cls.local_grads(*inputs))


class AddGate(Gate):
    """x + y. The add gate distributes the upstream gradient to both inputs."""

    name = "+"

    @staticmethod
    def forward(x, y):
        return x + y

    @staticmethod
    def local_grads(x, y):
        return (1.0, 1.0)


class MultiplyGate(Gate):
    """x * y. The multiply gate swaps: each input's local gradient is the other input."""

    name = "*"

    @staticmethod
    def forward(x, y):
        return x * y

    @staticmethod
    def local_grads(x, y):
        return (y, x)


class MaxGate(Gate):
    """max(x, y). The max gate routes the gradient to the larger input.

    Tie rule: when x == y the whole gradient goes to the first input, x
    (as ``np.argmax`` picks the first maximum).
    """

    name = "max"

    @staticmethod
    def forward(x, y):
        return x if x >= y else y

    @staticmethod
    def local_grads(x, y):
        return (1.0, 0.0) if x >= y else (0.0, 1.0)


class CopyGate(Gate):
    """One input used twice. Forward copies it; backward adds the two upstream gradients.

    In a ``Value`` graph the copy gate is implicit: a node used by two gates
    accumulates both upstream gradients.
    """

    name = "copy"

    @staticmethod
    def forward(x):
        return (x, x)

    @staticmethod
    def local_grads(x):
        return (1.0, 1.0)

    @classmethod
    def backward(cls, upstream_1, upstream_2, *inputs):
        return (upstream_1 + upstream_2,)


class PowerGate(Gate):
    """x ** k for a fixed number k. Local gradient k * x ** (k - 1)."""

    name = "**"

    def __init__(self, k: float):
        self.k = k
        self.name = f"**{k:g}"

    def forward(self, x):
        if x == 0 and self.k < 0:
            raise ZeroDivisionError(f"**: 0 raised to the negative power {self.k:g}")
        if x < 0 and not float(self.k).is_integer():
            raise ValueError(f"**: a negative base ({x}) needs a whole exponent, got {self.k:g}")
        return x**self.k

    def local_grads(self, x):
        return (self.k * x ** (self.k - 1),)

    def backward(self, upstream, x):
        return tuple(local * upstream for local in self.local_grads(x))


class ExpGate(Gate):
    """exp(x). Its local gradient is its output: exp(x)."""

    name = "exp"

    @staticmethod
    def forward(x):
        if x > 709:
            raise OverflowError(f"exp: input {x} is too large, exp(x) exceeds the float range")
        return math.exp(x)

    @staticmethod
    def local_grads(x):
        return (math.exp(x),)


class LogGate(Gate):
    """log(x), for x > 0. Local gradient 1 / x."""

    name = "log"

    @staticmethod
    def forward(x):
        if x <= 0:
            raise ValueError(f"log: expected an input > 0, got {x}")
        return math.log(x)

    @staticmethod
    def local_grads(x):
        return (1.0 / x,)


class SigmoidGate(Gate):
    """sigma(x) = 1 / (1 + exp(-x)). Local gradient (1 - sigma(x)) sigma(x)."""

    name = "sigmoid"

    @staticmethod
    def forward(x):
        return float(F.sigmoid(x))

    @staticmethod
    def local_grads(x):
        return (float(F.sigmoid_local_grad_from_out(F.sigmoid(x))),)


class TanhGate(Gate):
    """tanh(x). Local gradient 1 - tanh(x)**2."""

    name = "tanh"

    @staticmethod
    def forward(x):
        return math.tanh(x)

    @staticmethod
    def local_grads(x):
        return (float(F.tanh_local_grad_from_out(math.tanh(x))),)


class ReLUGate(Gate):
    """max(0, x). Local gradient 1 where x > 0, else 0 (also at x = 0)."""

    name = "relu"

    @staticmethod
    def forward(x):
        return float(F.relu(x))

    @staticmethod
    def local_grads(x):
        return (float(F.relu_local_grad(x)),)


# --- the engine --------------------------------------------------------------


class Value:
    """A scalar node: its ``data``, its ``grad`` (d output / d this node) and how it was made.

    Attributes:
    - data: float, the forward value
    - grad: float, filled in by ``backward()`` of a node downstream
    - label: str, a name for plots and printing
    - op: str, the gate that made this node ('' for an input)
    - inputs: tuple of Values the gate read
    - local_grads: tuple of floats, d data / d input for each input
    """

    __slots__ = ("data", "grad", "label", "op", "inputs", "local_grads")
    __hash__ = object.__hash__  # nodes are keyed by identity, never by value

    def __init__(self, data, label: str = "", _inputs=(), _op: str = "", _local_grads=()):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value: expected a real number, got {type(data).__name__}")
        if not math.isfinite(data):
            raise ValueError(f"Value: expected a finite number, got {data}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self.op = _op
        self.inputs = tuple(_inputs)
        self.local_grads = tuple(float(g) for g in _local_grads)

    @classmethod
    def apply(cls, gate, *inputs: Value) -> Value:
        """A new node: ``gate`` applied to ``inputs``, its local gradients recorded."""
        data = [v.data for v in inputs]
        return cls(gate.forward(*data), _inputs=inputs, _op=gate.name,
                   _local_grads=gate.local_grads(*data))

    def __repr__(self):
        label = f"{self.label}: " if self.label else ""
        return f"Value({label}data={self.data:.6g}, grad={self.grad:.6g})"

    # arithmetic, with plain numbers on either side
    def __add__(self, other):
        return Value.apply(AddGate, self, as_value(other))

    def __mul__(self, other):
        return Value.apply(MultiplyGate, self, as_value(other))

    def __pow__(self, k):
        if isinstance(k, bool) or not isinstance(k, numbers.Real):
            raise TypeError(f"**: the exponent must be a number, got {type(k).__name__}")
        return Value.apply(PowerGate(float(k)), self)

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-as_value(other))

    def __truediv__(self, other):
        return self * as_value(other) ** -1

    def __radd__(self, other):
        return as_value(other) + self

    def __rmul__(self, other):
        return as_value(other) * self

    def __rsub__(self, other):
        return as_value(other) - self

    def __rtruediv__(self, other):
        return as_value(other) / self

    # functions of one input
    def exp(self):
        return Value.apply(ExpGate, self)

    def log(self):
        return Value.apply(LogGate, self)

    def tanh(self):
        return Value.apply(TanhGate, self)

    def sigmoid(self):
        return Value.apply(SigmoidGate, self)

    def relu(self):
        return Value.apply(ReLUGate, self)

    def max(self, other):
        return Value.apply(MaxGate, self, as_value(other))

    def backward(self):
        """Fill in ``grad`` of every node this one depends on, by the chain rule.

        Sets this node's grad to 1 (d self / d self), visits nodes in reverse
        topological order, and for each input adds ``local * upstream``.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            upstream = node.grad
            for child, local in zip(node.inputs, node.local_grads):
                child.grad += local * upstream  # += : a node used twice sums its gradients


def as_value(x) -> Value:
    """``x`` itself if it is a Value, else a new constant Value."""
    return x if isinstance(x, Value) else Value(x)


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, inputs before the nodes that use them.

    Iterative depth-first search (no recursion limit), nodes keyed by identity.
    """
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for child in reversed(node.inputs):
            if id(child) not in visited:
                stack.append((child, False))
    return order


def trace(root: Value):
    """The graph below ``root`` as ``(nodes, edges)``.

    nodes: list of Values in topological order; edges: list of (input, node)
    pairs, one per gate input (a node used twice appears in two edges).
    """
    nodes = topological_order(root)
    edges = [(child, node) for node in nodes for child in node.inputs]
    return nodes, edges


def backward_steps(root: Value):
    """Run backpropagation one gate at a time, for showing it step by step.

    Resets the graph's gradients, then yields one dict per gate (output
    first): ``{"node", "upstream", "inputs": [(input, local, downstream)]}``.
    After the last step every ``grad`` equals what ``root.backward()`` gives.
    """
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        if not node.inputs:
            continue
        upstream = node.grad
        steps = []
        for child, local in zip(node.inputs, node.local_grads):
            downstream = local * upstream
            child.grad += downstream
            steps.append((child, local, downstream))
        yield {"node": node, "upstream": upstream, "inputs": steps}


def sigmoid_neuron(w, x):
    """The lecture's 2-D neuron f(w, x) = sigma(w0 x0 + w1 x1 + w2), built gate by gate.

    Inputs: w, three numbers (w0, w1, w2); x, two numbers (x0, x1).
    Returns (f, w_values, x_values): the output node and the input Values.
    """
    w = [as_value(v) for v in w]
    x = [as_value(v) for v in x]
    if len(w) != 3 or len(x) != 2:
        raise ValueError(f"sigmoid_neuron: expected 3 weights and 2 inputs, "
                         f"got {len(w)} and {len(x)}")
    for i, v in enumerate(w):
        v.label = v.label or f"w{i}"
    for i, v in enumerate(x):
        v.label = v.label or f"x{i}"
    f = (w[0] * x[0] + w[1] * x[1] + w[2]).sigmoid()
    f.label = "f"
    return f, w, x
