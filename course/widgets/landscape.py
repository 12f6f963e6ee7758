"""The loss-landscape explorer (assignment 03)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course.widgets.base import Explorer, _choice, _few_ticks, _figure, _fit, _global_seed, _slider

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
