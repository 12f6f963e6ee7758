"""Interactive widgets for the notebooks, built on ``course.viz`` and the reference library.

Each function returns an ``Explorer``: an ipywidgets ``VBox`` of controls, a text panel
(``.text``, HTML) and the figure as a PNG image (``.image``, the last child). Its
``.controls`` maps names to the control widgets, ``.figure`` is the matplotlib Figure it
redraws, and ``.update()`` redraws. Every control's observer calls ``update()``, so setting
a control's ``.value`` redraws at once, in JupyterLab and without a kernel alike.

| widget | assignment | shows |
|---|---|---|
| graph_stepper | 01 | backprop through a scalar graph, one gate per step |
| activation_explorer | 02 | f and f', where the gradient vanishes, its decay with depth |
| loss_landscape | 03 | softmax vs hinge loss of a linear classifier along random directions |
| jacobian_explorer | 04 | the (diagonal, sparse) Jacobian of an elementwise activation |
| optimizer_race | 05 | sgd, momentum, rmsprop, adam on 2-D test surfaces |
| capacity_explorer | 06 | a two-layer net's decision boundary vs hidden units and reg |

The widgets only call the reference library (never a student's code), and leave numpy's
global random state as they found it.
"""

from __future__ import annotations

import collections
import contextlib
import html
import io
import time

import ipywidgets as widgets
import numpy as np

DPI = 80
"""Resolution of the PNG images (dots per inch of the figures)."""

IMAGES_KEPT = 64
"""How many recent pictures a widget keeps, so that going back to a setting is instant."""

_COLORS = {"sgd": "#c0392b", "sgd_momentum": "#2a7f2a", "rmsprop": "#8e44ad", "adam": "#e67e22"}


class Explorer(widgets.VBox):
    """Controls, a text panel and a figure shown as a PNG image (the last child).

    Inputs: controls, dict name -> widget (those with a ``value`` redraw when it changes);
    draw(box, values) -> (Figure, html), called with this box (``box.figure`` is the
    previous figure and ``box.previous`` the values it showed, both None at first) and
    {name: value}; rows, the widgets to lay out above the text (default: the controls in
    one wrapping row); hooks, dict name -> fn(new value), run before the redraw (e.g. to
    reset other controls, which then do not redraw on their own).
    The draw must depend on the values only: the last IMAGES_KEPT pictures are kept by
    values, and a setting shown before reuses its PNG (the figure is still redrawn).
    Attributes: controls, figure, text, image, previous, seconds (of the last update).
    """

    def __init__(self, controls, draw, rows=None, hooks=None):
        super().__init__()
        self.controls, self.figure, self.previous, self.seconds = dict(controls), None, None, 0.0
        self._draw, self._hooks, self._holding = draw, dict(hooks or {}), False
        self._names = {id(c): name for name, c in self.controls.items()}
        self._images = collections.OrderedDict()  # PNGs of recent values, oldest first
        self.text = widgets.HTML()
        self.image = widgets.Image(format="png")
        if rows is None:
            rows = [widgets.HBox(list(self.controls.values()),
                                 layout=widgets.Layout(flex_flow="row wrap"))]
        self.children = [*rows, self.text, self.image]
        for control in self.controls.values():
            if "value" in control.trait_names():
                control.observe(self._changed, names="value")
        self.update()

    def values(self):
        """{name: value} of every control that has a value."""
        return {k: c.value for k, c in self.controls.items() if "value" in c.trait_names()}

    def _changed(self, change):
        if self._holding:
            return
        hook = self._hooks.get(self._names[id(change["owner"])])
        if hook is not None:
            self._holding = True
            try:
                hook(change["new"])
            finally:
                self._holding = False
        self.update()

    def update(self):
        """Redraw the figure and the text from the controls' current values."""
        start = time.perf_counter()
        try:
            values = self.values()
            figure, text = self._draw(self, values)
        except Exception as err:
            self.text.value = f"<b style='color:#c0392b'>Error:</b> {html.escape(str(err))}"
            raise
        self.figure, self.previous = figure, values
        key = tuple(values.items())  # the picture is a function of the values: keep a few
        if key not in self._images:
            self._images[key] = _png(figure)
            if len(self._images) > IMAGES_KEPT:
                self._images.popitem(last=False)
        self._images.move_to_end(key)
        self.image.value = self._images[key]
        self.text.value = text
        self.seconds = time.perf_counter() - start

    def changed(self, *names):
        """Whether any of these controls changed since the last draw (True at the first)."""
        return self.previous is None or any(self.previous[n] != self.values()[n] for n in names)


def _png(fig):
    """The figure as PNG bytes: one Agg draw, then a fast (level 1) zlib compression."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    if fig.dpi != DPI:
        fig.set_dpi(DPI)
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, "png", compress_level=1)
    return buffer.getvalue()


def _figure(width, height, ncols=1, left=0.7, bottom=0.6, right=0.25, top=0.4):
    """A Figure (outside pyplot) with ncols axes and fixed margins in inches."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.subplots_adjust(left=left / width, bottom=bottom / height, right=1 - right / width,
                        top=1 - top / height, wspace=0.35)
    return fig, [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]


def _few_ticks(ax):
    """At most about 5 ticks per axis: every tick label costs drawing time."""
    ax.locator_params(nbins=5)


@contextlib.contextmanager
def _global_seed(seed):
    """Seed numpy's global random state (the nets draw their weights from it), then restore it."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _choice(name, value, options):
    """Check that ``value`` is one of ``options`` (a control can only show those)."""
    if value not in options:
        raise ValueError(f"{name}: expected one of {list(options)}, got {value!r}")
    return value


def _num(v):
    """Three decimals (more digits for tiny non-zero numbers)."""
    return f"{v:.3f}" if v == 0 or abs(v) >= 0.0005 else f"{v:.2g}"


def _table(header, rows):
    cells = "".join(f"<th style='padding:0 8px'>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td style='padding:0 8px'>{c}</td>" for c in row)
                   + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def _slider(kind, name, value, **kw):
    style = {"description_width": "initial"}
    return getattr(widgets, kind)(value=value, description=name, style=style,
                                  continuous_update=False, **kw)


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
    "prev" and "next" buttons. Shows the graph (``viz.draw_graph``) with the current
    gate highlighted, and its upstream, local and downstream gradients as text.
    Returns: an Explorer; ``.highlighted`` is the current gate's output node (or None).
    """
    from course import viz
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
        fig = viz.draw_graph(root, ax=box.figure.axes[0] if box.figure else None,
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


# ---------------------------------------------------------------- 02: activations

def _alpha_default(name):
    """The layer's default alpha (leaky_relu, elu), or None if it has none."""
    from course import viz

    return viz.activation_curves(name, num=2)[3]


def _local_grads(name, alpha, z):
    """f'(z) of a course.layers activation: its backward with dout = 1."""
    from course.layers import ACTIVATIONS

    forward, backward = ACTIVATIONS[name]
    out, cache = forward(z) if alpha is None else forward(z, alpha=alpha)
    return backward(np.ones_like(out), cache)


def activation_explorer(activation="relu", max_depth=20, seed=0):
    """An activation f and its gradient f', and how the gradient fades through many layers (02).

    Controls: "activation" (the 7 of ``course.layers.ACTIVATIONS``), "alpha" (leaky_relu
    and elu only; reset to the layer's default on a switch), "x_range" (plot x in
    [-x_range, x_range]), "depth" L. Left: ``viz.plot_activation``, the x axis shaded where
    |f'| < viz.VANISHING. Right: the mean |f'(z)| over random pre-activations z ~ N(0, 1),
    multiplied layer after layer: the factor by which a gradient shrinks (or grows) through
    a stack of l such activations, weights left out (as if each W were the identity).
    """
    from course import viz
    from course.layers import ACTIVATIONS

    _choice("activation", activation, ACTIVATIONS)
    z = np.random.default_rng(seed).standard_normal((max_depth, 2000))  # one row per layer

    def draw(box, v):
        name, L, x_range = v["activation"], v["depth"], (-v["x_range"], v["x_range"])
        alpha = v["alpha"] if _alpha_default(name) is not None else None
        if box.figure is None:
            fig, (ax_f, ax_depth) = _figure(10, 3.4, ncols=2)
            ax_depth.semilogy([], [], "o-", color="#4a6fa5", ms=3)
            ax_depth.axhline(1.0, color="0.5", lw=0.8, ls=":")
            ax_depth.set(xlim=(0.5, max_depth + 0.5), ylim=(1e-16, 1e4), xlabel="layers l",
                         ylabel="gradient scale")
            # Plain tick labels: the default "$10^{-8}$" ones go through slow mathtext.
            ax_depth.set_yticks(10.0 ** np.arange(-15, 1, 5),
                                labels=[f"1e{p}" for p in range(-15, 1, 5)])
            ax_depth.minorticks_off()
            ax_depth.locator_params(axis="x", nbins=5, integer=True)
            ax_depth.grid(alpha=0.3)
        else:
            fig, (ax_f, ax_depth) = box.figure, box.figure.axes
        if box.changed("activation", "alpha", "x_range"):  # the depth slider leaves f alone
            viz.plot_activation(name, alpha, x_range, ax=ax_f)
            _few_ticks(ax_f)
        x, _, grad, alpha = viz.activation_curves(name, alpha, x_range)
        factors = np.cumprod(np.abs(_local_grads(name, alpha, z[:L])).mean(axis=1))
        ax_depth.lines[0].set_data(np.arange(1, L + 1), factors)
        ax_depth.set_title(f"Gradient scale after l layers of {name}")
        vanishing = np.mean(np.abs(grad) < viz.VANISHING)
        return fig, (
            f"<b>{name}</b>: |f'(x)| &lt; {viz.VANISHING:g} on {vanishing:.0%} of the plotted "
            f"range (shaded): an input there passes almost no gradient back. Through {L} "
            f"layers of {name} (pre-activations ~ N(0, 1), weights left out) a gradient is "
            f"multiplied by about <b>{factors[-1]:.2g}</b>.")

    controls = {
        "activation": widgets.Dropdown(options=list(ACTIVATIONS), value=activation,
                                       description="activation"),
        "alpha": _slider("FloatSlider", "alpha", _alpha_default(activation) or 0.01,
                         min=0.0, max=2.0, step=0.01,
                         disabled=_alpha_default(activation) is None),
        "x_range": _slider("FloatSlider", "x range ±", 5.0, min=1.0, max=20.0, step=0.5),
        "depth": _slider("IntSlider", "depth L", 5, min=1, max=max_depth),
    }

    def switch(name):
        default = _alpha_default(name)
        controls["alpha"].disabled = default is None
        if default is not None:
            controls["alpha"].value = default

    return Explorer(controls, draw, hooks={"activation": switch})


# ---------------------------------------------------------------- 03: loss landscapes

def _small_dataset(dataset, num_examples, seed):
    """(X, y): a fixed small subset of the spiral (3 classes) or of the 8x8 digits."""
    from course import data

    if dataset == "spiral":
        return data.make_spiral(num_classes=3, points_per_class=max(num_examples // 3, 1),
                                seed=seed)
    if dataset == "digits":
        split = data.load_digits(seed=seed)
        return split["X_train"][:num_examples], split["y_train"][:num_examples]
    raise ValueError(f"dataset: expected 'spiral' or 'digits', got {dataset!r}")


def _fit(model, X, y, steps, lr):
    """Full-batch Adam (``course.optim.adam``) on model.loss(X, y); returns the model."""
    from course.optim import adam

    configs = {k: {"learning_rate": lr} for k in model.params}
    for _ in range(steps):
        _, grads = model.loss(X, y)
        for k, w in model.params.items():
            model.params[k], configs[k] = adam(w, grads[k], configs[k])
    return model


def _train_linear(X, y, loss, seed, steps=300, reg=1e-3):
    """A linear classifier (``FullyConnectedNet([])``) trained on all of (X, y)."""
    from course.nets import FullyConnectedNet

    model = FullyConnectedNet([], input_dim=X.shape[1], num_classes=int(y.max()) + 1,
                              reg=reg, weight_scale=1e-2, seed=seed, loss=loss)
    return _fit(model, X, y, steps, lr=5e-2)


def loss_landscape(loss="svm", reg=0.0, dim="1-D", examples="all", dataset="spiral",
                   num_examples=30, span=1.0, seed=0):
    """Slices of a linear classifier's loss along random directions (assignment 03).

    The classifier is trained (on a fixed subset of ``num_examples`` points of the spiral or
    the digits) with each loss; around its weights theta the widget plots the data loss
    plus 0.5 * reg * ||W||^2 at theta + a d1 (1-D) or theta + a d1 + b d2 (2-D), with
    ``viz.landscape_1d/2d`` and two fixed directions from ``viz.random_direction``. Both are
    computed once per loss (data loss and ||W||^2 apart), so moving "reg" only adds them up.
    Controls: "loss" (softmax / svm), "reg", "dim" (1-D / 2-D), "examples" (the mean over
    all, or the one example with the smallest non-zero hinge loss). The hinge loss is
    piecewise linear (kinks where a margin crosses 0), softmax is smooth.
    """
    from course import viz
    from course.losses import l2_regularization

    X, y = _small_dataset(dataset, num_examples, seed)
    regs = [0.0, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
    for name, value, options in [("loss", loss, ("softmax", "svm")), ("reg", reg, regs),
                                 ("dim", dim, ("1-D", "2-D")), ("examples", examples,
                                                                ("all", "one"))]:
        _choice(name, value, options)
    models, cache = {}, {}

    def model_for(loss_name):
        if loss_name not in models:
            with _global_seed(seed):
                models[loss_name] = _train_linear(X, y, loss_name, seed)
            models[loss_name].reg = 0.0  # the data loss alone; the widget adds the L2 term
        return models[loss_name]

    def landscape(loss_name, dim, examples):
        key = (loss_name, dim, examples)
        if key not in cache:
            model, rows = model_for(loss_name), slice(None)
            if examples == "one":  # the example closest to its margins: its hinges bend
                svm = model_for("svm")
                losses = np.array([svm.loss(X[i:i + 1], y[i:i + 1])[0] for i in range(len(y))])
                i = int(np.argmin(np.where(losses > 0, losses, np.inf)))
                rows = slice(i, i + 1)
            params = model.params
            data_fn = viz.model_loss_fn(model, X[rows], y[rows])
            rng = np.random.default_rng(seed)
            directions = (viz.random_direction(params, rng), viz.random_direction(params, rng))
            half_sq_norm = lambda p: l2_regularization(p["W1"], 1.0)[0]  # 0.5 * ||W||^2
            if dim == "1-D":
                args = dict(params=params, direction=directions[0], span=span, num=201)
                alphas, data_loss = viz.landscape_1d(data_fn, **args)
                cache[key] = alphas, data_loss, viz.landscape_1d(half_sq_norm, **args)[1]
            else:
                args = dict(params=params, directions=directions, span=span, num=41)
                alphas, betas, data_loss = viz.landscape_2d(data_fn, **args)
                cache[key] = alphas, betas, data_loss, viz.landscape_2d(half_sq_norm, **args)[2]
        return cache[key]

    def draw(box, v):
        fig, (ax,) = (box.figure, box.figure.axes) if box.figure else _figure(5.5, 3.8)
        *grid, data_loss, half_sq_norm = landscape(v["loss"], v["dim"], v["examples"])
        total = data_loss + v["reg"] * half_sq_norm
        centre = total[len(total) // 2] if v["dim"] == "1-D" else total[20, 20]
        name = {"softmax": "softmax", "svm": "SVM (hinge)"}[v["loss"]]
        if v["dim"] == "2-D" or box.changed("loss", "dim", "examples"):
            ax.clear()
            _few_ticks(ax)
            if v["dim"] == "1-D":  # the lines' data is set below; reg only changes that
                ax.plot(grid[0], data_loss, "--", color="0.5", lw=1, label="data loss")
                ax.plot(grid[0], total, color="#4a6fa5", lw=1.5, label="data + reg loss")
                ax.plot([0.0], [centre], "o", color="#c0392b", label="trained W")
                ax.set(xlabel="a (step along direction d1)", ylabel="loss")
            else:
                cs = ax.contourf(grid[0], grid[1], total.T, levels=20, cmap="viridis")
                ax.contour(grid[0], grid[1], total.T, levels=cs.levels, colors="k",
                           linewidths=0.4)
                ax.plot([0.0], [0.0], "o", color="#c0392b")
                ax.set(xlabel="a (direction d1)", ylabel="b (direction d2)")
        if v["dim"] == "1-D":
            data_line, total_line, dot = ax.lines
            total_line.set_ydata(total)
            dot.set_ydata([centre])
            data_line.set_visible(v["reg"] > 0)  # with reg = 0 both curves are the same
            ax.legend(handles=[data_line, total_line, dot][v["reg"] == 0:], fontsize="small")
            ax.relim(visible_only=True)
            ax.autoscale_view()
        ax.set_title(f"{name} loss, reg = {v['reg']:g}", fontsize="medium")
        shape = ("smooth: the softmax loss has no corners" if v["loss"] == "softmax" else
                 "piecewise linear: each kink is a margin of one example crossing zero")
        which = "all" if v["examples"] == "all" else "one (the closest to its margins) of the"
        return fig, (
            f"A linear classifier trained on {len(y)} {dataset} points; the loss of "
            f"{which} {len(y)} examples. Loss at the trained "
            f"weights: {centre:.3f}. The data loss is {shape}; the L2 term "
            f"0.5 &middot; reg &middot; ||W||&sup2; adds a smooth bowl.")

    controls = {
        "loss": widgets.Dropdown(options=["softmax", "svm"], value=loss, description="loss"),
        "reg": _slider("SelectionSlider", "reg", reg, options=regs),
        "dim": widgets.ToggleButtons(options=["1-D", "2-D"], value=dim),
        "examples": widgets.ToggleButtons(options=["all", "one"], value=examples,
                                          tooltips=["the mean loss over the data set",
                                                    "the loss of one example"]),
    }
    for name in ("dim", "examples"):
        controls[name].style.button_width = "4em"
    return Explorer(controls, draw)


# ---------------------------------------------------------------- 05: optimizers

def _ravine(x, y):
    """An ill-conditioned quadratic: curvature 0.1 along x, 2 along y (condition number 20)."""
    return 0.05 * x**2 + y**2, (0.1 * x, 2.0 * y)


def _saddle(x, y):
    """A saddle at (0, 0) between two minima at (0, +-1)."""
    return 0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2, (x, y**3 - y)


def _rosenbrock(x, y):
    """Rosenbrock's banana valley, minimum at (1, 1)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2, (-2 * (1 - x) - 400 * x * (y - x**2),
                                                 200 * (y - x**2))


SURFACES = {
    # name: (f(x, y) -> (value, (df/dx, df/dy)), start, minima, xlim, ylim, lr, steps)
    "ravine": (_ravine, (-4.5, 1.5), [(0, 0)], (-5, 5), (-2, 2), 0.1, 100),
    "saddle": (_saddle, (2.0, 1e-3), [(0, 1), (0, -1)], (-2.5, 2.5), (-1.6, 1.6), 0.05, 100),
    "rosenbrock": (_rosenbrock, (-1.2, 1.0), [(1, 1)], (-2, 2), (-1, 3), 1e-3, 300),
}
"""The optimizer race's test surfaces, with a start, the minima and default settings."""

_DIVERGED = 1e3  # a path stops when a coordinate leaves [-1e3, 1e3] (before any overflow)


def _race(surface, rule, lr, steps, path=None, config=None):
    """Positions of ``rule`` (a course.optim update) from the surface's start: (steps + 1, 2).

    A path already computed (with its config) is extended rather than recomputed.
    Stops early if the position leaves the box |x|, |y| < 1e3.
    """
    f = SURFACES[surface][0]
    path = [np.array(SURFACES[surface][1], dtype=float)] if path is None else list(path)
    config = {"learning_rate": lr} if config is None else config
    while len(path) <= steps and np.all(np.abs(path[-1]) < _DIVERGED):
        w, config = rule(path[-1], np.array(f(*path[-1])[1]), config)
        path.append(w)
    return np.array(path), config


def optimizer_race(surface="ravine", rules=("sgd", "sgd_momentum", "rmsprop", "adam")):
    """SGD, momentum, RMSProp and Adam (``course.optim``) from one start on a 2-D surface (05).

    Controls: "surface" (ravine, saddle, rosenbrock; a switch resets lr and steps to the
    surface's defaults), "lr" (log scale, one learning rate for every rule), "steps".
    Draws the contours and one path per rule (a line labelled with the rule's name); the
    text gives each rule's final loss. Paths are cached per (surface, lr) and extended
    when "steps" grows.
    """
    from course.optim import UPDATE_RULES

    _choice("surface", surface, SURFACES)
    for rule in rules:
        _choice("rules", rule, UPDATE_RULES)
    races = {}

    def paths(name, lr, steps):
        out = {}
        for rule in rules:
            path, config = races.get((name, lr, rule), (None, None))
            if path is None or (len(path) <= steps and np.all(np.abs(path[-1]) < _DIVERGED)):
                path, config = _race(name, UPDATE_RULES[rule], lr, steps, path, config)
                races[name, lr, rule] = path, config
            out[rule] = path[:steps + 1]
        return out

    def draw(box, v):
        name = v["surface"]
        f, start, minima, xlim, ylim = SURFACES[name][:5]
        if box.figure is None:
            fig, (ax,) = _figure(7.4, 4, right=1.7)
        else:
            fig, (ax,) = box.figure, box.figure.axes
        if box.changed("surface"):  # contours only when the surface changes
            ax.clear()
            _few_ticks(ax)
            xs, ys = np.linspace(*xlim, 150), np.linspace(*ylim, 150)
            Z = f(*np.meshgrid(xs, ys))[0]
            ax.contour(xs, ys, Z, levels=np.unique(np.quantile(Z, np.linspace(0, 1, 25) ** 2)),
                       colors="0.6", linewidths=0.6, negative_linestyles="solid")
            ax.plot(*zip(*minima), "*", color="k", ms=10, label="minimum")
            ax.plot(*start, "o", color="k", ms=5, label="start")
            for rule in rules:
                ax.plot([], [], "-o", color=_COLORS.get(rule), ms=2, lw=1.2, label=rule)
            ax.set(xlim=xlim, ylim=ylim, xlabel="x", ylabel="y", title=f"{name}")
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
        lines = {ln.get_label(): ln for ln in ax.lines}
        rows = []
        for rule, path in paths(name, v["lr"], v["steps"]).items():
            lines[rule].set_data(path[:, 0], path[:, 1])
            gone = not np.all(np.abs(path[-1]) < _DIVERGED)
            rows.append((rule, "diverged" if gone else f"{f(*path[-1])[0]:.4g}",
                         f"({path[-1][0]:.3g}, {path[-1][1]:.3g})"))
        ax.set_title(f"{name}: lr = {v['lr']:.2g}, {v['steps']} steps", fontsize="medium")
        return fig, _table(["rule", "final loss", "final position"], rows)

    _, _, _, _, _, lr, steps = SURFACES[surface]
    controls = {
        "surface": widgets.Dropdown(options=list(SURFACES), value=surface,
                                    description="surface"),
        "lr": _slider("FloatLogSlider", "learning rate", lr, base=10, min=-4, max=0,
                      step=0.1, readout_format=".2g"),
        "steps": _slider("IntSlider", "steps", steps, min=1, max=1000, step=1),
    }

    def switch(name):
        controls["lr"].value, controls["steps"].value = SURFACES[name][5:]

    return Explorer(controls, draw, hooks={"surface": switch})


# ---------------------------------------------------------------- 06: capacity

def capacity_explorer(hidden_sizes=(1, 2, 5, 10, 20, 50, 100),
                      regs=(0.0, 1e-4, 1e-3, 1e-2, 1e-1), hidden=50, reg=0.0,
                      points_per_class=40, steps=400, seed=0):
    """A two-layer net's decision boundary on the spiral vs hidden units and reg (06).

    Each setting trains a ``course.nets.TwoLayerNet`` (full-batch Adam, ``steps`` steps,
    well under a second) on a small spiral the first time it is shown; after that it
    comes from a cache. Validation points are a second spiral drawn with another seed.
    Controls: "hidden", "reg". Shows the decision boundary (``viz.plot_decision_boundary``)
    over the training points, and the train and validation accuracy.
    """
    from course import data, viz
    from course.nets import TwoLayerNet

    _choice("hidden", hidden, hidden_sizes)
    _choice("reg", reg, regs)
    X, y = data.make_spiral(3, points_per_class, seed=seed)
    X_val, y_val = data.make_spiral(3, points_per_class, seed=seed + 1)
    trained, figures = {}, {}

    def draw(box, v):
        key, how = (v["hidden"], v["reg"]), "from the cache"
        if key not in trained:
            start = time.perf_counter()
            with _global_seed(seed):  # the weights come from numpy's global random state
                model = TwoLayerNet(input_dim=2, hidden_dim=v["hidden"], num_classes=3,
                                    weight_scale=0.1, reg=v["reg"])
            trained[key] = _fit(model, X, y, steps, lr=2e-2)
            how = f"trained in {time.perf_counter() - start:.2f} s"
        model = trained[key]
        if key not in figures:  # one figure per setting: going back to one costs nothing
            fig, (ax,) = _figure(4.6, 4.2, left=0.5, bottom=0.4)
            figures[key] = viz.plot_decision_boundary(model.predict, X, y, ax=ax,
                                                      resolution=150)
            _few_ticks(ax)
            ax.set_title(f"{v['hidden']} hidden units, reg = {v['reg']:g}", fontsize="medium")
        fig = figures[key]
        train_acc, val_acc = np.mean(model.predict(X) == y), np.mean(model.predict(X_val) == y_val)
        return fig, (
            f"Two-layer net, {v['hidden']} hidden units, reg = {v['reg']:g} ({how}): "
            f"train accuracy <b>{train_acc:.0%}</b>, validation accuracy "
            f"<b>{val_acc:.0%}</b> ({len(y)} training points, {len(y_val)} validation).")

    controls = {
        "hidden": _slider("SelectionSlider", "hidden units", hidden, options=list(hidden_sizes)),
        "reg": _slider("SelectionSlider", "reg", reg, options=list(regs)),
    }
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
        fig, (ax,) = (box.figure, box.figure.axes) if box.figure else \
            _figure(4.6, 4.6, left=0.7, bottom=0.2, top=1.0)
        ax.clear()
        ax.imshow(J, cmap="RdBu_r", vmin=-1.2, vmax=1.2)
        ax.set_xticks(range(n), labels=[f"{xi:+.2f}" for xi in x], rotation=90,
                      fontsize="x-small")
        ax.set_yticks(range(n), labels=[f"out {i}" for i in range(n)], fontsize="x-small")
        ax.xaxis.tick_top()
        ax.set_title(f"Jacobian of {name}: d out_i / d x_j", fontsize="medium", pad=30)
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
