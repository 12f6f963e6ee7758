"""What a student sees: every notebook run in JupyterLab 4, in headless Chromium.

For each release notebook: open it, run all cells, check that only exercise and test cells
show an error (nothing is implemented yet), then find each widget, move its controls (a
slider by keyboard, a dropdown, a button) and check that the picture it shows changed,
comparing the image bytes before and after. For each solution notebook: the same run shows
no error and no stderr output at all. Screenshots go to tests/browser/artifacts/; with
UPDATE_SCREENSHOTS=1, one per widget (its default state) also goes to docs/screenshots/.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, expected_error_cells

pytestmark = pytest.mark.browser

OPEN_SECONDS = 90  # page load and the kernel's (second) start
RUN_SECONDS = 120  # one notebook's "run all"
REDRAW_SECONDS = 30  # one widget's redraw after a control moved
ALLOWED_ERRORS = {"NotImplementedError", "NameError", "SelfCheckError", "AssertionError"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DOCS_SHOTS = ROOT / "docs" / "screenshots"

WIDGETS = {  # assignment -> the course.widgets functions its notebook shows, in order
    "01_computational_graphs": ["graph_stepper"],
    "02_activations": ["activation_explorer"],
    "03_losses": ["loss_landscape"],
    "04_vector_backprop": ["jacobian_explorer"],
    "05_optimization": ["optimizer_race"] * 3,
    "06_neural_networks": ["capacity_explorer"],
}
ASSIGNMENTS = sorted(WIDGETS)

# ---------------------------------------------------------------- JavaScript run in the page
# wait_for_function takes a returned Promise as true at once: its predicates are synchronous.

KERNEL_READY = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const session = panel && panel.sessionContext && panel.sessionContext.session;
  const kernel = session && session.kernel;
  const ready = kernel && panel.context.isReady && kernel.connectionStatus === 'connected'
    && kernel.status === 'idle' && app.commands.hasCommand('notebook:run-all-cells');
  // Opened by URL, Lab starts a kernel, drops it and starts another: wait for one that
  // stays connected and idle for a second.
  if (!ready) { window.__labTest = null; return false; }
  if (!window.__labTest || window.__labTest.kernel !== kernel.id) {
    window.__labTest = {kernel: kernel.id, since: Date.now()};
    return false;
  }
  return Date.now() - window.__labTest.since >= 1000;
}"""

RUN_ALL = """() => {
  window.__labIdle = null;
  window.jupyterapp.commands.execute('notebook:run-all-cells').catch(() => {});
  return true;
}"""

KERNEL_STATUS = """() => {
  const session = window.jupyterapp.shell.currentWidget.sessionContext.session;
  return session && session.kernel ? session.kernel.status : null;
}"""

RUN_DONE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const code = panel.content.widgets.filter(cell => cell.model.type === 'code');
  const started = code.some(cell => cell.model.executionCount !== null);
  const queued = code.some(cell => {
    const prompt = cell.node.querySelector('.jp-InputPrompt');
    return prompt && prompt.textContent.includes('*');
  });
  if (!kernel || kernel.status !== 'idle' || !started || queued) {
    window.__labIdle = null;
    return false;
  }
  window.__labIdle = window.__labIdle || Date.now();
  return Date.now() - window.__labIdle >= 1500;
}"""

CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(cell => ({
  type: cell.model.type,
  count: cell.model.type === 'code' ? cell.model.executionCount : null,
  shown: [...cell.node.querySelectorAll(
      '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(node => node.textContent.slice(0, 1500)),
  errors: cell.model.type === 'code'
    ? cell.model.outputs.toJSON().filter(o => o.output_type === 'error').map(o => o.ename)
    : [],
  images: cell.node.querySelectorAll('img.widget-image').length,
}))"""

IMAGE_BYTES = """async img => {
  const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return btoa(text);
}"""


# ---------------------------------------------------------------- opening and running

def _notebook(folder, aid):
    [path] = (ROOT / folder / aid).glob("*.ipynb")
    return path.relative_to(ROOT).as_posix()


def _run_all(page, lab_server, rel, workspace):
    """Open rel in Lab, run all cells, wait for the end; returns the per-cell report."""
    page.goto(lab_server.url(rel, workspace), wait_until="domcontentloaded")
    page.wait_for_function(KERNEL_READY, polling=200, timeout=OPEN_SECONDS * 1000)
    start = time.perf_counter()
    page.evaluate(RUN_ALL)
    page.wait_for_function(RUN_DONE, polling=250, timeout=RUN_SECONDS * 1000)
    print(f"{rel}: run all in {time.perf_counter() - start:.1f} s")
    cells = page.evaluate(CELLS)
    nb = json.loads((lab_server.root / rel).read_text())
    assert len(cells) == len(nb["cells"]), "Lab shows another number of cells than the file"
    assert page.locator(".jp-Notebook .jp-Cell").count() == len(cells)
    return nb, cells


def _assert_all_ran(cells):
    not_run = [i for i, c in enumerate(cells) if c["type"] == "code" and c["count"] is None]
    assert not not_run, f"cells never ran (the run stopped early): {not_run}"


def _shot(page_or_locator, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page_or_locator.screenshot(path=str(path))
    return path


def _save_for_docs(path, widget):
    """A small copy (256-colour palette PNG) of a widget's screenshot for the README."""
    from PIL import Image

    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(256)
    small.save(DOCS_SHOTS / f"{widget}.png", optimize=True)


# ---------------------------------------------------------------- moving a widget's controls

def _label(page, text):
    return page.locator(".widget-label", has_text=re.compile(rf"^\s*{re.escape(text)}\s*$"))


def slider(label, key):
    """Press key on the slider's handle; its readout must change."""
    def move(widget):
        from playwright.sync_api import expect

        box = widget.locator(".widget-slider").filter(has=_label(widget.page, label))
        readout = box.locator(".widget-readout")
        before = readout.inner_text()
        box.locator(".noUi-handle").press(key)
        expect(readout).not_to_have_text(before, timeout=REDRAW_SECONDS * 1000)
    move.label = f"slider {label!r} {key}"
    return move


def select_next():
    """Choose the dropdown's next option (the first after the last)."""
    def move(widget):
        select = widget.locator(".widget-dropdown select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        select.select_option(label=options[(options.index(current) + 1) % len(options)])
    move.label = "dropdown: next option"
    return move


def select(option):
    def move(widget):
        widget.locator(".widget-dropdown select").select_option(label=option)
    move.label = f"dropdown {option!r}"
    return move


def button(name):
    def move(widget):
        # by its text: an icon's CSS glyph would be part of its accessible name
        widget.locator("button").filter(
            has_text=re.compile(rf"^\s*{re.escape(name)}\s*$")).click()
    move.label = f"button {name!r}"
    return move


MOVES = {
    "graph_stepper": [button("Next"), slider("step", "ArrowRight"), button("Prev")],
    "activation_explorer": [select("tanh"), slider("depth L", "ArrowRight")],
    "loss_landscape": [select("softmax"), slider("reg", "ArrowRight"), button("2-D")],
    "jacobian_explorer": [select("tanh"), slider("size n", "ArrowRight")],
    "optimizer_race": [slider("learning rate", "ArrowRight"), select_next()],
    "capacity_explorer": [slider("hidden units", "ArrowLeft"), slider("reg", "ArrowRight")],
}


def _image(img):
    data = base64.b64decode(img.evaluate(IMAGE_BYTES))
    assert data.startswith(PNG_MAGIC), "the widget's image is not a PNG"
    return data


def _settled_src(page, img):
    """The image's src once the kernel is idle and the src stayed the same for 0.3 s."""
    deadline = time.monotonic() + REDRAW_SECONDS
    src = img.get_attribute("src")
    while time.monotonic() < deadline:
        page.wait_for_timeout(300)
        now = img.get_attribute("src")
        if now == src and page.evaluate(KERNEL_STATUS) == "idle":
            return src
        src = now
    raise AssertionError(f"the widget's image kept changing for {REDRAW_SECONDS} s")


def _check_widget(page, widget, name, moves, shot_name):
    """Move each control in turn; after each, the picture must be new and different."""
    from playwright.sync_api import expect

    img = widget.locator("img.widget-image")
    expect(img).to_have_count(1)
    widget.scroll_into_view_if_needed()
    expect(img).to_have_js_property("complete", True, timeout=REDRAW_SECONDS * 1000)
    before_shot = _shot(widget, f"{shot_name}-before")
    for move in moves:
        src = _settled_src(page, img)
        before = _image(img)
        move(widget)
        expect(img).not_to_have_attribute("src", src, timeout=REDRAW_SECONDS * 1000)
        _settled_src(page, img)
        after = _image(img)
        assert after != before, f"{name}: {move.label} did not change the picture"
        # the text panel shows no error (Explorer.update writes "Error:" there)
        assert "Error:" not in widget.locator(".widget-html").first.inner_text(), move.label
    expect(img).to_have_js_property("complete", True, timeout=REDRAW_SECONDS * 1000)
    _shot(widget, f"{shot_name}-after")
    return before_shot


# ---------------------------------------------------------------- the tests

def unexpected_errors(nb, cells):
    """What the release shows that it should not: errors outside exercises and their tests,
    errors of another kind than "not implemented yet", stderr output anywhere."""
    allowed, problems = expected_error_cells(nb), []
    for i, cell in enumerate(cells):
        if not (cell["shown"] or cell["errors"]):
            continue
        text = cell["shown"][0][-600:] if cell["shown"] else ""
        if i not in allowed:
            problems.append(f"cell {i} (a given cell) shows an error or stderr:\n{text}")
        elif not cell["errors"] or not set(cell["errors"]) <= ALLOWED_ERRORS:
            problems.append(f"cell {i} shows {cell['errors'] or 'stderr output'}:\n{text}")
        elif len(cell["shown"]) != len(cell["errors"]):
            problems.append(f"cell {i} writes to stderr:\n{text}")
    return problems


def _widget_cells(nb, aid):
    """Indexes of the cells that display a widget, checked against WIDGETS."""
    found = [(i, name) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             for name in sorted(set(WIDGETS[aid]))
             if re.search(rf"\bwidgets\.{name}\(", "".join(c["source"]))]
    assert [name for _, name in found] == WIDGETS[aid], f"widgets in {aid}: {found}"
    return [i for i, _ in found]


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_release_runs_and_its_widgets_respond(page, lab_server, aid):
    rel = _notebook("notebooks", aid)
    nb, cells = _run_all(page, lab_server, rel, f"release-{aid}")
    _shot(page, f"release-{aid}")
    problems = unexpected_errors(nb, cells)
    assert not problems, "\n".join(problems)
    _assert_all_ran(cells)

    widget_cells = _widget_cells(nb, aid)
    assert [i for i, c in enumerate(cells) if c["images"]] == widget_cells
    cell_nodes = page.locator(".jp-Notebook .jp-Cell")
    documented = set()
    for k, (i, name) in enumerate(zip(widget_cells, WIDGETS[aid])):
        widget = cell_nodes.nth(i).locator(".jp-OutputArea-output").filter(
            has=page.locator("img.widget-image"))
        shot = _check_widget(page, widget, name, MOVES[name], f"release-{aid}-{k}-{name}")
        if os.environ.get("UPDATE_SCREENSHOTS") == "1" and name not in documented:
            _save_for_docs(shot, name)
            documented.add(name)


@pytest.mark.parametrize("aid", ASSIGNMENTS)
def test_solution_runs_with_every_visible_test_passing(page, lab_server, aid):
    rel = _notebook("solutions", aid)
    nb, cells = _run_all(page, lab_server, rel, f"solution-{aid}")
    _shot(page, f"solution-{aid}")
    shown = {i: c["errors"] or c["shown"][0][-600:] for i, c in enumerate(cells)
             if c["shown"] or c["errors"]}
    assert not shown, f"cells showing an error or stderr output: {shown}"
    _assert_all_ran(cells)
    widget_cells = _widget_cells(nb, aid)
    assert [i for i, c in enumerate(cells) if c["images"]] == widget_cells
