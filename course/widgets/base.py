"""What every widget shares: the Explorer box, PNG rendering, small helpers."""

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
        # show the picture at its own size: JupyterLab would stretch it to the output's width
        width = f"{round(figure.get_figwidth() * DPI)}px"
        if self.image.layout.width != width:
            self.image.layout.width = width
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

def _fit(model, X, y, steps, lr):
    """Full-batch Adam (``course.optim.adam``) on model.loss(X, y); returns the model."""
    from course.optim import adam

    configs = {k: {"learning_rate": lr} for k in model.params}
    for _ in range(steps):
        _, grads = model.loss(X, y)
        for k, w in model.params.items():
            model.params[k], configs[k] = adam(w, grads[k], configs[k])
    return model
