"""What crosses between the grading process and the student's kernel: plain data only.

Messages are JSON with a length prefix. Values travel by value when they are plain
data of an exact built-in type (None, bool, int, float, str, numpy arrays of numbers,
numpy scalars, tuples and lists of these); anything else - a student's object, a
subclass of float or ndarray, a dict (mutable, shared with the student's code) - stays
in the kernel and travels as a handle ``{"ref": n}``. So the grading side never
unpickles or runs anything the student made: an object whose ``__eq__`` always returns
True cannot reach a comparison as anything but a handle.

This module is imported on both sides and needs only the standard library and numpy.
"""

from __future__ import annotations

import base64
import json
import struct

import numpy as np

MAX_MESSAGE = 256 * 2**20
"""Largest message either side accepts (bytes)."""

_NUMERIC = "biufc"
_SCALARS = {np.dtype(t).type: np.dtype(t).name for t in
            ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
             "float16", "float32", "float64", "complex64", "complex128")}
_DTYPES = set(_SCALARS.values())


class WireError(Exception):
    """A message that breaks the rules (too large, malformed, a forbidden value)."""


def _array(a: np.ndarray) -> dict:
    a = a if a.flags.c_contiguous else a.copy(order="C")
    return {"nd": a.dtype.name, "shape": list(a.shape),
            "data": base64.b64encode(a.tobytes()).decode("ascii")}


def _from_array(v: dict) -> np.ndarray:
    if v.get("nd") not in _DTYPES:
        raise WireError(f"array of dtype {v.get('nd')!r} not accepted")
    dtype = np.dtype(v["nd"])
    shape = tuple(int(s) for s in v["shape"])
    raw = base64.b64decode(v["data"], validate=True)
    if len(raw) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise WireError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def encode(value, handle, depth: int = 0, dicts: bool = False):
    """``value`` as JSON-able data; ``handle(obj)`` gives the encoding of a by-reference object.

    ``dicts``: send plain dicts by value (the grading side does; the kernel sends handles).
    """
    t = type(value)
    if value is None or t in (bool, str):
        return value
    if t is int:
        return value if abs(value) < 2**63 else handle(value)
    if t is float:
        return value if value == value and abs(value) != float("inf") else {"float": repr(value)}
    if t in _SCALARS:
        return {"scalar": _SCALARS[t], "value": _array(np.asarray(value))}
    if t is np.ndarray and value.dtype.kind in _NUMERIC and value.dtype.name in _DTYPES:
        return _array(value)
    if t in (tuple, list) and depth < 20:
        return {t.__name__: [encode(v, handle, depth + 1, dicts) for v in value]}
    if t is dict and dicts and depth < 20:
        return {"dict": [[encode(k, handle, depth + 1, dicts), encode(v, handle, depth + 1, dicts)]
                         for k, v in value.items()]}
    if t is np.dtype and value.name in _DTYPES:
        return {"dtype": value.name}
    if isinstance(value, type) and value in _SCALARS:
        return {"dtype_type": _SCALARS[value]}
    return handle(value)


def decode(data, resolve):
    """The value ``data`` encodes; ``resolve(ref_dict)`` turns a handle into an object."""
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:  # never produced by encode: JSON lists only appear inside tags
        raise WireError("bare list in a message")
    if type(data) is not dict:
        raise WireError(f"unexpected {type(data).__name__} in a message")
    if "nd" in data:
        return _from_array(data)
    if "scalar" in data:
        return _from_array(data["value"])[()]
    if "float" in data:
        if data["float"] not in ("nan", "inf", "-inf"):
            raise WireError("bad float")
        return float(data["float"])
    if "tuple" in data:
        return tuple(decode(v, resolve) for v in data["tuple"])
    if "list" in data:
        return [decode(v, resolve) for v in data["list"]]
    if "dict" in data:  # only the grading side sends dicts by value
        return {decode(k, resolve): decode(v, resolve) for k, v in data["dict"]}
    if "dtype" in data and data["dtype"] in _DTYPES:
        return np.dtype(data["dtype"])
    if "dtype_type" in data and data["dtype_type"] in _DTYPES:
        return np.dtype(data["dtype_type"]).type
    if "ref" in data:
        return resolve(data)
    raise WireError(f"unknown value tag {sorted(data)[:3]}")


def send(sock, message: dict) -> None:
    body = json.dumps(message, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_MESSAGE:
        raise WireError(f"message of {len(body)} bytes is over the {MAX_MESSAGE} limit")
    sock.sendall(struct.pack("!Q", len(body)) + body)


def _exactly(sock, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 2**20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def receive(sock) -> dict:
    (size,) = struct.unpack("!Q", _exactly(sock, 8))
    if size > MAX_MESSAGE:
        raise WireError(f"message of {size} bytes is over the {MAX_MESSAGE} limit")
    message = json.loads(_exactly(sock, size).decode("utf-8"))
    if type(message) is not dict:
        raise WireError("a message must be a JSON object")
    return message
