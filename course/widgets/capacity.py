"""The capacity explorer (assignment 06)."""

from __future__ import annotations

import time

import numpy as np

from course.widgets.base import Explorer, _choice, _few_ticks, _figure, _fit, _global_seed, _slider

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
