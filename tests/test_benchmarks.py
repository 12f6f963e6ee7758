"""Smoke tests of the benchmarks: each runs in its quick mode and writes its JSON.

No timing is asserted (the numbers of a quick run mean nothing); what is checked is
that every benchmark still runs against the library and reports what it promises.
"""

import importlib
import json
import sys

import numpy as np
import pytest

from benchmarks import bench_layers, bench_training

pytestmark = pytest.mark.project

bench_main = importlib.import_module("benchmarks.__main__")

LAYER_ROW_KEYS = {"op", "size", "shape", "ours_ms", "torch_ms", "ratio", "marked"}
TRAINING_ROW_KEYS = {"task", "target", "split", "reached", "epochs", "epochs_per_run",
                     "iterations", "accuracy", "best_seconds", "median_seconds",
                     "median_cpu_seconds", "runs"}


def test_bench_layers_quick(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "layers.json"
    assert bench_layers.main(["--quick", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert {"goal_ratio", "mark_ratio", "repeat", "sizes", "machine", "rows"} <= set(report)
    assert report["repeat"] == 2
    assert {"cpus", "platform", "numpy", "torch", "torch_threads", "blas"} <= set(
        report["machine"])
    rows = report["rows"]
    ops = [op for op, _ in bench_layers.cases()]
    assert [(r["op"], r["size"]) for r in rows] == [(op, size) for size in bench_layers.SIZES
                                                    for op in ops]
    for r in rows:
        assert set(r) == LAYER_ROW_KEYS
        assert r["ours_ms"] > 0 and r["torch_ms"] > 0
        assert r["ratio"] == pytest.approx(r["ours_ms"] / r["torch_ms"])
        assert r["marked"] == (r["ratio"] > bench_layers.MARK_RATIO)
    printed = capsys.readouterr().out
    assert "ours/torch" in printed and "two-layer train step" in printed


def test_bench_layers_skips_without_torch(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    out = tmp_path / "layers.json"
    assert bench_layers.main(["--quick", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert "skipped" in report and "rows" not in report
    assert "skipped" in capsys.readouterr().out


def test_bench_layers_refuses_to_time_different_computations():
    bench_layers._check_same("same", [np.ones(3), 2.0], [np.ones(3), 2.0])
    with pytest.raises(AssertionError, match="differs"):
        bench_layers._check_same("off", [np.ones(3)], [np.ones(3) + 1e-6])


def test_bench_training_quick(tmp_path):
    out = tmp_path / "training.json"
    assert bench_training.main(["--quick", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert {"tasks", "repeat", "max_epochs", "machine", "rows"} <= set(report)
    assert [r["task"] for r in report["rows"]] == ["digits", "spiral"]
    for r in report["rows"]:
        assert set(r) == TRAINING_ROW_KEYS
        assert 1 <= r["epochs"] <= 2 and r["runs"] == 1
        assert isinstance(r["reached"], bool) and 0.0 <= r["accuracy"] <= 1.0
        assert r["reached"] == (r["accuracy"] >= r["target"])
        assert r["best_seconds"] > 0


def test_main_runs_the_chosen_benchmarks(tmp_path, capsys):
    assert bench_main.main(["--quick", "--only", "training", "--out-dir", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["training.json"]
    assert "benchmarks.bench_training --quick" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bench_main.main(["--only", "nonsense"])
