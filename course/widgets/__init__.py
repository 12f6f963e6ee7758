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

from course.widgets.activations import activation_explorer
from course.widgets.base import DPI, Explorer
from course.widgets.capacity import capacity_explorer
from course.widgets.graphs import graph_stepper, jacobian_explorer
from course.widgets.landscape import loss_landscape
from course.widgets.optimizers import optimizer_race

__all__ = [
    "DPI",
    "Explorer",
    "graph_stepper",
    "jacobian_explorer",
    "activation_explorer",
    "loss_landscape",
    "optimizer_race",
    "capacity_explorer",
]
