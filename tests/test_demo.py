"""The main job (`make demo`) runs end to end and reports what it should."""

import re

import pytest

from course import demo

pytestmark = [pytest.mark.networks, pytest.mark.slow]


def test_demo_runs_and_reaches_its_accuracies(tmp_path, capsys):
    assert demo.main(["--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "f = -12, df/dx = -4, df/dy = -4, df/dz = 3" in out
    assert "w0 -0.20, w1 -0.39, w2 0.20, x0 0.39, x1 -0.59" in out
    two_layer = float(re.search(r"two-layer classifier: training accuracy ([\d.]+)%", out)[1])
    linear = float(re.search(r"linear +classifier: training accuracy ([\d.]+)%", out)[1])
    test_acc = float(re.search(r"test accuracy ([\d.]+)%", out)[1])
    worst = float(re.search(r"max relative error ([\d.e+-]+)", out)[1])
    assert two_layer >= 99.0 and linear < 70.0  # non-linearity is what separates the arms
    assert test_acc >= 96.0
    assert worst < 1e-7
    for name in ("spiral_linear", "spiral_two_layer", "digits_history", "digits_templates"):
        assert (tmp_path / f"{name}.png").stat().st_size > 1000
