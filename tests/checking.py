"""Helpers for the hidden-check suite tests (tests/test_checks_a0N.py)."""

import math

import nbformat
import numpy as np
import pytest

from autograder.hidden import check


def check_fails(name, student, *words, seed=0):
    """Suite ``name`` must fail on ``student``, with a message holding every one of ``words``."""
    with pytest.raises(AssertionError) as info:
        check(name, student, seed=seed)
    message = str(info.value)
    for word in words:
        assert word in message, message
    return message


def master_namespace(path):
    """The names defined by the solution cells of the master notebook at ``path``."""
    ns = {"math": math, "np": np}  # what the notebooks' setup cells import
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, ns)  # the master's own solutions (trusted code)
    return ns
