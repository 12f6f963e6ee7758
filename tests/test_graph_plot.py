"""Drawing the scalar graph (course.graph_plot): every node's data and grad, legible layouts."""


import numpy as np
import pytest

from course import graph_plot
from course.graph import Value, backward_steps, sigmoid_neuron, trace

pytestmark = pytest.mark.viz



def by_gid(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def lecture_graph():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    f.backward()
    return f


def weighted_sum_graph():
    w, x = [Value(float(i), f"w{i}") for i in range(6)], [Value(1.0, f"x{i}") for i in range(6)]
    s = w[0] * x[0]
    for wi, xi in zip(w[1:], x[1:]):
        s = s + wi * xi  # products made early feed sums far to the right
    return s.tanh() * s.sigmoid()  # 28 nodes


def skip_connection_graph():
    a = Value(0.5, "a")
    return a.exp().exp() + a  # the edge a -> + runs alongside the exp chain



def test_graph_shows_every_node_data_and_grad():
    f = lecture_graph()
    fig = graph_plot.draw_graph(f)
    shown = texts(fig)
    nodes, edges = trace(f)
    for node in nodes:
        assert f"data {node.data:.4g}" in shown and f"grad {node.grad:.4g}" in shown
    # the lecture's numbers: f = -12, q = 3, dq = dx = dy = -4, dz = 3
    for s in ("data -12", "data 3", "grad -4", "grad 3", "grad 1", "x", "q", "+", "×"):
        assert s in shown
    ax = fig.axes[0]
    assert len(by_gid(ax, "value")) == len(nodes) == 5
    assert len(by_gid(ax, "gate")) == len(by_gid(ax, "gate_out")) == 2
    assert len(by_gid(ax, "edge")) == len(edges) == 4


def test_node_used_twice_gets_two_distinct_edges():
    a = Value(3.0, "a")
    b = a * a
    b.backward()
    ax = graph_plot.draw_graph(b).axes[0]
    edges = by_gid(ax, "edge")
    assert len(edges) == 2
    first, second = (e.get_path().vertices for e in edges)
    assert first.shape != second.shape or not np.allclose(first, second)  # bent apart
    assert "grad 6" in texts(ax.figure)  # d(a*a)/da = 2a


@pytest.mark.parametrize("make", [weighted_sum_graph, skip_connection_graph,
                                  lambda: sigmoid_neuron([2, -3, -3], [-1, -2])[0]])
def test_graph_layout_keeps_boxes_and_long_edges_apart(make):
    out = make()
    nodes, edges, xy, routes = graph_plot.graph_layout(out)
    points = [("box", p) for p in xy.values()] + [("via", p) for r in routes for p in r]
    for column in {p[0] for _, p in points}:
        here = sorted((p[1], kind) for kind, p in points if p[0] == column)
        for (y0, k0), (y1, k1) in zip(here, here[1:]):
            assert y1 - y0 >= (1.0 if k0 == k1 == "box" else 0.6) - 1e-9
    for (c, n), route in zip(edges, routes):  # one waypoint per column an edge skips
        assert len(route) == round((xy[n][0] - xy[c][0]) / 3.2) - 1
    fig = graph_plot.draw_graph(out)
    assert len(by_gid(fig.axes[0], "value")) == len(nodes)


def test_constants_sit_next_to_their_gate_and_huge_graphs_are_refused():
    x = Value(1.0, "x")
    f = x.exp().exp() * 2.0
    nodes, edges, xy, routes = graph_plot.graph_layout(f)
    (two,) = [n for n in nodes if not n.inputs and not n.label]
    assert xy[two][0] == xy[f.inputs[0]][0] and routes == [[]] * len(edges)
    for _ in range(260):
        x = x * 1.0  # two nodes per step
    with pytest.raises(ValueError, match="MAX_GRAPH_NODES"):
        graph_plot.draw_graph(x)


def test_highlight_colours_the_node():
    f = lecture_graph()
    q = f.inputs[0]
    ax = graph_plot.draw_graph(f, highlight=q).axes[0]
    colours = {tuple(p.get_facecolor()) for p in by_gid(ax, "value")}
    assert len(colours) == 2
    with pytest.raises(ValueError, match="highlight"):
        graph_plot.draw_graph(f, highlight=Value(1.0))
    with pytest.raises(TypeError, match="root"):
        graph_plot.draw_graph(3.0)


def test_graph_redraw_replaces_old_artists():
    fig = graph_plot.draw_graph(lecture_graph())
    ax = fig.axes[0]
    f, _, _ = sigmoid_neuron([2.0, -3.0, -3.0], [-1.0, -2.0])
    f.backward()
    graph_plot.draw_graph(f, ax=ax)
    nodes, edges = trace(f)
    assert len(by_gid(ax, "value")) == len(nodes) and len(by_gid(ax, "edge")) == len(edges)
    assert "q" not in texts(fig) and "data 0.7311" in texts(fig)  # sigma(1) = 0.7311
    assert "σ" in texts(fig) and "^2" in texts(graph_plot.draw_graph(Value(3.0) ** 2))


def test_backward_stepper_redraw_updates_grads_in_place():
    f = lecture_graph()
    ax = graph_plot.draw_graph(f).axes[0]
    count = len(ax.patches) + len(ax.texts)
    for step in backward_steps(f):
        graph_plot.draw_graph(f, ax=ax, highlight=step["node"])
        assert len(ax.patches) + len(ax.texts) == count
    assert "grad -4" in texts(ax.figure)
    graph_plot.draw_graph(f, ax=ax, show_grad=False)
    assert not any(t.startswith("grad") for t in texts(ax.figure))
