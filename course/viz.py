"""Plots for the course: activations, loss landscapes, decision boundaries,
templates, training histories and histograms (the scalar graph: ``course.graph_plot``).

Every ``plot_*`` function returns a matplotlib
``Figure`` and never calls ``plt.show()``. Figures are made with
``matplotlib.figure.Figure`` (not pyplot), so nothing piles up in pyplot's
global state. Pass ``ax=`` (or ``fig=``) to redraw into an existing figure:
its old artists are cleared first, so a widget can redraw on every slider move.
The numbers behind a plot come from separate helpers (``activation_curves``,
``landscape_1d``, ``landscape_2d``, ``decision_grid``, ``template_images``)
and are also attached to the returned figure (``fig.landscape``,
``fig.decision_grid``).

matplotlib and the course modules are imported inside the functions, so
``import course.viz`` stays fast.
"""

from __future__ import annotations

import inspect
import sys

import numpy as np

from course import _checks

VANISHING = 0.05
"""Where |f'(x)| < VANISHING, plot_activation shades the x axis: the gradient vanishes."""

_BLUE, _RED, _GREEN, _YELLOW = "#4a6fa5", "#c0392b", "#2a7f2a", "#ffd166"



def _callable(name, f):
    if not callable(f):
        raise TypeError(f"{name}: expected a function, got {type(f).__name__}")


def _root_figure(artist):
    fig = artist.figure
    return getattr(fig, "figure", None) or fig  # a SubFigure's .figure is the root Figure


_MARGINS = (0.75, 0.65, 0.2, 0.4)  # left, bottom, right, top, in inches


def _new_figure(figsize):
    """A Figure outside pyplot; in Jupyter, make sure returned Figures display as images."""
    from matplotlib.figure import Figure

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and hasattr(shell, "kernel"):
        # Only pyplot's import turns on the inline backend's image formatter; without
        # it a returned Figure shows as "<Figure size ...>". Keep a user's formats.
        formatters = shell.display_formatter.formatters
        if not any(Figure in formatters[m].type_printers
                   for m in ("image/png", "image/svg+xml", "image/jpeg")):
            from IPython.core.pylabtools import select_figure_formats

            select_figure_formats(shell, {"png"})
    return Figure(figsize=figsize)


def _set_margins(fig, margins):
    # Fixed margins, no layout engine: constrained layout re-solves the layout on
    # every draw, which costs more than drawing a simple plot.
    (w, h), (left, bottom, right, top) = fig.get_size_inches(), margins
    fig.subplots_adjust(left=left / w, bottom=bottom / h, right=1 - right / w, top=1 - top / h,
                        wspace=0.4, hspace=0.7)


def _axes(ax, figsize, margins=_MARGINS):
    """(fig, ax): ``ax`` cleared, or one new axes on a new Figure of ``figsize`` inches."""
    if ax is None:
        fig = _new_figure(figsize)
        _set_margins(fig, margins)
        return fig, fig.add_subplot()
    if not (hasattr(ax, "clear") and hasattr(ax, "figure")):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")
    ax.clear()
    ax.set_aspect("auto")  # clear() keeps the aspect an earlier graph or image plot set
    return _root_figure(ax), ax


def _grid_axes(fig, n, ncols, panel_size, margins=_MARGINS):
    """A figure with ``n`` axes in rows of ``ncols``; reuses (and clears) fig's axes if it has n."""
    from matplotlib.figure import Figure

    nrows = -(-n // ncols)
    if fig is None:
        fig = _new_figure((panel_size[0] * ncols, panel_size[1] * nrows))
    elif not isinstance(fig, Figure):
        raise TypeError(f"fig: expected a matplotlib Figure or None, got {type(fig).__name__}")
    elif len(fig.axes) == n:
        for ax in fig.axes:
            ax.clear()
        return fig, list(fig.axes)
    fig.clear()
    _set_margins(fig, margins)
    return fig, [fig.add_subplot(nrows, ncols, i + 1) for i in range(n)]


# ---------------------------------------------------------------- activations

def activation_curves(name, alpha=None, x_range=(-5, 5), num=401):
    """f and f' of a ``course.layers`` activation on a grid, from its forward and backward.

    f' is the layer's backward with ``dout = ones``: the library's gradient, not re-derived.
    Inputs: name, a key of ``course.layers.ACTIVATIONS``; alpha, for leaky_relu and elu
    (None: the layer's default); x_range (low, high); num, the number of grid points.
    Returns: x, f(x), f'(x) (each shape (num,)) and alpha (None if the layer has none).
    """
    from course.layers import ACTIVATIONS

    if name not in ACTIVATIONS:
        raise ValueError(f"name: expected one of {sorted(ACTIVATIONS)}, got {name!r}")
    try:
        low, high = (float(v) for v in x_range)
    except (TypeError, ValueError):
        low = high = np.nan
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"x_range: expected finite (low, high) with low < high, got {x_range}")
    x = np.linspace(low, high, _checks.integer("num", num, 2))
    forward, backward = ACTIVATIONS[name]
    default = inspect.signature(forward).parameters.get("alpha")
    if default is not None:
        alpha = default.default if alpha is None else alpha
        out, cache = forward(x, alpha=alpha)
    elif alpha is not None:
        raise ValueError(f"alpha: {name} has no alpha; expected None, got {alpha!r}")
    else:
        out, cache = forward(x)
    return x, out, backward(np.ones_like(out), cache), alpha


def _runs(mask):
    """(start, stop) index pairs (inclusive) of the runs of True in a 1-D bool array."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return list(zip(edges[::2], edges[1::2] - 1))


def plot_activation(name, alpha=None, x_range=(-5, 5), num=401, ax=None):
    """Plot an activation f and its gradient f', shading where |f'| < VANISHING.

    Inputs as ``activation_curves``; ax, an Axes to redraw into (None: a new figure).
    Returns: the Figure. Lines are labelled "f(x)" and "f'(x)"; the shaded spans
    have gid "vanishing".
    """
    x, out, grad, alpha = activation_curves(name, alpha, x_range, num)
    fig, ax = _axes(ax, (5, 3.2))
    ax.plot(x, out, color=_BLUE, lw=2, label="f(x)")
    ax.plot(x, grad, color=_RED, lw=1.5, ls="--", label="f'(x)")
    _shade_vanishing(ax, x, grad)
    ax.set_title(_activation_title(name, alpha))
    ax.set_xlabel("x")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize="small")
    return fig


def update_activation(ax, name, alpha=None, x_range=(-5, 5), num=401):
    """``plot_activation``'s picture on ``ax`` (which it drew) for new inputs, in place.

    The same lines get the new curves, the shading and title are redone, the axes
    rescale; nothing is cleared, so matplotlib keeps its ticks (re-creating them is
    most of a redraw). Returns: the Figure.
    """
    lines = {line.get_label(): line for line in ax.get_lines()}
    if "f(x)" not in lines or "f'(x)" not in lines:
        raise ValueError("ax: expected an Axes drawn by plot_activation")
    x, out, grad, alpha = activation_curves(name, alpha, x_range, num)
    lines["f(x)"].set_data(x, out)
    lines["f'(x)"].set_data(x, grad)
    shaded = [p for p in ax.patches if p.get_gid() == "vanishing"]
    for patch in shaded:
        patch.remove()
    if bool(_shade_vanishing(ax, x, grad)) != bool(shaded):
        ax.legend(loc="upper left", fontsize="small")  # the shading's entry comes or goes
    ax.set_title(_activation_title(name, alpha))
    ax.relim()
    ax.autoscale_view()
    return _root_figure(ax)


def _activation_title(name, alpha):
    return name if alpha is None else f"{name} (alpha={alpha:g})"


def _shade_vanishing(ax, x, grad):
    """Shade the runs of x where |f'| < VANISHING (gid "vanishing"); returns the runs."""
    runs = _runs(np.abs(grad) < VANISHING)
    for i, (start, stop) in enumerate(runs):
        ax.axvspan(x[start], x[stop], color="0.5", alpha=0.15, lw=0, gid="vanishing",
                   label=f"gradient vanishes (|f'| < {VANISHING:g})" if i == 0 else "_nolegend_")
    return runs


# ---------------------------------------------------------------- loss landscapes

def _check_params(params):
    if not isinstance(params, dict) or not params:
        raise TypeError(f"params: expected a non-empty dict of arrays, got {type(params).__name__}")
    return {k: _checks.float_array(f"params[{k!r}]", v) for k, v in params.items()}


def _check_direction(name, direction, params):
    if not isinstance(direction, dict) or set(direction) != set(params):
        got = sorted(direction) if isinstance(direction, dict) else type(direction).__name__
        raise ValueError(f"{name}: expected a dict with the keys of params {sorted(params)}, "
                         f"got {got}")
    return {k: _checks.same_shape(f"{name}[{k!r}]", direction[k], p.shape, f"params[{k!r}]")
            for k, p in params.items()}


def random_direction(params, rng):
    """A random direction in parameter space, normalized per array.

    Each array d_k is drawn from N(0, 1) and rescaled to the norm of its parameter
    theta_k (a per-array version of the filter normalization of Li et al., 2018),
    so a step of 1 moves every array by its own size. Arrays that are all zero
    (e.g. freshly initialized biases) get d_k = 0; if every array is zero, the
    whole direction is scaled to norm 1 instead.
    Inputs: params, dict of arrays; rng, a numpy Generator. Returns: dict like params.
    """
    d = {k: rng.standard_normal(p.shape) for k, p in params.items()}
    norms = {k: float(np.linalg.norm(p)) for k, p in params.items()}
    if not any(norms.values()):
        total = np.sqrt(sum(np.sum(v * v) for v in d.values()))
        scale = {k: 1 / total if total else 0.0 for k in d}
    else:
        scale = {k: norms[k] / np.linalg.norm(v) if norms[k] else 0.0 for k, v in d.items()}
    return {k: (v * scale[k]).astype(params[k].dtype) for k, v in d.items()}


def _steps(span, num):
    """num points from -span to span, exactly symmetric, with an exact 0 when num is odd."""
    span = _checks.positive("span", span)
    half = (_checks.integer("num", num, 2) - 1) / 2
    return span * (np.arange(num) - half) / half


def _loss_at(loss_fn, params, steps):
    """loss_fn at theta + sum(a * d) for (a, d) in steps, on fresh arrays (params untouched)."""
    moved = {k: p + sum(a * d[k] for a, d in steps) for k, p in params.items()}
    loss = loss_fn(moved)
    return float(loss[0] if isinstance(loss, tuple) else loss)


def landscape_1d(loss_fn, params, direction=None, span=1.0, num=51, seed=0):
    """The loss along a line through params: L(theta + a d) for a in [-span, span].

    Inputs: loss_fn(params) -> float (a (loss, grads) tuple also works); params, dict
    of arrays (never modified); direction, dict like params (None: ``random_direction``
    with ``np.random.default_rng(seed)``, the global numpy seed is left alone).
    Returns: alphas (num,), losses (num,). With num odd, alphas[num // 2] == 0 and
    losses there equal loss_fn(params).
    """
    _callable("loss_fn", loss_fn)
    params = _check_params(params)
    if direction is None:
        direction = random_direction(params, np.random.default_rng(seed))
    d = _check_direction("direction", direction, params)
    alphas = _steps(span, num)
    return alphas, np.array([_loss_at(loss_fn, params, [(float(a), d)]) for a in alphas])


def landscape_2d(loss_fn, params, directions=None, span=1.0, num=25, seed=0):
    """The loss on a plane through params: L(theta + a d1 + b d2), a, b in [-span, span].

    Inputs as ``landscape_1d``; directions, a pair (d1, d2) of dicts like params (None:
    two random directions from ``np.random.default_rng(seed)``; d1 is then the
    direction ``landscape_1d`` uses with the same seed).
    Returns: alphas (num,), betas (num,), losses (num, num) with
    losses[i, j] = L(theta + alphas[i] d1 + betas[j] d2).
    """
    _callable("loss_fn", loss_fn)
    params = _check_params(params)
    if directions is None:
        rng = np.random.default_rng(seed)
        directions = (random_direction(params, rng), random_direction(params, rng))
    if not isinstance(directions, (tuple, list)) or len(directions) != 2:
        raise ValueError(f"directions: expected a pair (d1, d2) of dicts, got {directions!r:.80}")
    d1, d2 = (_check_direction(f"directions[{i}]", d, params) for i, d in enumerate(directions))
    alphas = _steps(span, num)
    losses = np.array([[_loss_at(loss_fn, params, [(a, d1), (b, d2)]) for b in alphas.tolist()]
                       for a in alphas.tolist()])
    return alphas, alphas.copy(), losses


def model_loss_fn(model, X, y):
    """loss_fn(params) for a course.nets model: its data loss on (X, y) at other params.

    The model's own ``params`` dict is swapped in for the call and always restored.
    """
    def loss_fn(params):
        saved = model.params
        model.params = params
        try:
            return model.loss(X, y)[0]
        finally:
            model.params = saved
    return loss_fn


def plot_loss_landscape_1d(loss_fn, params, direction=None, span=1.0, num=51, seed=0, ax=None):
    """Plot ``landscape_1d``; the current params are the dot at a = 0.

    Returns: the Figure, with ``fig.landscape = (alphas, losses)``.
    """
    alphas, losses = landscape_1d(loss_fn, params, direction, span, num, seed)
    fig, ax = _axes(ax, (5, 3.2))
    ax.plot(alphas, losses, color=_BLUE, lw=2, label="loss(theta + a d)")
    ax.plot([0.0], [_loss_at(loss_fn, _check_params(params), [])], "o", color=_RED,
            label="current params")
    ax.set_xlabel("a (step along direction d)")
    ax.set_ylabel("loss")
    ax.set_title("Loss along one direction")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.landscape = (alphas, losses)
    return fig


def plot_loss_landscape_2d(loss_fn, params, directions=None, span=1.0, num=25, seed=0,
                           ax=None, levels=20):
    """Plot ``landscape_2d`` as filled contours (a on x, b on y); params at the origin.

    A colorbar is added once per axes and updated on redraws.
    Returns: the Figure, with ``fig.landscape = (alphas, betas, losses)``.
    """
    alphas, betas, losses = landscape_2d(loss_fn, params, directions, span, num, seed)
    fig, ax = _axes(ax, (5.5, 4), margins=(0.75, 0.65, 0.1, 0.4))
    cs = ax.contourf(alphas, betas, losses.T, levels=levels, cmap="viridis")
    ax.contour(alphas, betas, losses.T, levels=cs.levels, colors="k", linewidths=0.4, alpha=0.5)
    ax.plot([0.0], [0.0], "o", color=_RED, label="current params")
    ax.set_xlabel("a (direction d1)")
    ax.set_ylabel("b (direction d2)")
    ax.set_title("Loss on a plane")
    ax.set_aspect("equal")
    cbar = getattr(ax, "_course_colorbar", None)
    if cbar is None or cbar.ax not in fig.axes:
        ax._course_colorbar = fig.colorbar(cs, ax=ax, label="loss")
    else:
        cbar.update_normal(cs)
    fig.landscape = (alphas, betas, losses)
    return fig


# ---------------------------------------------------------------- decision boundary

def _check_points(X):
    X = _checks.float_array("X", X, ndim=2)
    if X.shape[1] != 2 or X.shape[0] == 0:
        raise ValueError(f"X: expected shape (N, 2) with N >= 1 (2-D points), got {X.shape}")
    return X


def decision_grid(predict, X, resolution=200, padding=0.5):
    """The predicted class on a grid covering the points X, plus ``padding`` on each side.

    Inputs: predict(points (M, 2)) -> labels (M,) (or scores (M, C): argmax is taken);
    X (N, 2). Returns: xs (R,), ys (R,), Z (R, R) of ints with Z[i, j] the class of
    the point (xs[j], ys[i]), R = resolution.
    """
    _callable("predict", predict)
    X = _check_points(X)
    res = _checks.integer("resolution", resolution, 2)
    pad = _checks.positive("padding", padding, allow_zero=True)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    hi = np.where(hi > lo, hi, lo + 1.0)  # a single point with no padding still gets a box
    xs, ys = np.linspace(lo[0], hi[0], res), np.linspace(lo[1], hi[1], res)
    xx, yy = np.meshgrid(xs, ys)
    points = np.column_stack([xx.ravel(), yy.ravel()])
    labels = np.asarray(predict(points))
    if labels.ndim == 2 and labels.shape[0] == len(points) and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)
    if labels.shape not in ((len(points),), (len(points), 1)):
        raise ValueError(f"predict: expected labels of shape ({len(points)},) for points of "
                         f"shape {points.shape}, got {labels.shape}")
    if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
        labels = labels.astype(np.int64)
    if labels.dtype.kind not in "iub":
        raise TypeError(f"predict: expected integer class labels, got dtype {labels.dtype}")
    return xs, ys, labels.reshape(res, res).astype(np.int64)


def plot_decision_boundary(predict, X, y, ax=None, resolution=200, padding=0.5):
    """Filled contours of the predicted classes, with the points X coloured by label y.

    Inputs as ``decision_grid``; y (N,) integer labels.
    Returns: the Figure, with ``fig.decision_grid = (xs, ys, Z)``.
    """
    from matplotlib import colormaps
    from matplotlib.colors import BoundaryNorm, ListedColormap

    X = _check_points(X)
    y = np.asarray(y)
    y = _checks.labels("y", y, X.shape[0], int(y.max()) + 1 if y.dtype.kind in "iu" else 1)
    xs, ys, Z = decision_grid(predict, X, resolution, padding)
    C = int(max(Z.max(), y.max())) + 1
    palette = colormaps["tab10" if C <= 10 else "tab20"]
    cmap = ListedColormap(palette.colors[:C] if C <= 20 else colormaps["viridis"](
        np.linspace(0, 1, C)))
    norm = BoundaryNorm(np.arange(C + 1) - 0.5, C)
    fig, ax = _axes(ax, (4.5, 4))
    ax.contourf(xs, ys, Z, levels=norm.boundaries, cmap=cmap, norm=norm, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, norm=norm, s=20, edgecolors="k", lw=0.5)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_title("Decision boundary")
    fig.decision_grid = (xs, ys, Z)
    return fig


# ---------------------------------------------------------------- templates

def template_images(W, image_shape=(8, 8)):
    """Each column of W as an image, min-max scaled to [0, 1] on its own.

    Inputs: W (D, K); image_shape (H, W), (H, W, 3) or channels-first (3, H, W)
    (transposed to (H, W, 3) for display; a single channel is shown as grayscale),
    with prod(image_shape) == D. Returns: list of K arrays, (H, W) or (H, W, 3).
    A constant column gives an all-zero image.
    """
    W = _checks.float_array("W", W, ndim=2)
    shape = tuple(int(s) for s in image_shape)
    size = int(np.prod(shape))
    if not (len(shape) == 2 or (len(shape) == 3 and {1, 3} & {shape[0], shape[-1]})):
        raise ValueError("image_shape: expected (H, W), (H, W, C) or (C, H, W) with C = 1 or 3, "
                         f"got {shape}")
    if W.shape[0] != size or W.shape[1] == 0:
        hint = "; did you mean W.T?" if W.shape[1] == size else ""
        raise ValueError(f"W: expected shape ({size}, K), K >= 1, one column per image of shape "
                         f"{shape}, got {W.shape}{hint}")
    channels_first = len(shape) == 3 and shape[0] in (1, 3) and shape[-1] not in (1, 3)
    images = []
    for k in range(W.shape[1]):
        img = W[:, k].astype(np.float64).reshape(shape)
        if channels_first:
            img = img.transpose(1, 2, 0)
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        lo, hi = img.min(), img.max()
        images.append((img - lo) / (hi - lo) if hi > lo else np.zeros_like(img))
    return images


def plot_templates(W, image_shape=(8, 8), labels=None, ncols=None, ax=None):
    """Show each column of W (first-layer weights (D, H), or class templates (D, C)) as an image.

    Inputs as ``template_images``; labels, K strings (or None); ncols, images per row
    (None: up to 10). All images share one axes (fast to redraw), one AxesImage each.
    Returns: the Figure.
    """
    images = template_images(W, image_shape)
    K = len(images)
    if labels is not None and len(labels) != K:
        raise ValueError(f"labels: expected {K} labels, one per column of W, got {len(labels)}")
    ncols = min(K, 10) if ncols is None else _checks.integer("ncols", ncols)
    nrows = -(-K // ncols)
    h, w = images[0].shape[:2]
    gap_x, gap_y = 0.1 * w, (0.35 if labels is not None else 0.1) * h
    fig, ax = _axes(ax, (1.0 * ncols + 0.2, (1.0 + 0.3 * (labels is not None)) * nrows + 0.2),
                    margins=(0.1, 0.1, 0.1, 0.1))
    for k, img in enumerate(images):
        x0, y0 = (k % ncols) * (w + gap_x), (k // ncols) * (h + gap_y)
        ax.imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest",
                  extent=(x0, x0 + w, y0 + h, y0))
        if labels is not None:
            ax.text(x0 + w / 2, y0 + h + 0.05 * h, str(labels[k]), ha="center", va="top",
                    fontsize="small")
    ax.set_xlim(-0.5 * gap_x, ncols * (w + gap_x) - 0.5 * gap_x)
    ax.set_ylim(nrows * (h + gap_y), -0.5 * gap_x)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return fig


# ---------------------------------------------------------------- training curves

HISTORY_KEYS = ("loss_history", "train_acc_history", "val_acc_history")


def plot_history(history, fig=None):
    """Training loss per iteration (left) and train/val accuracy per epoch (right).

    Inputs: history, a Solver (after train()) or a dict with the keys HISTORY_KEYS;
    fig, a Figure to redraw into. Returns: the Figure.
    """
    get = history.get if isinstance(history, dict) else lambda k: getattr(history, k, None)
    curves = {}
    for key in HISTORY_KEYS:
        if get(key) is None:
            raise ValueError(f"history: expected a Solver or a dict with keys {HISTORY_KEYS}, "
                             f"missing {key!r}")
        try:  # NaN and inf are allowed: a diverging run is worth plotting
            curves[key] = np.asarray(list(get(key)), dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{key}: expected a list of numbers, got {get(key)!r:.80}") from err
        if curves[key].ndim != 1:
            raise ValueError(f"{key}: expected a flat list of numbers, got shape "
                             f"{curves[key].shape}")
    fig, (ax_loss, ax_acc) = _grid_axes(fig, 2, 2, (4.5, 3.2))
    ax_loss.plot(curves["loss_history"], color=_BLUE, lw=1, label="loss")
    ax_loss.set(xlabel="iteration", ylabel="loss", title="Training loss")
    ax_acc.plot(curves["train_acc_history"], "o-", color=_BLUE, label="train")
    ax_acc.plot(curves["val_acc_history"], "o-", color=_RED, label="val")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Classification accuracy")
    ax_acc.legend(fontsize="small")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
    return fig


def plot_histograms(arrays_per_layer, title=None, bins=30, hist_range=None, fig=None):
    """One histogram per layer (activations or gradients), titled with its mean and std.

    Inputs: arrays_per_layer, a list of arrays (named "layer 1", ...) or a dict
    {name: array}; title, the figure's title; bins; hist_range (low, high) shared by
    all layers (None: each layer's own range); fig, a Figure to redraw into.
    Returns: the Figure (one axes per layer, each with one StepPatch).
    """
    if isinstance(arrays_per_layer, dict):
        named = list(arrays_per_layer.items())
    elif isinstance(arrays_per_layer, (list, tuple)):
        named = [(f"layer {i + 1}", a) for i, a in enumerate(arrays_per_layer)]
    else:
        raise TypeError("arrays_per_layer: expected a list or dict of arrays, "
                        f"got {type(arrays_per_layer).__name__}")
    if not named:
        raise ValueError("arrays_per_layer: expected at least one array, got none")
    checked = []
    for name, a in named:
        a = _checks.float_array(f"arrays_per_layer[{name!r}]", a)
        if a.size == 0 or not np.all(np.isfinite(a)):
            raise ValueError(f"arrays_per_layer[{name!r}]: expected a non-empty finite array, "
                             f"got shape {a.shape}")
        checked.append((name, a))
    fig, axes = _grid_axes(fig, len(checked), min(len(checked), 5), (2.4, 2.4),
                       margins=(0.5, 0.35, 0.15, 0.85 if title else 0.6))
    for ax, (name, a) in zip(axes, checked):
        counts, edges = np.histogram(a, bins=_checks.integer("bins", bins), range=hist_range)
        ax.stairs(counts, edges, fill=True, color=_BLUE, alpha=0.8)
        ax.set_title(f"{name}\nmean {a.mean():.3g}, std {a.std():.3g}", fontsize="small")
        ax.tick_params(labelsize="x-small")
    fig.suptitle("" if title is None else title)  # also blanks an old title on a redraw
    return fig

