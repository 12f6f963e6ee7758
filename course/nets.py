"""Fully connected networks built from the layer pairs: "W2 max(0, W1 x)" and deeper.

Both nets follow CS231n's model contract, the one ``Solver`` drives:

- ``model.params``: a dict ``{"W1": ..., "b1": ..., ..., "WL": ..., "bL": ...}``;
- ``model.loss(X)`` returns the class scores, shape (N, C);
- ``model.loss(X, y)`` returns ``(loss, grads)``, grads keyed like params.

The loss is the data loss plus L2 regularization on the weights only:
``L = data_loss + 0.5 * reg * sum_l sum(Wl**2)``, so ``dWl`` gets ``reg * Wl``.

Weights are drawn layer by layer as ``weight_scale * np.random.randn(fan_in,
fan_out)`` from numpy's global random state with no other draw in between,
so ``np.random.seed(231)`` reproduces CS231n's published numbers. Biases
start at zero. ``weight_scale`` may also be ``"he"`` (std sqrt(2 / fan_in),
for ReLU-like activations) or ``"xavier"`` (std sqrt(1 / fan_in), for tanh
and sigmoid), still drawn in the same order.
"""

from __future__ import annotations

import numbers

import numpy as np

from course import _checks
from course.layers import (
    ACTIVATIONS,
    affine_backward,
    affine_forward,
    affine_relu_backward,
    affine_relu_forward,
)
from course.losses import l2_regularization, softmax_loss, svm_loss

LOSSES = {"softmax": softmax_loss, "svm": svm_loss}
"""Data losses by name: each maps (scores (N, C), y (N,)) to (loss, dscores)."""

INITS = {"he": 2.0, "xavier": 1.0}
"""Named initializations: std = sqrt(gain / fan_in)."""


# ---------------------------------------------------------------- argument checks


def _weight_scale(weight_scale):
    if isinstance(weight_scale, str):
        if weight_scale not in INITS:
            raise ValueError(f"weight_scale: expected a number >= 0 or one of "
                             f"{', '.join(map(repr, INITS))}, got {weight_scale!r}")
        return weight_scale
    return _checks.positive("weight_scale", weight_scale, allow_zero=True)




def init_weight(fan_in: int, fan_out: int, weight_scale) -> np.ndarray:
    """One weight matrix, (fan_in, fan_out): std * np.random.randn(fan_in, fan_out).

    ``weight_scale`` is the std itself, or "he" / "xavier" for sqrt(2 or 1 / fan_in).
    """
    std = np.sqrt(INITS[weight_scale] / fan_in) if isinstance(weight_scale, str) \
        else weight_scale
    return std * np.random.randn(fan_in, fan_out)


# ---------------------------------------------------------------- shared behaviour

class _Net:
    """What both nets share: input checks, predict, parameter count, repr."""

    params: dict
    num_layers: int

    @property
    def input_dim(self) -> int:
        return self.params["W1"].shape[0]

    @property
    def num_classes(self) -> int:
        return self.params[f"W{self.num_layers}"].shape[1]

    @property
    def num_params(self) -> int:
        return sum(p.size for p in self.params.values())

    def layer_sizes(self) -> list:
        """[input_dim, hidden_1, ..., num_classes]."""
        return [self.input_dim] + [self.params[f"W{l}"].shape[1]
                                   for l in range(1, self.num_layers + 1)]

    def _check_X(self, X):
        X = _checks.float_array("X", X, min_ndim=2)
        D = int(np.prod(X.shape[1:]))
        if D != self.input_dim:
            raise ValueError(f"X: expected shape (N, {self.input_dim}) or (N, d1, ..., dk) "
                             f"with d1 * ... * dk = {self.input_dim} (the net's input_dim), "
                             f"got {X.shape}")
        return X

    def _check_y(self, y, X):
        return _checks.labels("y", y, X.shape[0], self.num_classes)

    def predict(self, X):
        """Predicted labels, shape (N,): the argmax of the scores for X (N, d1, ..., dk)."""
        return np.argmax(self.loss(X), axis=1)

    def _repr(self, **extra) -> str:
        sizes = " -> ".join(str(s) for s in self.layer_sizes())
        args = "".join(f", {k}={v!r}" for k, v in extra.items())
        return (f"{type(self).__name__}({sizes}{args}, reg={self.reg!r}, "
                f"num_params={self.num_params:,})")


# ---------------------------------------------------------------- two-layer net

class TwoLayerNet(_Net):
    """affine - relu - affine - softmax: the lecture's f = W2 max(0, W1 x).

    Inputs (constructor):
    - input_dim: D, size of one input (CIFAR-10 images: 3 * 32 * 32)
    - hidden_dim: H, number of hidden units
    - num_classes: C
    - weight_scale: std of the initial weights (or "he" / "xavier")
    - reg: L2 regularization strength, >= 0
    Params: W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).
    """

    num_layers = 2

    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10,
                 weight_scale=1e-3, reg=0.0):
        input_dim = _checks.integer("input_dim", input_dim)
        hidden_dim = _checks.integer("hidden_dim", hidden_dim)
        num_classes = _checks.integer("num_classes", num_classes)
        weight_scale = _weight_scale(weight_scale)
        self.reg = _checks.positive("reg", reg, allow_zero=True)
        # W1 is drawn first, then W2, and nothing else: seeds reproduce CS231n.
        self.params = {}
        self.params["W1"] = init_weight(input_dim, hidden_dim, weight_scale)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = init_weight(hidden_dim, num_classes, weight_scale)
        self.params["b2"] = np.zeros(num_classes)

    def loss(self, X, y=None):
        """Scores, or the loss and its gradients.

        Inputs:
        - X: inputs, shape (N, D) or (N, d1, ..., dk) with d1 * ... * dk = D
        - y: integer labels, shape (N,), or None
        Returns:
        - if y is None: scores, shape (N, C)
        - else: (loss, grads), grads a dict keyed like params
        """
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        X = self._check_X(X)
        hidden, hidden_cache = affine_relu_forward(X, W1, b1)  # max(0, W1 x)
        scores, scores_cache = affine_forward(hidden, W2, b2)  # W2 max(0, W1 x)
        if y is None:
            return scores

        data_loss, dscores = softmax_loss(scores, self._check_y(y, X))
        reg_loss, (dW1_reg, dW2_reg) = l2_regularization([W1, W2], self.reg)
        grads = {}
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, scores_cache)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, hidden_cache)
        grads["W1"] = grads["W1"] + dW1_reg
        grads["W2"] = grads["W2"] + dW2_reg
        return data_loss + reg_loss, grads

    def __repr__(self):
        return self._repr(activation="relu")


# ---------------------------------------------------------------- deeper nets

class FullyConnectedNet(_Net):
    """{affine - activation} x (L - 1) - affine - softmax (or svm).

    Inputs (constructor):
    - hidden_dims: list of the L - 1 hidden sizes (empty: a linear classifier)
    - input_dim: D; num_classes: C
    - reg: L2 regularization strength, >= 0
    - weight_scale: std of the initial weights, or "he" / "xavier"
    - dtype: np.float64 (for gradient checks) or np.float32; params and the
      inputs of loss() are cast to it
    - seed: if given, np.random.seed(seed) is called before drawing the weights
    - activation: a name in course.layers.ACTIVATIONS ("relu", "tanh", ...)
    - loss: "softmax" (cross-entropy) or "svm" (multiclass hinge)
    Params: Wl (fan_in, fan_out) and bl (fan_out,) for l = 1 .. L.
    """

    def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0,
                 weight_scale=1e-2, dtype=np.float64, seed=None, activation="relu",
                 loss="softmax"):
        if isinstance(hidden_dims, numbers.Integral):
            raise TypeError(f"hidden_dims: expected a list of hidden sizes, got the int "
                            f"{hidden_dims!r}; for one hidden layer write [{hidden_dims!r}]")
        if not isinstance(hidden_dims, (list, tuple)):
            raise TypeError(f"hidden_dims: expected a list of positive ints, "
                            f"got {type(hidden_dims).__name__}")
        hidden_dims = [_checks.integer(f"hidden_dims[{i}]", h) for i, h in enumerate(hidden_dims)]
        input_dim = _checks.integer("input_dim", input_dim)
        num_classes = _checks.integer("num_classes", num_classes)
        weight_scale = _weight_scale(weight_scale)
        self.reg = _checks.positive("reg", reg, allow_zero=True)
        self.dtype = _checks.float_dtype(dtype)
        self.activation = _checks.choice("activation", activation, ACTIVATIONS)
        self.loss_name = _checks.choice("loss", loss, LOSSES)
        self.num_layers = len(hidden_dims) + 1
        if seed is not None:
            np.random.seed(seed)

        sizes = [input_dim, *hidden_dims, num_classes]
        self.params = {}
        for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            self.params[f"W{l}"] = init_weight(fan_in, fan_out, weight_scale).astype(self.dtype)
            self.params[f"b{l}"] = np.zeros(fan_out, dtype=self.dtype)

    def loss(self, X, y=None):
        """Scores, or the loss and its gradients.

        Inputs:
        - X: inputs, shape (N, D) or (N, d1, ..., dk) with d1 * ... * dk = D;
          cast to the net's dtype
        - y: integer labels, shape (N,), or None
        Returns:
        - if y is None: scores, shape (N, C)
        - else: (loss, grads), grads a dict keyed like params
        """
        X = self._check_X(X).astype(self.dtype, copy=False)
        act_forward, act_backward = ACTIVATIONS[self.activation]
        L = self.num_layers

        # Forward: h_l = activation(W_l h_{l-1} + b_l), then scores = W_L h_{L-1} + b_L.
        h, caches = X, []
        for l in range(1, L):
            a, fc_cache = affine_forward(h, self.params[f"W{l}"], self.params[f"b{l}"])
            h, act_cache = act_forward(a)
            caches.append((fc_cache, act_cache))
        scores, scores_cache = affine_forward(h, self.params[f"W{L}"], self.params[f"b{L}"])
        if y is None:
            return scores

        data_loss, dscores = LOSSES[self.loss_name](scores, self._check_y(y, X))
        weights = {f"W{l}": self.params[f"W{l}"] for l in range(1, L + 1)}
        reg_loss, reg_grads = l2_regularization(weights, self.reg)

        # Backward: the same layers in reverse, each turning upstream into downstream.
        grads = {}
        dh, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, scores_cache)
        for l in range(L - 1, 0, -1):
            fc_cache, act_cache = caches[l - 1]
            da = act_backward(dh, act_cache)
            dh, grads[f"W{l}"], grads[f"b{l}"] = affine_backward(da, fc_cache)
        for name, dW_reg in reg_grads.items():
            grads[name] = grads[name] + dW_reg
        return data_loss + reg_loss, grads

    def __repr__(self):
        return self._repr(activation=self.activation, loss=self.loss_name,
                          dtype=self.dtype.name)
