"""Vectorized layers as forward/backward pairs (CS231n's modular layer API).

Every layer is a pair:

- ``*_forward(inputs) -> (out, cache)``: compute the output and keep what
  backward will need;
- ``*_backward(dout, cache) -> grads``: take the upstream gradient ``dout``
  (of the shape of ``out``) and return the downstream gradient of every
  input, each of the shape of that input: ``downstream = local_grad * upstream``.

The elementwise maths and its local gradients live in ``course.functions``
(shared with the scalar engine), so each derivative is written once.
Hyperparameters such as ``alpha`` travel in the cache, so a backward pass
needs only ``(dout, cache)``. No function modifies its inputs; float32
inputs give float32 outputs.
"""

from __future__ import annotations

import numpy as np

from course import _checks
from course import functions as F

# ---------------------------------------------------------------------------
# Affine (fully connected) layer
# ---------------------------------------------------------------------------


def affine_forward(x, w, b):
    """Affine layer: out = x_flat @ w + b.

    Inputs:
    - x: array of shape (N, d_1, ..., d_k), flattened to (N, D), D = d_1 * ... * d_k
    - w: weights, shape (D, M)
    - b: biases, shape (M,)
    Returns:
    - out: shape (N, M)
    - cache: (x, w, b)
    """
    x = _checks.float_array("x", x, min_ndim=2)
    w = _checks.float_array("w", w)
    b = _checks.float_array("b", b)
    N, D = x.shape[0], int(np.prod(x.shape[1:]))
    if w.ndim != 2 or w.shape[0] != D:
        raise ValueError(f"w: expected shape ({D}, M) to match x flattened to (N, {D}), "
                         f"got {w.shape}")
    M = w.shape[1]
    if b.shape != (M,):
        raise ValueError(f"b: expected shape ({M},) to match w of shape {w.shape}, "
                         f"got {b.shape}")
    out = x.reshape(N, D) @ w + b  # reshape is a view for contiguous x, not a copy
    return out, (x, w, b)


def affine_backward(dout, cache):
    """Backward pass of the affine layer.

    Inputs:
    - dout: upstream gradient, shape (N, M)
    - cache: (x, w, b) from affine_forward
    Returns:
    - dx: shape (N, d_1, ..., d_k), like x
    - dw: shape (D, M)
    - db: shape (M,)
    """
    x, w, b = cache
    N = x.shape[0]
    dout = _checks.same_shape("dout", dout, (N, w.shape[1]), "the affine output (N, M)")
    # The matrix-multiply rule, no Jacobians: each gradient has its input's shape.
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(N, -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


# ---------------------------------------------------------------------------
# Activations
# ---------------------------------------------------------------------------


def _activation_input(x):
    return _checks.float_array("x", x)


def _upstream(dout, x):
    return _checks.same_shape("dout", dout, np.shape(x), "the layer's input x")


def _downstream(local_grad, upstream):
    """downstream = local_grad * upstream, in place on local_grad (a new array from
    course.functions) when that keeps the dtype: large arrays save an allocation."""
    if (isinstance(local_grad, np.ndarray) and local_grad.ndim
            and local_grad.dtype == np.result_type(local_grad, upstream)):
        local_grad *= upstream
        return local_grad
    return upstream * local_grad


def relu_forward(x):
    """ReLU: out = max(0, x).

    Inputs: x, array of any shape. Returns: out (shape of x), cache = x.
    """
    x = _activation_input(x)
    return F.relu(x), x


def relu_backward(dout, cache):
    """dx = dout * (x > 0); the gradient at exactly x = 0 is 0.

    Inputs: dout (shape of x), cache = x. Returns: dx (shape of x).
    """
    x = cache
    dout = _upstream(dout, x)
    return _downstream(F.relu_local_grad(x), dout)


def leaky_relu_forward(x, alpha=0.01):
    """Leaky ReLU: out = x for x > 0, alpha * x otherwise.

    Inputs: x, any shape; alpha >= 0. Returns: out (shape of x), cache = (x, alpha).
    """
    x = _activation_input(x)
    alpha = _checks.positive("alpha", alpha, allow_zero=True)
    return F.leaky_relu(x, alpha), (x, alpha)


def leaky_relu_backward(dout, cache):
    """dx = dout * (1 if x > 0 else alpha).

    Inputs: dout (shape of x), cache = (x, alpha). Returns: dx (shape of x).
    """
    x, alpha = cache
    dout = _upstream(dout, x)
    return _downstream(F.leaky_relu_local_grad(x, alpha), dout)


def elu_forward(x, alpha=1.0):
    """ELU: out = x for x > 0, alpha * (exp(x) - 1) otherwise (overflow-free).

    Inputs: x, any shape; alpha >= 0. Returns: out (shape of x), cache = (x, alpha).
    """
    x = _activation_input(x)
    alpha = _checks.positive("alpha", alpha, allow_zero=True)
    return F.elu(x, alpha), (x, alpha)


def elu_backward(dout, cache):
    """dx = dout * (1 if x > 0 else alpha * exp(x)).

    Inputs: dout (shape of x), cache = (x, alpha). Returns: dx (shape of x).
    """
    x, alpha = cache
    dout = _upstream(dout, x)
    return _downstream(F.elu_local_grad(x, alpha), dout)


def gelu_forward(x, approximate="none"):
    """GELU: out = x * Phi(x) (exact, erf); approximate="tanh" for the tanh form.

    Inputs: x, any shape; approximate "none" or "tanh".
    Returns: out (shape of x), cache = (x, approximate, Phi(x)).
    """
    x = _activation_input(x)
    cdf = F.normal_cdf(x, approximate)  # kept: the backward needs it too, and erf is slow
    return x * cdf, (x, approximate, cdf)


def gelu_backward(dout, cache):
    """dx = dout * (Phi(x) + x * phi(x)), for the form chosen in forward.

    Inputs: dout (shape of x), cache = (x, approximate, Phi(x)) from gelu_forward
    (a cache (x, approximate) is accepted too: Phi(x) is then computed again).
    Returns: dx (shape of x).
    """
    x, approximate, *kept = cache
    dout = _upstream(dout, x)
    cdf = kept[0] if kept else F.normal_cdf(x, approximate)
    return _downstream(F.gelu_local_grad_from_cdf(x, cdf, approximate), dout)


def silu_forward(x):
    """SiLU (swish): out = x * sigmoid(x) (overflow-free).

    Inputs: x, any shape. Returns: out (shape of x), cache = x.
    """
    x = _activation_input(x)
    return F.silu(x), x


def silu_backward(dout, cache):
    """dx = dout * sigmoid(x) * (1 + x * (1 - sigmoid(x))).

    Inputs: dout (shape of x), cache = x. Returns: dx (shape of x).
    """
    x = cache
    dout = _upstream(dout, x)
    return _downstream(F.silu_local_grad(x), dout)


def sigmoid_forward(x):
    """Sigmoid: out = 1 / (1 + exp(-x)) (overflow-free).

    Inputs: x, any shape. Returns: out (shape of x), cache = out.
    """
    x = _activation_input(x)
    out = F.sigmoid(x)
    return out, out


def sigmoid_backward(dout, cache):
    """dx = dout * (1 - s) * s, from the cached output s = sigmoid(x).

    Inputs: dout (shape of x), cache = s. Returns: dx (shape of x).
    """
    s = cache
    dout = _upstream(dout, s)
    return _downstream(F.sigmoid_local_grad_from_out(s), dout)


def tanh_forward(x):
    """Tanh: out = tanh(x).

    Inputs: x, any shape. Returns: out (shape of x), cache = out.
    """
    x = _activation_input(x)
    out = F.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """dx = dout * (1 - t**2), from the cached output t = tanh(x).

    Inputs: dout (shape of x), cache = t. Returns: dx (shape of x).
    """
    t = cache
    dout = _upstream(dout, t)
    return _downstream(F.tanh_local_grad_from_out(t), dout)


ACTIVATIONS = {
    "relu": (relu_forward, relu_backward),
    "leaky_relu": (leaky_relu_forward, leaky_relu_backward),
    "elu": (elu_forward, elu_backward),
    "gelu": (gelu_forward, gelu_backward),
    "silu": (silu_forward, silu_backward),
    "sigmoid": (sigmoid_forward, sigmoid_backward),
    "tanh": (tanh_forward, tanh_backward),
}
"""Activation pairs by name, each called with its default hyperparameters."""


# ---------------------------------------------------------------------------
# The "sandwich": affine followed by ReLU
# ---------------------------------------------------------------------------


def affine_relu_forward(x, w, b):
    """Affine layer followed by ReLU: out = max(0, x_flat @ w + b).

    Inputs: x (N, d_1, ..., d_k), w (D, M), b (M,).
    Returns: out (N, M), cache = (affine cache, relu cache).
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Backward pass of the sandwich: ReLU's backward, then the affine one.

    Inputs: dout (N, M), cache from affine_relu_forward.
    Returns: dx (shape of x), dw (D, M), db (M,).
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)
