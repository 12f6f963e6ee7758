"""What a hidden test cell calls: ``check("affine_backward", affine_backward)``.

Under ``course grade`` this module is the *probe*: it runs in the student's kernel,
connects to the grading process (the socket named by ``COURSE_PROBE``) and serves
its requests - call this function with these inputs, read this attribute - sending
back plain data (see ``autograder.wire``). The grading process draws the inputs,
compares the outputs with the reference and keeps the verdict; the probe only
relays it, so code in the notebook that tampers with this module can lose points
but never gain any.

Without ``COURSE_PROBE`` (running a master notebook in the tests, nbgrader's
Validate) the checks run here, in the kernel, but still through the same wire
(``remote.loopback``), so what passes here passes under grading.
"""

from __future__ import annotations

import builtins
import operator
import os
import socket
import traceback
import warnings

import numpy as np

from autograder import wire

# what the grading process may ask the kernel to apply, by name
APPLY = {
    "getattr": getattr, "setattr": setattr, "isinstance": isinstance,
    "issubclass": issubclass, "len": len, "iter": iter, "next": next, "bool": bool,
    "float": float, "repr": lambda x: repr(x)[:200], "callable": callable,
    "items": lambda d: list(d.items()), "keys": lambda d: list(d.keys()),
    "mro": lambda c: [f"{k.__module__}.{k.__qualname__}" for k in c.__mro__],
    "np.random.seed": np.random.seed, "np.random.get_state": np.random.get_state,
    "np.random.set_state": np.random.set_state,
    **{name: getattr(operator, name) for name in (
        "add", "sub", "mul", "truediv", "pow", "neg", "pos", "getitem", "setitem",
        "delitem", "contains")},
}


class _Objects:
    """The kernel's side of the handles: every object sent by reference, by number."""

    def __init__(self):
        self.by_ref, self.ref_of = {}, {}

    def handle(self, obj) -> dict:
        ref = self.ref_of.get(id(obj))
        if ref is None:
            ref = self.ref_of[id(obj)] = len(self.by_ref) + 1
            self.by_ref[ref] = obj
        kind = "class" if isinstance(obj, type) else "dict" if type(obj) is dict else "object"
        return {"ref": ref, "type": type(obj).__name__[:60], "kind": kind}

    def resolve(self, data: dict):
        return self.by_ref[int(data["ref"])]

    def encode(self, value):
        return wire.encode(value, self.handle)

    def decode(self, data):
        return wire.decode(data, self.resolve)


def _student_line(err: BaseException) -> int | None:
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if os.path.basename(f.filename) != "hidden.py"]
    return frames[-1].lineno if frames else None


def _serve(objects: _Objects, request: dict) -> dict:
    """Run one request: ``{"fn": name or handle, "args": [...], "kwargs": [...],
    "errstate": {...}}``, or a batch of them: ``{"steps": [...], "errstate": {...}}``."""
    with warnings.catch_warnings(record=True) as caught, np.errstate(**request["errstate"]):
        warnings.simplefilter("always")
        if "steps" in request:
            return _serve_steps(objects, request["steps"], caught)
        reply, _, args, kwargs = _call(objects, request, objects.resolve)
    # what the arguments look like now (the grading side writes it back)
    reply["after"] = objects.encode([args, list(kwargs.values())])
    reply["warnings"] = _warnings(caught)
    return reply


def _call(objects: _Objects, request: dict, resolve):
    """``(reply, value, args, kwargs)`` of one request, handles turned into objects by
    ``resolve``; the caller catches the warnings."""
    fn = request["fn"]
    fn = APPLY[fn] if isinstance(fn, str) else wire.decode(fn, resolve)
    args = wire.decode(request["args"], resolve)
    kwargs = dict(wire.decode(request["kwargs"], resolve))
    try:
        value = fn(*args, **kwargs)
    except Exception as err:  # the student's code may raise anything: report it
        return {"error": [type(err).__name__, str(err)[:500], _student_line(err)]}, None, \
            args, kwargs
    return {"value": objects.encode(value)}, value, args, kwargs


def _warnings(caught) -> list:
    return [[w.category.__name__, str(w.message)[:300], w.lineno] for w in caught[:5]]


def _serve_steps(objects: _Objects, steps: list, caught: list) -> dict:
    """Run requests in order; ``{"ref": 0, "step": k}`` in one stands for step k's value.

    One round trip for a whole chain of operations (a graph of 10,000 Values); the
    first step that raises ends the batch. Steps take no by-value arguments, so there
    is nothing to write back.
    """
    done, replies = [], []

    def resolve(data):
        return done[int(data["step"])] if "step" in data else objects.resolve(data)

    for step in steps:
        seen = len(caught)
        reply, value, _, _ = _call(objects, step, resolve)
        reply["warnings"] = _warnings(caught[seen:])
        replies.append(reply)
        if "error" in reply:
            break
        done.append(value)
    return {"steps": replies}


def _check_remotely(address: str, name: str, student) -> None:
    objects = _Objects()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(address)
        wire.send(sock, {"check": name, "student": objects.encode(student)})
        while True:
            request = wire.receive(sock)
            if "done" in request:
                break
            try:
                reply = _serve(objects, request)
            except BaseException as err:  # interrupted (timeout) or exiting: tell, then stop
                wire.send(sock, {"abort": type(err).__name__})
                raise
            wire.send(sock, reply)
    if not request["passed"]:
        raise AssertionError(request["done"])
    builtins.print(request["done"])


def _check_here(name: str, student, seed: int | None) -> None:
    from autograder.checks import run_suite
    from autograder.remote import loopback

    view, conn = loopback(student)
    result = run_suite(name, view, seed, conn)
    if not result.passed:
        raise AssertionError(result.message)
    print(result.message)


def check(name: str, student, seed: int | None = None) -> None:
    """Run the hidden checks of graded item ``name`` on ``student`` (a function, class...)."""
    address = os.environ.get("COURSE_PROBE")
    if address:
        _check_remotely(address, name, student)
    else:
        _check_here(name, student, seed)
