"""What a student does in JupyterLab: fill in an exercise, run its self-check, validate.

1. In the release notebook of assignment 3, the self-check of ``l2_regularization`` first
   says the function is not written yet; after the master solution is typed into the
   exercise cell with the keyboard (click, Ctrl+A, type) and both cells are run with
   Shift+Enter, it shows its passing marks and no error.
2. On the solution notebook, nbgrader's "Validate" toolbar button (its lab extension, with
   the validate_assignment server extension the venv enables) reports success.

Both run on the temporary copies the lab_server fixture serves; screenshots go to
tests/browser/artifacts/.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import ROOT
from tests.browser.test_lab import KERNEL_READY, OPEN_SECONDS, _run_all, _shot

pytestmark = pytest.mark.browser

AID = "03_losses"
RELEASE = f"notebooks/{AID}/losses.ipynb"
SOLUTION = f"solutions/{AID}/losses.ipynb"
EXERCISE = "l2_regularization"  # nbgrader grade_id of the exercise cell
SELF_CHECK = "selfcheck_l2_regularization"  # and of its self-check
NOT_WRITTEN = "l2_regularization is not written yet"
PASSED = "l2_regularization passes every self-check"
RUN_SECONDS = 60  # the two cells run by hand
VALIDATE_SECONDS = 240  # nbgrader runs the whole notebook in a kernel of its own

# JS: `cells` (the cells at `indexes`) and `idle`: the kernel is idle with none of them queued.
_CELLS_IDLE = """
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = indexes.map(i => panel.content.widgets[i]);
  const queued = cells.some(cell => {
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    return prompt && prompt.textContent.includes('*');
  });
  const idle = !!kernel && kernel.status === 'idle' && !queued;"""

# The cells' execution counts, and whether the kernel is idle with nothing queued.
COUNTS = "indexes => {" + _CELLS_IDLE + """
  return {counts: cells.map(cell => cell.model.executionCount), idle};
}"""

# Idle, and every cell has run since `before` (their earlier execution counts).
RAN_AGAIN = "([indexes, before]) => {" + _CELLS_IDLE + """
  return idle && cells.every((cell, k) => cell.model.executionCount !== null
                                          && cell.model.executionCount !== before[k]);
}"""

CELL_STATE = """i => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[i];
  const outputs = cell.model.outputs.toJSON();
  return {
    source: cell.model.sharedModel.getSource(),
    errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename),
    stderr: outputs.filter(o => o.output_type === 'stream' && o.name === 'stderr')
      .map(o => [].concat(o.text).join('')),
    stdout: outputs.filter(o => o.output_type === 'stream' && o.name === 'stdout')
      .map(o => [].concat(o.text).join('')).join(''),
  };
}"""


def _cell_index(nb, grade_id):
    [index] = [i for i, c in enumerate(nb["cells"])
               if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id]
    return index


def _source(nb, grade_id):
    return "".join(nb["cells"][_cell_index(nb, grade_id)]["source"])


def _type_code(page, text):
    """Type text line by line, as a person would.

    Enter makes the editor indent the new line by itself; Shift+Home then selects that
    indentation (Home stops at the line start when the cursor is at the indentation's
    end), so the line typed next, with its own indentation, replaces it.
    """
    for k, line in enumerate(text.split("\n")):
        if k:
            page.keyboard.press("Enter")
            page.keyboard.press("Shift+Home")
        page.keyboard.type(line)


def test_self_check_passes_after_the_student_types_the_solution(page, lab_server):
    from playwright.sync_api import expect

    nb, cells = _run_all(page, lab_server, RELEASE, "student-03_losses")
    exercise, check = _cell_index(nb, EXERCISE), _cell_index(nb, SELF_CHECK)
    assert check == exercise + 1, "the self-check does not follow its exercise"
    before = page.evaluate(CELL_STATE, check)
    assert cells[check]["count"] is not None, "run all did not reach the self-check"
    assert NOT_WRITTEN in before["stdout"], f"self-check before typing: {before}"
    assert not before["errors"] and not before["stderr"], before
    cell_nodes = page.locator(".jp-Notebook .jp-Cell")
    _shot(cell_nodes.nth(check), f"student-{AID}-selfcheck-before")

    solution = _source(json.loads((ROOT / SOLUTION).read_text()), EXERCISE)
    assert "### BEGIN SOLUTION" in solution and "raise NotImplementedError" not in solution
    editor = cell_nodes.nth(exercise).locator(".jp-InputArea-editor .cm-content")
    editor.click()
    expect(cell_nodes.nth(exercise)).to_have_class(re.compile(r"\bjp-mod-active\b"))
    page.keyboard.press("Control+a")
    _type_code(page, solution)
    typed = page.evaluate(CELL_STATE, exercise)["source"]
    assert typed == solution, f"the editor holds another text than was typed:\n{typed}"

    counts = page.evaluate(COUNTS, [exercise, check])
    assert counts["idle"], "the kernel is busy before the cells are run by hand"
    page.keyboard.press("Shift+Enter")  # runs the exercise and moves to the self-check
    expect(cell_nodes.nth(check)).to_have_class(re.compile(r"\bjp-mod-active\b"))
    page.keyboard.press("Shift+Enter")  # runs the self-check
    page.wait_for_function(RAN_AGAIN, arg=[[exercise, check], counts["counts"]],
                           polling=200, timeout=RUN_SECONDS * 1000)

    ran = page.evaluate(CELL_STATE, exercise)
    assert not ran["errors"] and not ran["stderr"], f"the typed solution fails: {ran}"
    after = page.evaluate(CELL_STATE, check)
    _shot(cell_nodes.nth(check), f"student-{AID}-selfcheck-after")
    assert not after["errors"] and not after["stderr"], f"self-check after typing: {after}"
    assert NOT_WRITTEN not in after["stdout"]
    marks = [line for line in after["stdout"].splitlines() if line.startswith("\u2713 ")]
    assert len(marks) >= 3, f"too few passing marks in the self-check:\n{after['stdout']}"
    assert after["stdout"].rstrip().endswith(PASSED), after["stdout"]
    # what the student sees, not only the model: the marks are on the page
    output = cell_nodes.nth(check).locator(".jp-OutputArea-output")
    expect(output.first).to_contain_text("\u2713")
    expect(output.last).to_contain_text(PASSED)


def test_nbgrader_validate_button_reports_success_on_the_solution(page, lab_server):
    from playwright.sync_api import expect

    page.goto(lab_server.url(SOLUTION, "validate-03_losses"), wait_until="domcontentloaded")
    page.wait_for_function(KERNEL_READY, polling=200, timeout=OPEN_SECONDS * 1000)
    toolbar = page.locator(".jp-NotebookPanel-toolbar")
    validate = toolbar.locator(".jp-Toolbar-item").filter(
        has_text=re.compile(r"^\s*Validate\s*$"))
    expect(validate).to_have_count(1)
    validate.click()

    dialog = page.locator(".jp-Dialog").filter(has=page.locator("#validation-message"))
    expect(dialog).to_be_visible(timeout=VALIDATE_SECONDS * 1000)
    _shot(page, f"validate-{AID}")
    message = dialog.locator("#validation-message")
    expect(message).to_contain_text("Success! Your notebook passes all the tests.")
    expect(message).to_have_class(re.compile(r"\bvalidation-success\b"))
    expect(dialog).not_to_have_class(re.compile(r"\bnbgrader-ErrorDialog\b"))
    dialog.get_by_role("button", name=re.compile("ok", re.IGNORECASE)).click()
    expect(dialog).to_have_count(0)
