"""The main job, end to end on the reference library: ``python -m course.demo``.

1. The lecture's scalar graphs, backpropagated.
2. A linear classifier vs a two-layer net on the spiral (why non-linearity matters).
3. A two-layer net trained on the 8x8 digits with Adam and a cosine schedule.
4. Every gradient of the net checked against centered differences.

Prints the numbers and writes plots to ``--out`` (default ``demo-out/``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from course import data, schedules, viz  # noqa: E402
from course.gradcheck import eval_numerical_gradient, rel_error  # noqa: E402
from course.graph import Value, sigmoid_neuron  # noqa: E402
from course.nets import FullyConnectedNet, TwoLayerNet  # noqa: E402
from course.solver import Solver  # noqa: E402


def lecture_graphs() -> None:
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    f = (x + y) * z
    f.backward()
    print(f"f = (x + y) z at (-2, 5, -4): f = {f.data:g}, "
          f"df/dx = {x.grad:g}, df/dy = {y.grad:g}, df/dz = {z.grad:g}")
    out, w, xs = sigmoid_neuron((2.0, -3.0, -3.0), (-1.0, -2.0))
    out.backward()
    grads = ", ".join(f"{v.label} {v.grad:.2f}" for v in w + xs)
    print(f"sigmoid neuron: f = {out.data:.4f}; gradients {grads}")


def train(model, split, epochs, lr, seed, schedule=None):
    solver = Solver(model, split, update_rule="adam", optim_config={"learning_rate": lr},
                    batch_size=64, num_epochs=epochs, schedule=schedule, verbose=False,
                    seed=seed)
    solver.train()
    return solver


def spiral(out: Path) -> None:
    X, y = data.make_spiral(num_classes=3, points_per_class=100, seed=0)
    split = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    np.random.seed(0)
    linear = FullyConnectedNet([], input_dim=2, num_classes=3, weight_scale=1e-1)
    np.random.seed(0)
    net = TwoLayerNet(input_dim=2, hidden_dim=100, num_classes=3, weight_scale=1e-1, reg=1e-3)
    for name, model in (("linear", linear), ("two-layer", net)):
        solver = train(model, split, epochs=400, lr=2e-2, seed=0)
        acc = solver.check_accuracy(X, y)
        print(f"spiral, {name:9s} classifier: training accuracy {acc:.1%}")
        fig = viz.plot_decision_boundary(model.predict, X, y)
        fig.axes[0].set_title(f"{name} classifier: {acc:.1%} on the spiral")
        fig.savefig(out / f"spiral_{name.replace('-', '_')}.png", dpi=90)


def digits(out: Path) -> TwoLayerNet:
    split = data.load_digits(seed=0)
    np.random.seed(231)
    net = TwoLayerNet(input_dim=64, hidden_dim=128, num_classes=10, weight_scale=1e-2, reg=1e-3)
    epochs = 30
    solver = train(net, split, epochs=epochs, lr=2e-3, seed=0,
                   schedule=schedules.cosine(2e-3, total=epochs - 1, lr_min=1e-4))
    test_acc = solver.check_accuracy(split["X_test"], split["y_test"])
    print(f"digits, two-layer net: best validation accuracy {solver.best_val_acc:.1%}, "
          f"test accuracy {test_acc:.1%}")
    viz.plot_history(solver).savefig(out / "digits_history.png", dpi=90)
    viz.plot_templates(net.params["W1"][:, :32], image_shape=(8, 8)).savefig(
        out / "digits_templates.png", dpi=90)
    return net


def gradient_check() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((5, 6)), rng.integers(0, 4, size=5)
    np.random.seed(1)
    net = FullyConnectedNet([7, 5], input_dim=6, num_classes=4, reg=0.1, weight_scale=0.5,
                            activation="gelu")
    _, grads = net.loss(X, y)
    worst = 0.0
    for name, param in net.params.items():
        numeric = eval_numerical_gradient(lambda _: net.loss(X, y)[0], param, verbose=False)
        worst = max(worst, rel_error(numeric, grads[name]))
    print(f"gradient check of a 3-layer GELU net (all parameters): max relative error "
          f"{worst:.1e}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course.demo", description=__doc__)
    parser.add_argument("--out", default="demo-out", help="folder for the plots")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    lecture_graphs()
    spiral(out)
    digits(out)
    gradient_check()
    print(f"plots written to {out.resolve()} ({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
