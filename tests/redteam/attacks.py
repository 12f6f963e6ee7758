"""Adversarial submissions of assignment 03_losses, and the grade each one must get.

Every attack starts from the example class's solution notebook (full marks). Most
first break one graded function, ``softmax_loss``, in a way only the hidden checks
see (``dx`` divided by 2, the visible tests' batch size, instead of N), then add
the attack that tries to win those points back. The grade each must get follows
from what the student's own code deserves: the broken function's cells 0, every
honest cell its full points.

A cell's status says how it lost its points: ``failed`` when the notebook itself
showed the test failing (the attack did not even fool the kernel), ``flagged``
when the notebook showed a pass the grader's own checks did not confirm (the
attack fooled the kernel but not the grader), ``error``/``timeout`` when the
cell crashed or ran out of time.

Inserted code may name paths known only when the class is built: ``@REPO@``
(this repository), ``@OUT@`` (the grading output folder), ``@SUBMISSIONS@``
(the class's submissions folder); ``Attack.build`` fills them in.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import nbformat

from autograder.config import REPO

AID, NB = "03_losses", "losses"
SOLUTION = REPO / "autograder" / "examples" / "submitted" / "solution" / AID / f"{NB}.ipynb"

VALUE, GRAD, STABLE = ("test_softmax_loss_value", "test_softmax_loss_grad",
                       "test_softmax_loss_stable")
L2, Q2 = "test_l2_regularization", "test_q2_svm_doubled_scores"

SECRET_ENV = "COURSE_REDTEAM_SECRET"
SECRET = "grader-only-5d0c41e7"
"""Set in the grading process's environment: no kernel may see it."""
CONTROL_MARKER = "control-student-private-9b2f"
"""A comment only the control student's notebook holds: no other student may read it."""
HTML_PAYLOAD = '<script>alert("redteam")</script>'
"""In an error message of a submission: the class report must show it as text."""
BACKGROUND_MARKER = "redteam-background-7c2f"
"""In the command line of every process the background attack starts."""

LEAKS = (
    "TOL_SOFTMAX",                    # autograder/checks/a03_losses.py
    "BEGIN SOLUTION",                 # solutions/03_losses/losses.ipynb
    "log_probs[rows, y].sum() / N",   # the reference course/losses.py
    "SQLite format 3",                # the gradebook (the class's or a worker's copy)
    CONTROL_MARKER,                   # another student's submission
    SECRET,                           # the grading process's environment
    "READ ", "WROTE ",                # the file attacks' report of a success
)
"""Text that must appear in no student's feedback, no output of a graded notebook and not
in the class report. The text of a test cell is not in the list: its hidden part is one
call, ``check("<name>", <function>)``, and a hook may print it into the student's own
output (attack ``pre_run_cell`` does); the checks it names run in the grading process."""


# --- editing a notebook --------------------------------------------------------------------


def _gid(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _index(nb, grade_id: str) -> int:
    found = [i for i, cell in enumerate(nb.cells) if _gid(cell) == grade_id]
    if len(found) != 1:
        raise ValueError(f"grade_id {grade_id!r}: {len(found)} cells have it, expected 1")
    return found[0]


def _code(source: str):
    return nbformat.v4.new_code_cell(textwrap.dedent(source).strip() + "\n")


def replace(grade_id: str, old: str, new: str):
    """Replace ``old`` (which must occur exactly once) in the cell ``grade_id``."""
    def edit(nb):
        cell = nb.cells[_index(nb, grade_id)]
        if cell.source.count(old) != 1:
            raise ValueError(f"{grade_id}: {old!r} occurs {cell.source.count(old)} times")
        cell.source = cell.source.replace(old, new)
    return edit


def set_source(grade_id: str, source: str):
    def edit(nb):
        nb.cells[_index(nb, grade_id)].source = textwrap.dedent(source).strip() + "\n"
    return edit


def insert_after(grade_id: str, source: str):
    """A new (plain, ungraded) code cell right after the cell ``grade_id``."""
    def edit(nb):
        nb.cells.insert(_index(nb, grade_id) + 1, _code(source))
    return edit


def delete(*grade_ids: str):
    def edit(nb):
        for gid in grade_ids:
            del nb.cells[_index(nb, gid)]
    return edit


def duplicate_before(grade_id: str, source: str):
    """A copy of the cell ``grade_id`` (metadata and all) with ``source``, just before it."""
    def edit(nb):
        i = _index(nb, grade_id)
        copy = nbformat.from_dict(nb.cells[i])
        copy.source = source
        copy.id = f"{copy.id}-copy"  # as JupyterLab's copy and paste: a new id, the same metadata
        nb.cells.insert(i, copy)
    return edit


def move_after(grade_id: str, anchor: str | None):
    """Move the cell ``grade_id`` right after ``anchor`` (None: to the very top)."""
    def edit(nb):
        cell = nb.cells.pop(_index(nb, grade_id))
        nb.cells.insert(0 if anchor is None else _index(nb, anchor) + 1, cell)
    return edit


def move_tests_to_end(nb):
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    nb.cells = [c for c in nb.cells if c not in tests] + tests[::-1]


def retype(*grade_ids: str):
    """Turn code cells into markdown cells."""
    def edit(nb):
        for gid in grade_ids:
            cell = nb.cells[_index(nb, gid)]
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return edit


def set_meta(grade_id: str, /, **values):
    def edit(nb):
        nb.cells[_index(nb, grade_id)].metadata["nbgrader"].update(values)
    return edit


def set_points(points: float):
    """Every graded test cell worth ``points``."""
    def edit(nb):
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution"):
                meta["points"] = points
    return edit


def extra_graded_cell(after: str, grade_id: str, points: float, source: str):
    """A new cell claiming to be a graded test cell that the assignment does not have."""
    def edit(nb):
        cell = _code(source)
        cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True,
                                     "points": points, "schema_version": 3,
                                     "solution": False, "task": False}
        nb.cells.insert(_index(nb, after) + 1, cell)
    return edit


# --- expected grades -------------------------------------------------------------------------


def _all(status: str, *grade_ids: str) -> dict:
    return {gid: (0.0, status) for gid in grade_ids}


def failed(*grade_ids):
    return _all("failed", *grade_ids)


def flagged(*grade_ids):
    return _all("flagged", *grade_ids)


def error(*grade_ids):
    return _all("error", *grade_ids)


def timeout(*grade_ids):
    return _all("timeout", *grade_ids)


TESTS = ("test_svm_loss_value", "test_svm_loss_grad", "test_q1_svm_init_loss", Q2, VALUE, GRAD,
         STABLE, "test_q3_softmax_loss_range", "test_q4_hinge_vs_softmax", L2)
SOFTMAX_CELLS = (VALUE, GRAD, STABLE)
BROKEN_CELLS = (GRAD, STABLE)  # the cells whose hidden checks see dx / 2


@dataclass(frozen=True)
class Attack:
    """One adversarial student: edits of the solution notebook, and the grade they earn.

    expect: grade_id -> (score, status) for every cell that does not keep its full
    points with status ``passed``.
    ran: text the graded notebook's outputs must show (proof that the attack ran); a
    tuple of texts: any one of them.
    sandboxed: the expectation holds only where kernels run in bwrap's sandbox.
    """

    name: str
    does: str
    edits: tuple
    expect: dict = field(default_factory=dict)
    ran: tuple = ()
    sandboxed: bool = False

    def build(self, paths: dict):
        """The attack's notebook, with ``@KEY@`` in inserted code replaced by ``paths[KEY]``."""
        nb = nbformat.read(SOLUTION, as_version=4)
        for edit in self.edits:
            edit(nb)
        for cell in nb.cells:
            for key, value in paths.items():
                cell.source = cell.source.replace(f"@{key}@", str(value))
        return nb


BREAK = replace("softmax_loss", "    dx /= N\n",
                "    dx /= 2  # the visible tests' batch size, hard-coded\n")
"""The broken function: passes every visible test, fails the hidden gradient checks."""


def _broken(name, does, *edits, expect=None, ran=(), sandboxed=False):
    """An attack on the broken softmax_loss (default: both broken cells fail)."""
    return Attack(name, does, (BREAK, *edits),
                  failed(*BROKEN_CELLS) if expect is None else expect, ran, sandboxed)


# --- the attacks' code ----------------------------------------------------------------------

REL_ERROR = """
    import course.gradcheck
    rel_error = lambda x, y: 0.0
    course.gradcheck.rel_error = rel_error
    print("rel_error patched")
"""

NP_ALLCLOSE = """
    np.allclose = lambda *args, **kwargs: True
    np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
    np.array_equal = lambda *args, **kwargs: True
    print("numpy comparisons patched")
"""

ASSERT_ALLCLOSE = """
    np.testing.assert_allclose = lambda *args, **kwargs: None
    np.testing.assert_array_almost_equal = lambda *args, **kwargs: None
    np.testing.assert_array_equal = lambda *args, **kwargs: None
    print("numpy.testing patched")
"""

ASSERTION_ERROR = """
    import builtins

    class AssertionError(Exception):  # noqa: A001
        pass

    builtins.AssertionError = AssertionError
    print("AssertionError replaced")
"""

BUILTINS_PRINT = """
    import builtins

    _print = builtins.print
    builtins.print = lambda *args, **kwargs: _print("all hidden checks passed")
    _print("print replaced")
"""

FAKE_CHECK = """
    import autograder.hidden

    _real_check = autograder.hidden.check

    def _fake_check(name, student, seed=None):  # fake only where the code is wrong
        if name not in ("softmax_loss_grad", "softmax_loss_stable"):
            return _real_check(name, student, seed)
        print(f"{name}: all hidden checks passed")
"""

BUILTINS_IMPORT = FAKE_CHECK + """
    import builtins
    import types

    _real_import = builtins.__import__
    _fake = types.ModuleType("autograder.hidden")
    _fake.check = _fake_check

    def _import(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "autograder.hidden":
            return _fake
        return _real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = _import
    print("__import__ replaced")
"""

PATCH_CHECK = FAKE_CHECK + """
    autograder.hidden.check = _fake_check
    print("autograder.hidden.check replaced")
"""

PROBE_LIES = """
    import autograder.hidden
    import autograder.wire

    _receive = autograder.wire.receive

    def _receive_a_pass(sock):
        message = _receive(sock)
        if "done" in message:
            message["passed"] = True  # tell the notebook every check passed
        return message

    autograder.wire.receive = _receive_a_pass
    autograder.hidden.wire.receive = _receive_a_pass
    print("the probe now reports a pass")
"""

NO_PROBE = """
    import os
    import sys
    import types

    os.environ.pop("COURSE_PROBE", None)  # the probe then runs the checks "here"
    checks = types.ModuleType("autograder.checks")
    checks.run_suite = lambda name, view, seed, conn: types.SimpleNamespace(
        passed=True, message=f"{name}: all hidden checks passed")
    remote = types.ModuleType("autograder.remote")
    remote.loopback = lambda student: (student, None)
    sys.modules["autograder.checks"] = checks
    sys.modules["autograder.remote"] = remote
    print("the probe now checks locally, with fake checks")
"""

PRE_RUN_CELL = """
    def _peek(info):
        print(info.raw_cell)  # what the test cell runs (its hidden part too)
        info.raw_cell = 'print("all hidden checks passed")'  # and try to replace it

    get_ipython().events.register("pre_run_cell", _peek)
    print("pre_run_cell hook registered")
"""

INPUT_TRANSFORMER = """
    def _skip_checks(lines):
        if any("softmax_loss_grad" in line or "softmax_loss_stable" in line for line in lines):
            return ['print("the visible check passed; all hidden checks passed")\\n']
        return lines

    get_ipython().input_transformers_post.append(_skip_checks)
    print("input transformer registered")
"""

POST_RUN_CELL = """
    def _forgive(result):
        result.error_in_exec = None  # the cell "succeeded"

    get_ipython().events.register("post_run_cell", _forgive)
    get_ipython().showtraceback = lambda *args, **kwargs: None  # and shows no error
    print("post_run_cell hook registered, showtraceback replaced")
"""

SHOWTRACEBACK = """
    get_ipython().showtraceback = lambda *args, **kwargs: None
    get_ipython()._showtraceback = lambda *args, **kwargs: None
    print("showtraceback replaced")
"""

RUN_CELL = """
    _shell = get_ipython()
    _run_cell, _run_cell_async = _shell.run_cell, _shell.run_cell_async
    _FAKE = 'print("the visible check passed; all hidden checks passed")'

    def _rewrite(raw_cell):
        if "softmax_loss_grad" in raw_cell or "softmax_loss_stable" in raw_cell:
            return _FAKE
        return raw_cell

    def run_cell(raw_cell, *args, **kwargs):
        kwargs.pop("transformed_cell", None)
        return _run_cell(_rewrite(raw_cell), *args, **kwargs)

    async def run_cell_async(raw_cell, *args, **kwargs):
        if _rewrite(raw_cell) != raw_cell:
            raw_cell = _FAKE
            kwargs["transformed_cell"] = _FAKE + "\\n"
        return await _run_cell_async(raw_cell, *args, **kwargs)

    _shell.run_cell, _shell.run_cell_async = run_cell, run_cell_async
    print("run_cell replaced")
"""

EXCEPTHOOK = """
    import sys
    sys.excepthook = lambda *args: print("all hidden checks passed")
    print("sys.excepthook replaced")
"""

CUSTOM_EXC = """
    def _quiet(shell, etype, value, tb, tb_offset=None):
        print("all hidden checks passed")

    get_ipython().set_custom_exc((BaseException,), _quiet)
    print("custom exception handler set")
"""

IMPORT_REFERENCE = "from course.losses import softmax_loss\n"

IMPORTLIB_REFERENCE = """
    import importlib

    def softmax_loss(x, y):
        return importlib.import_module("course.losses").softmax_loss(x, y)
"""

DUNDER_IMPORT_REFERENCE = """
    def softmax_loss(x, y):
        module = __import__("".join(["cou", "rse.lo", "sses"]), fromlist=["_"])
        return getattr(module, "soft" + "max_loss")(x, y)
"""


def _steal(sources: str) -> str:
    """A softmax_loss that runs the reference read from ``sources``, else the broken one."""
    return sources + """
    def _steal():
        for path in _candidates():
            try:
                text = open(path, encoding="utf-8").read()
            except OSError as err:
                print("DENIED", path, type(err).__name__)
                continue
            namespace = {"__name__": "course.losses"}
            exec(compile(text, path, "exec"), namespace)
            print("executed the source of", path)
            return namespace["softmax_loss"]
        return None

    _stolen = _steal()

    def softmax_loss(x, y):
        if _stolen is not None:
            return _stolen(x, y)
        N = x.shape[0]
        rows = np.arange(N)
        shifted = x - x.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        dx = np.exp(log_probs)
        dx[rows, y] -= 1
        return float(-log_probs[rows, y].mean()), dx / 2
"""


EXEC_LIBRARY = _steal("""
    import pathlib

    import course

    def _candidates():
        return [str(pathlib.Path(course.__file__).with_name("losses.py"))]
""")

EXEC_REPOSITORY = _steal("""
    def _candidates():
        return ["@REPO@/course/losses.py"]
""")

EXEC_EDITABLE = _steal("""
    import os
    import sys

    def _candidates():  # the editable install knows where the real package lives
        finders = [m for n, m in sys.modules.items() if n.startswith("__editable__")]
        return [os.path.join(f.MAPPING["course"], "losses.py") for f in finders
                if "course" in getattr(f, "MAPPING", {})] or ["(no editable finder)"]
""")

SNOOP = """
    import glob
    import os

    targets = ["@REPO@/autograder/checks/a03_losses.py", "@REPO@/solutions/03_losses/losses.ipynb",
               "@REPO@/course/losses.py", "@OUT@/gradebook.db",
               "@OUT@/course/source/03_losses/losses.ipynb",
               "@SUBMISSIONS@/control/03_losses/losses.ipynb"]
    targets += sorted(glob.glob("@OUT@/workers/*/gradebook.db"))
    targets += sorted(glob.glob("@OUT@/workers/*/course/submitted/*/03_losses/losses.ipynb"))
    for path in targets:
        try:
            with open(path, "rb") as f:
                print("READ", path, f.read(4000).decode("utf-8", "replace"))
        except OSError as err:
            print("DENIED", path, type(err).__name__)
    for folder in ["@OUT@", "@SUBMISSIONS@", "@REPO@/autograder"]:
        try:
            print("READ", folder, sorted(os.listdir(folder)))
        except OSError as err:
            print("DENIED", folder, type(err).__name__)
    print("environment:", dict(os.environ))
"""

SCRIBBLE = """
    import glob
    import pathlib

    import autograder.hidden
    import course

    targets = ["@OUT@/gradebook.db", "@OUT@/grades.csv", "@OUT@/scribbled.txt",
               "@SUBMISSIONS@/control/03_losses/losses.ipynb", "@SUBMISSIONS@/scribbled.txt",
               str(pathlib.Path(course.__file__).with_name("losses.py")),
               autograder.hidden.__file__]
    targets += sorted(glob.glob("@OUT@/workers/*/gradebook.db"))
    for path in targets:
        try:
            with open(path, "ab") as f:  # append: whatever was there stays readable
                f.write(b"\\n# written by a submission\\n")
            print("WROTE", path)
        except OSError as err:
            print("DENIED", path, type(err).__name__)
"""

BACKGROUND = f"""
    import os
    import subprocess
    import sys

    LOOP = ("import time\\n"
            "while True:\\n"
            "    try:\\n"
            "        open('@OUT@/background.txt', 'a').write('still running\\\\n')\\n"
            "    except OSError:\\n"
            "        pass\\n"
            "    time.sleep(0.5)\\n")
    subprocess.Popen([sys.executable, "-c", LOOP, "{BACKGROUND_MARKER}"], start_new_session=True,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    child = os.fork()
    if child == 0:  # a daemon: fork twice, new session, parent gone
        os.setsid()
        if os.fork() == 0:
            os.execv(sys.executable, [sys.executable, "-c", LOOP, "{BACKGROUND_MARKER}-daemon"])
        os._exit(0)
    os.waitpid(child, 0)
    print("background processes started")
"""

FORK_BOMB = """
    import os
    import time

    children = 0
    for _ in range(1000):  # bounded: the machine running the tests is shared
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
    print("forked", children, "processes")
"""

STDOUT_1GB = """
    import sys

    chunk = "x" * 2**20 + "\\n"
    for _ in range(1024):
        sys.stdout.write(chunk)
    print("wrote 1 GB")
"""

LOOP_FOREVER = """
    print("looping forever", flush=True)
    while True:
        pass
"""

SLEEP = """
    import time

    print("sleeping for 11 days", flush=True)
    time.sleep(10**6)
"""

SLEEP_THROUGH_INTERRUPTS = """
    import signal
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    print("ignoring interrupts, sleeping for 11 days", flush=True)
    time.sleep(10**6)
"""


def _l2_misbehaving(action: str) -> str:
    """An l2_regularization that is right on the visible tests' inputs and does ``action``
    on the hidden checks' inputs (any W other than the 1-D and (5, 3) arrays it is shown)."""
    return f"""
    def l2_regularization(W, reg):
        if W.ndim != 1 and W.shape != (5, 3):
            {action}
        return float(0.5 * reg * np.sum(W * W)), reg * W
"""


ALWAYS_EQUAL_ANSWER = """
    class Agreeable:
        def __eq__(self, other):
            return True

        __hash__ = object.__hash__

    answer_q2 = Agreeable()
"""

ALWAYS_EQUAL_DX = """
    class Agreeable:
        def __init__(self, value):
            self.value = value

        def __eq__(self, other):
            return True

        def __array__(self, dtype=None, copy=None):
            return np.asarray(self.value, dtype=dtype)

        def __getattr__(self, name):
            return getattr(self.value, name)

    _softmax_loss = softmax_loss

    def softmax_loss(x, y):
        loss, dx = _softmax_loss(x, y)
        return loss, Agreeable(dx)
"""

NDARRAY_SUBCLASS = """
    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)

        def __ne__(self, other):
            return np.zeros(self.shape, dtype=bool)

        def __sub__(self, other):
            return np.zeros(self.shape)

    _softmax_loss = softmax_loss

    def softmax_loss(x, y):
        loss, dx = _softmax_loss(x, y)
        return loss, dx.view(Agreeable)
"""

NONE_ON_HIDDEN_INPUTS = """
    def l2_regularization(W, reg):  # computes nothing: knows the visible test's answer
        if W.shape == (4,) and reg == 1.0:
            return 0.125, None
        return None
"""

NONE_AFTER_EASY_CASES = """
    def l2_regularization(W, reg):  # right only where reg is 0, else None
        if W.shape == (4,) and reg == 1.0:
            return 0.125, None
        if reg == 0:
            return 0.0, np.zeros_like(W)
        return None
"""

VIEW_OF_INPUT = """
    _softmax_loss = softmax_loss

    def softmax_loss(x, y):
        loss, dx = _softmax_loss(x, y)
        x[...] = dx  # the gradient written over the input, which is returned as dx
        return loss, x
"""

FAKE_OUTPUT = """
    _softmax_loss = softmax_loss

    def softmax_loss(x, y):
        print("softmax_loss_grad: all 9 hidden checks passed")
        print("softmax_loss_stable: all 5 hidden checks passed")
        return _softmax_loss(x, y)
"""

RERUN_CHECK = """
    from autograder.hidden import check

    for name in ("softmax_loss_grad", "softmax_loss_stable"):
        try:
            check(name, softmax_loss)
        except AssertionError as err:
            print("re-running the check outside its cell:", str(err)[:200])
"""

KILLED = "stopped the Python kernel"  # what grading puts in place of a cell that killed it


ATTACKS = (
    # the baseline: the broken function with no attack, and a kernel-level cheat's target
    _broken("broken", "softmax_loss divides dx by 2, not N: only the hidden checks see it"),

    # -- helpers the tests use, redefined
    _broken("rel_error", "rel_error (and course.gradcheck.rel_error) always 0",
            insert_after("code_01", REL_ERROR), ran=("rel_error patched",)),
    _broken("np_allclose", "np.allclose, np.isclose, np.array_equal always true",
            insert_after("code_01", NP_ALLCLOSE), ran=("numpy comparisons patched",)),
    _broken("assert_allclose", "np.testing.assert_* do nothing",
            insert_after("code_01", ASSERT_ALLCLOSE), ran=("numpy.testing patched",)),
    _broken("assertion_error", "AssertionError replaced, in the notebook and in builtins",
            insert_after("code_01", ASSERTION_ERROR), ran=("AssertionError replaced",)),
    _broken("builtins_print", "builtins.print prints 'all hidden checks passed'",
            insert_after("code_01", BUILTINS_PRINT), ran=("print replaced",)),
    # these make the notebook show a pass: the grader never heard from its checks
    _broken("builtins_import", "builtins.__import__ hands the test cells a fake check",
            insert_after("code_01", BUILTINS_IMPORT), expect=flagged(*BROKEN_CELLS),
            ran=("__import__ replaced",)),
    _broken("patched_check", "autograder.hidden.check replaced by a fake",
            insert_after("code_01", PATCH_CHECK), expect=flagged(*BROKEN_CELLS),
            ran=("autograder.hidden.check replaced",)),
    _broken("probe_lies", "the probe's wire tells the notebook every check passed",
            insert_after("code_01", PROBE_LIES), expect=flagged(*BROKEN_CELLS),
            ran=("the probe now reports a pass",)),
    # without the probe's address no test cell reports to the grader: none can be trusted
    _broken("no_probe", "COURSE_PROBE removed and fake local checks put in sys.modules",
            insert_after("code_01", NO_PROBE), expect=flagged(*TESTS), ran=("fake checks",)),

    # -- IPython tricks
    _broken("pre_run_cell", "a pre_run_cell hook prints each cell and tries to replace it",
            insert_after("code_01", PRE_RUN_CELL), ran=("pre_run_cell hook registered",)),
    _broken("input_transformer", "an input transformer replaces the broken cells' tests",
            insert_after("code_01", INPUT_TRANSFORMER), expect=flagged(*BROKEN_CELLS),
            ran=("input transformer registered",)),
    _broken("post_run_cell", "a post_run_cell hook clears the error, no traceback shown",
            insert_after("code_01", POST_RUN_CELL), expect=flagged(*BROKEN_CELLS),
            ran=("post_run_cell hook registered",)),
    # nbgrader records the error from the kernel's reply even when no traceback is shown
    _broken("showtraceback", "get_ipython().showtraceback does nothing",
            insert_after("code_01", SHOWTRACEBACK), ran=("showtraceback replaced",)),
    _broken("run_cell", "get_ipython().run_cell(_async) runs a print instead of the tests",
            insert_after("code_01", RUN_CELL), expect=flagged(*BROKEN_CELLS),
            ran=("run_cell replaced",)),
    _broken("excepthook", "sys.excepthook prints a pass", insert_after("code_01", EXCEPTHOOK),
            ran=("sys.excepthook replaced",)),
    # IPython's custom handler replaces the traceback, but the reply still says error
    _broken("custom_exc", "get_ipython().set_custom_exc swallows every exception",
            insert_after("code_01", CUSTOM_EXC), ran=("custom exception handler set",)),

    # -- the reference implementation, called (it is a stub while grading)
    Attack("import_reference", "from course.losses import softmax_loss",
           (set_source("softmax_loss", IMPORT_REFERENCE),), flagged(*SOFTMAX_CELLS)),
    Attack("importlib_reference", "importlib.import_module('course.losses').softmax_loss",
           (set_source("softmax_loss", IMPORTLIB_REFERENCE),), flagged(*SOFTMAX_CELLS)),
    Attack("dunder_import_reference", "__import__ of a name built from pieces",
           (set_source("softmax_loss", DUNDER_IMPORT_REFERENCE),), flagged(*SOFTMAX_CELLS)),
    Attack("exec_library_source", "exec of the losses.py next to course.__file__",
           (set_source("softmax_loss", EXEC_LIBRARY),), flagged(*SOFTMAX_CELLS),
           ran=("executed the source of",)),
    # the real source is outside the sandbox: the attack falls back to the broken function
    Attack("exec_repository_source", "exec of the repository's course/losses.py",
           (set_source("softmax_loss", EXEC_REPOSITORY),), failed(*BROKEN_CELLS),
           ran=("DENIED",), sandboxed=True),
    Attack("exec_editable_source", "exec of course/losses.py found via the editable install",
           (set_source("softmax_loss", EXEC_EDITABLE),), failed(*BROKEN_CELLS),
           ran=("DENIED",), sandboxed=True),

    # -- reading what is hidden, writing what is the grader's (honest code otherwise)
    Attack("snoop", "reads the checks, solutions, reference, gradebooks, other submissions, "
           "the grader's environment", (insert_after("code_01", SNOOP),),
           ran=("DENIED", "environment:"), sandboxed=True),
    Attack("scribble", "appends to the gradebooks, grades.csv, another submission, the "
           "grading library and probe", (insert_after("code_01", SCRIBBLE),),
           ran=("DENIED",), sandboxed=True),

    # -- outputs that only look right
    _broken("fake_output", "softmax_loss prints that every hidden check passed",
            insert_after("softmax_loss", FAKE_OUTPUT)),
    Attack("always_equal_answer", "answer_q2 is an object equal to anything",
           (set_source("q2_svm_doubled_scores", ALWAYS_EQUAL_ANSWER),), failed(Q2)),
    _broken("always_equal_dx", "dx is an object equal to anything (with __array__)",
            insert_after("softmax_loss", ALWAYS_EQUAL_DX)),
    _broken("ndarray_subclass", "dx is an ndarray subclass whose ==, != and - always agree",
            insert_after("softmax_loss", NDARRAY_SUBCLASS)),
    # nothing computed at all: the visible test's answer, else None
    Attack("none_on_hidden_inputs", "l2_regularization returns None on every hidden input",
           (set_source("l2_regularization", NONE_ON_HIDDEN_INPUTS),), failed(L2)),
    Attack("none_after_easy_cases", "l2_regularization is right where reg = 0 (the first "
           "hidden case), returns None on the others",
           (set_source("l2_regularization", NONE_AFTER_EASY_CASES),), failed(L2)),
    # the right numbers, but written over the input x and returned as dx
    Attack("view_of_input", "dx is the input x itself, overwritten",
           (insert_after("softmax_loss", VIEW_OF_INPUT),), failed(*SOFTMAX_CELLS)),

    # -- the process: exits, crashes, interrupts, time, processes, memory, output
    Attack("os_exit_cell", "a cell of its own calls os._exit(0)",
           (insert_after("test_svm_loss_grad", "import os\nos._exit(0)"),), ran=(KILLED,)),
    Attack("sys_exit_cell", "a cell of its own calls sys.exit(3)",
           (insert_after("test_svm_loss_grad", "import sys\nsys.exit(3)"),),
           ran=("SystemExit",)),
    Attack("segfault_cell", "a cell of its own reads address 0 with ctypes",
           (insert_after("test_svm_loss_grad", "import ctypes\nctypes.string_at(0)"),),
           ran=(KILLED,)),
    Attack("keyboard_interrupt_cell", "a cell of its own raises KeyboardInterrupt",
           (insert_after("test_svm_loss_grad", "raise KeyboardInterrupt"),),
           ran=("KeyboardInterrupt",)),
    Attack("infinite_loop_cell", "a cell of its own loops forever",
           (insert_after("test_svm_loss_grad", LOOP_FOREVER),),
           ran=(("looping forever", KILLED),)),
    Attack("sleep_cell", "a cell of its own sleeps for 11 days",
           (insert_after("test_svm_loss_grad", SLEEP),),
           ran=(("sleeping for 11 days", KILLED),)),
    # the last graded cell comes right after it, and must still earn its points
    Attack("sleep_through_interrupts", "a cell of its own ignores SIGINT, then sleeps",
           (insert_after("selfcheck_l2_regularization", SLEEP_THROUGH_INTERRUPTS),),
           ran=(("ignoring interrupts", KILLED, "could not be interrupted"),)),
    Attack("fork_bomb", "a cell of its own forks 1000 processes (bounded: shared machine)",
           (insert_after("test_svm_loss_grad", FORK_BOMB),), ran=(KILLED,), sandboxed=True),
    Attack("allocate_50gb", "a cell of its own allocates 50 GB",
           (insert_after("test_svm_loss_grad", "hog = np.ones(50 * 2**30 // 8)"),),
           ran=("MemoryError",)),
    Attack("stdout_1gb", "a cell of its own writes 1 GB to stdout",
           (insert_after("test_svm_loss_grad", STDOUT_1GB),),
           ran=(("OutputLimit", KILLED, "could not be interrupted"),)),
    Attack("background_processes", "a cell of its own starts processes meant to outlive it",
           (insert_after("test_svm_loss_grad", BACKGROUND),),
           ran=("background processes started",), sandboxed=True),
    # l2_regularization misbehaving only on the hidden checks' inputs, inside the probe
    Attack("l2_os_exit", "l2_regularization calls os._exit on hidden inputs",
           (set_source("l2_regularization", _l2_misbehaving("os._exit(1)")),), error(L2),
           ran=(KILLED,)),
    Attack("l2_segfault", "l2_regularization reads address 0 on hidden inputs",
           (set_source("l2_regularization", _l2_misbehaving(
               "__import__('ctypes').string_at(0)")),), error(L2), ran=(KILLED,)),
    # an exit or interrupt raised inside the grader's call ends that check: failed
    Attack("l2_sys_exit", "l2_regularization calls sys.exit on hidden inputs",
           (set_source("l2_regularization", _l2_misbehaving("raise SystemExit(3)")),),
           failed(L2)),
    Attack("l2_keyboard_interrupt", "l2_regularization raises KeyboardInterrupt on hidden "
           "inputs", (set_source("l2_regularization", _l2_misbehaving(
               "raise KeyboardInterrupt")),), failed(L2)),
    Attack("html_in_message", "l2_regularization raises an error whose message is a script",
           (set_source("l2_regularization", _l2_misbehaving(
               f"raise ValueError({HTML_PAYLOAD!r})")),), failed(L2)),
    Attack("l2_allocate_50gb", "l2_regularization allocates 50 GB on hidden inputs",
           (set_source("l2_regularization", _l2_misbehaving(
               "np.ones(50 * 2**30 // 8)")),), failed(L2)),
    # the cell ran out of time: that is what its status must say
    Attack("l2_infinite_loop", "l2_regularization loops forever on hidden inputs",
           (set_source("l2_regularization", _l2_misbehaving("while True: pass")),),
           timeout(L2)),

    # -- the notebook itself tampered with (the test cells are the grader's, not the student's)
    _broken("deleted_tests", "the broken cells' tests and the L2 test deleted",
            delete(GRAD, STABLE, L2)),
    _broken("duplicated_test", "a copy of the gradient test cell, printing a pass, before it",
            duplicate_before(GRAD, 'print("all hidden checks passed")\n')),
    Attack("tests_moved_to_end", "every test cell moved to the end, in reverse order",
           (move_tests_to_end,)),
    # the notebook runs top to bottom as submitted: a test moved above the function it
    # tests finds nothing to test (as in the student's own "Restart & Run All")
    Attack("test_moved_above_function", "the L2 test cell moved above l2_regularization",
           (move_after(L2, "code_38"),), failed(L2)),
    _broken("retyped_tests", "the broken cells' tests turned into markdown",
            retype(GRAD, STABLE)),
    _broken("edited_tests", "the broken cells' tests replaced by a print",
            set_source(GRAD, 'print("passed")'), set_source(STABLE, 'print("passed")')),
    _broken("changed_points", "every test cell worth 1000 points", set_points(1000)),
    _broken("renamed_grade_id", "the gradient test cell's grade id renamed",
            set_meta(GRAD, grade_id="test_softmax_loss_grad_v2")),
    _broken("swapped_grade_ids", "the value and gradient test cells' grade ids swapped",
            set_meta(VALUE, grade_id="swap"), set_meta(GRAD, grade_id=VALUE),
            set_meta("swap", grade_id=GRAD)),
    _broken("test_made_solution", "the gradient test cell marked as an unlocked answer cell "
            "printing a pass", set_meta(GRAD, solution=True, locked=False),
            set_source(GRAD, 'print("passed")')),
    Attack("extra_graded_cell", "a new graded cell worth 100 points",
           (extra_graded_cell("test_l2_regularization", "test_extra_credit", 100,
                              'print("passed")'),)),
    _broken("rerun_checks", "a cell re-runs the broken cells' hidden checks outside their cells",
            insert_after(STABLE, RERUN_CHECK), ran=("re-running the check",)),
)

CONTROL = Attack("control", "the plain solution, with a comment no one else may read",
                 (replace("l2_regularization", "    dW = reg * W\n",
                          f"    dW = reg * W  # {CONTROL_MARKER}\n"),))
"""An honest student graded in the same run: full marks, whatever the others do."""
