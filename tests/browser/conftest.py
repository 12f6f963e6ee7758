"""Fixtures for the browser tests: one JupyterLab server and one headless Chromium per session.

The server runs on 127.0.0.1 with a random port and token, on a temporary copy of
notebooks/ and solutions/ (so no output ever lands in the repository), with its config,
data, settings, workspaces and runtime folders in a temporary folder. Chromium is Debian's
(/usr/bin/chromium), driven by Playwright's Python package; ``playwright install`` is never
needed. Without either, every browser test skips with the reason.

Both are stopped in finalizers, also when a test fails: the server's process group gets
SIGTERM (then SIGKILL), and every process it started (kernels run in sessions of their
own) is killed if it outlived it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SERVER_START_SECONDS = 90
EXPECTED_ERROR_TAG = "raises-exception"

# User settings (JupyterLab's settings folder): no news, no update checks, no autosave.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failed test."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def require_browser():
    """Skip (with the reason) unless Debian's Chromium and Playwright's package are present."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found (install Debian's chromium: .ci/run does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install playwright)")


# ---------------------------------------------------------------- the notebooks, copied

def _meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def expected_error_cells(nb):
    """Indexes of the cells allowed to fail in the release: exercises and their tests."""
    return {i for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code" and (_meta(c).get("solution") or _meta(c).get("grade"))}


def _tag_expected_errors(path):
    """Tag a release notebook's exercise and test cells ``raises-exception``.

    JupyterLab's "run all" stops at the first error, as it should for a student, but the
    widgets further down must run too: with this tag Lab sends those cells with
    ``stop_on_error: false`` (what nbclient's allow_errors does). An error in any other
    cell still stops the run, and the test reports it.
    """
    nb = json.loads(path.read_text())
    for i in expected_error_cells(nb):
        tags = nb["cells"][i].setdefault("metadata", {}).setdefault("tags", [])
        if EXPECTED_ERROR_TAG not in tags:
            tags.append(EXPECTED_ERROR_TAG)
    path.write_text(json.dumps(nb, indent=1))


def _copy_notebooks(root):
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    for folder in ("notebooks", "solutions"):
        shutil.copytree(ROOT / folder, root / folder, ignore=ignore)
    for path in (root / "notebooks").glob("*/*.ipynb"):
        _tag_expected_errors(path)


# ---------------------------------------------------------------- processes

def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children():
    """{pid: parent pid} of every process, from /proc."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # "pid (name) state ppid ...": the name may hold spaces, so split after ")"
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    return parents


def _descendants(pid):
    parents, found, todo = _children(), set(), [pid]
    while todo:
        current = todo.pop()
        for child, parent in parents.items():
            if parent == current and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid):
    """Whether pid runs (a zombie, dead but not yet reaped, does not count)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _stop_server(proc):
    """SIGTERM to the server's process group, SIGKILL after 15 s; then kill what it left."""
    started = _descendants(proc.pid) if sys.platform.startswith("linux") else set()
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    deadline = time.monotonic() + 5  # kernels stop on their own when the server goes
    while any(_alive(p) for p in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in started:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    left = [p for p in started if _alive(p)]
    assert proc.poll() is not None and not left, f"processes left running: {left}"


def _die_with_parent():
    """In the child: get SIGTERM if pytest dies (Linux), so no server outlives a killed run."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class LabServer:
    """A running JupyterLab: ``url(path)`` opens a notebook, ``api(...)`` calls the REST API."""

    def __init__(self, root, port, token, proc, log):
        self.root, self.port, self.token, self.proc, self.log = root, port, token, proc, log
        self.base = f"http://127.0.0.1:{port}"

    def url(self, path, workspace):
        """The Lab URL of a notebook (relative to root), in a fresh workspace of its own."""
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?reset&token={self.token}"

    def api(self, path, method="GET"):
        request = urllib.request.Request(f"{self.base}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Stop every session's kernel (between notebooks: 2 cores are better spent)."""
        with contextlib.suppress(OSError, ValueError):
            for session in self.api("sessions"):
                self.api(f"sessions/{session['id']}", method="DELETE")

    def log_tail(self, chars=3000):
        with contextlib.suppress(OSError):
            return self.log.read_text(errors="replace")[-chars:]
        return ""


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """JupyterLab on 127.0.0.1 on a temp copy of notebooks/ and solutions/ (session-wide)."""
    require_browser()
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    root.mkdir()
    _copy_notebooks(root)
    dirs = {name: base / name for name in ("config", "data", "runtime", "settings",
                                           "workspaces", "ipython")}
    for folder in dirs.values():
        folder.mkdir()
    for rel, values in LAB_SETTINGS.items():
        (dirs["settings"] / rel).parent.mkdir(parents=True, exist_ok=True)
        (dirs["settings"] / rel).write_text(json.dumps(values))
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(dirs["config"]),
               JUPYTER_DATA_DIR=str(dirs["data"]), JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
               JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
               JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
               IPYTHONDIR=str(dirs["ipython"]), PYTHONUNBUFFERED="1")
    env.pop("NBGRADER_EXECUTION", None)
    port, token = _free_port(), secrets.token_hex(24)
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               "--expose-app-in-browser", f"--ServerApp.root_dir={root}",
               "--LabApp.news_url=None",
               "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "lab-server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True,
                                preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    server = LabServer(root, port, token, proc, log)
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {proc.returncode}:\n{server.log_tail()}")
            try:
                server.api("status")
                break
            except (OSError, urllib.error.URLError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in {SERVER_START_SECONDS} s:\n"
                                f"{server.log_tail()}")
                time.sleep(0.25)
        yield server
    finally:
        _stop_server(proc)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, through Playwright (session-wide)."""
    require_browser()
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser, lab_server, request):
    """A fresh browser context and page; on a failed test, a screenshot and the kernels stop."""
    context = browser.new_context(viewport={"width": 1280, "height": 1400},
                                  device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            with contextlib.suppress(Exception):
                name = request.node.name.replace("/", "_").replace("[", "-").rstrip("]")
                page.screenshot(path=str(ARTIFACTS / f"FAILED-{name}.png"))
        with contextlib.suppress(Exception):
            context.close()
        lab_server.shutdown_kernels()
