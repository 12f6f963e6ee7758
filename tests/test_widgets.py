"""Widgets (course.widgets): driven like a person would, by setting control values.

No kernel here: setting ``.value`` runs the observers at once, so each test sets controls
and checks what the figure, the text and the PNG image show.
"""

import re

import ipywidgets
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from course import widgets
from course.graph import Value

pytestmark = pytest.mark.viz

YELLOW = "#ffd166"  # viz.draw_graph's highlight colour


def line(ax, label):
    (found,) = [ln for ln in ax.lines if ln.get_label() == label]
    return found


def numbers_after(text, name):
    """The number printed as 'name = <number>' in a widget's text."""
    return float(re.search(rf"\b{re.escape(name)} = (-?[\d.]+)", text).group(1))


def yellow_boxes(fig):
    """Centres of the highlighted value boxes of a draw_graph figure."""
    boxes = [p for p in fig.axes[0].patches if p.get_gid() == "value"]
    return {(round(p.get_x(), 3), round(p.get_y(), 3)) for p in boxes
            if to_hex(p.get_facecolor()) == YELLOW}


def graph_texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


@pytest.fixture(scope="module")
def landscape():
    return widgets.loss_landscape()


@pytest.fixture(scope="module")
def race():
    return widgets.optimizer_race()


# ---- every widget ------------------------------------------------------------------

FACTORIES = {
    "graph_stepper": widgets.graph_stepper,
    "activation_explorer": widgets.activation_explorer,
    "loss_landscape": widgets.loss_landscape,
    "optimizer_race": widgets.optimizer_race,
    "capacity_explorer": widgets.capacity_explorer,
    "jacobian_explorer": widgets.jacobian_explorer,
}
CHANGES = {  # one control change per widget that must change the picture
    "graph_stepper": ("step", 3),
    "activation_explorer": ("activation", "tanh"),
    "loss_landscape": ("reg", 0.3),
    "optimizer_race": ("lr", 0.01),
    "capacity_explorer": ("hidden", 5),
    "jacobian_explorer": ("seed", 3),
}


@pytest.mark.parametrize("name", FACTORIES)
def test_widget_is_a_vbox_with_controls_figure_and_png(name):
    state = np.random.get_state()
    box = FACTORIES[name]()  # every argument is optional
    assert isinstance(box, ipywidgets.VBox)
    assert box.children[-1] is box.image and bytes(box.image.value).startswith(b"\x89PNG")
    assert isinstance(box.figure, Figure)
    assert box.controls and all(isinstance(c, ipywidgets.Widget) for c in box.controls.values())
    before_image, before_text = bytes(box.image.value), box.text.value
    control, value = CHANGES[name]
    box.controls[control].value = value  # observers fire at once, no kernel needed
    assert bytes(box.image.value) != before_image
    assert box.text.value != before_text or name == "jacobian_explorer"
    assert box.previous[control] == value
    assert 0 < box.seconds < 5
    box.update()
    # the widgets seed numpy for reproducible nets, then put the global state back
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2] == state[2]


def test_an_error_while_drawing_shows_in_the_text_and_is_raised():
    calls = []

    def draw(box, values):
        calls.append(values["n"])
        if values["n"] == 2:
            raise ValueError("n: two is not allowed")
        fig = Figure()
        fig.add_subplot().plot([0, values["n"]])
        return fig, f"n = {values['n']}"

    box = widgets.Explorer({"n": ipywidgets.IntSlider(1, 0, 3)}, draw)
    assert box.text.value == "n = 1" and calls == [1]
    with pytest.raises(ValueError, match="two is not allowed"):
        box.controls["n"].value = 2
    assert "Error" in box.text.value and "two is not allowed" in box.text.value


# ---- 01: graph_stepper ---------------------------------------------------------------

def test_graph_stepper_walks_the_lecture_neuron_to_its_gradients():
    box = widgets.graph_stepper()
    step = box.controls["step"]
    assert (step.min, step.max, step.value) == (0, 5, 0)  # 2 multiplies, 2 adds, 1 sigmoid
    # step 0 is the forward pass: no gradient anywhere, nothing highlighted
    assert not any(t.startswith("grad") for t in graph_texts(box.figure))
    assert "data 0.7311" in graph_texts(box.figure)  # sigma(2*-1 + -3*-2 - 3) = sigma(1)
    assert "grad" not in box.text.value.lower() and yellow_boxes(box.figure) == set()
    highlighted = []
    for _ in range(5):
        box.controls["next"].click()
        assert len(yellow_boxes(box.figure)) == 1
        highlighted.append(yellow_boxes(box.figure).pop())
    assert step.value == 5 and len(set(highlighted)) == 5  # a different gate at every step
    # By hand: f = sigma(1) = 0.731, sigma' = (1 - 0.731) 0.731 = 0.197 flows back to the
    # add gates; the multiply gates swap: dw0 = x0 * 0.197, dx0 = w0 * 0.197, ...
    lecture = {"w0": -0.20, "w1": -0.39, "w2": 0.20, "x0": 0.39, "x1": -0.59}
    for name, grad in lecture.items():
        assert round(numbers_after(box.text.value, name), 2) == grad
    assert "= ?" not in box.text.value
    assert "grad -0.1966" in graph_texts(box.figure)  # dw0 in w0's box


def test_graph_stepper_first_step_is_the_sigmoid_gate_with_its_three_gradients():
    box = widgets.graph_stepper()
    box.controls["step"].value = 1
    assert box.highlighted.op == "sigmoid" and box.highlighted.label == "f"
    # upstream df/df = 1; local gradient (1 - s) s with s = sigma(1); downstream = local x 1
    s = 1 / (1 + np.exp(-1.0))
    local = f"{(1 - s) * s:.3f}"
    assert "sigmoid gate" in box.text.value and "<b>1.000</b>" in box.text.value
    assert f"{local} &times; 1.000 = <b>{local}</b>" in box.text.value
    assert box.text.value.count("= ?") == 5  # no input reached yet


def test_graph_stepper_buttons_move_one_step_and_stop_at_the_ends():
    box = widgets.graph_stepper()
    prev, nxt, step = box.controls["prev"], box.controls["next"], box.controls["step"]
    assert prev.disabled and not nxt.disabled
    prev.click()
    assert step.value == 0
    nxt.click()
    nxt.click()
    prev.click()
    assert step.value == 1 and not prev.disabled
    step.value = step.max
    nxt.click()
    assert step.value == step.max and nxt.disabled
    step.value = 0
    assert "Forward pass" in box.text.value and yellow_boxes(box.figure) == set()


def test_graph_stepper_takes_any_value_and_leaves_its_grads_alone():
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    before = [v.grad for v in (x, y, z, f)]
    box = widgets.graph_stepper(f)
    assert box.controls["step"].max == 2
    box.controls["step"].value = 2
    # the lecture's first example: df/dx = df/dy = z = -4, df/dz = x + y = 3
    assert [numbers_after(box.text.value, n) for n in "xyz"] == [-4.0, -4.0, 3.0]
    assert [v.grad for v in (x, y, z, f)] == before
    box.controls["step"].value = 1
    assert numbers_after(box.text.value, "z") == 3.0 and "x = ?" in box.text.value


def test_graph_stepper_a_node_used_twice_sums_its_gradients():
    a = Value(3.0, "a")
    box = widgets.graph_stepper(a * a)  # d(a^2)/da = 2a = 6, from two downstream gradients
    box.controls["step"].value = 1
    assert numbers_after(box.text.value, "a") == 6.0
    assert box.text.value.count("<b>3.000</b>") == 2


def test_graph_stepper_shows_a_fan_out_gradient_accumulating_step_by_step():
    a, b = Value(3.0, "a"), Value(4.0, "b")
    box = widgets.graph_stepper(a * b + a)  # df/da = b + 1 = 5: 1 from the add, 4 from the *
    box.controls["step"].value = 1  # the add gate: a gets its first share, 1
    assert numbers_after(box.text.value, "a") == 1.0 and "b = ?" in box.text.value
    assert "grad 1" in graph_texts(box.figure) and "grad 5" not in graph_texts(box.figure)
    box.controls["step"].value = 2  # the multiply gate adds b = 4 to it: += 4
    assert numbers_after(box.text.value, "a") == 5.0 and numbers_after(box.text.value, "b") == 3
    assert "grad 5" in graph_texts(box.figure)


def test_graph_stepper_rejects_what_is_not_a_value():
    with pytest.raises(TypeError, match="root: expected a course.graph.Value"):
        widgets.graph_stepper(3.0)


# ---- 02: activation_explorer ---------------------------------------------------------

def test_activation_explorer_plots_the_chosen_activation():
    box = widgets.activation_explorer()
    ax = box.figure.axes[0]
    x = line(ax, "f(x)").get_xdata()
    assert np.array_equal(line(ax, "f(x)").get_ydata(), np.maximum(x, 0))
    box.controls["activation"].value = "sigmoid"
    ax = box.figure.axes[0]
    x, out = line(ax, "f(x)").get_xdata(), line(ax, "f(x)").get_ydata()
    s = 1 / (1 + np.exp(-x))  # the closed form, computed here
    assert np.allclose(out, s, rtol=1e-12) and np.allclose(line(ax, "f'(x)").get_ydata(),
                                                           s * (1 - s), rtol=1e-10)
    # sigmoid' = s (1 - s) < 0.05 where |x| > log((1 + sqrt 0.8) / (1 - sqrt 0.8)) = 2.887
    share = np.mean(np.abs(x) > np.log((1 + np.sqrt(0.8)) / (1 - np.sqrt(0.8))))
    assert f"on {share:.0%} of the plotted range" in box.text.value
    assert box.controls["alpha"].disabled


def test_activation_explorer_alpha_sets_the_negative_slope():
    box = widgets.activation_explorer()
    alpha = box.controls["alpha"]
    assert alpha.disabled
    box.controls["activation"].value = "leaky_relu"
    assert not alpha.disabled and alpha.value == 0.01  # the layer's default
    alpha.value = 0.3
    f = line(box.figure.axes[0], "f(x)")
    x = f.get_xdata()
    assert np.allclose(f.get_ydata(), np.where(x > 0, x, 0.3 * x), rtol=1e-12)
    box.controls["activation"].value = "elu"
    assert alpha.value == 1.0
    alpha.value = 2.0
    f = line(box.figure.axes[0], "f(x)")
    x = f.get_xdata()
    assert np.allclose(f.get_ydata(), np.where(x > 0, x, 2.0 * np.expm1(np.minimum(x, 0))))


def test_activation_explorer_x_range_and_depth():
    box = widgets.activation_explorer("sigmoid")
    box.controls["x_range"].value = 12.0
    x = line(box.figure.axes[0], "f(x)").get_xdata()
    assert (x.min(), x.max()) == (-12.0, 12.0)
    depth_line = box.figure.axes[1].lines[0]
    box.controls["depth"].value = 10
    layers, scale = depth_line.get_data()
    assert np.array_equal(layers, np.arange(1, 11))
    # sigmoid' <= 1/4 everywhere, so the gradient scale is at most 4^-l and keeps falling
    assert np.all(scale <= 0.25 ** layers) and np.all(np.diff(scale) < 0)
    box.controls["activation"].value = "relu"
    layers, scale = box.figure.axes[1].lines[0].get_data()
    # relu' is 1 for half of the N(0, 1) pre-activations: about 2^-l (2000 samples a layer)
    assert np.allclose(scale, 0.5 ** layers, rtol=0.25)
    assert f"{scale[-1]:.2g}" in box.text.value


def test_activation_explorer_rejects_unknown_names():
    with pytest.raises(ValueError, match="activation: expected one of"):
        widgets.activation_explorer("softplus")


# ---- 03: loss_landscape --------------------------------------------------------------

def curve(box):
    return line(box.figure.axes[0], "data + reg loss").get_data()


def test_landscape_reg_adds_a_parabola(landscape):
    landscape.controls["dim"].value = "1-D"
    landscape.controls["reg"].value = 0.0
    a, plain = curve(landscape)
    landscape.controls["reg"].value = 0.3
    a2, with_reg = curve(landscape)
    assert np.array_equal(a, a2)
    # 0.5 reg ||W + a dW||^2 is a parabola in a, opening upwards
    coef, residual, *_ = np.polyfit(a, with_reg - plain, 2, full=True)
    assert coef[0] > 0 and residual[0] < 1e-18
    assert np.array_equal(line(landscape.figure.axes[0], "data loss").get_ydata(), plain)
    landscape.controls["reg"].value = 0.0


def test_landscape_hinge_has_kinks_softmax_is_smooth(landscape):
    landscape.controls["dim"].value = "1-D"
    landscape.controls["reg"].value = 0.0
    shapes = {}
    for loss in ("svm", "softmax"):
        landscape.controls["loss"].value = loss
        a, loss_values = curve(landscape)
        d2 = np.diff(loss_values, 2)
        assert np.all(d2 > -1e-12)  # both losses are convex in the weights of a linear model
        shapes[loss] = np.median(np.abs(d2)) / np.abs(d2).max()
    # piecewise linear: zero second differences except at the kinks (spikes)
    assert shapes["svm"] < 1e-6
    assert shapes["softmax"] > 0.1  # smooth: no spikes
    assert "piecewise linear" not in landscape.text.value and "smooth" in landscape.text.value


def test_landscape_one_example_hinge_is_flat_then_straight(landscape):
    landscape.controls["loss"].value = "svm"
    landscape.controls["examples"].value = "one"
    a, loss_values = curve(landscape)
    slopes = np.diff(loss_values) / np.diff(a)
    kinks = np.abs(np.diff(slopes)) > 1e-6
    assert 1 <= kinks.sum() <= 4  # one example, 3 classes: at most 2 hinges, each kink in
    assert loss_values.min() >= 0  # <= 2 grid intervals
    landscape.controls["examples"].value = "all"


def test_landscape_2d_is_consistent_with_1d(landscape):
    landscape.controls["dim"].value = "1-D"
    landscape.controls["loss"].value = "softmax"
    (dot,) = [ln for ln in landscape.figure.axes[0].lines if ln.get_label() == "trained W"]
    centre_1d = dot.get_ydata()[0]
    landscape.controls["dim"].value = "2-D"
    ax = landscape.figure.axes[0]
    assert not ax.get_legend() and ax.collections  # contours, no curve
    assert f"{centre_1d:.3f}" in landscape.text.value  # the same weights at the centre
    landscape.controls["dim"].value = "1-D"


def test_landscape_rejects_bad_arguments():
    with pytest.raises(ValueError, match="dataset"):
        widgets.loss_landscape(dataset="cifar")
    with pytest.raises(ValueError, match="reg: expected one of"):
        widgets.loss_landscape(reg=0.5)

def _pixels(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()



# ---- 05: optimizer_race -------------------------------------------------------------

RULES = ("sgd", "sgd_momentum", "rmsprop", "adam")


def paths(box):
    ax = box.figure.axes[0]
    return {rule: np.column_stack(line(ax, rule).get_data()) for rule in RULES}


def test_race_paths_start_together_and_sgd_follows_the_closed_form(race):
    race.controls["surface"].value = "ravine"
    race.controls["lr"].value = 0.1
    race.controls["steps"].value = 50
    got = paths(race)
    for path in got.values():
        assert path.shape == (51, 2) and np.array_equal(path[0], [-4.5, 1.5])
    # f = 0.05 x^2 + y^2: one SGD step multiplies x by (1 - 0.1 lr) and y by (1 - 2 lr)
    t = np.arange(51)
    assert np.allclose(got["sgd"], np.column_stack([-4.5 * 0.99**t, 1.5 * 0.8**t]),
                       rtol=1e-12, atol=1e-300)
    final = {row[0]: row[1] for row in re.findall(r"<td[^>]*>(\w+)</td><td[^>]*>([^<]+)",
                                                  race.text.value)}
    assert set(final) == set(RULES)
    assert float(final["sgd"]) == pytest.approx(0.05 * got["sgd"][-1, 0] ** 2
                                                + got["sgd"][-1, 1] ** 2, rel=1e-3)


def test_race_lr_changes_paths_and_steps_extend_them(race):
    race.controls["surface"].value = "ravine"
    race.controls["lr"].value = 0.1
    before = paths(race)
    race.controls["lr"].value = 0.01
    after = paths(race)
    assert all(not np.array_equal(before[r][1:], after[r][1:]) for r in RULES)
    race.controls["steps"].value = 20
    short = paths(race)
    race.controls["steps"].value = 80
    long = paths(race)
    for r in RULES:  # a longer race continues the same path
        assert len(short[r]) == 21 and len(long[r]) == 81
        assert np.array_equal(long[r][:21], short[r])


def test_race_surface_switch_resets_settings_and_start(race):
    race.controls["surface"].value = "rosenbrock"
    assert race.controls["lr"].value == pytest.approx(1e-3)
    assert race.controls["steps"].value == 300
    for path in paths(race).values():
        assert np.array_equal(path[0], [-1.2, 1.0])
    race.controls["surface"].value = "saddle"
    got = paths(race)
    # from just off the saddle, adam escapes to a minimum at (0, +-1); plain sgd is still
    # close to the saddle's ridge y = 0 after 100 steps (y grows by 1 + lr = 1.05 a step)
    assert abs(abs(got["adam"][-1, 1]) - 1) < 0.1 and abs(got["sgd"][-1, 1]) < 0.2


def test_race_redrawn_in_place_shows_what_a_fresh_one_shows(race):
    figure = race.figure
    for control, value in [("surface", "saddle"), ("lr", 0.01), ("surface", "rosenbrock"),
                           ("steps", 50), ("surface", "ravine")]:
        race.controls[control].value = value
        assert race.figure is figure  # the same figure: contours, markers and paths updated
        v = race.values()
        fresh = widgets.optimizer_race(v["surface"])
        fresh.controls["lr"].value, fresh.controls["steps"].value = v["lr"], v["steps"]
        assert np.array_equal(_pixels(race.figure), _pixels(fresh.figure)), (control, value)


def test_race_diverging_rule_stops_without_overflow(race):
    race.controls["surface"].value = "rosenbrock"
    race.controls["lr"].value = 1.0  # far beyond 2 / curvature for sgd
    assert "diverged" in race.text.value
    assert np.all(np.isfinite(paths(race)["sgd"]))


def test_race_rejects_unknown_names():
    with pytest.raises(ValueError, match="surface"):
        widgets.optimizer_race("bowl")
    with pytest.raises(ValueError, match="rules"):
        widgets.optimizer_race(rules=("sgd", "lbfgs"))


# ---- 06: capacity_explorer ----------------------------------------------------------

def test_capacity_explorer_hidden_units_change_the_boundary_and_settings_are_cached():
    box = widgets.capacity_explorer(hidden=50, reg=0.0)
    grid_50 = box.figure.decision_grid[2].copy()
    image_50 = bytes(box.image.value)
    accuracy = lambda: [float(a) / 100 for a in re.findall(r"<b>(\d+)%</b>", box.text.value)]
    assert "trained in" in box.text.value and min(accuracy()) > 0.9
    box.controls["hidden"].value = 2
    assert not np.array_equal(box.figure.decision_grid[2], grid_50)
    assert bytes(box.image.value) != image_50
    assert max(accuracy()) < 0.8  # two hidden units cannot follow three spiral arms
    box.controls["hidden"].value = 50
    assert "from the cache" in box.text.value
    assert np.array_equal(box.figure.decision_grid[2], grid_50)
    box.controls["reg"].value = 0.1  # strong regularization: a much simpler boundary
    assert max(accuracy()) < 0.8


# ---- 04: jacobian_explorer ---------------------------------------------------------

@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_jacobian_explorer_shows_a_diagonal_matrix(activation):
    box = widgets.jacobian_explorer(activation, size=6)
    box.controls["size"].value = 9
    J = np.asarray(box.figure.axes[0].images[0].get_array())
    x = np.round(np.random.default_rng(0).standard_normal(9), 2)
    expected = (x > 0) * 1.0 if activation == "relu" else 1 - np.tanh(x) ** 2
    assert J.shape == (9, 9) and np.allclose(J, np.diag(expected), rtol=1e-12, atol=0)
    assert f"<b>{np.count_nonzero(expected)}</b> non-zero entries of 81" in box.text.value



def test_jacobian_explorer_redrawn_in_place_shows_what_a_fresh_one_shows():
    box = widgets.jacobian_explorer(size=8)
    figure = box.figure
    # larger and smaller sizes (ticks and diagonal labels come and go), other x and J
    for control, value in [("size", 16), ("activation", "tanh"), ("size", 3), ("seed", 5),
                           ("size", 12), ("activation", "relu"), ("size", 10)]:
        box.controls[control].value = value
        assert box.figure is figure  # the same figure, updated
        v = box.values()
        fresh = widgets.jacobian_explorer(v["activation"], v["size"], v["seed"])
        assert np.array_equal(_pixels(box.figure), _pixels(fresh.figure)), (control, value)

# ---- more of what every widget shares -----------------------------------------------

def test_png_is_the_figure_and_a_revisited_setting_reuses_it():
    from io import BytesIO

    from PIL import Image

    box = widgets.jacobian_explorer(size=5)
    first = bytes(box.image.value)
    width, height = box.figure.get_size_inches() * widgets.DPI
    assert Image.open(BytesIO(first)).size == (round(width), round(height))
    box.controls["size"].value = 7
    J7 = box.figure.axes[0].images[0].get_array().shape
    box.controls["size"].value = 5
    assert bytes(box.image.value) == first  # the kept picture of size 5
    assert box.figure.axes[0].images[0].get_array().shape == (5, 5) != J7  # figure redrawn


def test_graph_stepper_names_unlabelled_nodes_by_their_formula():
    box = widgets.graph_stepper()
    box.controls["step"].value = 2  # the add gate that adds the bias w2
    assert "that makes w0 * x0 + w1 * x1 + w2" in box.text.value
    x = Value(2.0, "x")
    box = widgets.graph_stepper(((x * 3.0).exp() + 1.0) ** -1)
    box.controls["step"].value = 1
    assert "that makes (exp(x * 3) + 1)**-1" in box.text.value


@pytest.mark.parametrize("factory, kwargs, match", [
    (widgets.capacity_explorer, {"hidden": 7}, "hidden: expected one of"),
    (widgets.capacity_explorer, {"reg": 0.5}, "reg: expected one of"),
    (widgets.loss_landscape, {"dim": "3-D"}, "dim: expected one of"),
    (widgets.loss_landscape, {"loss": "hinge"}, "loss: expected one of"),
    (widgets.jacobian_explorer, {"activation": "softmax"}, "activation: expected one of"),
])
def test_bad_arguments_name_the_argument(factory, kwargs, match):
    with pytest.raises(ValueError, match=match):
        factory(**kwargs)
