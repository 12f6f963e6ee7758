"""The grading side of the probe: the student's objects as proxies, served over a socket.

A hidden test cell hands the student's function (or class, or answer) to the probe
(``autograder.hidden``), which connects to the ``ProbeServer`` of the grading
process. The server runs the hidden-check suite *here*, with ``student`` a proxy:
calling it, reading its attributes or applying an operator sends a request to the
kernel and returns plain data (``autograder.wire``). Inputs are drawn here, outputs
are compared here, the verdict is kept here; the kernel only learns the message.

The proxies keep Python's semantics where the suites rely on them: arguments that
the student's code modifies in place are modified here too (write-back), numpy
warnings raised there are raised here, exceptions keep their type names.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import re
import socket
import threading
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder import wire

REFERENCE_HIDDEN = "ReferenceNotAvailable"
"""Name of the error the grading copy of ``course`` raises where a graded reference was."""

_READS = {"items", "keys", "len", "getitem", "contains", "isinstance", "issubclass", "mro",
          "repr", "callable"}
_SAFE_ERRORS = ("ArithmeticError", "AssertionError", "AttributeError", "FloatingPointError",
                "IndexError", "KeyError", "LookupError", "MemoryError", "NameError",
                "NotImplementedError", "OverflowError", "RecursionError", "RuntimeError",
                "StopIteration", "TypeError", "UnboundLocalError", "ValueError",
                "ZeroDivisionError")
_ERROR_CLASSES: dict = {}


class StudentError(Exception):
    """An exception raised by the student's code in the kernel, re-raised here by name."""

    lineno: int | None = None

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class RemoteGone(BaseException):
    """The kernel stopped answering (interrupted, exited, crashed, too slow, broke the rules).

    A BaseException, so the suites' ``except Exception`` around student calls lets it through.
    """


def student_error(name: str, message: str, lineno) -> StudentError:
    clean = re.sub(r"\W", "", str(name))[:40] or "Error"
    cls = _ERROR_CLASSES.get(clean)
    if cls is None:
        base = (getattr(builtins, clean),) if clean in _SAFE_ERRORS else ()
        cls = _ERROR_CLASSES[clean] = type(clean, (StudentError, *base), {"__module__": "student"})
    err = cls(str(message))
    err.lineno = lineno if isinstance(lineno, int) else None
    return err


def error_line(err: BaseException) -> str:
    """`` (line N)``: where in the student's code ``err`` was raised ('' when unknown)."""
    if isinstance(err, StudentError):
        return f" (line {err.lineno})" if err.lineno else ""
    last = traceback.extract_tb(err.__traceback__)[-1:]
    return f" (line {last[0].lineno})" if last else ""


def _warning_class(name: str):
    cls = getattr(builtins, str(name), None)
    return cls if isinstance(cls, type) and issubclass(cls, Warning) else UserWarning


class Connection:
    """One probe session: ``transport(request) -> reply`` plus the proxies it handed out."""

    def __init__(self, transport):
        self.transport = transport
        self.proxies: dict = {}
        self.generation = 0  # counts requests that may have changed the kernel's objects
        self.errors: list[str] = []  # type names of every error the student's code raised

    # -- values ---------------------------------------------------------------------
    def encode(self, value):
        return wire.encode(value, self._handle, dicts=True)

    def _handle(self, value):
        if isinstance(value, (Remote, RemoteDict)) and value._conn is self:
            return {"ref": value._ref}
        if type(value) is Step:
            return {"ref": 0, "step": value.index}
        raise TypeError(f"cannot send a {type(value).__name__} to the student's kernel")

    def decode(self, data):
        return wire.decode(data, self._resolve)

    def _resolve(self, data: dict):
        ref = int(data["ref"])
        if ref not in self.proxies:
            kind, type_name = str(data.get("kind")), str(data.get("type"))[:60]
            self.proxies[ref] = (RemoteDict(self, ref) if kind == "dict"
                                 else Remote(self, ref, type_name, kind))
        return self.proxies[ref]

    # -- requests -------------------------------------------------------------------
    def _request(self, fn, args, kwargs) -> dict:
        if fn not in _READS:
            self.generation += 1
        return {"fn": fn if isinstance(fn, str) else self.encode(fn),
                "args": self.encode(list(args)), "kwargs": self.encode(list(kwargs.items()))}

    def _send(self, request) -> dict:
        reply = self.transport(request)
        if "abort" in reply:
            raise RemoteGone(f"the kernel stopped during the check ({reply['abort']})")
        return reply

    def _outcome(self, reply):
        """The value of one reply, after its warnings; its error raised as StudentError."""
        try:
            problems = [(w[0], w[1], w[2]) for w in reply.get("warnings", [])]
            error = reply.get("error")
            value = None if error else self.decode(reply["value"])
        except (wire.WireError, ValueError, KeyError, TypeError, IndexError) as err:
            raise RemoteGone(f"lost contact with the notebook's kernel ({err})") from None
        for name, message, line in problems:
            warnings.warn_explicit(str(message), _warning_class(name), "student code",
                                   line if isinstance(line, int) else 0)
        if error:
            self.errors.append(str(error[0]))
            raise student_error(*error[:3])
        return value

    def apply(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` in the kernel; ``fn`` a proxy or a name from hidden.APPLY."""
        request = {**self._request(fn, args, kwargs), "errstate": np.geterr()}
        try:
            reply = self._send(request)
            _write_back([list(args), list(kwargs.values())], self.decode(reply["after"]))
        except (wire.WireError, ConnectionError, OSError, ValueError, KeyError, TypeError,
                IndexError) as err:
            raise RemoteGone(f"lost contact with the notebook's kernel ({err})") from None
        return self._outcome(reply)

    def apply_all(self, steps) -> list:
        """``[fn(*args) for fn, *args in steps]`` in the kernel, in one round trip.

        ``Step(k)`` as ``fn`` or an argument stands for step k's value. Arguments are
        numbers, strings and proxies only (nothing the kernel could change in place).
        The first step that raises stops the batch and raises here, as ``apply`` would.
        """
        requests = []
        for fn, *args in steps:
            if any(type(a) in (list, tuple, dict, np.ndarray) for a in args):
                raise TypeError("apply_all takes numbers, strings, proxies and Steps")
            requests.append(self._request(fn, args, {}))
        try:
            replies = self._send({"steps": requests, "errstate": np.geterr()})["steps"]
            if type(replies) is not list or not replies or len(replies) > len(requests):
                raise wire.WireError("a batch reply of the wrong length")
        except (wire.WireError, ConnectionError, OSError, ValueError, KeyError,
                TypeError) as err:
            raise RemoteGone(f"lost contact with the notebook's kernel ({err})") from None
        values = [self._outcome(reply) for reply in replies]
        if len(values) < len(requests):
            raise RemoteGone("the kernel stopped a batch without an error")
        return values


@dataclass(frozen=True)
class Step:
    """In ``Connection.apply_all``: the value of an earlier step of the same batch."""

    index: int


def _write_back(local, after) -> None:
    """Make ``local`` (arguments as sent) look like ``after`` (as the student's code left them)."""
    if type(local) is np.ndarray:
        if type(after) is np.ndarray and after.shape == local.shape and local.flags.writeable:
            np.copyto(local, after.astype(local.dtype, copy=False))
        elif local.flags.writeable and local.size:
            local[...] = np.nan if local.dtype.kind in "fc" else ~local  # visibly changed
    elif type(local) in (list, tuple) and type(after) in (list, tuple):
        for i, (a, b) in enumerate(zip(local, after)):
            if type(a) in (np.ndarray, list, tuple, dict):
                _write_back(a, b)
            elif type(local) is list and not isinstance(a, (Remote, RemoteDict)):
                local[i] = b
        if type(local) is list and len(after) != len(local):
            local[:] = after
    elif type(local) is dict and isinstance(after, (dict, RemoteDict)):
        new = dict(after.items())
        for key in list(local):
            if key not in new:
                del local[key]
        for key, value in new.items():
            if key in local and type(local[key]) in (np.ndarray, list, dict):
                _write_back(local[key], value)
            else:
                local[key] = value


class Remote:
    """An object living in the student's kernel (a function, a class, a Value, a net...)."""

    __slots__ = ("_conn", "_ref", "_type", "_kind", "__weakref__")

    def __init__(self, conn, ref, type_name, kind):
        for name, value in zip(self.__slots__, (conn, ref, type_name, kind)):
            object.__setattr__(self, name, value)

    def __call__(self, *args, **kwargs):
        return self._conn.apply(self, *args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._conn.apply("getattr", self, name)

    def __setattr__(self, name, value):
        self._conn.apply("setattr", self, name, value)

    def __repr__(self):
        return f"<{self._type} from the student's code>"

    def __instancecheck__(self, obj):
        return self._conn.apply("isinstance", obj, self) is True

    def __getitem__(self, key):
        return self._conn.apply("getitem", self, key)

    def __setitem__(self, key, value):
        self._conn.apply("setitem", self, key, value)

    def __len__(self):
        n = self._conn.apply("len", self)
        if type(n) is not int:
            raise TypeError("len() of a student object did not give an int")
        return n

    def __iter__(self):
        return self._conn.apply("iter", self)

    def __next__(self):
        return self._conn.apply("next", self)

    def __contains__(self, item):
        return self._conn.apply("contains", self, item) is True

    def __bool__(self):
        return self._conn.apply("bool", self) is True

    def __float__(self):
        value = self._conn.apply("float", self)
        if type(value) is not float:
            raise TypeError("float() of a student object did not give a float")
        return value


def _binary(name):
    return (lambda self, other: self._conn.apply(name, self, other),
            lambda self, other: self._conn.apply(name, other, self))


for _name in ("add", "sub", "mul", "truediv", "pow"):
    setattr(Remote, f"__{_name}__", _binary(_name)[0])
    setattr(Remote, f"__r{_name}__", _binary(_name)[1])
Remote.__neg__ = lambda self: self._conn.apply("neg", self)
Remote.__pos__ = lambda self: self._conn.apply("pos", self)


class RemoteDict(dict):
    """A dict living in the kernel (a net's ``params``, its ``grads``, an optimizer config).

    A real dict here (``isinstance(x, dict)`` holds), refreshed from the kernel whenever a
    request may have changed it; writes go to the kernel's dict.
    """

    def __init__(self, conn, ref):
        super().__init__()
        self._conn, self._ref, self._seen = conn, ref, -1

    def _fresh(self):
        if self._seen != self._conn.generation:
            items = self._conn.apply("items", self)
            if type(items) is not list or not all(type(p) is tuple and len(p) == 2
                                                  for p in items):
                raise RemoteGone("a dict's items did not come back as pairs")
            dict.clear(self)
            for key, value in items:
                try:
                    dict.__setitem__(self, key, value)
                except TypeError:  # an unhashable key: leave it out
                    pass
            self._seen = self._conn.generation
        return self

    def __getitem__(self, key):
        return dict.__getitem__(self._fresh(), key)

    def __iter__(self):
        return dict.__iter__(self._fresh())

    def __len__(self):
        return dict.__len__(self._fresh())

    def __contains__(self, key):
        return dict.__contains__(self._fresh(), key)

    def __repr__(self):
        return dict.__repr__(self._fresh())

    def __eq__(self, other):
        return dict.__eq__(self._fresh(), other)

    __hash__ = None

    def keys(self):
        return dict.keys(self._fresh())

    def values(self):
        return dict.values(self._fresh())

    def items(self):
        return dict.items(self._fresh())

    def get(self, key, default=None):
        return dict.get(self._fresh(), key, default)

    def copy(self):
        return dict(self.items())

    def __setitem__(self, key, value):
        self._conn.apply("setitem", self, key, value)

    def __delitem__(self, key):
        self._conn.apply("delitem", self, key)

    def update(self, other=(), **kwargs):
        for key, value in dict(other, **kwargs).items():
            self[key] = value


def seed_numpy(student, seed) -> None:
    """``np.random.seed(seed)`` here and, for a student's object, in its kernel too."""
    np.random.seed(seed)
    if isinstance(student, Remote):
        student._conn.apply("np.random.seed", seed)


@contextlib.contextmanager
def kept_random_state(student):
    """Leave numpy's global random state as it was, here and in ``student``'s kernel."""
    state = np.random.get_state()
    theirs = student._conn.apply("np.random.get_state") if isinstance(student, Remote) else None
    try:
        yield
    finally:
        np.random.set_state(state)
        if theirs is not None:
            student._conn.apply("np.random.set_state", theirs)


def connection(x) -> Connection | None:
    """The probe connection ``x`` lives behind (a proxy), or None for a local object."""
    return x._conn if isinstance(x, (Remote, RemoteDict)) else None


def is_class(x) -> bool:
    """``x`` is a class, here or in the kernel."""
    return isinstance(x, type) or (isinstance(x, Remote) and x._kind == "class")


def type_name(x) -> str:
    return x._type if isinstance(x, Remote) else type(x).__name__


def class_names(cls) -> list[str]:
    """``module.qualname`` of ``cls`` and its bases (a class here or in the kernel)."""
    if isinstance(cls, Remote):
        names = cls._conn.apply("mro", cls)
        return [str(n) for n in names] if type(names) is list else []
    return [f"{k.__module__}.{k.__qualname__}" for k in cls.__mro__]


# -- running a suite over a connection -----------------------------------------------------


def loopback(student):
    """``(view, connection)``: ``student`` as the grading side sees it through a probe.

    Every request and reply goes through JSON, exactly as over the socket, but is served
    in this process.
    """
    from autograder.hidden import _Objects, _serve

    objects = _Objects()

    def transport(request):
        request = json.loads(json.dumps(request))
        return json.loads(json.dumps(_serve(objects, request)))

    conn = Connection(transport)
    return conn.decode(json.loads(json.dumps(objects.encode(student)))), conn


@dataclass
class SuiteResult:
    """The verdict of one suite run: what the grader records for a test cell."""

    name: str
    passed: bool
    message: str
    flagged: str = ""  # why the run is suspicious ('' when it is not)


@dataclass
class ProbeServer:
    """Listens on a Unix socket for the probes of one notebook's hidden test cells.

    ``expect(grade_id, names)`` is called as each cell starts; a probe asking for a suite
    the running test cell does not name gets no verdict.
    """

    folder: Path
    timeout: float = 120.0
    results: dict = field(default_factory=dict)  # grade_id -> [SuiteResult]

    def __post_init__(self):
        self.path = Path(self.folder) / "probe.sock"
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self._expected = (None, frozenset())
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def expect(self, grade_id, names) -> None:
        self._expected = (grade_id, frozenset(names))

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=self.timeout + 5)
        self._listener.close()

    def _serve(self) -> None:
        while not self._closed.is_set():
            try:
                sock, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with sock:
                try:
                    self._session(sock)
                except (OSError, ValueError, wire.WireError, ConnectionError):
                    pass  # a probe that broke the protocol gets no verdict

    def _session(self, sock) -> None:
        from autograder.checks import run_suite

        sock.settimeout(self.timeout)
        first = wire.receive(sock)
        grade_id, names = self._expected
        name = first.get("check")
        if grade_id is None or name not in names:
            wire.send(sock, {"done": f"hidden checks for {name!r} run only in their own test "
                                     "cell", "passed": False})
            return

        def transport(request):
            wire.send(sock, request)
            return wire.receive(sock)

        conn = Connection(transport)
        try:
            student = conn.decode(first.get("student"))
        except (wire.WireError, ValueError, TypeError, KeyError) as err:
            student = None
            self.results.setdefault(grade_id, []).append(
                SuiteResult(name, False, f"{name}: could not read what was submitted ({err})"))
        else:
            result = run_suite(name, student, seed=None, conn=conn)
            self.results.setdefault(grade_id, []).append(result)
        wire.send(sock, {"done": self.results[grade_id][-1].message,
                         "passed": self.results[grade_id][-1].passed})
