"""Where a submission's code runs: a kernel in its own process, with limits, in a sandbox.

Every grading kernel is started through ``limited_command``: resource limits (CPU
time, address space, processes, file size, open files) and, where Debian's
``bwrap`` is installed, a bubblewrap sandbox with

- no network (the kernel talks to the grader over Unix sockets in one folder);
- a read-only view of the system and of the Python environment, and nothing else:
  not the repository (solutions, hidden checks, the real reference library), not
  the gradebook, not the output folder, not other students' submissions;
- a private writable scratch folder (the kernel's working and home folder) and /tmp;
- its own process tree: whatever the notebook starts dies with the kernel.

The kernel imports ``course`` from a *grading copy* of the library made by
``grading_library``: the reference implementations graded in the assignment are
removed from its source and replaced by stubs raising ``ReferenceNotAvailable``
(``autograder.remote.REFERENCE_HIDDEN``), which the grader flags. The copy's
``autograder`` package holds only the probe.

Without ``bwrap`` the limits and the grading copy still apply, but the kernel can
read the file system and reach the network: grading prints one warning and the
report says so.
"""

from __future__ import annotations

import ast
import atexit
import compileall
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from autograder.config import REPO

HIDDEN_REFERENCE = {
    "01_computational_graphs": {"course.graph": "*", "course.functions": (
        "sigmoid", "sigmoid_local_grad_from_out")},
    "02_activations": {"course.functions": "*", "course.layers": (
        "relu_forward", "relu_backward", "leaky_relu_forward", "leaky_relu_backward",
        "elu_forward", "elu_backward", "gelu_forward", "gelu_backward", "silu_forward",
        "silu_backward", "sigmoid_forward", "sigmoid_backward", "tanh_forward",
        "tanh_backward")},
    "03_losses": {"course.losses": ("softmax_loss", "svm_loss", "l2_regularization")},
    "04_vector_backprop": {"course.layers": (
        "affine_forward", "affine_backward", "affine_relu_forward", "affine_relu_backward")},
    "05_optimization": {"course.optim": ("sgd_momentum", "rmsprop", "adam"),
                        "course.schedules": ("Cosine", "cosine")},
    "06_neural_networks": {"course.nets": ("_Net", "TwoLayerNet", "FullyConnectedNet")},
}
"""Per assignment: module -> the names graded there ("*": every function and class)."""

LIMITS = {"cpu_seconds": 900, "memory_bytes": 6 * 2**30, "processes": 256,
          "user_processes": 8192, "file_bytes": 256 * 2**20, "open_files": 512}
"""Per kernel: CPU time, address space, processes in its sandbox (enforced by a watchdog
that stops the whole sandbox beyond it; needs bwrap), RLIMIT_NPROC (binds non-root users
only), largest file written, open files."""

_STUB = '''
class ReferenceNotAvailable(RuntimeError):
    """A reference implementation graded in this assignment was called while grading."""


def hidden(name):
    def stub(*args, **kwargs):
        raise ReferenceNotAvailable(
            f"{name} is the course's reference implementation of a graded function; it is "
            "not available while grading, so graded code must use your own. (In an "
            "experiment or widget cell this is expected: those run on your own machine "
            "and carry no points.)")
    stub.__name__ = name.rsplit(".", 1)[-1]
    return stub
'''


def bwrap() -> str | None:
    return shutil.which("bwrap")


def _strip(source: str, module: str, names) -> str:
    """``source`` with the top-level functions/classes ``names`` replaced by stubs."""
    tree = ast.parse(source)
    body = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and (
                names == "*" or node.name in names):
            stub = f"{node.name} = _hidden({module + '.' + node.name!r})"
            body.extend(ast.parse(stub).body)
        else:
            body.append(node)
    head = 0  # after the docstring and the __future__ imports
    while head < len(body) and (
            (isinstance(body[head], ast.ImportFrom) and body[head].module == "__future__")
            or (head == 0 and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant))):
        head += 1
    tree.body = (body[:head] + ast.parse("from course._hidden import hidden as _hidden").body
                 + body[head:])
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n"


def grading_library(assignment: str, dest: Path) -> Path:
    """Write the kernel's ``course`` and ``autograder`` packages for ``assignment`` to ``dest``."""
    dest = Path(dest)
    if (dest / ".complete").is_file():
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(REPO / "course", dest / "course",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "course" / "_hidden.py").write_text(_STUB, encoding="utf-8")
    for module, names in HIDDEN_REFERENCE.get(assignment, {}).items():
        path = dest / Path(*module.split(".")).with_suffix(".py")
        path.write_text(_strip(path.read_text(encoding="utf-8"), module, names),
                        encoding="utf-8")
    (dest / "autograder").mkdir()
    for name in ("__init__.py", "hidden.py", "wire.py"):
        shutil.copyfile(REPO / "autograder" / name, dest / "autograder" / name)
    # the kernel sees this folder read-only: compile it here, not in every kernel
    compileall.compile_dir(dest, quiet=2)
    (dest / ".complete").write_text("", encoding="utf-8")
    return dest


_SCRATCH: dict = {}


def scratch(kind: str) -> Path:
    """This process's private folder ``course-KIND-PID-XXXX`` in the temporary folder.

    Made once per process with ``mkdtemp`` (new, mode 0700: never a folder left by an
    earlier run whose process had the same pid, nor one another user made) and removed
    at exit. A run that was killed cannot remove its own: the folders of processes that
    are gone are removed here instead, when the next run makes its own.
    """
    if kind not in _SCRATCH:
        _remove_leftovers(kind)
        folder = Path(tempfile.mkdtemp(prefix=f"course-{kind}-{os.getpid()}-"))
        atexit.register(shutil.rmtree, folder, True)
        _SCRATCH[kind] = folder
    return _SCRATCH[kind]


def _remove_leftovers(kind: str) -> None:
    for folder in Path(tempfile.gettempdir()).glob(f"course-{kind}-*-*"):
        pid = folder.name.split("-")[2]
        try:
            if not pid.isdigit() or folder.lstat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)  # raises when no process has this pid
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:  # alive under another user, or already gone
            continue


_FONTS: list = []


def font_cache() -> Path | None:
    """matplotlib's font list for a kernel's empty home, built once per grading process.

    Each kernel starts with an empty matplotlib folder and would build the list itself
    (about 0.15 s); it is built here, in a fresh process with an empty home (as in the
    sandbox), never by a submission, and copied into each kernel's scratch folder.
    """
    if not _FONTS:
        home = scratch("fonts")
        env = {"HOME": str(home), "MPLCONFIGDIR": str(home / ".matplotlib"),
               "MPLBACKEND": "agg", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                       capture_output=True, timeout=300, check=False)
        _FONTS.append(min((home / ".matplotlib").glob("fontlist-*.json"), default=None))
    return _FONTS[0]


@dataclass
class Sandbox:
    """What the next kernel started in this process runs with."""

    library: Path  # from grading_library
    folder: Path  # the kernel's sockets and the probe's socket (short path)
    scratch: Path  # the kernel's writable working folder

    @property
    def alive(self) -> Path:
        """A FIFO held open by the grading process (``hold``) while the kernel runs."""
        return self.folder / "grader-alive"


def hold(box: Sandbox) -> int:
    """Open ``box.alive`` (made here) in this process; close the fd when the kernel is done.

    The sandbox's watchdog stops everything in it once no process holds the FIFO open for
    writing: when grading ends, and when the grading process dies however it dies. bwrap's
    --die-with-parent has a moment, while it starts, in which a killed parent leaves its
    inner process running, and the kernel with it.
    """
    if not box.alive.exists():
        os.mkfifo(box.alive, 0o600)
    return os.open(box.alive, os.O_RDWR)  # RDWR: opening does not wait for a reader


CURRENT: list = []  # [Sandbox] while a notebook is being executed in this process

_LIMITER = """
import os, resource, signal, sys, time
for name, value in zip(("CPU", "AS", "NPROC", "FSIZE", "NOFILE"), map(int, sys.argv[3:8])):
    resource.setrlimit(getattr(resource, "RLIMIT_" + name), (value, value))
if sys.argv[1] == "exec":
    os.execv(sys.argv[8], sys.argv[8:])
# inside the sandbox's own process namespace: run the kernel as a child and stop the whole
# namespace when it holds too many processes (RLIMIT_NPROC does not bind root), or when
# the grading process no longer holds the FIFO open (see hold): reading it gives b"" then
alive = os.open(sys.argv[1].split("=", 1)[1], os.O_RDONLY | os.O_NONBLOCK)
signal.signal(signal.SIGINT, signal.SIG_IGN)
kernel = os.fork()
if kernel == 0:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.close(alive)
    os.execv(sys.argv[8], sys.argv[8:])
limit = int(sys.argv[2])
while True:
    done, status = os.waitpid(kernel, os.WNOHANG)
    if done:
        sys.exit(os.waitstatus_to_exitcode(status) % 256)
    try:
        grader_gone = os.read(alive, 1) == b""
    except BlockingIOError:  # held open, nothing written: the grader is there
        grader_gone = False
    if grader_gone or sum(name.isdigit() for name in os.listdir("/proc")) > limit:
        os.kill(-1, signal.SIGKILL)
    time.sleep(0.05)
"""


# The first process of a sandbox: ignores SIGINT, asks for SIGKILL when its parent (the
# grading worker) dies (prctl PR_SET_PDEATHSIG, kept across the exec into bwrap), and
# exits if the parent died already, before it asked; only then becomes bwrap. Without
# this, a worker killed in the moment between starting the sandbox and bwrap's own
# --die-with-parent left the sandbox and its kernel running forever.
_SHIM = ("import ctypes, os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
         "ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
         "os.getppid() == int(sys.argv[1]) or os._exit(1); os.execv(sys.argv[2], sys.argv[2:])")


def limited_command(cmd: list[str], box: Sandbox) -> list[str]:
    """``cmd`` (a kernel's command line) run with the limits, inside bwrap when available."""
    limits = [str(LIMITS[k]) for k in ("processes", "cpu_seconds", "memory_bytes",
                                       "user_processes", "file_bytes", "open_files")]
    if not bwrap():
        return [sys.executable, "-c", _LIMITER, "exec", *limits, *cmd]
    inner = [sys.executable, "-c", _LIMITER, f"watch={box.alive}", *limits, *cmd]
    env = Path(sys.prefix)
    # jupyter_client interrupts a kernel with SIGINT to its whole process group; bwrap must
    # not die of it (the watchdog gives the kernel back the default handler). The command
    # is started by this process (the kernel manager's), which _SHIM checks is alive.
    args = [sys.executable, "-c", _SHIM, str(os.getpid()), bwrap(), "--die-with-parent",
            "--unshare-all", "--clearenv", "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for link in ("/bin", "/lib", "/lib64", "/sbin"):
        if Path(link).is_symlink():
            args += ["--symlink", str(Path(link).readlink()), link]
        elif Path(link).exists():
            args += ["--ro-bind", link, link]
    for path in {env, Path(sys.base_prefix)} - {Path("/usr")}:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--ro-bind", str(box.library), str(box.library),
             "--bind", str(box.scratch), str(box.scratch),
             "--bind", str(box.folder), str(box.folder), "--chdir", str(box.scratch)]
    for key, value in sandbox_env(box).items():
        args += ["--setenv", key, value]
    return args + ["--", *inner]


def sandbox_env(box: Sandbox) -> dict:
    env = {"PYTHONPATH": str(box.library), "HOME": str(box.scratch),
           "MPLCONFIGDIR": str(box.scratch / ".matplotlib"), "MPLBACKEND": "agg",
           "IPYTHONDIR": str(box.scratch / ".ipython"), "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PATH": "/usr/bin:/bin",
           "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1"}
    env["JPY_PARENT_PID"] = str(os.getpid())  # else ipykernel prints its connection notes
    for key in ("NBGRADER_EXECUTION", "COURSE_PROBE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel through ``limited_command`` (see CURRENT)."""

    async def _async_pre_start_kernel(self, **kw):
        if CURRENT:
            box = CURRENT[-1]
            self.transport, self.ip = "ipc", str(box.folder / "kernel")
            self.connection_file = str(box.folder / "kernel.json")
            kw["cwd"] = str(box.scratch)
            if not bwrap():
                kw["env"] = {**os.environ, **sandbox_env(box)}
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return limited_command(cmd, CURRENT[-1]) if CURRENT else cmd
