"""Smoke tests of the benchmarks: each runs in its quick mode and writes its JSON.

No timing is asserted (the numbers of a quick run mean nothing); what is checked is
that every benchmark still runs against the library and reports what it promises.
"""

import importlib
import json
import sys

import numpy as np
import pytest

from benchmarks import bench_grading, bench_layers, bench_training

pytestmark = pytest.mark.project

bench_main = importlib.import_module("benchmarks.__main__")

LAYER_ROW_KEYS = {"op", "size", "shape", "ours_ms", "torch_ms", "ratio", "marked"}
TRAINING_ROW_KEYS = {"task", "target", "split", "reached", "epochs", "epochs_per_run",
                     "iterations", "accuracy", "best_seconds", "median_seconds",
                     "median_cpu_seconds", "runs"}
GRADING_ROW_KEYS = {"way", "notebooks", "wall_seconds", "notebooks_per_second",
                    "speedup_vs_nbgrader", "median_overhead_seconds"}


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


@pytest.mark.slow
def test_bench_grading_quick(tmp_path, capsys):
    out = tmp_path / "grading.json"
    assert bench_grading.main(["--quick", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert {"goal_speedup", "goal_overhead_seconds", "students", "assignments",
            "own_compute_seconds", "machine", "load_average", "nbgrader_failures", "rows",
            "goals_met"} <= set(report)
    assert report["students"] == 2 and report["assignments"] == ["01_computational_graphs"]
    assert report["examples"] == ["solution", "value_overwrites"]
    assert report["nbgrader_failures"] == []
    compute = report["own_compute_seconds"]["01_computational_graphs"]
    assert compute["all"] > compute["experiments"] > 0  # a01 tags its graph stepper widget
    rows = report["rows"]
    assert [r["way"] for r in rows] == ["nbgrader autograde", "course grade, 1 worker",
                                        "course grade, 2 workers"]
    reference = rows[0]["notebooks_per_second"]
    for r in rows:
        assert set(r) == GRADING_ROW_KEYS
        assert r["notebooks"] == 2  # every notebook of the class graded, each way
        assert r["notebooks_per_second"] == pytest.approx(r["notebooks"] / r["wall_seconds"])
        assert r["speedup_vs_nbgrader"] == pytest.approx(r["notebooks_per_second"] / reference)
        assert isinstance(r["median_overhead_seconds"], float)
    printed = capsys.readouterr().out
    assert "vs nbgrader" in printed and "Load average" in printed


def test_bench_grading_class_cycles_through_the_examples(tmp_path):
    made = bench_grading.build_class(tmp_path, 4, ["03_losses"])
    sources = bench_grading._sources("03_losses")
    assert sources[0] == "solution" and "empty" not in sources and len(sources) > 2
    assert [made[(f"student{k:03d}", "03_losses")] for k in range(4)] == sources[:4]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"student{k:03d}" for k in range(4)]
    assert (tmp_path / "student001" / "03_losses" / "losses.ipynb").is_file()


def test_main_runs_the_chosen_benchmarks(tmp_path, capsys):
    assert bench_main.main(["--quick", "--only", "training", "--out-dir", str(tmp_path)]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["training.json"]
    assert "benchmarks.bench_training --quick" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        bench_main.main(["--only", "nonsense"])
