"""Executing a notebook under grading so that one cell cannot sink the whole notebook.

nbgrader's ``Execute`` gives up on a notebook when the kernel dies (``os._exit``,
a segfault, the memory limit): every test cell then scores 0, the honest ones too.
``SurvivingExecute`` remembers which cell was running when the kernel died,
replaces that cell by one that raises an error saying so, and runs the notebook
again in a fresh kernel. A killed test cell thus scores 0 and everything else is
graded as usual.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute

KILLED_CELL = (
    'raise RuntimeError("This cell stopped the Python kernel (os._exit, a crash, or too '
    'much memory), so grading skipped it and ran the rest of the notebook again.")'
)


OUTPUT_LIMIT = 4 * 2**20
"""Bytes of output one cell may produce; the kernel is interrupted beyond it."""
TOO_MUCH_OUTPUT = (f"This cell printed more than {OUTPUT_LIMIT // 2**20} MB, so grading "
                   "interrupted it.")

OVER_BUDGET = ('raise TimeoutError("Grading did not run this cell: the notebook used up its '
               'time budget (COURSE_NOTEBOOK_TIMEOUT).")')


def notebook_budget() -> float:
    """Seconds one notebook may run under grading (``COURSE_NOTEBOOK_TIMEOUT``, default 900)."""
    return float(os.environ.get("COURSE_NOTEBOOK_TIMEOUT", "900"))


VERDICTS: dict = {}
"""notebook name -> {grade_id: (suite names the test cell calls, [SuiteResult], whether the
cell ran out of time)}, from the last notebook executed in this process (read by
``autograder.workers.autograde``)."""


_CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\w+)["']""")


def hidden_suites(cell) -> list[str]:
    """Names of the hidden-check suites a test cell's source calls."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if cell.get("cell_type") != "code" or not meta.get("grade") or meta.get("solution"):
        return []
    return _CHECK_CALL.findall(cell.get("source", ""))


EXPERIMENT = ("Not run while grading: an experiment or widget cell (tagged 'experiment'). It "
              "carries no points; run it yourself in JupyterLab.\n")


def is_experiment(cell) -> bool:
    """A code cell tagged ``experiment`` that is not a test cell: grading does not run it.

    Widgets and experiments the student edits and reruns use the course's reference
    implementations, which are not available while grading, and no graded cell depends
    on them. The tag comes from the student's copy: skipping a cell that is not a test
    cell can cost its author points, never earn them.
    """
    meta = cell.get("metadata", {})
    return (cell.get("cell_type") == "code" and "experiment" in meta.get("tags", ())
            and not meta.get("nbgrader", {}).get("grade"))


STUCK_CELL = (
    'raise TimeoutError("This cell did not finish in time and could not be interrupted, so '
    'grading skipped it and ran the rest of the notebook again.")'
)


class SurvivingExecute(Execute):
    """nbgrader's Execute, serving the hidden checks' probes; a cell that kills the kernel
    fails alone (up to max_deaths cells)."""

    max_deaths = 5

    def __init__(self, *args, **kwargs):
        from autograder.sandbox import SandboxKernelManager

        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        from autograder import sandbox
        from autograder.remote import ProbeServer

        name = (resources or {}).get("unique_key", "notebook")
        assignment = (resources or {}).get("nbgrader", {}).get("assignment", "")
        folder = Path(tempfile.mkdtemp(prefix="probe-", dir=sandbox.scratch("grading")))
        (folder / "work" / ".matplotlib").mkdir(parents=True)
        fonts = sandbox.font_cache()
        if fonts is not None:
            shutil.copyfile(fonts, folder / "work" / ".matplotlib" / fonts.name)
        library = sandbox.grading_library(assignment, sandbox.scratch("grading") / assignment)
        box = sandbox.Sandbox(library, folder, folder / "work")
        sandbox.CURRENT.append(box)
        alive = sandbox.hold(box)
        try:
            for deaths in range(self.max_deaths + 1):
                self._running, self._expected, self._timeouts = None, {}, set()
                self._server = ProbeServer(folder, timeout=float(self.timeout or 120) + 30)
                os.environ["COURSE_PROBE"] = str(self._server.path)
                attempt = copy.deepcopy(nb)
                self._deadline = time.monotonic() + notebook_budget()
                try:
                    return super().preprocess(attempt, resources, km)
                except (DeadKernelError, CellTimeoutError) as err:
                    if self._running is None or deaths == self.max_deaths:
                        raise
                    nb.cells[self._running].source = (
                        KILLED_CELL if isinstance(err, DeadKernelError) else STUCK_CELL)
                finally:
                    self._server.close()
                    self._server.path.unlink(missing_ok=True)
                    os.environ.pop("COURSE_PROBE", None)
                    VERDICTS[name] = {gid: (names, self._server.results.get(gid, []),
                                            gid in self._timeouts)
                                      for gid, names in self._expected.items()}
        finally:
            sandbox.CURRENT.pop()
            os.close(alive)  # the kernel is shut down; were one left, its watchdog stops it
            shutil.rmtree(folder, ignore_errors=True)
        raise AssertionError("unreachable")

    async def _async_handle_timeout(self, timeout, cell=None):
        if cell is not None:
            self._timeouts.add(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
        return await super()._async_handle_timeout(timeout, cell)

    def output(self, outs, msg, display_id, cell_index):
        """Keep at most OUTPUT_LIMIT bytes of a cell's output; interrupt a cell printing more."""
        size = len(json.dumps(msg.get("content", {}), default=str))
        self._printed = getattr(self, "_printed", 0) + size
        if self._printed <= OUTPUT_LIMIT:
            return super().output(outs, msg, display_id, cell_index)
        if not getattr(self, "_silenced", False):
            self._silenced = True
            outs.append(nbformat.v4.new_output(
                "error", ename="OutputLimit", evalue=TOO_MUCH_OUTPUT, traceback=[]))
            asyncio.ensure_future(self.km.interrupt_kernel())
        return None

    def preprocess_cell(self, cell, resources, index):
        if is_experiment(cell):
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=EXPERIMENT)]
            cell.execution_count = None
            return cell, resources
        self._running, self._printed, self._silenced = index, 0, False
        if cell.get("cell_type") == "code" and time.monotonic() > self._deadline:
            cell.source = OVER_BUDGET
        names = hidden_suites(cell)
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if names:
            self._expected[grade_id] = names
        self._server.expect(grade_id if names else None, names)
        try:
            return super().preprocess_cell(cell, resources, index)
        finally:
            self._server.expect(None, ())
