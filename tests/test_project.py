"""Project files: the dependency lists agree, CI runs the README's test command."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.project
ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def _pip_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    return {_name(r): r.replace(" ", "") for r in reqs}


def _conda_requirements():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = [d for d in env["dependencies"] if isinstance(d, str)]
    return {_name(r): r.replace(" ", "") for r in reqs if _name(r) not in {"python", "pip"}}


def test_environment_yml_matches_pyproject():
    assert _conda_requirements() == _pip_requirements()


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_parts = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_parts == [["-e ."]]


def test_readme_opens_with_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    head = readme[:1500]
    assert "make demo" in head and "make test" in head
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#")]
    assert ci[-1].strip() == "make test"


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    ruff = str(ruff) if ruff.exists() else shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    result = subprocess.run([ruff, "check", "course", "autograder", "tests", "benchmarks"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_lab_has_the_widgets_and_nbgrader_extensions_enabled():
    jupyter = Path(sys.executable).parent / "jupyter"
    if not jupyter.exists():
        pytest.skip("jupyter is not installed next to this Python")
    result = subprocess.run([str(jupyter), "labextension", "list"], capture_output=True,
                            text=True, env={**os.environ, "NO_COLOR": "1"})
    listing = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    for name in ("@jupyter-widgets/jupyterlab-manager", "@jupyter/nbgrader"):
        line = next((ln for ln in listing.splitlines() if name in ln), "")
        assert "enabled" in line and "OK" in line, listing
