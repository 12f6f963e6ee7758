"""Plots (course.viz): figures show the library's numbers, redraw cleanly, reject bad input."""

import io
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from course import graph_plot, viz
from course.gradcheck import eval_numerical_gradient_array, rel_error
from course.graph import Value
from course.layers import ACTIVATIONS
from tests.strategies import arrays, seeds, shapes
from tests.test_graph_plot import lecture_graph

pytestmark = pytest.mark.viz


def line(ax, label):
    (found,) = [ln for ln in ax.lines if ln.get_label() == label]
    return found


def by_gid(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def xs_of(patch):
    # x coordinates of a patch's outline (works for Rectangle and Polygon spans)
    return patch.get_patch_transform().transform(patch.get_path().vertices)[:, 0]


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


# ---- module ------------------------------------------------------------------

def test_import_does_not_load_matplotlib():
    code = "import sys, course.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_figures_stay_out_of_pyplot():
    plt = pytest.importorskip("matplotlib.pyplot")
    before = plt.get_fignums()
    viz.plot_activation("tanh")
    viz.plot_history({k: [1.0, 0.5] for k in viz.HISTORY_KEYS})
    assert plt.get_fignums() == before


# ---- activations ---------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_lines_are_the_library_forward_and_backward(name):
    fig = viz.plot_activation(name)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    x = line(ax, "f(x)").get_xdata()
    assert np.array_equal(x, np.linspace(-5, 5, 401))
    forward, backward = ACTIVATIONS[name]
    out, cache = forward(x)
    assert np.array_equal(line(ax, "f(x)").get_ydata(), out)
    assert np.array_equal(line(ax, "f'(x)").get_ydata(), backward(np.ones_like(x), cache))
    assert name in ax.get_title()


@pytest.mark.parametrize("name", ["elu", "gelu", "silu", "sigmoid", "tanh"])
def test_plotted_gradient_matches_centered_differences_of_plotted_curve(name):
    # the grid -3.999, -3.899, ... stays off ELU's kink at 0
    x, _, df, _ = viz.activation_curves(name, x_range=(-4 + 1e-3, 4 + 1e-3), num=81)
    forward = ACTIVATIONS[name][0]
    num = eval_numerical_gradient_array(lambda v: forward(v)[0], x.copy(), np.ones_like(x))
    assert rel_error(df, num) < 1e-7


def test_alpha_goes_to_the_layer_and_the_title():
    fig = viz.plot_activation("leaky_relu", alpha=0.2)
    ax = fig.axes[0]
    assert "alpha=0.2" in ax.get_title()
    x = line(ax, "f(x)").get_xdata()
    assert np.array_equal(line(ax, "f(x)").get_ydata(), np.where(x > 0, x, 0.2 * x))
    # the default alpha of elu (1.0) is read from the layer and shown
    assert "alpha=1" in viz.plot_activation("elu").axes[0].get_title()


def test_sigmoid_shades_where_its_gradient_vanishes():
    ax = viz.plot_activation("sigmoid").axes[0]
    spans = by_gid(ax, "vanishing")
    assert len(spans) == 2
    # s (1 - s) = 0.05 at s = (1 - sqrt(0.8)) / 2, i.e. |x| = log((1 + sqrt 0.8) / (1 - sqrt 0.8))
    edge = np.log((1 + np.sqrt(0.8)) / (1 - np.sqrt(0.8)))  # 2.8873
    (lo1, hi1), (lo2, hi2) = sorted((xs_of(p).min(), xs_of(p).max()) for p in spans)
    step = 10 / 400
    assert lo1 == -5 and hi2 == 5
    assert abs(hi1 + edge) <= step and abs(lo2 - edge) <= step
    assert any("vanishes" in t.get_text() for t in ax.get_legend().get_texts())


def test_relu_shades_its_dead_side_and_leaky_relu_with_large_alpha_shades_nothing():
    ax = viz.plot_activation("relu").axes[0]
    (span,) = by_gid(ax, "vanishing")
    assert (xs_of(span).min(), xs_of(span).max()) == (-5, 0)  # relu'(0) = 0 by the library
    assert by_gid(viz.plot_activation("leaky_relu", alpha=0.2).axes[0], "vanishing") == []


def _picture(ax):
    """What a reader sees on an activation plot: curves, shading, title, legend, limits."""
    ax.figure.canvas.draw()
    spans = sorted((xs_of(p).min(), xs_of(p).max()) for p in by_gid(ax, "vanishing"))
    return {"lines": [(l.get_label(), l.get_xdata().tolist(), l.get_ydata().tolist())
                      for l in ax.get_lines()],
            "spans": spans, "title": ax.get_title(),
            "legend": [t.get_text() for t in ax.get_legend().get_texts()],
            "xlim": ax.get_xlim(), "ylim": ax.get_ylim()}


def test_updating_an_activation_plot_in_place_draws_what_a_fresh_plot_draws():
    ax = viz.plot_activation("relu").axes[0]
    for args in [("sigmoid", None, (-10, 10)), ("leaky_relu", 0.3, (-5, 5)),
                 ("gelu", None, (-2, 2)), ("elu", 2.0, (-12, 12)), ("relu", None, (-5, 5))]:
        assert viz.update_activation(ax, *args) is ax.figure
        fresh = viz.plot_activation(*args).axes[0]
        got, want = _picture(ax), _picture(fresh)
        for key in ("xlim", "ylim"):
            assert np.allclose(got.pop(key), want.pop(key)), (args, key)
        assert got == want, args
    with pytest.raises(ValueError, match="drawn by plot_activation"):
        viz.update_activation(graph_plot.draw_graph(Value(1.0) * 2).axes[0], "relu")


def test_activation_redraw_into_axes_replaces_everything():
    fig = viz.plot_activation("sigmoid")
    ax = fig.axes[0]
    again = viz.plot_activation("leaky_relu", alpha=0.3, ax=ax)
    assert again is fig and fig.axes == [ax]
    graph_ax = graph_plot.draw_graph(Value(1.0) * 2).axes[0]
    viz.plot_activation("leaky_relu", alpha=0.3, ax=graph_ax)  # reused from another plot kind
    assert graph_ax.get_aspect() == "auto" and len(graph_ax.patches) == 0
    assert len(ax.lines) == 2 and by_gid(ax, "vanishing") == []
    assert ax.get_title() == "leaky_relu (alpha=0.3)"


def test_activation_bad_inputs():
    with pytest.raises(ValueError, match="name: expected one of"):
        viz.plot_activation("softplus")
    with pytest.raises(ValueError, match="alpha: sigmoid has no alpha"):
        viz.plot_activation("sigmoid", alpha=0.1)
    with pytest.raises(ValueError, match="x_range"):
        viz.plot_activation("relu", x_range=(3, -3))
    with pytest.raises(ValueError, match="num"):
        viz.plot_activation("relu", num=1)
    with pytest.raises(TypeError, match="ax"):
        viz.plot_activation("relu", ax="axes")


# ---- loss landscapes -------------------------------------------------------------

def quadratic(center):
    return lambda p: float(sum(np.sum((p[k] - center[k]) ** 2) for k in p))


@settings(max_examples=15)
@given(st.data(), seeds())
def test_landscape_1d_at_zero_is_the_loss_and_params_are_untouched(data, seed):
    params = {"W": data.draw(arrays(data.draw(shapes(2, 2)))),
              "b": data.draw(arrays(data.draw(shapes(1, 1))))}
    copies = {k: v.copy() for k, v in params.items()}
    loss_fn = lambda p: float(np.sum(np.tanh(p["W"])) + np.sum(p["b"] ** 3))
    alphas, losses = viz.landscape_1d(loss_fn, params, num=11, seed=seed)
    assert alphas[5] == 0.0 and losses[5] == loss_fn(params)
    assert np.array_equal(alphas, -alphas[::-1])
    for k in params:
        assert np.array_equal(params[k], copies[k])


def test_quadratic_loss_gives_a_parabola_with_its_minimum_at_zero():
    params = {"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array([0.3, -0.1])}
    d = {"W": np.array([[1.0, 0.0], [2.0, 0.0]]), "b": np.array([0.0, 2.0])}  # |d|^2 = 9
    alphas, losses = viz.landscape_1d(quadratic(params), params, direction=d, span=2.0, num=21)
    # closed form: sum((theta + a d - theta)^2) = a^2 |d|^2
    assert np.allclose(losses, 9 * alphas**2, rtol=1e-12, atol=1e-12)
    assert np.argmin(losses) == 10 and np.allclose(losses, losses[::-1], rtol=1e-12)


def test_float32_params_reach_the_loss_as_float32():
    seen = []
    loss_fn = lambda p: seen.append(p["w"].dtype) or float(np.sum(p["w"]))
    viz.landscape_1d(loss_fn, {"w": np.ones(3, np.float32)}, num=3)
    viz.landscape_2d(loss_fn, {"w": np.ones(3, np.float32)}, num=3)
    assert set(seen) == {np.dtype(np.float32)}


def test_random_direction_has_the_norm_of_each_parameter():
    params = {"W": np.arange(6.0).reshape(2, 3), "b": np.zeros(3)}
    d = viz.random_direction(params, np.random.default_rng(0))
    assert np.isclose(np.linalg.norm(d["W"]), np.linalg.norm(params["W"]), rtol=1e-12)
    assert np.array_equal(d["b"], np.zeros(3))  # zero biases stay put
    zero = viz.random_direction({"b": np.zeros(4)}, np.random.default_rng(0))
    assert np.isclose(np.linalg.norm(zero["b"]), 1.0)
    f32 = viz.random_direction({"W": np.ones(3, np.float32)}, np.random.default_rng(0))
    assert f32["W"].dtype == np.float32


def test_landscape_leaves_the_global_random_state_alone():
    state = np.random.get_state()[1].copy()
    viz.landscape_2d(quadratic({"w": np.ones(3)}), {"w": np.ones(3)}, num=3, seed=4)
    assert np.array_equal(np.random.get_state()[1], state)


def test_landscape_2d_grid_shape_center_and_index_convention():
    theta = {"w": np.array([1.0, -1.0])}
    d1, d2 = {"w": np.array([1.0, 0.0])}, {"w": np.array([0.0, 2.0])}
    alphas, betas, losses = viz.landscape_2d(quadratic(theta), theta, (d1, d2), num=7)
    assert losses.shape == (7, 7) and losses[3, 3] == 0.0
    # losses[i, j] = alphas[i]^2 |d1|^2 + betas[j]^2 |d2|^2
    assert np.allclose(losses, alphas[:, None] ** 2 + 4 * betas[None, :] ** 2, rtol=1e-12)


def test_landscape_2d_first_direction_is_the_1d_direction():
    params = {"W": np.array([[1.0, 2.0], [-1.0, 0.5]]), "b": np.array([0.1, 0.2])}
    loss_fn = lambda p: float(np.sum(np.exp(0.1 * p["W"])) + np.sum(p["b"] ** 2))
    _, line_losses = viz.landscape_1d(loss_fn, params, num=9, seed=3)
    _, _, losses = viz.landscape_2d(loss_fn, params, num=9, seed=3)
    assert np.allclose(losses[:, 4], line_losses, rtol=1e-14)


def test_landscape_plots_show_and_attach_their_numbers():
    params = {"w": np.array([1.0, 2.0])}
    fig = viz.plot_loss_landscape_1d(quadratic({"w": np.zeros(2)}), params, num=11)
    alphas, losses = fig.landscape
    ax = fig.axes[0]
    assert np.array_equal(line(ax, "loss(theta + a d)").get_ydata(), losses)
    assert line(ax, "current params").get_ydata()[0] == 5.0  # 1^2 + 2^2
    fig2 = viz.plot_loss_landscape_2d(quadratic({"w": np.zeros(2)}), params, num=5)
    assert fig2.landscape[2].shape == (5, 5) and len(fig2.axes) == 2  # plot + colorbar
    viz.plot_loss_landscape_2d(quadratic({"w": np.zeros(2)}), params, num=5, seed=1,
                               ax=fig2.axes[0])
    assert len(fig2.axes) == 2  # the colorbar is updated, not added again


def test_model_loss_fn_swaps_params_in_and_restores_them():
    from course.nets import TwoLayerNet

    np.random.seed(0)
    model = TwoLayerNet(input_dim=4, hidden_dim=5, num_classes=3, weight_scale=0.1)
    X, y = np.random.randn(6, 4), np.array([0, 1, 2, 0, 1, 2])
    own = model.params
    loss_fn = viz.model_loss_fn(model, X, y)
    assert loss_fn(own) == model.loss(X, y)[0]
    other = {k: v * 2 for k, v in own.items()}
    assert loss_fn(other) != loss_fn(own) and model.params is own
    alphas, losses = viz.landscape_1d(loss_fn, own, num=5)
    assert losses[2] == model.loss(X, y)[0] and model.params is own


def test_landscape_bad_inputs():
    params = {"w": np.ones(2)}
    loss_fn = quadratic(params)
    with pytest.raises(TypeError, match="params"):
        viz.landscape_1d(loss_fn, [np.ones(2)])
    with pytest.raises(TypeError, match="loss_fn"):
        viz.landscape_1d(None, params)
    with pytest.raises(ValueError, match="direction"):
        viz.landscape_1d(loss_fn, params, direction={"v": np.ones(2)})
    with pytest.raises(ValueError, match=r"direction\['w'\]: expected shape \(2,\)"):
        viz.landscape_1d(loss_fn, params, direction={"w": np.ones(3)})
    with pytest.raises(ValueError, match="span"):
        viz.landscape_1d(loss_fn, params, span=0)
    with pytest.raises(ValueError, match="directions"):
        viz.landscape_2d(loss_fn, params, directions=({"w": np.ones(2)},))


# ---- decision boundary -------------------------------------------------------------

def test_linear_predictor_gives_the_expected_class_at_the_corners():
    X = np.array([[-1.0, -2.0], [2.0, 1.0], [0.5, -0.5]])
    y = np.array([0, 1, 1])
    predict = lambda P: (P[:, 0] > 0).astype(int)  # class 1 right of the y axis
    fig = viz.plot_decision_boundary(predict, X, y, resolution=50, padding=0.5)
    xs, ys, Z = fig.decision_grid
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (-1.5, 2.5, -2.5, 1.5)
    assert Z.shape == (50, 50)
    assert Z[0, 0] == Z[-1, 0] == 0 and Z[0, -1] == Z[-1, -1] == 1  # Z[i, j] at (xs[j], ys[i])
    ax = fig.axes[0]
    assert len(ax.collections) == 2  # the filled contours and the points
    assert np.array_equal(ax.collections[-1].get_offsets(), X)


def test_decision_grid_matches_predict_and_accepts_scores():
    X = np.random.default_rng(0).normal(size=(20, 2))
    W = np.array([[1.0, -1.0, 0.0], [0.0, 1.0, -1.0]])
    xs, ys, Z = viz.decision_grid(lambda P: P @ W, X, resolution=30)  # scores: argmax taken
    xx, yy = np.meshgrid(xs, ys)
    assert np.array_equal(Z, np.argmax(np.stack([xx, yy], -1) @ W, axis=-1))


def test_a_single_predicted_class_plots_without_warnings():
    X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = viz.plot_decision_boundary(lambda P: np.zeros(len(P), int), X, y, resolution=10)
        fig.savefig(io.BytesIO(), format="png")
    assert not fig.decision_grid[2].any()


def test_decision_boundary_redraw_and_bad_inputs():
    X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    predict = lambda P: (P.sum(1) > 1).astype(int)
    fig = viz.plot_decision_boundary(predict, X, y)
    viz.plot_decision_boundary(predict, X, y, ax=fig.axes[0], resolution=20)
    assert len(fig.axes[0].collections) == 2 and fig.decision_grid[2].shape == (20, 20)
    with pytest.raises(ValueError, match=r"X: expected shape \(N, 2\)"):
        viz.plot_decision_boundary(predict, np.zeros((2, 3)), y)
    with pytest.raises(ValueError, match="y"):
        viz.plot_decision_boundary(predict, X, np.array([0, 1, 1]))
    with pytest.raises(TypeError, match="y"):
        viz.plot_decision_boundary(predict, X, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="predict"):
        viz.plot_decision_boundary(lambda P: np.zeros(3, int), X, y)


# ---- templates ----------------------------------------------------------------------

def minmax(v):
    return (v - v.min()) / (v.max() - v.min())


@settings(max_examples=10)
@given(st.integers(2, 5), st.integers(2, 5), st.integers(1, 4), seeds())
def test_template_images_are_min_max_scaled_columns(h, w, k, seed):
    W = np.random.default_rng(seed).normal(size=(h * w, k))
    images = viz.template_images(W, (h, w))
    assert len(images) == k
    for j, img in enumerate(images):
        assert np.allclose(img, minmax(W[:, j]).reshape(h, w), rtol=0, atol=1e-15)


def test_plot_templates_shows_one_image_per_column_with_labels():
    W = np.random.default_rng(0).normal(size=(64, 10))
    fig = viz.plot_templates(W, labels=[f"c{i}" for i in range(10)], ncols=5)
    ax = fig.axes[0]
    assert len(ax.images) == 10
    for j, im in enumerate(ax.images):
        assert np.allclose(np.asarray(im.get_array()), minmax(W[:, j]).reshape(8, 8))
    assert texts(fig) == [f"c{i}" for i in range(10)]
    viz.plot_templates(W[:, :3], ax=ax)
    assert len(ax.images) == 3 and len(ax.texts) == 0


def test_channels_first_templates_are_shown_height_width_channels():
    W = np.random.default_rng(1).normal(size=(3 * 4 * 5, 2))
    images = viz.template_images(W, (3, 4, 5))
    assert images[0].shape == (4, 5, 3)
    assert np.allclose(images[1], minmax(W[:, 1]).reshape(3, 4, 5).transpose(1, 2, 0))


def test_constant_template_is_black_without_warnings():
    (img,) = viz.template_images(np.full((4, 1), 2.0), (2, 2))
    assert np.array_equal(img, np.zeros((2, 2)))


def test_templates_bad_inputs():
    W = np.zeros((64, 10))
    with pytest.raises(ValueError, match=r"did you mean W.T"):
        viz.plot_templates(W.T)
    with pytest.raises(ValueError, match="labels"):
        viz.plot_templates(W, labels=["a"])
    with pytest.raises(ValueError, match="image_shape"):
        viz.plot_templates(np.zeros((64, 2)), image_shape=(4, 4, 4))
    with pytest.raises(TypeError, match="W"):
        viz.plot_templates(np.zeros((64, 2), dtype=int))


# ---- training curves and histograms ----------------------------------------------------

HISTORY = {"loss_history": [2.3, 1.9, 1.5, 1.4], "train_acc_history": [0.1, 0.6],
           "val_acc_history": [0.1, 0.5]}


def test_history_lines_are_the_histories():
    fig = viz.plot_history(HISTORY)
    ax_loss, ax_acc = fig.axes
    assert np.array_equal(line(ax_loss, "loss").get_ydata(), HISTORY["loss_history"])
    assert np.array_equal(line(ax_acc, "train").get_ydata(), HISTORY["train_acc_history"])
    assert np.array_equal(line(ax_acc, "val").get_ydata(), HISTORY["val_acc_history"])
    solver_like = SimpleNamespace(**HISTORY)
    again = viz.plot_history(solver_like, fig=fig)
    assert again is fig and len(fig.axes) == 2 and len(ax_acc.lines) == 2


def test_history_of_a_trained_solver():
    from course.nets import TwoLayerNet
    from course.solver import Solver

    rng = np.random.default_rng(0)
    data = {"X_train": rng.normal(size=(40, 4)), "y_train": rng.integers(0, 3, 40),
            "X_val": rng.normal(size=(10, 4)), "y_val": rng.integers(0, 3, 10)}
    np.random.seed(0)
    solver = Solver(TwoLayerNet(4, 8, 3), data, num_epochs=2, batch_size=10, verbose=False,
                    seed=0)
    solver.train()
    ax_loss, ax_acc = viz.plot_history(solver).axes
    assert np.array_equal(ax_loss.lines[0].get_ydata(), solver.loss_history)
    assert np.array_equal(line(ax_acc, "val").get_ydata(), solver.val_acc_history)


def test_history_of_a_diverging_run_and_bad_histories():
    fig = viz.plot_history({**HISTORY, "loss_history": [2.3, 40.0, np.inf, np.nan]})
    assert np.isnan(fig.axes[0].lines[0].get_ydata()[-1])
    with pytest.raises(ValueError, match="val_acc_history"):
        viz.plot_history({"loss_history": [1.0], "train_acc_history": [0.5]})
    with pytest.raises(TypeError, match="loss_history"):
        viz.plot_history({**HISTORY, "loss_history": ["a"]})


def test_histograms_one_per_layer_with_mean_and_std():
    rng = np.random.default_rng(0)
    layers = [rng.normal(size=200), np.maximum(rng.normal(size=(20, 10)), 0)]
    fig = viz.plot_histograms(layers, title="ReLU activations", bins=10)
    assert len(fig.axes) == 2 and fig.get_suptitle() == "ReLU activations"
    for ax, a in zip(fig.axes, layers):
        (stairs,) = ax.patches
        counts, edges = np.histogram(a, bins=10)
        assert np.array_equal(stairs.get_data().values, counts)
        assert np.array_equal(stairs.get_data().edges, edges)
        assert f"mean {a.mean():.3g}, std {a.std():.3g}" in ax.get_title()
    named = viz.plot_histograms({"h1": layers[0], "h2": layers[1]}, fig=fig, hist_range=(-1, 1))
    assert named is fig and [ax.get_title().split("\n")[0] for ax in fig.axes] == ["h1", "h2"]
    assert len(fig.axes[0].patches) == 1 and fig.get_suptitle() == ""
    assert fig.axes[0].patches[0].get_data().edges[[0, -1]].tolist() == [-1, 1]


def test_histograms_bad_inputs():
    with pytest.raises(ValueError, match="at least one"):
        viz.plot_histograms([])
    with pytest.raises(ValueError, match="finite"):
        viz.plot_histograms([np.array([1.0, np.inf])])
    with pytest.raises(TypeError, match="arrays_per_layer"):
        viz.plot_histograms(np.ones(3))


# ---- files ------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: viz.plot_activation("gelu"),
    lambda: viz.plot_loss_landscape_2d(quadratic({"w": np.zeros(2)}), {"w": np.ones(2)}, num=5),
    lambda: viz.plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(int),
                                       np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])),
    lambda: viz.plot_templates(np.random.default_rng(0).normal(size=(3 * 4 * 4, 3)), (3, 4, 4)),
    lambda: viz.plot_histograms([np.arange(5.0)], title="t"),
    lambda: graph_plot.draw_graph(lecture_graph()),
], ids=["activation", "landscape", "boundary", "templates", "histograms", "graph"])
def test_figures_save_as_png(make, tmp_path):
    path = tmp_path / "plot.png"
    make().savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 1000


@pytest.mark.slow
def test_returned_figure_shows_once_as_an_image_in_a_notebook():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in (
        "from course import viz\nviz.plot_activation('relu')",  # pyplot never imported
        "fig = viz.plot_activation('tanh')",  # assigned: nothing shown
        # pyplot imported too: still shown once
        "import matplotlib.pyplot as plt\nfrom course.graph import Value\n"
        "from course import graph_plot\ngraph_plot.draw_graph(Value(1.0) * 2)",
    )]
    root = str(Path(__file__).resolve().parents[1])
    nbclient.NotebookClient(nb, timeout=120, resources={"metadata": {"path": root}}).execute()
    images = [sum("image/png" in out.get("data", {}) for out in cell.outputs) for cell in nb.cells]
    assert images == [1, 0, 1]
