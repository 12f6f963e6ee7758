"""Run every benchmark in turn: ``python -m benchmarks`` (``make bench``).

Each benchmark prints its table and writes ``benchmarks/results/<name>.json``; run one
alone with ``python -m benchmarks.bench_<name> --help``. ``--quick`` is a smoke run
(tiny repeat counts: the numbers mean nothing), ``--only`` picks benchmarks by name and
``--out-dir`` writes the JSON files somewhere else.
"""

from __future__ import annotations

import argparse
import importlib
import time
from pathlib import Path

BENCHMARKS = ("widgets", "layers", "training", "grading")
"""In the order they run: module benchmarks.bench_<name>, each with main(argv) -> exit code."""

QUICK = {"widgets": ["--rounds", "1"], "layers": ["--quick"], "training": ["--quick"],
         "grading": ["--quick"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, metavar="NAME",
                        help=f"run only these ({', '.join(BENCHMARKS)})")
    parser.add_argument("--quick", action="store_true", help="smoke runs with tiny repeats")
    parser.add_argument("--out-dir", type=Path, default=None,
                        help="write <name>.json here instead of benchmarks/results/")
    args = parser.parse_args(argv)

    failed = []
    for name in args.only or BENCHMARKS:
        bench_argv = list(QUICK[name]) if args.quick else []
        if args.out_dir is not None:
            bench_argv += ["--out", str(args.out_dir / f"{name}.json")]
        print(f"==> benchmarks.bench_{name} {' '.join(bench_argv)}".rstrip(), flush=True)
        start = time.perf_counter()
        code = importlib.import_module(f"benchmarks.bench_{name}").main(bench_argv)
        print(f"<== {name}: exit {code} after {time.perf_counter() - start:.1f} s\n", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
