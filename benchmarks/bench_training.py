"""Time a TwoLayerNet to reach a target accuracy: ``python -m benchmarks.bench_training``.

Two tasks, each with fixed seeds and the settings of ``course.demo``:

- digits: ``course.data.load_digits()`` (1297 training, 200 validation, 300 test images of
  8x8 pixels), until 97% accuracy on the test split;
- spiral: ``course.data.make_spiral()`` (3 arms of 100 points), until 99% accuracy on the
  training points (the spiral has no other split: the lecture asks whether a net can fit it).

How a run stops: ``Solver.train()`` always runs ``num_epochs`` and then puts back the
params of the best validation accuracy, so it cannot stop on a target. Instead one Solver
(Adam, its own seeded minibatches) is driven epoch by epoch by a small loop here: each
epoch is ``Solver._step()`` (minibatch, loss and gradients, an update of every param: the
iteration ``train()`` runs) repeated ``max(N_train // batch_size, 1)`` times, then the
same end-of-epoch learning-rate decay; after each epoch ``Solver.check_accuracy`` scores
the whole target split, and the clock stops at the first epoch that meets the target
(``max_epochs`` caps a run that never does). Seconds are wall-clock for the whole loop,
accuracy checks included, best and median of ``--repeat`` runs (the epochs are the same
every run: the seeds fix them). Writes ``benchmarks/results/training.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_layers import machine
from course.data import load_digits, make_spiral
from course.nets import TwoLayerNet
from course.solver import Solver

OUT = Path(__file__).parent / "results" / "training.json"
TASKS = {
    "digits": {"target": 0.97, "split": "test", "hidden_dim": 128, "weight_scale": 1e-2,
               "reg": 1e-3, "learning_rate": 2e-3, "batch_size": 64, "weight_seed": 231,
               "solver_seed": 0, "max_epochs": 100},
    "spiral": {"target": 0.99, "split": "train", "hidden_dim": 100, "weight_scale": 1e-1,
               "reg": 1e-3, "learning_rate": 2e-2, "batch_size": 64, "weight_seed": 0,
               "solver_seed": 0, "max_epochs": 1000},
}
"""Each task's settings; update rule Adam, learning rate constant (lr_decay 1.0)."""


def load(task):
    """The task's data dict, in the layout Solver expects."""
    if task == "digits":
        return load_digits(seed=0)
    X, y = make_spiral(num_classes=3, points_per_class=100, seed=0)
    return {"X_train": X, "y_train": y, "X_val": X, "y_val": y}


def train_to_target(task, data, max_epochs=None):
    """Train a fresh net until it meets the task's target; return what it took."""
    s = TASKS[task]
    max_epochs = s["max_epochs"] if max_epochs is None else max_epochs
    num_classes = int(data["y_train"].max()) + 1
    np.random.seed(s["weight_seed"])  # TwoLayerNet draws its weights from numpy's global state
    model = TwoLayerNet(data["X_train"].shape[1], s["hidden_dim"], num_classes,
                        weight_scale=s["weight_scale"], reg=s["reg"])
    solver = Solver(model, data, update_rule="adam",
                    optim_config={"learning_rate": s["learning_rate"]},
                    batch_size=s["batch_size"], verbose=False, seed=s["solver_seed"])
    iterations_per_epoch = max(data["X_train"].shape[0] // solver.batch_size, 1)
    X, y = data[f"X_{s['split']}"], data[f"y_{s['split']}"]

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    for epoch in range(1, max_epochs + 1):
        for _ in range(iterations_per_epoch):
            solver._step()
        solver.epoch = epoch
        for config in solver.optim_configs.values():
            config["learning_rate"] *= solver.lr_decay
        accuracy = solver.check_accuracy(X, y)
        if accuracy >= s["target"]:
            break
    return {"seconds": time.perf_counter() - start_wall,
            "cpu_seconds": time.process_time() - start_cpu,
            "epochs": epoch, "iterations": epoch * iterations_per_epoch,
            "accuracy": accuracy, "reached": accuracy >= s["target"]}


def run(repeat=3, max_epochs=None, tasks=tuple(TASKS)):
    rows = []
    for task in tasks:
        data = load(task)
        runs = [train_to_target(task, data, max_epochs) for _ in range(repeat)]
        seconds = [r["seconds"] for r in runs]
        rows.append({
            "task": task, "target": TASKS[task]["target"], "split": TASKS[task]["split"],
            "reached": all(r["reached"] for r in runs),
            "epochs": runs[0]["epochs"], "epochs_per_run": [r["epochs"] for r in runs],
            "iterations": runs[0]["iterations"], "accuracy": runs[0]["accuracy"],
            "best_seconds": min(seconds), "median_seconds": statistics.median(seconds),
            "median_cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
            "runs": len(runs),
        })
    return rows


def _print_table(rows):
    header = (f"{'task':7s} {'target':>14s} {'epochs':>7s} {'iters':>6s} {'accuracy':>8s} "
              f"{'best s':>7s} {'median s':>8s} {'cpu s':>6s}")
    print(header)
    print("-" * len(header))
    for r in rows:
        target = f"{r['target']:.0%} {r['split']}"
        epochs = "/".join(map(str, sorted(set(r["epochs_per_run"]))))
        flag = "" if r["reached"] else "  (target not reached)"
        print(f"{r['task']:7s} {target:>14s} {epochs:>7s} {r['iterations']:6d} "
              f"{r['accuracy']:8.1%} {r['best_seconds']:7.3f} {r['median_seconds']:8.3f} "
              f"{r['median_cpu_seconds']:6.3f}{flag}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_training",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per task (same seeds)")
    parser.add_argument("--max-epochs", type=int, default=None,
                        help="cap on epochs (default: each task's own)")
    parser.add_argument("--task", choices=list(TASKS), action="append",
                        help="only this task (may be repeated)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: one run per task, at most 2 epochs")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.max_epochs = 1, 2

    load_before = os.getloadavg()[0]
    rows = run(args.repeat, args.max_epochs, tuple(args.task or TASKS))
    _print_table(rows)
    load = [load_before, os.getloadavg()[0]]
    print(f"\nAdam, fixed seeds, stopped at the first epoch that meets the target; best and "
          f"median of {args.repeat} run(s).\nLoad average {load[0]:.2f} before, "
          f"{load[1]:.2f} after, on {os.cpu_count()} CPUs.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "tasks": TASKS, "repeat": args.repeat, "max_epochs": args.max_epochs,
        "machine": machine(), "load_average": load, "rows": rows,
    }, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
