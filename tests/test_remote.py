"""The trust boundary's pieces: the wire, the proxies, the probe server, the verdicts.

The suites themselves run through ``remote.loopback`` in tests/test_checks_a0N.py (so
every suite test also exercises these proxies); here each rule is checked on its own.
"""

import json
import socket
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from autograder import wire
from autograder.hidden import _check_remotely
from autograder.remote import (
    ProbeServer,
    Remote,
    RemoteDict,
    RemoteGone,
    Step,
    StudentError,
    class_names,
    is_class,
    loopback,
    type_name,
)
from autograder.results import Row
from autograder.verdicts import BYPASSED, final_rows

pytestmark = pytest.mark.project


def _roundtrip(value):
    view, _ = loopback(lambda: value)
    return view()


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, "text", np.float64(1.5), np.int32(7), np.arange(6.0).reshape(2, 3),
    np.zeros((0, 4), np.float32), (1.0, [2, "x"]), float("nan"), np.array(3.0)])
def test_plain_data_crosses_by_value_with_its_exact_type(value):
    got = _roundtrip(value)
    assert type(got) is type(value)
    if isinstance(value, np.ndarray):
        assert got.dtype == value.dtype and got.shape == value.shape
        np.testing.assert_array_equal(got, value)
    elif value == value:  # not nan
        assert got == value


class _AlwaysEqual:
    def __eq__(self, other):
        return True


class _Sneaky(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), bool)


class _LoudFloat(float):
    pass


@pytest.mark.parametrize("value", [_AlwaysEqual(), np.zeros(3).view(_Sneaky), _LoudFloat(2.0),
                                   np.array([object()], dtype=object), 2**80])
def test_anything_else_stays_in_the_kernel_as_a_handle(value):
    got = _roundtrip(value)
    assert isinstance(got, Remote)
    assert type_name(got) == type(value).__name__
    assert not (got == 1.0)  # comparisons here are identity, never the student's __eq__


def test_handles_behave_like_the_student_objects():
    class Value:
        def __init__(self, data):
            self.data = data

        def __mul__(self, other):
            return Value(self.data * (other.data if isinstance(other, Value) else other))

        __rmul__ = __mul__

    cls, _ = loopback(Value)
    assert is_class(cls) and class_names(cls)[0].endswith("Value")
    a, b = cls(2.0), cls(3.0)
    c = 4.0 * (a * b)
    assert isinstance(c, cls) and not isinstance(2.0, cls)
    assert c.data == 24.0 and type(c.data) is float


def test_dicts_stay_live_and_writes_reach_the_kernel():
    class Net:
        def __init__(self):
            self.params = {"W": np.ones(2)}

        def step(self):
            self.params["W"] = self.params["W"] * 2
            return self.params

    cls, _ = loopback(Net)
    net = cls()
    params = net.params
    assert isinstance(params, RemoteDict) and isinstance(params, dict)
    params["b"] = np.zeros(1)
    net.step()
    np.testing.assert_array_equal(params["W"], [2.0, 2.0])  # refreshed after the call
    assert sorted(params) == ["W", "b"]


def test_in_place_changes_to_arguments_come_back():
    def scale(x, config):
        x *= 2
        config["t"] = config.get("t", 0) + 1
        return None

    fn, _ = loopback(scale)
    x, config = np.ones(3), {}
    fn(x, config)
    np.testing.assert_array_equal(x, [2.0, 2.0, 2.0])
    assert config == {"t": 1}


def test_errors_and_warnings_keep_their_names():
    def bad(x):
        if x < 0:
            raise NotImplementedError("not yet")
        return np.exp(np.array([x]))

    fn, conn = loopback(bad)
    with pytest.raises(NotImplementedError) as err:
        fn(-1.0)
    assert isinstance(err.value, StudentError) and str(err.value) == "not yet"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(1e4)
    assert [w.category for w in caught] == [RuntimeWarning]
    assert conn.errors == ["NotImplementedError"]


class _Chain:
    """A tiny Value: multiply, exp (a warning past 709), and an error on request."""

    def __init__(self, data):
        self.data = data

    def __mul__(self, other):
        if other == 0:
            raise ZeroDivisionError("no zeros here")
        return _Chain(self.data * other)

    def exp(self):
        return _Chain(float(np.exp(np.float64(self.data))))


def test_a_batch_of_steps_gives_what_one_request_at_a_time_gives():
    cls, conn = loopback(_Chain)
    one = cls(1.5)
    for c in (2.0, -3.0, 0.5):
        one = one * c
    one = one.exp()
    steps = [(cls, 1.5), ("mul", Step(0), 2.0), ("mul", Step(1), -3.0), ("mul", Step(2), 0.5),
             ("getattr", Step(3), "exp"), (Step(4),)]
    trips, send = [], conn.transport
    conn.transport = lambda request: trips.append(1) or send(request)
    batch = conn.apply_all(steps)
    assert trips == [1]
    assert len(batch) == len(steps) and isinstance(batch[-1], cls)
    assert [n.data for n in (one, batch[-1])] == [np.exp(-4.5)] * 2
    assert conn.apply_all([("getattr", n, "data") for n in batch[:4]]) == [1.5, 3.0, -9.0, -4.5]
    assert conn.apply_all([("isinstance", batch[0], cls), ("isinstance", 2.0, cls)]) == [True,
                                                                                         False]


def test_a_batch_stops_at_the_first_error_and_keeps_warnings_per_step():
    cls, conn = loopback(_Chain)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ZeroDivisionError, match="no zeros here") as err:
            conn.apply_all([(cls, 800.0), ("getattr", Step(0), "exp"), (Step(1),),
                            ("mul", Step(2), 0), ("mul", Step(3), 2.0)])
    assert isinstance(err.value, StudentError) and conn.errors == ["ZeroDivisionError"]
    assert [w.category for w in caught] == [RuntimeWarning]  # exp(800) overflowed, once
    with pytest.raises(TypeError, match="numbers, strings, proxies"):
        conn.apply_all([("mul", Step(0), [1.0, 2.0])])  # a list could change in the kernel


def test_a_batch_reply_of_the_wrong_shape_is_lost_contact():
    cls, conn = loopback(_Chain)
    conn.transport = lambda request: {"steps": []}
    with pytest.raises(RemoteGone):
        conn.apply_all([(cls, 1.0)])
    conn.transport = lambda request: {"steps": [{"value": 1.0}] * 3}
    with pytest.raises(RemoteGone):
        conn.apply_all([(cls, 1.0), (cls, 2.0)])


def test_the_decoder_refuses_what_plain_data_cannot_be():
    for bad in ({"nd": "object", "shape": [1], "data": ""}, {"nd": "float64", "shape": [3],
                                                            "data": "AAAA"}, {"pickle": "x"},
                [1, 2], {"float": "1e999999"}):
        with pytest.raises(wire.WireError):
            wire.decode(bad, lambda d: None)


def _probe_in_thread(path, name, student):
    box = {}

    def go():
        try:
            _check_remotely(str(path), name, student)
            box["ok"] = True
        except AssertionError as err:
            box["error"] = str(err)

    t = threading.Thread(target=go)
    t.start()
    t.join(60)
    return box


def test_the_server_runs_the_suite_and_keeps_the_verdict(tmp_path):
    from course.losses import l2_regularization

    server = ProbeServer(tmp_path, timeout=30)
    try:
        server.expect("test_l2", ["l2_regularization"])
        assert _probe_in_thread(server.path, "l2_regularization", l2_regularization) == {
            "ok": True}
        server.expect("test_l2", ["l2_regularization"])
        wrong = _probe_in_thread(server.path, "l2_regularization", lambda w, reg: (0.0, w * 0))
        assert "hidden checks failed" in wrong["error"]
        server.expect(None, ())  # outside a test cell: no verdict is kept
        outside = _probe_in_thread(server.path, "l2_regularization", l2_regularization)
        assert "only in their own test cell" in outside["error"]
    finally:
        server.close()
    assert [r.passed for r in server.results["test_l2"]] == [True, False]


def test_a_probe_that_breaks_the_protocol_gets_no_verdict(tmp_path):
    server = ProbeServer(tmp_path, timeout=5)
    try:
        server.expect("test_x", ["l2_regularization"])
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(server.path))
            sock.sendall(b"\x00\x00\x00\x00\x00\x00\x00\x05nope!")
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(server.path))
            wire.send(sock, {"check": "l2_regularization", "student": {"ref": 1, "kind": "x"}})
            request = wire.receive(sock)
            wire.send(sock, {"value": {"pickle": "evil"}, "after": {"list": []}})
            done = wire.receive(sock)
        assert "fn" in request and done["passed"] is False
    finally:
        server.close()
    assert [r.passed for r in server.results["test_x"]] == [False]


def _notebook_with_test_cell(tmp_path: Path, source: str) -> Path:
    import nbformat

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_a",
                                 "points": 5, "locked": True}
    nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def test_final_score_is_the_lower_of_nbgrader_and_the_verdict(tmp_path):
    from autograder.remote import SuiteResult

    path = _notebook_with_test_cell(tmp_path, 'check("relu_forward", relu_forward)')
    shown_pass = [Row("s", "a", "nb", "test_a", 5.0, 5.0, "passed", "")]
    ok = {"test_a": (["relu_forward"], [SuiteResult("relu_forward", True, "fine")], False)}
    bad = {"test_a": (["relu_forward"], [SuiteResult("relu_forward", False, "wrong dx")],
                      False)}
    late = {"test_a": (["relu_forward"], [SuiteResult("relu_forward", False, "stopped")], True)}
    assert final_rows(shown_pass, path, ok)[0].score == 5.0
    faked = final_rows(shown_pass, path, bad)[0]
    assert (faked.score, faked.status) == (0.0, "flagged") and "wrong dx" in faked.message
    bypassed = final_rows(shown_pass, path, {})[0]
    assert (bypassed.score, bypassed.status, bypassed.message) == (0.0, "flagged", BYPASSED)
    honest_fail = [Row("s", "a", "nb", "test_a", 0.0, 5.0, "failed", "kernel says")]
    assert final_rows(honest_fail, path, bad)[0].message == "wrong dx"
    assert final_rows(honest_fail, path, late)[0].status == "timeout"


def _returns_none(*args, **kwargs):
    return None


class _Hollow:
    """A class whose every method and attribute gives None."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return _returns_none


@pytest.mark.parametrize("student", [_returns_none, _Hollow, None], ids=["function", "class",
                                                                         "None"])
def test_no_suite_passes_code_that_gives_none(student):
    from autograder.checks import load_all, run_suite

    for name in sorted(load_all()):
        view, conn = loopback(student)
        result = run_suite(name, view, seed=0, conn=conn)
        assert not result.passed, f"{name} passed {student!r}: {result.message}"
