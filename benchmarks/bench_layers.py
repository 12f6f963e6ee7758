"""Time the reference layers against PyTorch on the CPU: ``python -m benchmarks.bench_layers``.

Each row times one computation two ways, in the same process on the same float64 inputs:
ours (``course.layers``, ``course.losses``, ``course.optim``, ``course.nets``) and
PyTorch's (autograd: forward, then backward with the same upstream gradient; or torch's
own op where that is the fair equivalent: ``F.cross_entropy``, ``F.multi_margin_loss``
scaled by C, ``torch.optim.Adam``). Before timing, the two must agree (so both time the
same computation). Times are ``timeit`` best-of-N, the two sides interleaved repeat by
repeat so that a busy machine disturbs both alike.

Threads. numpy runs elementwise operations on one thread and its matrix products on its
BLAS's threads; torch spreads both over its own threads. So every row is timed twice
(``--threads both``, the default): with each library's own threads (``default``:
torch's ``get_num_threads()``, numpy's BLAS as loaded), and with one thread each
(``one``: ``torch.set_num_threads(1)``, numpy's BLAS limited to 1 through threadpoolctl),
where the elementwise rows compare like with like. The output names the thread counts
of both settings.

Two sizes: CS231n's (N=256 examples, D=3072 inputs, H=512 hidden, C=10 classes) and a
small one (N=32, D=64, H=50, C=10), where Python overhead dominates. Writes
``benchmarks/results/layers.json`` (``rows``: default threads; ``rows_one_thread``).
Goal: ratio ours / torch <= 1.0; rows above 1.2 are marked. Without PyTorch it prints a
line, writes ``{"skipped": ...}`` and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import timeit
from pathlib import Path

import numpy as np

from course import layers, losses, optim
from course.nets import TwoLayerNet

GOAL_RATIO = 1.0
MARK_RATIO = 1.2
OUT = Path(__file__).parent / "results" / "layers.json"
SIZES = {
    "cs231n": {"N": 256, "D": 3072, "H": 512, "C": 10},
    "small": {"N": 32, "D": 64, "H": 50, "C": 10},
}
ADAM = {"learning_rate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8}
REG = 1e-3  # L2 strength of the two-layer training step


def _check_same(what, ours, theirs, rtol=1e-9, atol=1e-12):
    """Assert two lists of arrays (or floats) agree to float rounding."""
    for k, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
        if not np.allclose(a, b, rtol=rtol, atol=atol):
            worst = float(np.max(np.abs(np.asarray(a) - b)))
            raise AssertionError(f"{what}: output {k} differs from torch's by up to {worst:g}")


# ---------------------------------------------------------------- the cases
# Each case returns (shape text, ours(), theirs(), check()): two callables to time and a
# function that runs both once and asserts they agree.


def _affine(torch, rng, N, D, H, C):
    x, w, b = rng.standard_normal((N, D)), rng.standard_normal((D, H)), rng.standard_normal(H)
    dout = rng.standard_normal((N, H))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    doutt = torch.tensor(dout)

    def ours():
        out, cache = layers.affine_forward(x, w, b)
        return (out, *layers.affine_backward(dout, cache))

    def theirs():
        out = xt @ wt + bt
        return (out, *torch.autograd.grad(out, (xt, wt, bt), doutt))

    return f"x {N}x{D}, w {D}x{H}", ours, theirs, lambda: _check_same("affine", ours(), theirs())


def _activation(name, torch_fn):
    forward, backward = layers.ACTIVATIONS[name]

    def case(torch, rng, N, D, H, C):
        x, dout = rng.standard_normal((N, H)), rng.standard_normal((N, H))
        xt, doutt = torch.tensor(x, requires_grad=True), torch.tensor(dout)
        fn = torch_fn(torch)

        def ours():
            out, cache = forward(x)
            return out, backward(dout, cache)

        def theirs():
            out = fn(xt)
            return (out, *torch.autograd.grad(out, xt, doutt))

        return f"x {N}x{H}", ours, theirs, lambda: _check_same(name, ours(), theirs())

    return case


def _loss(name):
    ours_loss = {"softmax": losses.softmax_loss, "svm": losses.svm_loss}[name]

    def case(torch, rng, N, D, H, C):
        x, y = rng.standard_normal((N, C)), rng.integers(0, C, N)
        xt, yt = torch.tensor(x, requires_grad=True), torch.tensor(y)
        F = torch.nn.functional

        def ours():
            return ours_loss(x, y)

        def theirs():
            if name == "softmax":
                loss = F.cross_entropy(xt, yt)
            else:  # torch divides the hinge sum by C as well as by N
                loss = F.multi_margin_loss(xt, yt, margin=1.0) * C
            return (loss, *torch.autograd.grad(loss, xt))

        return f"x {N}x{C}", ours, theirs, lambda: _check_same(name, ours(), theirs())

    return case


def _adam(torch, rng, N, D, H, C):
    w, dw = rng.standard_normal((D, H)), rng.standard_normal((D, H))
    config = dict(ADAM)
    wt = torch.tensor(w, requires_grad=True)
    wt.grad = torch.tensor(dw)
    opt = torch.optim.Adam([wt], lr=ADAM["learning_rate"], betas=(ADAM["beta1"], ADAM["beta2"]),
                           eps=ADAM["epsilon"])

    def ours():
        return optim.adam(w, dw, config)[0]

    def theirs():
        opt.step()
        return wt

    def check():
        # From the same state (the first step), then the second step from where each went.
        theirs_w = [theirs().detach().clone() for _ in range(2)]
        ours_w1, ours_config = optim.adam(w, dw, dict(ADAM))
        ours_w2 = optim.adam(ours_w1, dw, ours_config)[0]
        _check_same("adam", [ours_w1, ours_w2], theirs_w)

    return f"w {D}x{H}", ours, theirs, check


def _two_layer_step(torch, rng, N, D, H, C):
    """One training step of TwoLayerNet: loss and grads, then Adam on every param."""
    X, y = rng.standard_normal((N, D)), rng.integers(0, C, N)
    model = TwoLayerNet(D, H, C, weight_scale=1e-2, reg=REG)
    for p in ("b1", "b2"):  # non-zero biases, so their gradients are exercised
        model.params[p] = 1e-2 * rng.standard_normal(model.params[p].shape)
    start = {k: v.copy() for k, v in model.params.items()}
    configs = {p: dict(ADAM) for p in model.params}
    Xt, yt = torch.tensor(X), torch.tensor(y)
    params = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
    opt = torch.optim.Adam(list(params.values()), lr=ADAM["learning_rate"],
                           betas=(ADAM["beta1"], ADAM["beta2"]), eps=ADAM["epsilon"])
    F = torch.nn.functional

    def ours():
        loss, grads = model.loss(X, y)
        for p, w in model.params.items():
            model.params[p], configs[p] = optim.adam(w, grads[p], configs[p])
        return loss

    def theirs():
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        opt.zero_grad()
        scores = F.relu(Xt @ W1 + b1) @ W2 + b2
        loss = F.cross_entropy(scores, yt) + 0.5 * REG * ((W1 * W1).sum() + (W2 * W2).sum())
        loss.backward()
        opt.step()
        return loss

    def check():
        losses_ = [(ours(), theirs()) for _ in range(2)]
        _check_same("two-layer step (loss)", *zip(*losses_, strict=True))
        _check_same("two-layer step (params)", list(model.params.values()),
                    list(params.values()))

    return f"X {N}x{D}, H {H}", ours, theirs, check


def cases():
    """(op, case) pairs; case(torch, rng, N, D, H, C) -> (shape, ours, theirs, check)."""
    return [
        ("affine fwd+bwd", _affine),
        ("relu fwd+bwd", _activation("relu", lambda torch: torch.relu)),
        ("gelu fwd+bwd", _activation("gelu", lambda torch: torch.nn.functional.gelu)),
        ("silu fwd+bwd", _activation("silu", lambda torch: torch.nn.functional.silu)),
        ("sigmoid fwd+bwd", _activation("sigmoid", lambda torch: torch.sigmoid)),
        ("softmax loss+grad", _loss("softmax")),
        ("svm loss+grad", _loss("svm")),
        ("adam step", _adam),
        ("two-layer train step", _two_layer_step),
    ]


# ---------------------------------------------------------------- timing


def _number(fn, min_time):
    """Calls per timing so that one timing lasts about min_time seconds (at least 1)."""
    once = min(timeit.Timer(fn).repeat(3, 1))  # also a warm-up (first calls can be slow)
    return max(1, int(min_time / max(once, 1e-7)))


def _best_of(ours, theirs, repeat, min_time):
    """Best seconds per call of each, the repeats interleaved: ours, theirs, ours, ..."""
    n_ours, n_theirs = _number(ours, min_time), _number(theirs, min_time)
    t_ours, t_theirs = timeit.Timer(ours), timeit.Timer(theirs)
    best_ours = best_theirs = float("inf")
    for _ in range(repeat):
        best_ours = min(best_ours, t_ours.timeit(n_ours) / n_ours)
        best_theirs = min(best_theirs, t_theirs.timeit(n_theirs) / n_theirs)
    return best_ours, best_theirs


def run(torch, repeat=15, min_time=0.02, sizes=tuple(SIZES), only=None):
    """One row per (size, op), timed under the thread settings in force."""
    rows = []
    for size in sizes:
        for op, case in cases():
            if only and not any(word in op for word in only):
                continue
            rng = np.random.default_rng(0)
            shape, ours, theirs, check = case(torch, rng, **SIZES[size])
            check()
            t_ours, t_theirs = _best_of(ours, theirs, repeat, min_time)
            rows.append({"op": op, "size": size, "shape": shape, "ours_ms": 1e3 * t_ours,
                         "torch_ms": 1e3 * t_theirs, "ratio": t_ours / t_theirs,
                         "marked": t_ours / t_theirs > MARK_RATIO})
    return rows


# ---------------------------------------------------------------- threads

SETTINGS = {"default": ("default", "rows"), "one": ("one thread", "rows_one_thread")}
"""Thread settings: name on the command line -> (label, key of its rows in the JSON)."""


def _blas_threads():
    """Threads of each BLAS numpy and scipy loaded (None without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return [pool.get("num_threads") for pool in threadpool_info()
            if pool.get("user_api") == "blas"]


@contextlib.contextmanager
def threads(torch, setting):
    """Within the block: each library's own threads ("default"), or one thread each ("one").

    Yields what is in force: {"torch": threads, "blas": threads of each BLAS loaded}.
    numpy's elementwise operations use one thread either way.
    """
    if setting == "default":
        yield {"torch": torch.get_num_threads(), "blas": _blas_threads()}
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:  # numpy's BLAS keeps its threads; the output says so
            limit = contextlib.nullcontext()
        else:
            limit = threadpool_limits(limits=1, user_api="blas")
        with limit:
            yield {"torch": torch.get_num_threads(), "blas": _blas_threads()}
    finally:
        torch.set_num_threads(before)


def _threads_text(setting, used):
    blas = "unknown" if used["blas"] is None else "/".join(map(str, used["blas"]))
    return f"{SETTINGS[setting][0]}: torch {used['torch']}, BLAS {blas}"


# ---------------------------------------------------------------- the machine


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine(torch=None):
    """What the numbers depend on: CPU, versions, thread counts, BLAS."""
    info = {"cpus": os.cpu_count(), "cpu": _cpu_model(), "platform": platform.platform(),
            "python": platform.python_version(), "numpy": np.__version__,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    if torch is not None:
        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        info["blas"] = None
    else:
        # Each BLAS loaded, named by the folder it ships in (numpy.libs, scipy.libs, ...).
        info["blas"] = [
            {"in": Path(pool["filepath"]).parent.name,
             **{k: pool.get(k) for k in ("internal_api", "num_threads", "architecture",
                                         "version")}}
            for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return info


def _describe(info):
    blas = "; ".join(f"{b['in']}: {b['internal_api']} {b['version']} {b['architecture']}, "
                     f"{b['num_threads']} threads" for b in info.get("blas") or [])
    return (f"{info['cpu']}, {info['cpus']} CPUs, {info['platform']}\n"
            f"python {info['python']}, numpy {info['numpy']}, BLAS {blas or 'unknown'}\n"
            f"torch {info.get('torch')}, torch threads: {info.get('torch_threads')}; "
            f"OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']}")


def _print_table(tables):
    """tables: {setting: (threads used, rows)}, the rows of every setting in the same order."""
    settings = list(tables)
    first = tables[settings[0]][1]
    cols = f"{'ours ms':>9s} {'torch ms':>9s} {'ours/torch':>10s}"
    left = f"{'op':22s} {'size':7s} {'shape':22s}"
    print(" " * len(left) + " | ".join(f"{_threads_text(s, tables[s][0]):<{len(cols)}s}"
                                       for s in settings))
    header = left + " | ".join(cols for _ in settings)
    print(header)
    print("-" * len(header))
    for k, r in enumerate(first):
        cells, marks = [], []
        for setting in settings:
            row = tables[setting][1][k]
            cells.append(f"{row['ours_ms']:9.3f} {row['torch_ms']:9.3f} {row['ratio']:10.2f}")
            if row["marked"]:
                marks.append(SETTINGS[setting][0])
        flag = f"  ** above {MARK_RATIO} ({', '.join(marks)})" if marks else ""
        print(f"{r['op']:22s} {r['size']:7s} {r['shape']:22s}" + " | ".join(cells) + flag)
    print()
    for setting in settings:
        rows = tables[setting][1]
        worst = max(rows, key=lambda r: r["ratio"])
        above = sum(r["ratio"] > GOAL_RATIO for r in rows)
        print(f"{_threads_text(setting, tables[setting][0])}: {above} of {len(rows)} rows "
              f"above the goal ratio {GOAL_RATIO:g}; worst {worst['ratio']:.2f} "
              f"({worst['op']}, {worst['size']}).")
    print(f"Marked: above {MARK_RATIO:g}. Threads: torch's, and those of each BLAS loaded "
          f"(numpy's matrix products); numpy's elementwise operations use one in every setting.")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_layers",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timings per row; the best counts")
    parser.add_argument("--min-time", type=float, default=0.02,
                        help="seconds one timing lasts at least (calls are repeated)")
    parser.add_argument("--size", choices=list(SIZES), action="append",
                        help="only this size (may be repeated)")
    parser.add_argument("--only", nargs="+", metavar="WORD",
                        help="only the ops whose name contains one of these words")
    parser.add_argument("--threads", choices=["both", *SETTINGS], default="both",
                        help="thread settings to time: each library's own (default), one "
                             "thread each, or both (the default)")
    parser.add_argument("--torch-threads", type=int, default=None,
                        help="torch.set_num_threads(N) first: torch's threads in the default "
                             "setting")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 2 repeats of one call each")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat, args.min_time = 2, 0.0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    try:
        import torch
    except ImportError as err:
        print(f"bench_layers: skipped, PyTorch is not installed ({err})")
        args.out.write_text(json.dumps({"skipped": "torch is not installed",
                                        "machine": machine()}, indent=2) + "\n")
        return 0

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    info = machine(torch)
    load_before = os.getloadavg()[0]
    print(_describe(info))
    print(f"timeit best of {args.repeat}, each timing >= {args.min_time:g} s; float64\n")
    settings = list(SETTINGS) if args.threads == "both" else [args.threads]
    tables = {}
    for setting in settings:
        with threads(torch, setting) as used:
            tables[setting] = (used, run(torch, args.repeat, args.min_time,
                                         tuple(args.size or SIZES), args.only))
    _print_table(tables)
    load = [load_before, os.getloadavg()[0]]
    print(f"Load average {load[0]:.2f} before, {load[1]:.2f} after.")
    report = {
        "goal_ratio": GOAL_RATIO, "mark_ratio": MARK_RATIO, "repeat": args.repeat,
        "min_time": args.min_time, "sizes": SIZES, "machine": info, "load_average": load,
        "threads": {SETTINGS[setting][1]: used for setting, (used, _) in tables.items()},
    }
    report.update({SETTINGS[setting][1]: rows for setting, (_, rows) in tables.items()})
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
