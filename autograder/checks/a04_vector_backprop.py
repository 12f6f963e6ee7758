"""Hidden checks of assignment 04_vector_backprop: Jacobians, the affine layer, the sandwich.

The student contract (the notebook's docstrings):

    relu_jacobian(x) -> J                  x (D,); J (D, D), 1 on the diagonal where x > 0
    matmul_jacobians(x, w) -> (J_x, J_w)   y = x @ w, x (N, D), w (D, M); rows follow
                                           y.ravel(), columns x.ravel() (J_x, N*M by N*D)
                                           or w.ravel() (J_w, N*M by D*M)
    affine_forward(x, w, b) -> (out, cache)        x (N, d_1, ..., d_k), cache = (x, w, b)
    affine_backward(dout, cache) -> (dx, dw, db)
    affine_relu_forward(x, w, b) -> (out, cache)   cache = ((x, w, b), a), a = the affine output
    affine_relu_backward(dout, cache) -> (dx, dw, db)

The layer suites draw fresh shapes: 2-d x with D != M, x with several trailing
dims, N = 1, a square w (where a transposed gradient has the right shape),
large and zero inputs, and float32 (which must stay float32). They compare
with ``course.layers`` (itself tested against centered differences), allowing
the rounding of a sum (relative to the sum of the absolute terms). The
backward suites hand the student's backward the cache of the contract, so
forward and backward earn their points independently; ``affine_backward_dx``,
``_dw`` and ``_db`` each judge one gradient. The Jacobians must be exact: their
entries are copies of the inputs' numbers, so numerical differences fail.

Where an answer is wrong, the usual mistakes are replayed on the same input;
if one reproduces the student's result (or its shape), the message names it.
"""

from __future__ import annotations

import numbers

import numpy as np

from autograder.checks import suite
from autograder.remote import type_name
from course import layers as ref

TOL = 1e-7       # relative, float64
TOL32 = 1e-4     # relative, float32
ROUND64 = 1e-12  # rounding of a sum, relative to the sum of its absolute terms (float64)
ROUND32 = 1e-5   # the same in float32
JAC_TOL = 1e-12  # Jacobian entries are copies of input numbers: exact

SHAPES_HINT = ("check the shapes: dout (N, M), w (D, M), x (N, d_1, ..., d_k) flattened "
               "to (N, D)")
DTYPE_HINT = ("float32 inputs must give float32 results: avoid float64 constants or "
              "arrays (np.zeros(shape), np.ones(...)) in the computation")


# ---------------------------------------------------------------- calling student code

class _Stub(Exception):
    """Carries a stub's NotImplementedError out of judge bookkeeping."""




def _unpack(judge, what, got, n, names):
    """``got`` as a tuple of ``n`` items, or None after a failed verdict."""
    if got is None:
        return None
    if not isinstance(got, (tuple, list)) or len(got) != n:
        kind = (f"a {type_name(got)} of length {len(got)}"
                if isinstance(got, (tuple, list)) else type_name(got))
        judge.record(what, False, f"{what} should return {names}, got {kind}")
        return None
    return tuple(got)


# ---------------------------------------------------------------- comparing results

def _as_float_array(got):
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return arr if np.all(np.isfinite(arr)) else None


def _same(got, candidate) -> bool:
    """``got`` equals ``candidate`` closely enough to name a mistake (float32 included)."""
    got = _as_float_array(got)
    candidate = np.asarray(candidate, dtype=np.float64)
    if got is None or got.shape != candidate.shape:
        return False
    if not got.size:
        return True
    scale = 1e-6 * max(1.0, float(np.abs(candidate).max()))
    return bool(np.all(np.abs(got - candidate) <= 1e-4 * np.abs(candidate) + scale))


def _mistake(got, expected, mistakes):
    """The hint of the first mistake that reproduces ``got`` (its shape, else its values)."""
    shape = np.shape(got)
    if shape != np.shape(expected):
        for candidate, hint in mistakes:
            if np.shape(candidate) == shape:
                return hint
        return ""
    for candidate, hint in mistakes:
        if np.shape(candidate) == shape and not _same(expected, candidate) and \
                _same(got, candidate):
            return hint
    return ""


def _compare(judge, what, got, expected, bound=None, float32=False, mistakes=(), default="",
             tol=None):
    """``got`` is a float array of ``expected``'s shape, equal up to rounding.

    bound: the sum of the absolute terms behind each entry (a matrix product's
    rounding grows with it); None for values that need no arithmetic.
    """
    expected = np.asarray(expected, dtype=np.float64)

    def fail(message, hint=""):
        hint = hint or default
        return judge.record(what, False, message + (f"; {hint}" if hint else ""))

    if got is None:
        return judge.record(what, False, f"{what}: got None (is a return missing?)")
    if not (type(got) is np.ndarray or isinstance(got, (float, np.floating))):
        return judge.record(what, False, f"{what}: expected a numpy array, "
                            f"got {type_name(got)}")
    got = np.asarray(got)
    if got.dtype.kind == "b":
        return judge.record(what, False, f"{what}: a boolean array; the entries must be "
                            "numbers (convert a mask with .astype(float))")
    if got.dtype.kind not in "fiu":
        return judge.record(what, False, f"{what}: dtype {got.dtype}, expected floats")
    if got.shape != expected.shape:
        return fail(f"{what}: shape {got.shape}, expected {expected.shape}",
                    _mistake(got, expected, mistakes))
    got64 = got.astype(np.float64)
    if not np.all(np.isfinite(got64)):
        return fail(f"{what}: contains inf or nan")
    rel, rounding = (TOL32, ROUND32) if float32 else (TOL, ROUND64)
    if tol is not None:
        rel = tol
    diff = np.abs(got64 - expected)
    allowed = rel * (np.abs(got64) + np.abs(expected))
    if bound is not None:
        allowed = np.maximum(allowed, rounding * np.asarray(bound, dtype=np.float64))
    if np.all(diff <= allowed):
        return judge.record(what, True)
    worst = float(np.max(diff / np.maximum(1e-300, np.abs(got64) + np.abs(expected))))
    wrong = int(np.sum(diff > allowed))
    return fail(f"{what}: wrong values ({wrong} of {got.size} entries off, largest relative "
                f"error {worst:.1e}, allowed {rel:g})", _mistake(got, expected, mistakes))


def _dtype(judge, what, got, dtype):
    got_dtype = getattr(got, "dtype", None)
    return judge.record(what, got_dtype == np.dtype(dtype),
                        f"{what}: {np.dtype(dtype)} inputs gave dtype {got_dtype}; {DTYPE_HINT}")


# ---------------------------------------------------------------- Jacobians

def _relu_jacobian_cases(rng):
    D = int(rng.integers(1, 9))
    hard = np.array([0.0, -0.0, 1e3, -1e3, 1e-3, -1e-3, 2.5, -2.5, 0.0])
    rng.shuffle(hard)
    return [("a random x", rng.standard_normal(D)),
            ("x with exact zeros and +-1e3", hard),
            ("a one-entry x", rng.standard_normal(1))]


@suite("relu_jacobian")
def _(student, rng, judge):
    for desc, x in _relu_jacobian_cases(rng):
        x_before = x.copy()
        J = judge.attempt(f"relu_jacobian(x) on {desc}", student, x)
        if J is None:
            continue
        mask = (x > 0).astype(np.float64)
        D = x.size
        mistakes = [
            (mask, "J must be the full (D, D) matrix, with the local gradients on its "
                   "diagonal (np.diag)"),
            (np.diag((x >= 0).astype(float)), "at exactly x = 0 the local gradient is 0 "
                                             "(x > 0, not x >= 0)"),
            (np.diag(np.maximum(x, 0)), "the diagonal holds the outputs max(0, x_i); it must "
                                        "hold the derivatives: 1 where x_i > 0, else 0"),
            (np.diag((x < 0).astype(float)), "the mask is the wrong way round: 1 where x > 0"),
            (np.tile(mask, (D, 1)), "off the diagonal J is 0: out_i depends only on x_i"),
            (np.tile(mask[:, None], (1, D)), "off the diagonal J is 0: out_i depends only "
                                             "on x_i"),
        ]
        _compare(judge, f"J ({desc})", J, np.diag(mask), mistakes=mistakes,
                 default="J[i, i] = 1 where x_i > 0, 0 elsewhere (also at x_i = 0), and 0 "
                         "off the diagonal", tol=JAC_TOL)
        judge.unmodified(f"x ({desc})", x_before, x)


def _f_order(n_rows, n_cols):
    """Index permutation from column-major (Fortran) to row-major order of an (r, c) grid."""
    return np.arange(n_rows * n_cols).reshape(n_rows, n_cols).T.ravel()


def _matmul_cases(rng):
    def sizes(lo=1, hi=4):
        return int(rng.integers(lo, hi + 1))

    D = sizes(2, 4)
    square = sizes(2, 3)
    return [(sizes(2, 3), D, D + sizes(1, 2)),  # a batch, D != M
            (1, sizes(2, 4), sizes(2, 4)),       # one example
            (2, square, square)]                 # square w: a transposed block fits


def _numerical_hint(got, expected):
    got = _as_float_array(got)
    if got is None or got.shape != expected.shape:
        return ""
    if np.all(np.abs(got - expected) <= 1e-5 * (1 + np.abs(expected))):
        return ("these look like numerical differences: build J from the formula; its "
                "entries are exactly the numbers of w (or x) and zeros")
    return ""


def _matmul_suite(which):
    def run(student, rng, judge):
        for N, D, M in _matmul_cases(rng):
            x, w = rng.standard_normal((N, D)), rng.standard_normal((D, M))
            x_before, w_before = x.copy(), w.copy()
            desc = f"x {x.shape}, w {w.shape}"
            call = f"matmul_jacobians(x, w) for {desc}"
            got = _unpack(judge, call, judge.attempt(call, student, x, w), 2, "(J_x, J_w)")
            if got is not None:
                if which == "x":
                    _judge_jx(judge, desc, got[0], x, w)
                else:
                    _judge_jw(judge, desc, got[1], x, w)
            judge.unmodified(f"x ({desc})", x_before, x)
            judge.unmodified(f"w ({desc})", w_before, w)
    return run


def _judge_jx(judge, desc, J, x, w):
    (N, D), M = x.shape, w.shape[1]
    expected = np.kron(np.eye(N), w.T)  # block n: d y[n, :] / d x[n, :] = w.T
    rows, cols = _f_order(N, M), _f_order(N, D)
    order = ("order the rows like y.ravel() and the columns like x.ravel() (row-major): "
             "J_x[n*M + m, n*D + d] = dy[n, m] / dx[n, d]")
    mistakes = [
        (expected.T, "J_x is transposed: rows index the outputs y (N*M of them), columns the "
                     "inputs x (N*D): J_x[n*M + m, n*D + d] = w[d, m]"),
        (np.kron(np.ones((N, N)), w.T), "y[n] depends only on row n of x: the blocks off the "
                                        "diagonal are 0"),
        (w.T, "one block per example: J_x has shape (N*M, N*D), with w.T on each diagonal "
              "block"),
        (w, "J_x has one row per output y[n, m] and one column per input x[n, d]: shape "
            "(N*M, N*D)"),
        (expected.reshape(N, M, N, D), "J must be 2-d: flatten the outputs and the inputs "
                                       "(shape (N*M, N*D))"),
        (expected[rows], order), (expected[:, cols], order), (expected[rows][:, cols], order),
    ]
    hint = _numerical_hint(J, expected)
    _compare(judge, f"J_x ({desc})", J, expected, mistakes=mistakes, tol=JAC_TOL,
             default=hint or "J_x[n*M + m, n*D + d] = w[d, m], and 0 where the example "
                             "indexes differ")


def _judge_jw(judge, desc, J, x, w):
    (N, D), M = x.shape, w.shape[1]
    expected = np.kron(x, np.eye(M))  # d y[n, m] / d w[d, k] = x[n, d] if k == m
    rows, cols = _f_order(N, M), _f_order(D, M)
    order = ("order the rows like y.ravel() and the columns like w.ravel() (row-major): "
             "J_w[n*M + m, d*M + k] = dy[n, m] / dw[d, k]")
    mistakes = [
        (expected.T, "J_w is transposed: rows index the outputs y (N*M of them), columns "
                     "the weights w (D*M)"),
        (np.kron(x.sum(axis=0, keepdims=True), np.eye(M)),
         "one row per output y[n, m]: J_w has N*M rows, one block of rows per example"),
        (expected.reshape(N * M, D, M), "J must be 2-d: flatten w's indexes like "
                                        "w.ravel(), shape (N*M, D*M)"),
        (expected.reshape(N, M, D, M), "J must be 2-d: shape (N*M, D*M)"),
        (expected[rows], order), (expected[:, cols], order), (expected[rows][:, cols], order),
        (np.kron(x, np.ones((M, M))), "y[n, m] depends only on column m of w: "
                                      "J_w[n*M + m, d*M + k] = x[n, d] if k == m, else 0"),
    ]
    hint = _numerical_hint(J, expected)
    _compare(judge, f"J_w ({desc})", J, expected, mistakes=mistakes, tol=JAC_TOL,
             default=hint or "J_w[n*M + m, d*M + k] = x[n, d] where k == m, 0 elsewhere")


suite("matmul_jacobians_x")(_matmul_suite("x"))
suite("matmul_jacobians_w")(_matmul_suite("w"))


# ---------------------------------------------------------------- the affine layer

def _affine_cases(rng):
    """(description, x, w, b, dout): D != M, trailing dims, N = 1, square w, float32."""
    def n(lo, hi):
        return int(rng.integers(lo, hi + 1))

    def make(desc, x_shape, M, dtype=np.float64, scale=1.0):
        N, D = x_shape[0], int(np.prod(x_shape[1:]))
        x = rng.standard_normal(x_shape) * scale
        w, b = rng.standard_normal((D, M)), rng.standard_normal(M)
        dout = rng.standard_normal((N, M))
        return (desc, *(a.astype(dtype) for a in (x, w, b, dout)))

    D = n(2, 5)
    cases = [make("2-d x", (n(3, 6), D), D + n(1, 3)),
             make("x of shape (N, d1, d2, d3)", (n(2, 4), n(2, 3), n(2, 3), n(1, 3)), n(2, 5)),
             make("one example (N = 1), 3-d x", (1, n(2, 3), n(2, 4)), n(2, 5))]
    D = n(2, 5)
    square = make("square w, |x| ~ 1e3, a zero row", (n(3, 5), D), D, scale=1e3)
    square[1][0] = 0.0   # x's first row is 0 ...
    square[3][:2] = 0.0  # ... so a[0, :2] = b[:2] = 0 exactly (the ReLU's kink)
    cases.append(square)
    cases.append(make("float32, 3-d x", (n(3, 5), n(2, 3), n(2, 4)), n(2, 5), np.float32))
    return cases


def _f64(*arrays):
    return tuple(np.asarray(a, dtype=np.float64) for a in arrays)


def _flat(x):
    return x.reshape(x.shape[0], -1)


def _forward_mistakes(x, w, b):
    x, w, b = _f64(x, w, b)
    xf = _flat(x)
    found = [(xf @ w, "the bias b is missing: out = x_flat @ w + b"),
             (xf @ w - b, "the bias is added, not subtracted: out = x_flat @ w + b")]
    if w.shape[0] == w.shape[1]:
        found.append((xf @ w.T + b, "w has shape (D, M): out = x_flat @ w + b, no transpose"))
    return found


def _check_affine_cache(judge, what, cache, x, w, b):
    if not (isinstance(cache, tuple) and len(cache) == 3):
        return judge.record(what, False, f"{what}: should be the tuple (x, w, b), "
                            f"got {type_name(cache)}")
    cx = cache[0]
    if isinstance(cx, np.ndarray) and cx.shape != x.shape and cx.size == x.size:
        return judge.record(what, False, f"{what}: holds x reshaped to {cx.shape}; keep x in "
                            "its original shape (backward reshapes dx to it)")
    ok = all(isinstance(c, np.ndarray) and c.shape == a.shape and np.array_equal(c, a)
             for c, a in zip(cache, (x, w, b)))
    return judge.record(what, ok, f"{what}: should be (x, w, b), the inputs as they came in")


def _forward_call(judge, name, student, x, w, b, desc):
    hint = ("x of shape (N, d_1, ..., d_k) must be flattened to (N, D) first: "
            "x.reshape(N, -1)") if x.ndim > 2 else SHAPES_HINT
    call = f"{name}(x, w, b) for {desc}"
    return _unpack(judge, call, judge.attempt(call, student, x, w, b, hint=hint), 2,
                   "a pair (out, cache)")


@suite("affine_forward")
def _(student, rng, judge):
    for desc, x, w, b, _dout in _affine_cases(rng):
        before = [a.copy() for a in (x, w, b)]
        got = _forward_call(judge, "affine_forward", student, x, w, b, desc)
        float32 = x.dtype == np.float32
        if got is not None:
            out, cache = got
            x64, w64, b64 = _f64(x, w, b)
            expected, _ = ref.affine_forward(x64, w64, b64)
            bound = np.abs(_flat(x64)) @ np.abs(w64) + np.abs(b64)
            _compare(judge, f"out ({desc})", out, expected, bound, float32,
                     _forward_mistakes(x, w, b), "out = x.reshape(N, -1) @ w + b, shape (N, M)")
            if float32:
                _dtype(judge, f"out ({desc})", out, np.float32)
            _check_affine_cache(judge, f"cache ({desc})", cache, x, w, b)
        for name, a, a_before in zip("xwb", (x, w, b), before):
            judge.unmodified(f"{name} ({desc})", a_before, a)


def _grads_bounds(x, w, dout):
    """The sums of absolute terms behind dx, dw and db."""
    x, w, dout = _f64(x, w, dout)
    return ((np.abs(dout) @ np.abs(w).T).reshape(x.shape), np.abs(_flat(x)).T @ np.abs(dout),
            np.abs(dout).sum(axis=0))


def _backward_mistakes(x, w, dout):
    """{gradient: [(result of a usual mistake, what the mistake is)]} for affine_backward."""
    x, w, dout = _f64(x, w, dout)
    xf, N = _flat(x), x.shape[0]
    dx = [((dout @ w.T), "reshape dx to x's original shape: dx.reshape(x.shape)")]
    if w.shape[0] == w.shape[1]:
        dx.append(((dout @ w).reshape(x.shape), "w is not transposed: dx = dout @ w.T, "
                   "(N, M) @ (M, D)"))
    dw = [(dout.T @ xf, "dw is transposed (shape (M, D)): dw = x_flat.T @ dout, "
                        "(D, N) @ (N, M), the shape of w"),
          (xf.T @ dout / N, "dw was divided by N: the layer sums over the batch (any "
                            "averaging belongs to the loss)")]
    if x.ndim > 2:
        dw.append((np.tensordot(x.T, dout, axes=1), "flatten x to (N, D) before "
                   "multiplying: dw = x.reshape(N, -1).T @ dout"))
    db = [(dout, "db was not summed over the batch: b is added to every example's output, "
                 "so its gradient is dout.sum(axis=0), shape (M,)"),
          (dout.sum(axis=0, keepdims=True), "db must have b's shape (M,): sum without "
                                            "keepdims"),
          (dout.sum(axis=1), "db was summed over the wrong axis: axis 0 is the batch"),
          (dout.mean(axis=0), "db was averaged over the batch: b is added to every example, "
                              "so the gradients add up: dout.sum(axis=0), not the mean"),
          (np.asarray(dout.sum()), "db is a single number: sum over the batch axis only "
                                   "(axis=0), shape (M,)")]
    return {"dx": dx, "dw": dw, "db": db}


GRAD_HINTS = {"dx": "dx = (dout @ w.T).reshape(x.shape)",
              "dw": "dw = x.reshape(N, -1).T @ dout, shape (D, M)",
              "db": "db = dout.sum(axis=0), shape (M,)"}


def _backward_suite(part):
    index = "dx dw db".split().index(part)

    def run(student, rng, judge):
        for desc, x, w, b, dout in _affine_cases(rng):
            before = [a.copy() for a in (x, w, b, dout)]
            call = f"affine_backward(dout, cache) for {desc}"
            got = _unpack(judge, call, judge.attempt(call, student, dout, (x, w, b),
                                             hint=SHAPES_HINT), 3, "the tuple (dx, dw, db)")
            float32 = x.dtype == np.float32
            if got is not None:
                expected = ref.affine_backward(*_f64(dout), _f64(x, w, b))[index]
                bound = _grads_bounds(x, w, dout)[index]
                _compare(judge, f"{part} ({desc})", got[index], expected, bound, float32,
                         _backward_mistakes(x, w, dout)[part], GRAD_HINTS[part])
                if float32:
                    _dtype(judge, f"{part} ({desc})", got[index], np.float32)
            for name, a, a_before in zip(("x", "w", "b", "dout"), (x, w, b, dout), before):
                judge.unmodified(f"{name} ({desc})", a_before, a)
    return run


for _part in ("dx", "dw", "db"):
    suite(f"affine_backward_{_part}")(_backward_suite(_part))


# ---------------------------------------------------------------- the sandwich

AFFINE_FIRST = "if affine_forward/affine_backward fail their checks, fix them first"


@suite("affine_relu_forward")
def _(student, rng, judge):
    for desc, x, w, b, _dout in _affine_cases(rng):
        before = [a.copy() for a in (x, w, b)]
        got = _forward_call(judge, "affine_relu_forward", student, x, w, b, desc)
        float32 = x.dtype == np.float32
        if got is not None:
            out, cache = got
            x64, w64, b64 = _f64(x, w, b)
            a, _ = ref.affine_forward(x64, w64, b64)
            bound = np.abs(_flat(x64)) @ np.abs(w64) + np.abs(b64)
            mistakes = [(a, "the ReLU is missing: out = max(0, affine output)"),
                        (np.minimum(a, 0), "ReLU keeps the positive part: max(0, a)")]
            _compare(judge, f"out ({desc})", out, np.maximum(a, 0), bound, float32, mistakes,
                     f"out = relu(affine(x, w, b)); {AFFINE_FIRST}")
            if float32:
                _dtype(judge, f"out ({desc})", out, np.float32)
            if not (isinstance(cache, tuple) and len(cache) == 2):
                judge.record(f"cache ({desc})", False, f"cache ({desc}): should be the pair "
                             "(affine cache, relu cache)")
            else:
                _check_affine_cache(judge, f"cache[0], the affine cache ({desc})", cache[0],
                                    x, w, b)
                _compare(judge, f"cache[1], the ReLU's cache ({desc})", cache[1], a, bound,
                         float32, default="the ReLU's cache is its input a, the affine "
                                          "output, as relu_forward returns it")
        for name, arr, arr_before in zip("xwb", (x, w, b), before):
            judge.unmodified(f"{name} ({desc})", arr_before, arr)


@suite("affine_relu_backward")
def _(student, rng, judge):
    for desc, x, w, b, dout in _affine_cases(rng):
        a = (_flat(x) @ w + b).astype(x.dtype)  # the affine output, in the inputs' dtype
        before = [arr.copy() for arr in (x, w, b, a, dout)]
        call = f"affine_relu_backward(dout, cache) for {desc}"
        hint = ("backward runs in the reverse order of forward: da = relu_backward(dout, "
                "relu_cache) first, then affine_backward(da, fc_cache)")
        got = _unpack(judge, call, judge.attempt(call, student, dout, ((x, w, b), a), hint=hint),
                      3, "the tuple (dx, dw, db)")
        float32 = x.dtype == np.float32
        if got is not None:
            x64, w64, b64, a64, dout64 = _f64(x, w, b, a, dout)
            expected = ref.affine_relu_backward(dout64, ((x64, w64, b64), a64))
            bounds = _grads_bounds(x, w, dout)
            no_relu = ref.affine_backward(dout64, (x64, w64, b64))
            at_zero = ref.affine_backward(dout64 * (a64 >= 0), (x64, w64, b64))
            for i, part in enumerate(("dx", "dw", "db")):
                mistakes = [(no_relu[i], "the ReLU's gradient is missing: pass dout through "
                             "relu_backward first, then its result through affine_backward"),
                            (at_zero[i], "the ReLU's gradient at exactly a = 0 must be 0 "
                             "(a > 0, not a >= 0)")]
                mistakes += _backward_mistakes(x, w, dout * (a64 > 0))[part]
                _compare(judge, f"{part} ({desc})", got[i], expected[i], bounds[i], float32,
                         mistakes, AFFINE_FIRST)
                if float32:
                    _dtype(judge, f"{part} ({desc})", got[i], np.float32)
        for name, arr, arr_before in zip(("x", "w", "b", "a", "dout"), (x, w, b, a, dout),
                                         before):
            judge.unmodified(f"{name} ({desc})", arr_before, arr)


# ---------------------------------------------------------------- concept checks

def _integer(answer):
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    return float(answer)


@suite("q1_relu_jacobian_nonzeros")
def _(student, rng, judge):
    judge.record("answer_q1", _integer(student) == 4096.0,
                 "answer_q1 is not right: which entries J[i, j] = d out_i / d x_j can be "
                 "nonzero when out_i depends on x_i alone, and how many of those are there?")


@suite("q2_weight_grad_shape")
def _(student, rng, judge):
    ok = (isinstance(student, (tuple, list)) and len(student) == 2
          and all(_integer(s) is not None for s in student)
          and tuple(int(s) for s in student) == (3072, 10))
    judge.record("answer_q2", ok,
                 "answer_q2 is not right: the gradient of the loss (a scalar) with respect "
                 "to w has the shape of w; what is D for a 3 x 32 x 32 image?")


@suite("q3_bias_grad")
def _(student, rng, judge):
    value = _integer(student)
    judge.record("answer_q3", value is not None and abs(value - 5.0) < 1e-9,
                 "answer_q3 is not right: b_m is added to the output of every one of the 50 "
                 "examples; how do the upstream gradients of those uses combine?")
