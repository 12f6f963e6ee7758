"""Hidden checks of assignment 01: gate local gradients, the student's ``Value``, concept checks.

The gate suites call the student's function on random inputs, ties, zeros
and 1e3-magnitude values and compare with ``course.graph``'s gates. The
``Value`` suites build the same random expression graphs twice, once with the
student's class and once with ``course.graph.Value``, and compare every
node's data and grad; when grads differ they recompute them with the usual
mistakes (overwriting instead of accumulating, a wrong visiting order) to
name the one the student made.
"""

from __future__ import annotations

import math
import sys
import warnings
from collections import deque

import numpy as np

from autograder.checks import suite
from autograder.remote import Step, class_names, connection, is_class, type_name
from course import graph as ref

TOL = 1e-9  # gates and graphs are exact formulas: only rounding differs

OVERWRITE = ("grad overwritten instead of accumulated (=, not +=): a node used by two gates "
             "must add up the gradients coming back from both uses")
ORDER = ("backward visits nodes in the wrong order: a node passed its gradient on before every "
         "node that uses it had added its share; walk a topological order in reverse "
         "(the output first)")
NO_RESET = ("calling backward() twice changed the gradients: set every node's grad to 0 at the "
            "start of backward(), then the output's grad to 1")
ROOT = ("after backward() the output's own grad must be d f / d f: set self.grad = 1 before "
        "walking the graph")
RECURSION = ("backward() hit Python's recursion limit (RecursionError) on a chain of {n} gates: a "
             "recursive topological sort goes one Python call deeper per node; build the order "
             "with an explicit stack (a list you append to and pop from) instead of recursion")


# ---- small helpers ------------------------------------------------------------------------

def _as_float(v):
    """A real number as float, or None for anything else (None, strings, Values, tuples...)."""
    if isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    if type(v) is np.ndarray and v.shape == () and v.dtype.kind in "biuf":
        return _as_float(v.item())
    return None


def _close(got, expected, tol=TOL, scale=0.0):
    """Relative closeness; ``scale``: the size rounding is relative to when it is larger than
    the values themselves (a sum of terms that nearly cancel, see ``_error_scales``)."""
    got, expected = np.asarray(got, float), np.asarray(expected, float)
    if got.shape != expected.shape:
        return False
    size = np.maximum(np.abs(got) + np.abs(expected), scale)
    err = np.abs(got - expected) / np.maximum(1e-8, size)
    return bool(err.size == 0 or err.max() <= tol)


def _call_quietly(fn, *args):
    """``(result, problem)``: call student code, turning exceptions and warnings into words."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fn(*args)
        except RecursionError:
            raise
        except Exception as err:  # student code may raise anything
            return None, f"raised {type(err).__name__}: {err}"
    # other warnings are swallowed: in a graded cell they would reach stderr and score 0
    numeric = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    if numeric:
        return out, f"gave a warning ({numeric[0].category.__name__}: {numeric[0].message})"
    return out, ""


def _fmt(args):
    return ", ".join(f"{a:.4g}" if isinstance(a, float) else repr(a) for a in args)


# ---- gates ----------------------------------------------------------------------------------

def _gate_cases(rng, pairs=True):
    """Named groups of inputs: random values, ties, zeros, large magnitudes, integers."""
    def r(*shape):
        return (3 * rng.standard_normal(shape)).tolist()

    if not pairs:
        return {"random inputs": [(v,) for v in r(8)], "x = 0": [(0.0,)],
                "moderately large |x| (about 30)": [(30.0 + 5 * abs(v),) for v in r(1)]
                + [(-30.0 - 5 * abs(v),) for v in r(1)],
                "large |x| (1e3 and beyond)": [(1e3,), (-1e3,), (-1e5 * (1 + abs(r(1)[0])),)]}
    t = r(1)[0]
    return {"random inputs": [tuple(p) for p in r(8, 2)],
            "ties (x == y)": [(t, t), (0.0, 0.0), (-abs(t), -abs(t))],
            "zeros": [(0.0, r(1)[0]), (r(1)[0], 0.0)],
            "large magnitudes": [(1e3 * (1 + abs(t)), -1e3), (-2e3, 1e3 * (1 + abs(t)))],
            "integer inputs": [(3, -4), (-2, 5)]}


def _gate_suite(name, student, judge, cases, expected_fn, diagnose, pair=True, on_error=""):
    """One verdict per group of cases, naming the first input that fails."""
    for label, group in cases.items():
        message = ""
        for args in group:
            got, problem = _call_quietly(student, *args)
            call = f"{name}({_fmt(args)})"
            if problem:
                overflow = on_error and "overflow" in problem.lower()
                message = f"{call} {problem}" + (f"; {on_error}" if overflow else "")
                break
            if pair:
                is_pair = (isinstance(got, (tuple, list)) and len(got) == 2) or (
                    type(got) is np.ndarray and got.shape == (2,))
                if not is_pair:
                    message = (f"{call} must return a pair (d out/dx, d out/dy), "
                               f"got {type_name(got)}")
                    break
                values = [_as_float(g) for g in got]
            else:
                values = [_as_float(got)]
            if any(v is None for v in values):
                message = f"{call} returned {got!r:.60}: expected real, finite numbers"
                break
            if not _close(values, expected_fn(*args)):
                message = f"{call}: wrong local gradient; {diagnose(args, values)}"
                break
        judge.record(f"{name} on {label}", not message, message)


@suite("add_local_grads")
def _(student, rng, judge):
    def diagnose(args, got):
        x, y = args
        if _close(got, (x, y)) or _close(got, (y, x)):
            return ("you returned input values; how much x + y changes per unit change of x "
                    "does not depend on x or y")
        return "d(x + y)/dx: if x grows by a tiny h, by how much does x + y grow?"

    _gate_suite("add_local_grads", student, judge, _gate_cases(rng), ref.AddGate.local_grads,
                diagnose)


@suite("multiply_local_grads")
def _(student, rng, judge):
    def diagnose(args, got):
        x, y = args
        if x != y and _close(got, (x, y)):
            return "not swapped: d(x*y)/dx is the OTHER input (the multiply gate swaps)"
        if _close(got, (1.0, 1.0)):
            return "those are the add gate's local gradients, not the multiply gate's"
        return "d(x*y)/dx treats y as a constant factor"

    _gate_suite("multiply_local_grads", student, judge, _gate_cases(rng),
                ref.MultiplyGate.local_grads, diagnose)


@suite("max_local_grads")
def _(student, rng, judge):
    def diagnose(args, got):
        x, y = args
        if x == y:
            if _close(got, (0.0, 1.0)):
                return "tie rule: on a tie the whole gradient goes to the FIRST input, x"
            if _close(got, (0.5, 0.5)):
                return ("on a tie this course does not split: the whole gradient goes to the "
                        "first input, x (as course.graph.MaxGate documents)")
        if _close(got, (1.0, 1.0)):
            return "the max gate routes: only one input gets a local gradient of 1"
        if _close(got[::-1], ref.MaxGate.local_grads(x, y)):
            return "routed to the smaller input: the larger input is the one that matters"
        if _close(got, (x, y)) or _close(got, (max(x, y), 0.0)) or _close(got, (0.0, max(x, y))):
            return "you returned input values; the local gradients of max are 0 or 1"
        return "the input that wins the max gets local gradient 1, the other 0"

    _gate_suite("max_local_grads", student, judge, _gate_cases(rng), ref.MaxGate.local_grads,
                diagnose)


@suite("sigmoid_local_grad")
def _(student, rng, judge):
    def sigma(x):
        return float(ref.SigmoidGate.forward(x))

    def diagnose(args, got):
        (x,) = args
        s = sigma(x)
        if _close(got, (s,)):
            return "you returned sigma(x) itself, not its derivative"
        if _close(got, ((1 - x) * x,)):
            return "(1 - sigma) sigma needs sigma(x), not x"
        if _close(got, (-(1 - s) * s,)):
            return "sign flipped: the sigmoid is increasing, so its derivative is positive"
        return "the local gradient of the sigmoid gate is (1 - sigma(x)) sigma(x)"

    _gate_suite("sigmoid_local_grad", student, judge, _gate_cases(rng, pairs=False),
                ref.SigmoidGate.local_grads, diagnose, pair=False,
                on_error="exp(-x) overflows for x below about -709: compute sigma from "
                "exp(-|x|), with one formula for x >= 0 and one for x < 0")


# ---- expression graphs, built the same way with two Value classes -------------------------

_OPS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "**": lambda a, k: a ** k, "neg": lambda a: -a,
    "relu": lambda a: a.relu(), "exp": lambda a: a.exp(), "tanh": lambda a: a.tanh(),
}
_BINARY, _UNARY = ("+", "-", "*", "/"), ("neg", "relu", "exp", "tanh", "**")


def _describe(op, args):
    """``program`` instruction as the student would read it: ``Value * 2``, ``Value.exp()``."""
    names = ["Value" if isinstance(a, int) else f"{a:g}" for a in args]
    if op in ("relu", "exp", "tanh"):
        return f"Value.{op}()"
    return "-Value" if op == "neg" else f"{names[0]} {op} {names[1]}"


def _data_hint(got, expected):
    if _close(got, -expected) and expected != 0:
        return "the sign is flipped"
    if expected != 0 and got != 0 and _close(got, 1 / expected):
        return "the result is upside down (numerator and denominator swapped?)"
    return ""


def build(cls, leaves, program):
    """Every node of ``program`` made with ``cls``: leaves first, one node per instruction.

    An instruction is ``(op, args)``; an int argument is a node index, a float a constant
    (for ``**`` the second argument is always the exponent, a plain number).
    """
    conn = connection(cls)
    if conn is not None:  # the student's class, in the kernel: the same, in one round trip
        return _build_there(conn, cls, leaves, program)
    nodes = [cls(v) for v in leaves]
    for op, args in program:
        vals = [nodes[a] if isinstance(a, int) else a for a in args]
        nodes.append(_OPS[op](*vals))
    return nodes


_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "**": "pow", "neg": "neg"}


def _build_there(conn, cls, leaves, program):
    """``build`` as one batch of steps run by the probe (``Step(k)``: step k's value)."""
    steps, node_step = [(cls, v) for v in leaves], list(range(len(leaves)))
    for op, args in program:
        vals = [Step(node_step[a]) if isinstance(a, int) else a for a in args]
        if op in _OPERATORS:
            steps.append((_OPERATORS[op], *vals))
        else:  # a method: v.relu() is getattr(v, "relu") then a call
            steps += [("getattr", vals[0], op), (Step(len(steps)),)]
        node_step.append(len(steps) - 1)
    values = conn.apply_all(steps)
    return [values[k] for k in node_step]


def _each(student, nodes, fn, *args):
    """``[fn(node, *args) for node in nodes]`` (getattr or isinstance), in one round trip
    when the student's class lives in the kernel."""
    conn = connection(student)
    if conn is None:
        return [{"getattr": getattr, "isinstance": isinstance}[fn](n, *args) for n in nodes]
    return conn.apply_all([(fn, n, *args) for n in nodes])


def _valid(op, vals, out):
    """Keep values in a range where every formula a student might write is accurate."""
    data = [v.data if isinstance(v, ref.Value) else v for v in vals]
    if op == "/" and abs(data[1]) < 0.3:
        return False
    if op == "relu" and abs(data[0]) < 1e-3:  # away from the kink
        return False
    if (op == "exp" and data[0] > 4) or (op == "tanh" and abs(data[0]) > 20):
        return False  # tanh written with exp(2x) would overflow for large inputs
    return out is not None and abs(out.data) < 1e3


def random_program(rng, n_leaves=4, n_ops=14, shared=True):
    """Random leaves and instructions; ``shared=False`` uses every node exactly once (a tree)."""
    leaves = [float(v) for v in rng.uniform(-2, 2, n_leaves)]
    nodes = [ref.Value(v) for v in leaves]
    free, program = list(range(n_leaves)), []

    def pick():
        if shared:
            return int(rng.integers(max(0, len(nodes) - 5), len(nodes)))
        return free.pop(int(rng.integers(len(free))))

    while len(program) < n_ops:
        op = str(rng.choice(_BINARY + _UNARY))
        kind = str(rng.choice(["nn", "nn", "nc", "cn"])) if op in _BINARY else "n"
        if kind == "nn" and not shared and len(free) < 2:
            continue
        taken = [] if shared else list(free)
        if op == "**":
            args = [pick(), float(rng.choice([2.0, 3.0, -1.0, 0.5]))]
        elif kind == "n":
            args = [pick()]
        else:
            c = float(np.round(rng.uniform(-3, 3), 2)) or 1.5
            args = [pick(), pick()] if kind == "nn" else ([pick(), c] if kind == "nc"
                                                          else [c, pick()])
        vals = [nodes[a] if isinstance(a, int) else a for a in args]
        try:
            out = _OPS[op](*vals)
        except (ValueError, ZeroDivisionError, OverflowError):
            out = None
        if not _valid(op, vals, out):
            if not shared:
                free[:] = taken  # put the operands back
            continue
        program.append((op, args))
        nodes.append(out)
        if not shared:
            free.append(len(nodes) - 1)
    # the output: a sum of the last nodes (shared) or of every unused node (tree)
    rest = [len(nodes) - 1, len(nodes) - 2, len(nodes) - 3] if shared else free
    acc = rest[0]
    for i in rest[1:]:
        program.append(("+", [acc, i]))
        acc = len(leaves) + len(program) - 1
    return leaves, program


def _error_scales(nodes):
    """``(data, grad)``: per node of a reference graph, the size its rounding error is relative to.

    Two classes that add the same terms in another order, or write tanh another way, differ
    by a few ulps of the terms, not of the result: where the terms nearly cancel, the
    result's own size is no yardstick. First-order error propagation gives the yardstick:
    forward, ``|out| + sum |local| * scale(input)``; backward, the grads computed with
    absolute values, ``sum |local| * scale(upstream)``.
    """
    data = {}
    for node in nodes:
        data[id(node)] = abs(node.data) + sum(abs(local) * data.get(id(x), abs(x.data))
                                              for x, local in zip(node.inputs, node.local_grads))
    grad = {id(n): 0.0 for n in nodes}
    grad[id(nodes[-1])] = 1.0
    for node in reversed(ref.topological_order(nodes[-1])):
        for child, local in zip(node.inputs, node.local_grads):
            grad[id(child)] = grad.get(id(child), 0.0) + abs(local) * grad[id(node)]
    return [data[id(n)] for n in nodes], [grad[id(n)] for n in nodes]


def _wrong_grads(root, nodes, mistake):
    """Grads of ``nodes`` under a mistaken backward pass over the reference graph."""
    order = ref.topological_order(root)
    grad = {id(n): 0.0 for n in order}
    grad[id(root)] = 1.0
    if mistake == "overwrite":
        visit = reversed(order)
    else:  # breadth-first or depth-first pre-order from the output, each node once
        visit, seen, todo = [], {id(root)}, deque([root])
        while todo:
            node = todo.popleft() if mistake == "bfs" else todo.pop()
            visit.append(node)
            for child in node.inputs:
                if id(child) not in seen:
                    seen.add(id(child))
                    todo.append(child)
    for node in visit:
        for child, local in zip(node.inputs, node.local_grads):
            if mistake == "overwrite":
                grad[id(child)] = local * grad[id(node)]
            else:
                grad[id(child)] += local * grad[id(node)]
    return [grad.get(id(n), 0.0) for n in nodes]


def _diagnose_grads(got, root, nodes, scale):
    for mistake, message in (("overwrite", OVERWRITE), ("bfs", ORDER), ("dfs", ORDER)):
        wrong = _wrong_grads(root, nodes, mistake)
        if (_close(got, wrong, tol=1e-7, scale=scale)
                and not _close(wrong, [n.grad for n in nodes], tol=1e-7, scale=scale)):
            return message
    return ("check each gate's local gradient, that grads are accumulated with +=, and that "
            "every node is visited after all the nodes that use it")


def _own_class(student, judge):
    if not is_class(student):
        return judge.record("Value", False, f"Value must be a class, got {type_name(student)}")
    if "course.graph.Value" in class_names(student):
        return judge.record("Value", False, "Value must be your own class, not (a subclass of) "
                            "course.graph.Value")
    return True


def compare_graph(judge, what, student, leaves, program, hint="", backward=True,
                  diagnose=True):
    """Build ``program`` with both classes; compare data (and grads after backward).

    ``diagnose``: name the mistake behind wrong grads (order, accumulation) by recomputing
    them the wrong ways; otherwise point at ``hint`` or at the local gradients of the ops.
    """
    mine, problem = _call_quietly(build, student, leaves, program)
    if problem:
        return judge.record(what, False, f"{what}: building it {problem}")
    own = _each(student, mine, "isinstance", student)
    if not all(k is True for k in own):
        bad = next(i for i, k in enumerate(own) if k is not True)
        op, args = program[bad - len(leaves)]
        return judge.record(what, False, f"{what}: {_describe(op, args)} returned "
                            f"{type_name(mine[bad])}, expected a new Value (a graph node)")
    theirs = build(ref.Value, leaves, program)
    data_scale, grad_scale = _error_scales(theirs)
    data = [_as_float(d) for d in _each(student, mine, "getattr", "data", None)]
    if any(d is None for d in data):
        return judge.record(what, False, f"{what}: a node's .data is not a real number")
    if not _close(data, [n.data for n in theirs], scale=data_scale):
        bad = next(i for i, (d, n, s) in enumerate(zip(data, theirs, data_scale))
                   if not _close(d, n.data, scale=s))
        if bad < len(leaves):
            return judge.record(what, False, f"{what}: an operation changed its input's data; "
                                "build a new Value for the result instead")
        op, args = program[bad - len(leaves)]
        why = _data_hint(data[bad], theirs[bad].data)
        return judge.record(what, False, f"{what}: wrong data at {_describe(op, args)}"
                            + (f": {why}" if why else ""))
    if not backward:
        return judge.record(what, True)
    _, problem = _call_quietly(mine[-1].backward)
    if problem:
        return judge.record(what, False, f"{what}: backward() {problem}")
    theirs[-1].backward()
    grads = [_as_float(g) for g in _each(student, mine, "getattr", "grad", None)]
    if any(g is None for g in grads):
        return judge.record(what, False, f"{what}: a node's .grad is not a real number")
    if grads[-1] != 1.0:
        return judge.record(what, False, f"{what}: {ROOT}")
    if _close(grads, [n.grad for n in theirs], tol=1e-7, scale=grad_scale):
        return judge.record(what, True)
    if diagnose:
        message = _diagnose_grads(grads, theirs[-1], theirs, grad_scale)
    else:
        message = hint or ("check the local gradients of "
                           + ", ".join(sorted({op for op, _ in program})))
    return judge.record(what, False, f"{what}: wrong grads; {message}")


# one instruction per case: (name, leaves, program, hint)
def _single_op_cases(rng):
    x, y = (float(v) for v in rng.uniform(0.5, 2, 2) * rng.choice([-1, 1], 2))
    c = float(np.round(rng.uniform(0.5, 3), 2))
    p = abs(x)
    return [
        ("x + y", [x, y], [("+", [0, 1])], "the add gate passes the gradient to both inputs"),
        ("x + number", [x], [("+", [0, c])], ""),
        ("number + x", [x], [("+", [c, 0])], "number + x calls __radd__"),
        ("x * y", [x, y], [("*", [0, 1])], "multiply swaps: x's local gradient is y"),
        ("x * number", [x], [("*", [0, c])], ""),
        ("number * x", [x], [("*", [c, 0])], "number * x calls __rmul__"),
        ("x - y", [x, y], [("-", [0, 1])], "x - y = x + (-y): y's local gradient is -1"),
        ("number - x", [x], [("-", [c, 0])], "number - x calls __rsub__"),
        ("x / y", [x, y], [("/", [0, 1])], "x / y = x * y**-1"),
        ("number / x", [x], [("/", [c, 0])], "number / x calls __rtruediv__"),
        ("x ** 2", [x], [("**", [0, 2.0])], "d(x**k)/dx = k x**(k-1)"),
        ("x ** 3", [x], [("**", [0, 3.0])], "d(x**k)/dx = k x**(k-1)"),
        ("x ** -1", [x], [("**", [0, -1.0])], "d(x**k)/dx = k x**(k-1)"),
        ("x ** 0.5", [p], [("**", [0, 0.5])], "d(x**k)/dx = k x**(k-1)"),
        ("-x", [x], [("neg", [0])], "-x = x * -1"),
        ("x.relu(), x > 0", [p], [("relu", [0])], "relu passes the gradient where x > 0"),
        ("x.relu(), x < 0", [-p], [("relu", [0])], "relu blocks the gradient where x < 0"),
        ("x.relu(), x == 0", [0.0], [("relu", [0])],
         "relu at exactly 0: output 0 and local gradient 0 in this course (x > 0, not x >= 0)"),
        ("x.exp()", [x], [("exp", [0])], "the local gradient of exp is exp(x), its output"),
        ("x.tanh()", [x], [("tanh", [0])], "the local gradient of tanh is 1 - tanh(x)**2"),
    ]


@suite("Value_forward")
def _(student, rng, judge):
    if not _own_class(student, judge):
        return
    for name, leaves, program, _ in _single_op_cases(rng):
        compare_graph(judge, name, student, leaves, program, backward=False)
    for k in range(3):
        leaves, program = random_program(rng, shared=bool(k % 2))
        compare_graph(judge, f"random expression {k + 1} ({len(program)} operations)",
                      student, leaves, program, backward=False)


@suite("Value_backward_simple")
def _(student, rng, judge):
    if not _own_class(student, judge):
        return
    for name, leaves, program, hint in _single_op_cases(rng):
        compare_graph(judge, f"gradient of {name}", student, leaves, program, hint=hint,
                      diagnose=False)
    # the lecture's graph f = (x + y) z, with fresh numbers
    xyz = [float(v) for v in rng.uniform(-5, 5, 3)]
    compare_graph(judge, "f = (x + y) * z", student, xyz, [("+", [0, 1]), ("*", [3, 2])],
                  diagnose=False)
    for k in range(3):  # trees: every node used once, so order and accumulation do not matter
        leaves, program = random_program(rng, n_leaves=5, n_ops=12, shared=False)
        compare_graph(judge, f"random tree-shaped expression {k + 1}", student, leaves, program,
                      diagnose=False)


@suite("Value_backward_shared_node")
def _(student, rng, judge):
    if not _own_class(student, judge):
        return
    x, y, b = (float(v) for v in rng.uniform(0.5, 2, 3) + 1.5)
    cases = [
        ("x * x", [x], [("*", [0, 0])]),
        ("x + x", [x], [("+", [0, 0])]),
        ("y = x * 2; f = y * y + x", [x], [("*", [0, 2.0]), ("*", [1, 1]), ("+", [2, 0])]),
        # a = x + y is used by m = a * b and by f: a must wait for both
        ("a = x + y; f = a + a * b", [x, y, b], [("+", [0, 1]), ("*", [3, 2]), ("+", [3, 4])]),
        ("a = x + y; f = a * b + a", [x, y, b], [("+", [0, 1]), ("*", [3, 2]), ("+", [4, 3])]),
    ]
    for name, leaves, program in cases:
        compare_graph(judge, name, student, leaves, program)
    for k in range(4):
        leaves, program = random_program(rng, n_leaves=3, n_ops=16, shared=True)
        compare_graph(judge, f"random graph with shared nodes {k + 1}", student, leaves, program)
    # backward() twice on one graph gives the same gradients
    nodes, problem = _call_quietly(build, student, [x, y], [("*", [0, 1]), ("+", [2, 0])])
    if not problem:
        first, problem = _call_quietly(lambda: (nodes[-1].backward(), nodes[0].grad)[1])
        second, problem2 = _call_quietly(lambda: (nodes[-1].backward(), nodes[0].grad)[1])
        judge.record("backward() twice", not (problem or problem2) and first == second,
                     f"backward() twice: {problem or problem2 or NO_RESET}")


@suite("Value_backward_deep")
def _(student, rng, judge):
    if not _own_class(student, judge):
        return
    n = 5000
    scales = np.round(rng.uniform(0.999, 1.001, n), 6).tolist()
    shifts = np.round(rng.uniform(-0.01, 0.01, n), 6).tolist()
    program = []
    for i, (c, d) in enumerate(zip(scales, shifts)):  # v = v * c + d, one after the other
        program += [("*", [2 * i, c]), ("+", [2 * i + 1, d])]
    leaves = [float(rng.uniform(-1, 1))]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(min(old, 3000))  # a student raising the limit must not hide recursion
    try:
        compare_graph(judge, f"a chain of {n} multiply-then-add steps", student, leaves,
                      program)
    except RecursionError:
        judge.record("deep chain", False, RECURSION.format(n=2 * n))
    finally:
        sys.setrecursionlimit(old)


# ---- concept checks -------------------------------------------------------------------------

def _choice(judge, what, got, right, options, hint):
    answer = got.strip().lower() if isinstance(got, str) else got
    if answer not in options:
        return judge.record(what, False,
                            f"{what} must be one of {sorted(options)}, got {got!r:.40}")
    return judge.record(what, answer == right, f"{what}: not this one; {hint}")


@suite("q1_swap_gate")
def _(student, rng, judge):
    _choice(judge, "answer_q1", student, "multiply", {"add", "multiply", "max", "copy"},
            "write down the local gradients of each gate with inputs x and y")


@suite("q2_shared_node")
def _(student, rng, judge):
    got = _as_float(student)
    if got is None:
        return judge.record("answer_q2", False, f"answer_q2 must be a number, got {student!r:.40}")
    hints = {2.0: "that is only the first gate's gradient", -0.5: "that is only the second one",
             -1.0: "the gradients are not multiplied", 0.75: "the gradients are not averaged"}
    judge.record("answer_q2", _close(got, 1.5, tol=1e-9),
                 "answer_q2: not right; " + hints.get(got, "what does the copy gate do with "
                                                           "the two upstream gradients?"))


@suite("q3_backward_order")
def _(student, rng, judge):
    _choice(judge, "answer_q3", student, "b", {"a", "b", "c", "d"},
            "a node may pass its gradient on only after every node that uses it has sent its "
            "share back; try the orders in the experiment")
