"""Drawing the scalar computational graph of ``course.graph``: boxes for values, circles for gates.

Built on the figure helpers of ``course.viz``; returns a matplotlib Figure like they do.
"""

from __future__ import annotations

import numpy as np

from course.viz import _BLUE, _GREEN, _RED, _YELLOW, _axes, _root_figure

# ---------------------------------------------------------------- computational graph

_DX, _BOX_W, _BOX_H, _GATE_R = 3.2, 1.7, 0.8, 0.3  # layout sizes in data units
_OP_SYMBOLS = {"*": "×", "sigmoid": "σ"}  # as on the slides; other ops print as named
MAX_GRAPH_NODES = 500
"""draw_graph refuses larger graphs: they take long to draw and cannot be read."""


def graph_layout(root):
    """Where draw_graph puts the nodes of ``trace(root)``.

    A node's column is its depth (the longest path from an input), except that an
    unlabelled input (a constant such as the 2 in ``x * 2``) sits just left of the
    first gate using it. An edge that skips columns gets a waypoint in each column
    it crosses, spaced like a node, so it never runs through a box (unless that
    takes over 4 * MAX_GRAPH_NODES waypoints: then edges are straight). Within a
    column, nodes and waypoints sit near the mean height of their neighbours (left,
    right, then left again), at least one unit apart (0.6 next to a waypoint).
    Returns: nodes, edges (as ``trace``), {node: (x, y)} box centres and, per edge,
    the list of its waypoints (x, y). A gate sits at its output's height, half a
    column to its left.
    """
    from course.graph import Value, trace

    if not isinstance(root, Value):
        raise TypeError(f"root: expected a course.graph.Value, got {type(root).__name__}")
    nodes, edges = trace(root)
    if len(nodes) > MAX_GRAPH_NODES:
        raise ValueError(f"root: the graph has {len(nodes)} nodes; draw_graph draws at most "
                         f"MAX_GRAPH_NODES = {MAX_GRAPH_NODES}")
    depth, first_use = {}, {}
    for n in nodes:  # inputs come before the nodes that use them
        depth[n] = 1 + max((depth[c] for c in n.inputs), default=-1)
    for child, node in edges:
        first_use[child] = min(first_use.get(child, depth[node]), depth[node])
    for n in nodes:
        if not n.inputs and not n.label and n is not root:
            depth[n] = first_use[n] - 1
    skips = sum(depth[node] - depth[child] - 1 for child, node in edges)
    columns = [[] for _ in range(max(depth.values()) + 1)]
    for n in nodes:
        columns[depth[n]].append(n)
    left, right = {n: [] for n in nodes}, {n: [] for n in nodes}
    routes = []
    for i, (child, node) in enumerate(edges):
        prev, route = child, []
        for d in range(depth[child] + 1, depth[node] if skips <= 4 * MAX_GRAPH_NODES else 0):
            via = ("via", i, d)
            columns[d].append(via)
            left[via], right[via] = [prev], []
            right[prev].append(via)
            route.append(via)
            prev = via
        right[prev].append(node)
        left[node].append(prev)
        routes.append(route)
    y = {n: float(i) for i, n in enumerate(columns[0])}
    for column in columns[1:]:  # a first guess for constants, whose column has no left
        y.update({n: 0.0 for n in column if not isinstance(n, tuple) and not n.inputs})

    def place(column, neighbours):
        want = {n: np.mean([y[m] for m in neighbours[n]]) if neighbours[n] else y[n]
                for n in column}
        placed = []
        for n in sorted(column, key=want.get):
            if placed:
                gap = 0.6 if isinstance(n, tuple) or isinstance(placed[-1][0], tuple) else 1.0
                placed.append((n, max(want[n], placed[-1][1] + gap)))
            else:
                placed.append((n, want[n]))
        shift = np.mean([want[n] - p for n, p in placed])  # keep the column centred
        y.update({n: p + shift for n, p in placed})

    for column in columns[1:]:
        place(column, left)
    for column in reversed(columns[:-1]):
        place(column, right)
    for column in columns[1:]:
        place(column, left)
    xy = {n: (depth[n] * _DX, -y[n]) for n in nodes}
    return nodes, edges, xy, [[(v[2] * _DX, -y[v]) for v in route] for route in routes]


def _node_texts(node, show_grad):
    lines = [(node.label, "k", "bold")] if node.label else []
    lines.append((f"data {node.data:.4g}", _GREEN, "normal"))
    if show_grad:
        lines.append((f"grad {node.grad:.4g}", _RED, "normal"))
    return lines


def _color_graph(state, highlight):
    for node, box in state["boxes"].items():
        on = node in highlight
        box.set(facecolor=_YELLOW if on else "#eef3fb", edgecolor=_RED if on else _BLUE)
        if node in state["gates"]:
            state["gates"][node].set(facecolor=_YELLOW if on else "white",
                                     edgecolor=_RED if on else _BLUE)
        for arrow in state["in_edges"].get(node, ()):
            arrow.set_color(_RED if on else "0.35")


def _highlight_set(highlight, nodes):
    highlight = [] if highlight is None else highlight
    highlight = set(highlight) if isinstance(highlight, (list, tuple, set)) else {highlight}
    if highlight - set(nodes):
        raise ValueError(f"highlight: {next(iter(highlight - set(nodes)))!r} "
                         "is not a node of this graph")
    return highlight


def draw_graph(root, ax=None, highlight=None, show_grad=True):
    """Draw the scalar computational graph below ``root`` (``course.graph.Value``).

    One box per Value (gid "value": label, data and grad to 4 significant digits),
    a circle per gate (gid "gate", the op name inside) between its input boxes and
    its output box, an arrow per edge of ``trace`` (gid "edge"; a node used twice
    gets two bent arrows) and one from each gate to its output (gid "gate_out").
    Inputs: root; ax, an Axes to redraw into; highlight, a node or list of nodes to
    colour (box, gate and incoming edges); show_grad, whether to print grads.
    Redrawing the same root into the same ax only updates texts and colours (fast).
    Returns: the Figure.
    """
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    state = getattr(ax, "_course_graph", None)
    if (state is not None and state["root"] is root and state["show_grad"] == show_grad
            and state["boxes"][root] in ax.patches):
        highlight = _highlight_set(highlight, state["boxes"])
        for node, texts in state["texts"].items():
            for text, (s, _, _) in zip(texts, _node_texts(node, show_grad)):
                text.set_text(s)
        _color_graph(state, highlight)
        return _root_figure(ax)

    nodes, edges, xy, routes = graph_layout(root)
    highlight = _highlight_set(highlight, nodes)
    xs, ys = [p[0] for p in xy.values()], [p[1] for r in routes for p in r] + [
        p[1] for p in xy.values()]
    xlim = (min(xs) - _BOX_W / 2 - 0.2, max(xs) + _BOX_W / 2 + 0.2)
    ylim = (min(ys) - _BOX_H / 2 - 0.2, max(ys) + _BOX_H / 2 + 0.2)
    width, height = xlim[1] - xlim[0], ylim[1] - ylim[0]
    new = ax is None
    fig, ax = _axes(ax, (min(max(0.55 * width, 3), 16), min(max(0.55 * height, 1.5), 10)))
    if new:
        fig.set_layout_engine(None)
        ax.set_position([0.01, 0.01, 0.98, 0.98])
    pos = ax.get_position()
    ppu = min(pos.width * fig.get_figwidth() / width,
              pos.height * fig.get_figheight() / height) * 72  # points per data unit
    fontsize = float(np.clip(0.18 * ppu, 4, 11))
    arrow_kw = dict(arrowstyle="-|>", mutation_scale=float(np.clip(0.25 * ppu, 4, 12)),
                    shrinkA=0, shrinkB=0, color="0.35")

    state = {"root": root, "show_grad": show_grad, "boxes": {}, "gates": {}, "texts": {},
             "in_edges": {}}
    for node in nodes:
        x, y = xy[node]
        box = FancyBboxPatch((x - _BOX_W / 2, y - _BOX_H / 2), _BOX_W, _BOX_H, lw=1,
                             boxstyle="round,pad=0,rounding_size=0.1", gid="value", zorder=2)
        state["boxes"][node] = ax.add_patch(box)
        lines = _node_texts(node, show_grad)
        state["texts"][node] = [
            ax.text(x, y + 0.24 * ((len(lines) - 1) / 2 - i), s, color=c, weight=w,
                    ha="center", va="center", fontsize=fontsize, zorder=3)
            for i, (s, c, w) in enumerate(lines)]
        if node.op:
            gx = x - _DX / 2
            state["gates"][node] = ax.add_patch(Circle((gx, y), _GATE_R, lw=1, gid="gate",
                                                       zorder=2))
            op = _OP_SYMBOLS.get(node.op, node.op.replace("**", "^"))  # x ** -1 shows as ^-1
            ax.text(gx, y, op, ha="center", va="center", zorder=3,
                    fontsize=fontsize * min(1.0, 3.5 / len(op)))
            ax.add_artist(FancyArrowPatch((gx + _GATE_R, y), (x - _BOX_W / 2, y),
                                          gid="gate_out", **arrow_kw))
    # Arrow ends are computed here, from the middle of the box's right side to the
    # gate's rim: letting matplotlib clip arrows to patches (patchA/patchB) is slow.
    seen = {}
    for (child, node), route in zip(edges, routes):
        (cx, cy), (gx, gy) = xy[child], (xy[node][0] - _DX / 2, xy[node][1])
        points = [(cx + _BOX_W / 2, cy), *route]
        dx, dy = gx - points[-1][0], gy - points[-1][1]
        end = (gx - _GATE_R * dx / np.hypot(dx, dy), gy - _GATE_R * dy / np.hypot(dx, dy))
        twins = sum(c is child for c in node.inputs)
        k = seen[id(child), id(node)] = seen.get((id(child), id(node)), -1) + 1
        if twins > 1 and not route:  # a node used twice by one gate: bend the arrows apart
            rad = 0.3 * (k - (twins - 1) / 2)
            arrow = FancyArrowPatch(points[0], end, connectionstyle=f"arc3,rad={rad}",
                                    gid="edge", **arrow_kw)
        else:
            arrow = FancyArrowPatch(path=Path([*points, end]), gid="edge", **arrow_kw)
        state["in_edges"].setdefault(node, []).append(ax.add_artist(arrow))
    _color_graph(state, highlight)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax._course_graph = state
    return fig
