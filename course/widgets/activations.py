"""The activation explorer (assignment 02)."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from course.widgets.base import Explorer, _choice, _few_ticks, _figure, _slider

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
    [-x_range, x_range]), "depth" L. Left: ``viz.plot_activation`` (then
    ``viz.update_activation``), the x axis shaded where
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
        if not ax_f.lines:
            viz.plot_activation(name, alpha, x_range, ax=ax_f)
            _few_ticks(ax_f)
        elif box.changed("activation", "alpha", "x_range"):  # the depth slider leaves f alone
            viz.update_activation(ax_f, name, alpha, x_range)
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
