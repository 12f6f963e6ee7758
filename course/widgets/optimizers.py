"""The optimizer race on 2-D test surfaces (assignment 05)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course.widgets.base import _COLORS, Explorer, _choice, _few_ticks, _figure, _slider, _table

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
            _few_ticks(ax)
            ax.plot([], [], "*", color="k", ms=10, label="minimum")
            ax.plot([], [], "o", color="k", ms=5, label="start")
            for rule in rules:
                ax.plot([], [], "-o", color=_COLORS.get(rule), ms=2, lw=1.2, label=rule)
            ax.set(xlabel="x", ylabel="y")
            ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
        else:
            fig, (ax,) = box.figure, box.figure.axes
        lines = {ln.get_label(): ln for ln in ax.lines}
        if box.changed("surface"):  # new contours, markers and limits; the lines, legend
            for contours in list(ax.collections):  # and ticks stay (rebuilding the ticks
                contours.remove()  # was a quarter of a switch)
            xs, ys = np.linspace(*xlim, 150), np.linspace(*ylim, 150)
            Z = f(*np.meshgrid(xs, ys))[0]
            ax.contour(xs, ys, Z, levels=np.unique(np.quantile(Z, np.linspace(0, 1, 25) ** 2)),
                       colors="0.6", linewidths=0.6, negative_linestyles="solid", zorder=1)
            lines["minimum"].set_data(*zip(*minima))
            lines["start"].set_data([start[0]], [start[1]])
            ax.set(xlim=xlim, ylim=ylim)
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
