"""Loss functions: softmax (cross-entropy), multiclass SVM hinge, L2 regularization.

Each data loss takes the scores ``x`` of shape (N, C) and the integer labels
``y`` of shape (N,), and returns ``(loss, dx)``: the mean loss over the N
examples as a Python float, and its gradient with respect to the scores, of
the shape of ``x`` (and float32 for float32 scores). Regularization is kept
apart, as in the lecture: ``L = data loss + regularization loss``.
"""

from __future__ import annotations

import numpy as np

from course import _checks


def _scores_and_labels(x, y):
    x = _checks.float_array("x", x, ndim=2)
    N, C = x.shape
    if N == 0 or C == 0:
        raise ValueError(f"x: expected at least one example and one class, got shape {x.shape}")
    y = _checks.labels("y", y, N, C)
    return x, y


def softmax_loss(x, y):
    """Softmax (cross-entropy) loss: mean over i of -log(e^{x_{i,y_i}} / sum_j e^{x_ij}).

    Inputs:
    - x: scores, shape (N, C)
    - y: integer labels, shape (N,), 0 <= y[i] < C
    Returns:
    - loss: float
    - dx: gradient with respect to x, shape (N, C): (probs - one_hot(y)) / N
    """
    x, y = _scores_and_labels(x, y)
    N = x.shape[0]
    rows = np.arange(N)
    # Subtracting each row's max leaves the softmax unchanged, makes every
    # exponent <= 0 (no overflow) and the sum >= 1 (its log is finite).
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].sum() / N
    dx = np.exp(log_probs)
    dx[rows, y] -= 1
    dx /= N
    return float(loss), dx


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1.

    loss = mean over i of sum_{j != y_i} max(0, x_ij - x_{i,y_i} + 1).

    Inputs:
    - x: scores, shape (N, C)
    - y: integer labels, shape (N,), 0 <= y[i] < C
    Returns:
    - loss: float
    - dx: gradient with respect to x, shape (N, C). A margin of exactly 0
      counts as inactive (the subgradient 0 at the hinge's kink).
    """
    x, y = _scores_and_labels(x, y)
    N = x.shape[0]
    rows = np.arange(N)
    correct = x[rows, y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[rows, y] = 0  # the correct class is not in the sum
    loss = margins.sum() / N
    # Each active margin pushes its own score up (+1) and the correct score down (-1).
    dx = (margins > 0).astype(x.dtype)
    dx[rows, y] = -dx.sum(axis=1)
    dx /= N
    return float(loss), dx


def l2_regularization(weights, reg):
    """L2 regularization: loss = 0.5 * reg * sum over W of sum(W**2); dW = reg * W.

    Inputs:
    - weights: one weight array, or a list, tuple or dict of them (weights
      only: biases are not regularized)
    - reg: regularization strength, >= 0
    Returns:
    - loss: float
    - grads: reg * W for each W, in the same container kind as ``weights``
    """
    reg = _checks.positive("reg", reg, allow_zero=True)
    if isinstance(weights, dict):
        named = [(f"weights[{k!r}]", w) for k, w in weights.items()]
    elif isinstance(weights, (list, tuple)):
        named = [(f"weights[{i}]", w) for i, w in enumerate(weights)]
    else:
        named = [("weights", weights)]
    arrays = [_checks.float_array(name, w) for name, w in named]
    loss = 0.5 * reg * sum(float(np.sum(W * W)) for W in arrays)
    grads = [reg * W for W in arrays]
    if isinstance(weights, dict):
        return loss, dict(zip(weights.keys(), grads, strict=True))
    if isinstance(weights, tuple):
        return loss, tuple(grads)
    if isinstance(weights, list):
        return loss, grads
    return loss, grads[0]
