"""Helpers for the hidden-check suite tests (tests/test_checks_a0N.py)."""

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
