"""Time a widget's redraw after one control change: ``python -m benchmarks.bench_widgets``.

For each widget of ``course.widgets`` it sets controls the way a student would and times
``control.value = ...``: the observer, the drawing and the PNG encoding, everything the
kernel does before the new picture can go to the browser. The first round of changes
reaches settings not shown before (the main numbers: median and 90th percentile
milliseconds per change, wall-clock and CPU time, which other processes on a busy machine
disturb less); later rounds revisit them ("revisit": the widgets keep recent pictures).
Writes the numbers to ``benchmarks/results/widgets.json``. Goal: median <= 50 ms.

Rows marked "first view" include what a widget computes once per setting (training a
net, a loss landscape); the other rows are what moving a slider costs afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from course import widgets  # noqa: E402

GOAL_MS = 50.0
OUT = Path(__file__).parent / "results" / "widgets.json"


def _time_changes(box, changes):
    """Set each (control, value) in turn; return the wall and CPU seconds of each change."""
    wall, cpu = [], []
    for name, value in changes:
        control = box.controls[name]
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        control.value = value
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return wall, cpu


def scenarios():
    """(widget, what, factory, warm-up changes, changes); the changes of one round all
    reach settings not shown before (warm-ups are not timed)."""
    steps = [1, 2, 3, 4, 5]
    acts = ["sigmoid", "tanh", "gelu", "silu", "elu", "leaky_relu"]
    regs = [1e-3, 1e-2, 0.1, 1.0, 0.3, 3e-2, 3e-3]
    views = [("loss", "softmax"), ("dim", "2-D"), ("examples", "one"), ("loss", "svm"),
             ("dim", "1-D"), ("loss", "softmax")]
    grid = [("hidden", 5), ("reg", 1e-2), ("hidden", 20), ("reg", 1e-3), ("hidden", 100)]
    return [
        ("graph_stepper", "step", widgets.graph_stepper, [], [("step", k) for k in steps]),
        ("activation_explorer", "activation", widgets.activation_explorer, [],
         [("activation", a) for a in acts]),
        ("activation_explorer", "alpha (leaky_relu)",
         lambda: widgets.activation_explorer("leaky_relu"), [],
         [("alpha", a) for a in (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0)]),
        ("activation_explorer", "x_range", widgets.activation_explorer, [],
         [("x_range", r) for r in (2.0, 4.0, 6.0, 8.0, 10.0, 3.0, 5.5)]),
        ("activation_explorer", "depth", widgets.activation_explorer, [],
         [("depth", d) for d in (2, 8, 14, 20, 10, 3, 6)]),
        ("loss_landscape", "reg (1-D)", widgets.loss_landscape, [],
         [("reg", r) for r in regs]),
        ("loss_landscape", "reg (2-D)", lambda: widgets.loss_landscape(dim="2-D"), [],
         [("reg", r) for r in regs]),
        ("loss_landscape", "loss, dim, examples (computed before)", widgets.loss_landscape,
         [("reg", 0.1), *views, ("reg", 0.0)], views),
        ("loss_landscape", "loss, dim, examples (first view)", widgets.loss_landscape, [],
         views[:-1]),
        ("optimizer_race", "lr", widgets.optimizer_race, [],
         [("lr", float(lr)) for lr in np.round(np.logspace(-2.5, -0.2, 7), 4)]),
        ("optimizer_race", "steps", widgets.optimizer_race, [],
         [("steps", k) for k in (20, 150, 60, 200, 40, 120, 90)]),
        ("optimizer_race", "surface", widgets.optimizer_race, [],
         [("surface", k) for k in ("saddle", "rosenbrock", "ravine")]),
        ("capacity_explorer", "hidden, reg (trained before)", widgets.capacity_explorer,
         grid, grid),
        ("capacity_explorer", "hidden, reg (first view: trains)", widgets.capacity_explorer,
         [], grid),
        ("jacobian_explorer", "size", widgets.jacobian_explorer, [],
         [("size", n) for n in (4, 10, 16, 6, 12, 2)]),
    ]


def _ms(seconds, q=50):
    return 1e3 * float(np.percentile(seconds, q))


def run(rounds=3):
    """Time every scenario: its first round (new settings), then rounds - 1 more (revisits)."""
    rows = []
    for widget, what, factory, warmup, changes in scenarios():
        box = factory()
        for name, value in warmup:
            box.controls[name].value = value
        wall, cpu = _time_changes(box, changes)
        row = {"widget": widget, "change": what, "n": len(wall), "median_ms": _ms(wall),
               "p90_ms": _ms(wall, 90), "median_cpu_ms": _ms(cpu),
               "first_view": "first view" in what}
        if not row["first_view"] and rounds > 1:
            again = _time_changes(box, changes * (rounds - 1))
            row.update(revisit_median_ms=_ms(again[0]), revisit_median_cpu_ms=_ms(again[1]))
        rows.append(row)
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_widgets",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of the same changes: the first shows new settings, "
                             "the others revisit them")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    rows = run(args.rounds)
    header = (f"{'widget':20s} {'change':38s} {'n':>3s} {'median ms':>9s} {'p90 ms':>7s} "
              f"{'cpu ms':>7s} {'revisit ms':>10s}")
    print(header)
    print("-" * len(header))
    for r in rows:
        flag = "" if r["first_view"] or r["median_ms"] <= GOAL_MS else "  > goal"
        revisit = f"{r['revisit_median_ms']:10.1f}" if "revisit_median_ms" in r else " " * 10
        print(f"{r['widget']:20s} {r['change']:38s} {r['n']:3d} {r['median_ms']:9.1f} "
              f"{r['p90_ms']:7.1f} {r['median_cpu_ms']:7.1f} {revisit}{flag}")
    slider = [r["median_ms"] for r in rows if not r["first_view"]]
    slider_cpu = [r["median_cpu_ms"] for r in rows if not r["first_view"]]
    print(f"\nnew settings, slider rows: median of the row medians {np.median(slider):.1f} ms "
          f"wall ({np.median(slider_cpu):.1f} ms CPU), worst row {max(slider):.1f} ms "
          f"(goal <= {GOAL_MS:g} ms).\nLoad average {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after, on {os.cpu_count()} CPUs.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "goal_ms": GOAL_MS, "dpi": widgets.DPI, "rounds": args.rounds,
        "python": platform.python_version(), "matplotlib": matplotlib.__version__,
        "cpus": os.cpu_count(), "load_average": [load_before, os.getloadavg()[0]],
        "rows": rows,
    }, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
