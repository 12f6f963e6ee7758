"""The graph stepper (assignment 01) and the Jacobian explorer (04)."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np

from course.widgets.base import Explorer, _choice, _figure, _num, _slider, _table

# ---------------------------------------------------------------- 01: backprop step by step

def _copy_graph(root):
    """The graph below root, node for node (stepping sets grads; the caller's stay as they are)."""
    from course.graph import Value, topological_order

    copies = {}
    for node in topological_order(root):
        copies[node] = Value(node.data, node.label, tuple(copies[c] for c in node.inputs),
                             node.op, node.local_grads)
    return copies[root]


def _formula(node, depth=4):
    """A node as a formula of labelled inputs, e.g. "w0 * x0 + w1 * x1"; None if too deep."""
    if node.label or not node.op:
        return node.label or f"{node.data:g}"
    parts = [_formula(c, depth - 1) for c in node.inputs] if depth else [None]
    if None in parts:
        return None
    if node.op in ("+", "*") and len(parts) == 2:
        if node.op == "*":  # a sum inside a product needs parentheses
            parts = [f"({p})" if c.op == "+" and not c.label else p
                     for c, p in zip(node.inputs, parts)]
        return f" {node.op} ".join(parts)
    if node.op.startswith("**"):  # the power gate's name holds its exponent, e.g. "**-1"
        compound = node.inputs[0].op and not node.inputs[0].label
        return f"({parts[0]}){node.op}" if compound else f"{parts[0]}{node.op}"
    return f"{node.op}({', '.join(parts)})"


def _name(node):
    """A node's label, its formula if short, else its gate and data."""
    formula = _formula(node)
    return formula if formula and len(formula) <= 32 else f"[{node.op} node, {node.data:.3g}]"


def graph_stepper(root=None):
    """Walk the backward pass of a scalar graph gate by gate (assignment 01).

    Inputs: root, a ``course.graph.Value`` (None: the lecture's sigmoid neuron
    sigma(w0 x0 + w1 x1 + w2) at w = (2, -3, -3), x = (-1, -2)). The graph is copied,
    so root's own grads are left alone.
    Controls: "step" (0 = forward pass only, k = after k gates of ``backward_steps``),
    "prev" and "next" buttons. Shows the graph (``graph_plot.draw_graph``) with the current
    gate highlighted, and its upstream, local and downstream gradients as text.
    Returns: an Explorer; ``.highlighted`` is the current gate's output node (or None).
    """
    from course import graph_plot
    from course.graph import Value, backward_steps, sigmoid_neuron, topological_order

    if root is None:
        root = sigmoid_neuron((2.0, -3.0, -3.0), (-1.0, -2.0))[0]
    if not isinstance(root, Value):
        raise TypeError(f"root: expected a course.graph.Value or None, got {type(root).__name__}")
    root = _copy_graph(root)
    nodes = topological_order(root)
    leaves = [n for n in nodes if not n.op]
    steps, grads = [], [dict.fromkeys(nodes, 0.0)]
    for step in backward_steps(root):  # record the grads after every gate
        steps.append(step)
        grads.append({n: n.grad for n in nodes})

    def draw(box, v):
        k = v["step"]
        for node in nodes:
            node.grad = grads[k][node]
        box.highlighted = steps[k - 1]["node"] if k else None
        fig = graph_plot.draw_graph(root, ax=box.figure.axes[0] if box.figure else None,
                             highlight=box.highlighted, show_grad=k > 0)
        controls["prev"].disabled, controls["next"].disabled = k == 0, k == len(steps)
        if k == 0:
            return fig, (
                f"<b>Forward pass</b>: every box shows its value; the output is "
                f"{_name(root)} = {root.data:.4g}. Press <i>Next</i> to backpropagate: it "
                f"starts at the output with d{_name(root)}/d{_name(root)} = 1.")
        step = steps[k - 1]
        rows = [(_name(child), _num(local), f"{_num(local)} &times; {_num(step['upstream'])}"
                 f" = <b>{_num(down)}</b>") for child, local, down in step["inputs"]]
        reached = {c for s in steps[:k] for c, _, _ in s["inputs"]}
        so_far = ", ".join(f"{_name(n)} = {_num(n.grad) if n in reached else '?'}"
                           for n in leaves)
        return fig, (
            f"<b>Step {k} of {len(steps)}: the {html.escape(step['node'].op)} gate</b> "
            f"that makes {html.escape(_name(step['node']))}. Upstream gradient "
            f"d{_name(root)}/d(its output) = <b>{_num(step['upstream'])}</b>.<br>"
            + _table(["input", "local gradient", "downstream = local &times; upstream"], rows)
            + f"Gradients of the inputs so far (? = not reached yet; grads are summed with "
            f"+=): {html.escape(so_far)}")

    controls = {"step": widgets.IntSlider(0, 0, len(steps), description="step"),
                "prev": widgets.Button(description="Prev", icon="arrow-left"),
                "next": widgets.Button(description="Next", icon="arrow-right")}
    def move(delta):
        slider = controls["step"]
        slider.value = min(max(slider.value + delta, 0), len(steps))

    controls["prev"].on_click(lambda _: move(-1))
    controls["next"].on_click(lambda _: move(+1))
    return Explorer(controls, draw)



# ---------------------------------------------------------------- 04: Jacobians

def jacobian_explorer(activation="relu", size=8, seed=0):
    """The Jacobian of an elementwise activation at a random vector x, as an image (04).

    Row i of J is the layer's backward applied to the one-hot upstream gradient e_i, so
    J[i, j] = d out_i / d x_j. For every activation in ``course.layers`` J is diagonal;
    for ReLU the diagonal is 1 where x > 0 and 0 elsewhere: a sparse matrix that backward
    never builds (dx = dout * (x > 0)). Controls: "activation", "size", "seed".
    """
    from course.layers import ACTIVATIONS

    _choice("activation", activation, ACTIVATIONS)

    def draw(box, v):
        n, name = v["size"], v["activation"]
        x = np.round(np.random.default_rng(v["seed"]).standard_normal(n), 2)
        forward, backward = ACTIVATIONS[name]
        out, cache = forward(x)
        J = np.stack([backward(e, cache) for e in np.eye(n)])
        if box.figure is None:
            fig, (ax,) = _figure(4.6, 4.6, left=0.7, bottom=0.2, top=1.0)
            ax.imshow(J, cmap="RdBu_r", vmin=-1.2, vmax=1.2)
            ax.xaxis.tick_top()
        else:  # redrawn in place: clearing the axes would rebuild every tick (a third
            fig, (ax,) = box.figure, box.figure.axes  # of the time a change takes)
        edges = (-0.5, n - 0.5)
        ax.images[0].set(data=J, extent=(*edges, edges[1], edges[0]))
        ax.set(xlim=edges, ylim=edges[::-1])
        ax.set_xticks(range(n), labels=[f"{xi:+.2f}" for xi in x], rotation=90,
                      fontsize="x-small")
        ax.set_yticks(range(n), labels=[f"out {i}" for i in range(n)], fontsize="x-small")
        ax.set_title(f"Jacobian of {name}: d out_i / d x_j", fontsize="medium", pad=30)
        for text in list(ax.texts):
            text.remove()
        if n <= 10:  # the diagonal's values
            for i in range(n):
                ax.text(i, i, f"{J[i, i]:.2g}", ha="center", va="center", fontsize="x-small")
        off_diagonal = np.count_nonzero(J - np.diag(np.diagonal(J)))
        where = ("all on the diagonal: each output depends only on its own input"
                 if off_diagonal == 0 else f"{off_diagonal} of them off the diagonal")
        return fig, (
            f"x = {np.array2string(x, separator=', ')} (column labels). J is {n} &times; {n} "
            f"with <b>{np.count_nonzero(J)}</b> non-zero entries of {n * n}, {where}.")

    controls = {
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                       description="activation"),
        "size": _slider("IntSlider", "size n", size, min=2, max=16),
        "seed": _slider("IntSlider", "seed", seed, min=0, max=20),
    }
    return Explorer(controls, draw)
