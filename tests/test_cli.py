"""The `course` command line answers bad paths and options with one plain line."""

import pytest

from autograder.cli import main

pytestmark = pytest.mark.project


@pytest.mark.parametrize("argv, words", [
    (["grade", "/no/such/folder", "--out", "{tmp}/out"], "SUBMISSIONS: no folder at"),
    (["grade", "{tmp}", "--out", "{tmp}/out", "--assignment", "99_nope"],
     "no such assignment ['99_nope']"),
    (["check", "{tmp}/missing.ipynb"], "no notebook at"),
])
def test_bad_input_gets_a_one_line_error(tmp_path, capsys, argv, words):
    with pytest.raises(SystemExit) as info:
        main([a.format(tmp=tmp_path) for a in argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err
