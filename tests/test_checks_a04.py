"""The hidden checks of assignment 04_vector_backprop: the reference passes, mistakes are named.

Every suite is run on the reference (``course.layers``, and Jacobians built
independently here) and on student-style solutions with several seeds; then
realistic wrong implementations must fail with a message naming the mistake.
"""

import numpy as np
import pytest

from autograder.hidden import check
from course import layers
from course.gradcheck import numerical_jacobian, rel_error
from tests.checking import check_fails as _fails

pytestmark = pytest.mark.vector_backprop

SEEDS = range(5)
BACKWARD = ("affine_backward_dx", "affine_backward_dw", "affine_backward_db")



def _passes(name, fn, seeds=SEEDS):
    for seed in seeds:
        check(name, fn, seed=seed)


# ---------------------------------------------------------------------------
# Correct implementations
# ---------------------------------------------------------------------------

def relu_jacobian(x):
    """Column by column, as the lecture builds a Jacobian: J e_j = d out / d x_j."""
    D = x.shape[0]
    J = np.zeros((D, D))
    for j in range(D):
        J[j, j] = 1.0 if x[j] > 0 else 0.0
    return J


def matmul_jacobians(x, w):
    """Entry by entry, from y[n, m] = sum_d x[n, d] w[d, m]."""
    (N, D), M = x.shape, w.shape[1]
    J_x, J_w = np.zeros((N * M, N * D)), np.zeros((N * M, D * M))
    for n in range(N):
        for m in range(M):
            for d in range(D):
                J_x[n * M + m, n * D + d] = w[d, m]
                J_w[n * M + m, d * M + m] = x[n, d]
    return J_x, J_w


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    return dx, dw, dout.sum(axis=0)


def affine_backward_einsum(dout, cache):
    x, w, _ = cache
    xf = x.reshape(len(x), -1)
    return (np.einsum("nm,dm->nd", dout, w).reshape(x.shape), np.einsum("nd,nm->dm", xf, dout),
            np.einsum("nm->m", dout))


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = layers.relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(layers.relu_backward(dout, relu_cache), fc_cache)


def test_the_loop_jacobians_match_numerical_ones():
    # the reference Jacobians of this file, against course.gradcheck's numerical ones
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    J_x, J_w = matmul_jacobians(x, w)
    assert rel_error(J_x, numerical_jacobian(lambda x_: x_ @ w, x.copy())) < 1e-7
    assert rel_error(J_w, numerical_jacobian(lambda w_: x @ w_, w.copy())) < 1e-7
    v = rng.standard_normal(6) + 0.5
    v[np.abs(v) < 0.1] = 1.0  # away from the kink
    assert rel_error(relu_jacobian(v), numerical_jacobian(lambda z: np.maximum(z, 0), v)) < 1e-9
    # the lecture's example: upstream (4, -1, 5, 9) at x = (1, -2, 3, -1) gives (4, 0, 5, 0)
    lecture = relu_jacobian(np.array([1.0, -2.0, 3.0, -1.0])).T @ np.array([4, -1, 5, 9.0])
    assert lecture.tolist() == [4.0, 0.0, 5.0, 0.0]


@pytest.mark.parametrize("impl", ["loops", "vectorized"])
def test_correct_jacobians_pass(impl):
    if impl == "loops":
        rj, mj = relu_jacobian, matmul_jacobians
    else:
        def rj(x):
            return np.diag((x > 0).astype(x.dtype))

        def mj(x, w):
            return (np.kron(np.eye(x.shape[0]), w.T),
                    np.einsum("nd,mk->nmdk", x, np.eye(w.shape[1])).reshape(
                        x.shape[0] * w.shape[1], -1))
    _passes("relu_jacobian", rj)
    _passes("matmul_jacobians_x", mj)
    _passes("matmul_jacobians_w", mj)


@pytest.mark.parametrize("impl", ["reference", "student", "einsum"])
def test_correct_layers_pass(impl):
    fwd, bwd = {"reference": (layers.affine_forward, layers.affine_backward),
                "student": (affine_forward, affine_backward),
                "einsum": (affine_forward, affine_backward_einsum)}[impl]
    _passes("affine_forward", fwd)
    for name in BACKWARD:
        _passes(name, bwd)


@pytest.mark.parametrize("impl", ["reference", "student"])
def test_correct_sandwich_passes(impl):
    fwd, bwd = ((layers.affine_relu_forward, layers.affine_relu_backward) if impl == "reference"
                else (affine_relu_forward, affine_relu_backward))
    _passes("affine_relu_forward", fwd)
    _passes("affine_relu_backward", bwd)


def test_the_suites_are_random_but_reproducible():
    # a seed fixes the inputs: the same wrong answer gets the same message
    wrong = lambda dout, cache: (0 * cache[0], 0 * cache[1], dout.sum(axis=0))  # noqa: E731
    assert _fails("affine_backward_dx", wrong, seed=3) == _fails("affine_backward_dx", wrong,
                                                                  seed=3)
    assert _fails("affine_backward_dx", wrong, seed=3) != _fails("affine_backward_dx", wrong,
                                                                  seed=4)


# ---------------------------------------------------------------------------
# Wrong implementations: each fails, naming its mistake
# ---------------------------------------------------------------------------

def not_implemented(*args):
    raise NotImplementedError("your code here")


@pytest.mark.parametrize("name", ["relu_jacobian", "matmul_jacobians_x", "matmul_jacobians_w",
                                  "affine_forward", *BACKWARD, "affine_relu_forward",
                                  "affine_relu_backward"])
def test_a_stub_fails(name):
    _fails(name, not_implemented, "not implemented yet")


def test_relu_jacobian_mistakes():
    _fails("relu_jacobian", lambda x: np.diag((x >= 0).astype(float)), "exactly x = 0")
    _fails("relu_jacobian", lambda x: np.diag(np.maximum(x, 0)), "holds the outputs")
    _fails("relu_jacobian", lambda x: (x > 0).astype(float), "full (D, D) matrix")
    _fails("relu_jacobian", lambda x: np.diag(x > 0), "boolean")
    _fails("relu_jacobian", lambda x: np.tile((x > 0).astype(float), (len(x), 1)),
           "off the diagonal J is 0")


def test_relu_jacobian_in_place():
    def in_place(x):
        x[x < 0] = 0
        return np.diag((x > 0).astype(float))

    _fails("relu_jacobian", in_place, "modified in place")


def test_numerical_jacobians_are_not_accepted():
    def numerical(x, w):
        return (numerical_jacobian(lambda x_: x_ @ w, x.copy()),
                numerical_jacobian(lambda w_: x @ w_, w.copy()))

    _fails("matmul_jacobians_x", numerical, "numerical differences")
    _fails("matmul_jacobians_w", numerical, "numerical differences")


def test_transposed_jacobians():
    def transposed(x, w):
        J_x, J_w = matmul_jacobians(x, w)
        return J_x.T, J_w.T

    _fails("matmul_jacobians_x", transposed, "J_x is transposed")
    _fails("matmul_jacobians_w", transposed, "J_w is transposed")


def test_jacobian_without_the_batch():
    _fails("matmul_jacobians_x", lambda x, w: (w.T, None), "one block per example")
    _fails("matmul_jacobians_x", lambda x, w: (np.kron(np.ones((len(x), len(x))), w.T), None),
           "blocks off the diagonal are 0")


def test_jacobian_in_column_major_order():
    def fortran(x, w):
        (N, D), M = x.shape, w.shape[1]
        J_x, J_w = np.zeros((N * M, N * D)), np.zeros((N * M, D * M))
        for n in range(N):
            for m in range(M):
                for d in range(D):
                    J_x[m * N + n, d * N + n] = w[d, m]
                    J_w[m * N + n, m * D + d] = x[n, d]
        return J_x, J_w

    _fails("matmul_jacobians_x", fortran, "row-major")
    _fails("matmul_jacobians_w", fortran, "row-major")


def test_jacobian_not_flattened():
    def four_d(x, w):
        J_x, J_w = matmul_jacobians(x, w)
        (N, D), M = x.shape, w.shape[1]
        return J_x.reshape(N, M, N, D), J_w.reshape(N, M, D, M)

    _fails("matmul_jacobians_x", four_d, "must be 2-d")
    _fails("matmul_jacobians_w", four_d, "must be 2-d")


def test_matmul_jacobians_returns_one_matrix():
    _fails("matmul_jacobians_w", lambda x, w: matmul_jacobians(x, w)[1], "(J_x, J_w)")


def test_forward_without_flattening():
    _fails("affine_forward", lambda x, w, b: (x @ w + b, (x, w, b)), "must be flattened")


def test_forward_without_bias():
    _fails("affine_forward", lambda x, w, b: (x.reshape(len(x), -1) @ w, (x, w, b)),
           "bias b is missing")


def test_forward_caching_flat_x():
    def flat_cache(x, w, b):
        xf = x.reshape(len(x), -1)
        return xf @ w + b, (xf, w, b)

    _fails("affine_forward", flat_cache, "original shape")


def test_forward_without_cache():
    _fails("affine_forward", lambda x, w, b: x.reshape(len(x), -1) @ w + b, "(out, cache)")


def test_forward_float64_promotion():
    def promotes(x, w, b):
        out = np.zeros((x.shape[0], w.shape[1]))
        out += x.reshape(len(x), -1) @ w + b
        return out, (x, w, b)

    _fails("affine_forward", promotes, "float32 inputs gave dtype float64")


def _backward_with(dx=None, dw=None, db=None):
    def backward(dout, cache):
        x, w, b = cache
        xf = x.reshape(len(x), -1)
        good = ((dout @ w.T).reshape(x.shape), xf.T @ dout, dout.sum(axis=0))
        return tuple(f(dout, x, w, xf) if f else g for f, g in zip((dx, dw, db), good))
    return backward


def test_transposed_weight_gradient():
    wrong = _backward_with(dw=lambda dout, x, w, xf: dout.T @ xf)
    _fails("affine_backward_dw", wrong, "dw is transposed")
    check("affine_backward_dx", wrong, seed=0)  # the other gradients still earn their points
    check("affine_backward_db", wrong, seed=0)


def test_weight_gradient_divided_by_n():
    _fails("affine_backward_dw", _backward_with(dw=lambda dout, x, w, xf: xf.T @ dout / len(x)),
           "divided by N")


def test_weight_gradient_without_flattening():
    _fails("affine_backward_dw", _backward_with(dw=lambda dout, x, w, xf: x.T @ dout),
           "flatten x")


def test_bias_gradient_not_summed():
    _fails("affine_backward_db", _backward_with(db=lambda dout, x, w, xf: dout),
           "not summed over the batch")


def test_bias_gradient_averaged():
    _fails("affine_backward_db", _backward_with(db=lambda dout, x, w, xf: dout.mean(axis=0)),
           "averaged over the batch")


def test_bias_gradient_keepdims_and_wrong_axis():
    _fails("affine_backward_db",
           _backward_with(db=lambda dout, x, w, xf: dout.sum(axis=0, keepdims=True)), "keepdims")
    _fails("affine_backward_db", _backward_with(db=lambda dout, x, w, xf: dout.sum(axis=1)),
           "wrong axis")


def test_dx_not_reshaped():
    _fails("affine_backward_dx", _backward_with(dx=lambda dout, x, w, xf: dout @ w.T),
           "reshape dx to x's original shape")


def test_dx_without_transpose():
    message = _fails("affine_backward_dx",
                     _backward_with(dx=lambda dout, x, w, xf: (dout @ w).reshape(x.shape)))
    assert "w is not transposed" in message or "check the shapes" in message, message


def test_backward_modifying_dout():
    def in_place(dout, cache):
        dx, dw, db = affine_backward(dout, cache)
        dout *= 0
        return dx, dw, db

    _fails("affine_backward_db", in_place, "dout", "modified in place")


def test_backward_returning_two_gradients():
    _fails("affine_backward_dx", lambda dout, cache: affine_backward(dout, cache)[:2],
           "(dx, dw, db)")


def test_sandwich_forward_without_relu():
    _fails("affine_relu_forward", lambda x, w, b: (affine_forward(x, w, b)[0],
                                                   affine_forward(x, w, b)), "ReLU is missing")


def test_sandwich_forward_with_a_wrong_cache():
    def wrong_cache(x, w, b):
        a, fc_cache = affine_forward(x, w, b)
        out = np.maximum(a, 0)
        return out, (fc_cache, out)  # the output instead of the ReLU's input

    _fails("affine_relu_forward", wrong_cache, "the ReLU's cache")


def test_sandwich_backward_without_relu():
    _fails("affine_relu_backward", lambda dout, cache: affine_backward(dout, cache[0]),
           "ReLU's gradient is missing")


def test_sandwich_backward_in_the_wrong_order():
    def reversed_order(dout, cache):
        fc_cache, relu_cache = cache
        dx, dw, db = affine_backward(dout, fc_cache)
        return layers.relu_backward(dx, relu_cache), dw, db

    _fails("affine_relu_backward", reversed_order, "reverse order")


def test_sandwich_backward_gradient_at_zero():
    def at_zero(dout, cache):
        fc_cache, a = cache
        return affine_backward(dout * (a >= 0), fc_cache)

    _fails("affine_relu_backward", at_zero, "exactly a = 0")


def test_sandwich_backward_with_a_wrong_affine():
    def wrong(dout, cache):
        fc_cache, a = cache
        dx, dw, _ = affine_backward(dout * (a > 0), fc_cache)
        return dx, dw, (dout * (a > 0)).mean(axis=0)

    _fails("affine_relu_backward", wrong, "averaged over the batch")


@pytest.mark.parametrize("name, right, wrongs", [
    ("q1_relu_jacobian_nonzeros", 4096, [4096**2, 2048, "4096", None]),
    ("q2_weight_grad_shape", (3072, 10), [(10, 3072), (64, 10), (64 * 10, 3072 * 10), None]),
    ("q3_bias_grad", 5.0, [0.1, 50, "5", None]),
])
def test_concept_checks(name, right, wrongs):
    check(name, right)
    for wrong in wrongs:
        message = _fails(name, wrong, "not right")
        assert str(right) not in message.replace(f"{name}:", "")  # the answer is not given away


def test_concept_checks_accept_equivalent_forms():
    check("q1_relu_jacobian_nonzeros", 4096.0)
    check("q2_weight_grad_shape", [3072, 10])
    check("q3_bias_grad", 5)
