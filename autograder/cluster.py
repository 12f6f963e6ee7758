"""Grading on a Dask cluster: ``course grade SUBMISSIONS --out DIR --scheduler ADDRESS``.

The same grading as :mod:`autograder.workers`, with the worker processes on other
machines. Those machines do not share the grader's filesystem, so every task travels
with its files by value: the student's notebooks (their JSON text) and the release
notebooks of the assignment; the template gradebook (made after ``generate_assignment``)
goes to every worker once. A Dask worker writes them into a temporary course directory
of its own and grades there with :func:`autograder.workers.autograde`. The results come
back to the grading process, which records them as local grading does, so only that
process writes the class gradebook and the grades do not depend on where they were made.

Every worker machine needs this repository's packages installed, at the same version,
with the ``cluster`` extra (``pip install -e '.[cluster]'`` in a checkout): the worker
imports ``autograder`` to grade, and its notebook kernels import ``course`` and
``autograder.hidden``. For example ``dask scheduler`` on one machine, then
``dask worker tcp://HOST:8786 --nthreads 1`` on each grading machine (a worker process
grades one notebook at a time whatever its thread count).
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import shutil
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path

from autograder import workers
from autograder.workers import Done, Task

CONNECT_TIMEOUT = 5  # seconds to reach the scheduler
WORKERS_TIMEOUT = 30  # seconds to wait for a first worker to join the scheduler


def connect(address: str):
    """A ``distributed.Client`` on the scheduler at ``address`` with at least one worker.

    Raises ValueError, in one line, if the package is missing, the address is malformed,
    nothing answers within CONNECT_TIMEOUT seconds or no worker joins within WORKERS_TIMEOUT.
    """
    try:
        from distributed import Client
    except ImportError:
        raise ValueError("--scheduler: the 'distributed' package is not installed "
                         "(pip install -e '.[cluster]')") from None
    try:
        _probe(address)  # first, because a Client that failed to connect hangs at exit
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, ValueError, TypeError) as err:  # unreachable, malformed, unsupported
        reason = (str(err).splitlines() or [""])[0][:200] or type(err).__name__
        raise ValueError(f"--scheduler: no Dask scheduler answered at {address!r} "
                         f"({reason})") from None
    except Exception:  # e.g. a web server's reply taken for a message length
        raise ValueError(f"--scheduler: no Dask scheduler answered at {address!r} (what "
                         "answered there does not speak Dask's protocol)") from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except Exception:
        client.close()
        raise ValueError(f"--scheduler: the Dask scheduler at {address!r} has no workers "
                         f"(none joined in {WORKERS_TIMEOUT} s); start some with "
                         f"'dask worker {address}'") from None
    return client


def _probe(address: str) -> None:
    """Open and close a bare connection to ``address``; raise if no Dask server answers."""
    from distributed.comm import connect as open_comm

    async def knock():
        try:  # distributed bounds the connecting, not the handshake after it
            comm = await asyncio.wait_for(open_comm(address, timeout=CONNECT_TIMEOUT),
                                          CONNECT_TIMEOUT + 1)
        except asyncio.TimeoutError:
            raise OSError(f"something accepted the connection but sent no Dask handshake "
                          f"within {CONNECT_TIMEOUT + 1} s") from None
        await comm.close()

    with ThreadPoolExecutor(1) as thread:  # an event loop of its own, even if one runs here
        thread.submit(lambda: asyncio.run(knock())).result()


@dataclass
class Parcel:
    """A Task with the files it needs, by value (notebook name -> JSON text)."""

    task: Task
    submitted: dict
    release: dict


def pack(task: Task) -> Parcel:
    """Read the files of ``task`` on the grading machine."""
    def text(path):
        return Path(path).read_text(encoding="utf-8")

    return Parcel(task, {name: text(path) for name, path in task.notebooks},
                  {name: text(task.release / f"{name}.ipynb") for name, _ in task.notebooks})


# --- on a Dask worker -----------------------------------------------------------------

_COURSE: dict = {}  # this worker process's course folder and the digest of its template
_ONE_AT_A_TIME = threading.Lock()  # a worker's nbgrader API serves one task at a time


def _course_folder(template: bytes) -> Path:
    """This process's grading folder, set up again whenever the template gradebook changes."""
    digest = hashlib.sha256(template).hexdigest()
    if _COURSE.get("digest") != digest:
        if "folder" in _COURSE:
            shutil.rmtree(_COURSE["folder"], ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix="course-grade-"))
        atexit.register(shutil.rmtree, folder, True)
        (folder / "template.db").write_bytes(template)
        workers.init_worker(folder, folder / "template.db")
        _COURSE.update(digest=digest, folder=folder)
    return _COURSE["folder"]


def grade_parcel(parcel: Parcel, template: bytes) -> Done:
    """Autograde a shipped task in this worker's own course directory."""
    task = parcel.task
    with _ONE_AT_A_TIME:
        here = _course_folder(template) / "incoming" / task.student_id / task.assignment
        shutil.rmtree(here, ignore_errors=True)
        (here / "release").mkdir(parents=True)
        for name, text in parcel.submitted.items():
            (here / f"{name}.ipynb").write_text(text, encoding="utf-8")
        for name, text in parcel.release.items():
            (here / "release" / f"{name}.ipynb").write_text(text, encoding="utf-8")
        local = replace(task, notebooks=[(name, str(here / f"{name}.ipynb"))
                                         for name, _ in task.notebooks],
                        release=here / "release")
        try:
            done = workers.autograde(local)
        finally:
            shutil.rmtree(here, ignore_errors=True)
    done.task = task  # the grading machine's paths, as local grading reports them
    return done


# --- on the grading machine -----------------------------------------------------------


def run(tasks, address: str, template_db: Path, on_done) -> None:
    """Autograde every task on the cluster at ``address``; call on_done(Done) here for each.

    At most twice as many tasks as the cluster has threads are in flight, so the
    notebooks of a large class are not all held in memory at once.
    """
    from distributed import as_completed

    client = connect(address)
    try:
        template = client.scatter(Path(template_db).read_bytes(), broadcast=True)
        in_flight = max(2, 2 * sum(client.nthreads().values()))
        waiting = iter(tasks)

        def submit(task):
            return client.submit(grade_parcel, pack(task), template, pure=False)

        finished = as_completed([submit(t) for t in islice(waiting, in_flight)],
                                loop=client.loop)
        for future in finished:
            on_done(future.result())
            future.release()
            following = next(waiting, None)
            if following is not None:
                finished.add(submit(following))
    finally:
        client.close()
