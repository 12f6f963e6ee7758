"""Executing a notebook under grading so that one cell cannot sink the whole notebook.

nbgrader's ``Execute`` gives up on a notebook when the kernel dies (``os._exit``,
a segfault, the memory limit): every test cell then scores 0, the honest ones too.
``SurvivingExecute`` remembers which cell was running when the kernel died,
replaces that cell by one that raises an error saying so, and runs the notebook
again in a fresh kernel. A killed test cell thus scores 0 and everything else is
graded as usual.
"""

from __future__ import annotations

import copy

from nbclient.exceptions import DeadKernelError
from nbgrader.preprocessors import Execute

KILLED_CELL = (
    'raise RuntimeError("This cell stopped the Python kernel (os._exit, a crash, or too '
    'much memory), so grading skipped it and ran the rest of the notebook again.")'
)


class SurvivingExecute(Execute):
    """nbgrader's Execute; a cell that kills the kernel fails alone (up to max_deaths cells)."""

    max_deaths = 5

    def preprocess(self, nb, resources=None, km=None):
        for deaths in range(self.max_deaths + 1):
            self._running = None
            attempt = copy.deepcopy(nb)
            try:
                return super().preprocess(attempt, resources, km)
            except DeadKernelError:
                if self._running is None or deaths == self.max_deaths:
                    raise
                nb.cells[self._running].source = KILLED_CELL
        raise AssertionError("unreachable")

    def preprocess_cell(self, cell, resources, index):
        self._running = index
        return super().preprocess_cell(cell, resources, index)
