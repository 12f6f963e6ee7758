"""Hidden checks of assignment 06_neural_networks: TwoLayerNet, FullyConnectedNet, a trained model.

The student's classes are built on fresh random sizes right after
``np.random.seed(s)`` and their params compared with ``course.nets`` built
after the same seed (the weights are drawn in layer order, so a different
order, shape or scale shows). Scores, loss and gradients are then compared
with the reference on the same params (copied in, with random nonzero biases)
and fresh inputs: N = 1, inputs with several trailing dims, reg = 0 and
reg > 0, depths 1 to 4 and every activation for the deep net, float32.
Where a result is wrong, the usual mistakes (no ReLU, ReLU on the scores,
the reg gradient missing or doubled, biases regularized, the loss summed
instead of averaged, the activation argument ignored ...) are replayed on the
same inputs: if one reproduces the student's numbers, the message names it.

The trained model is scored on the test split of ``course.data.load_digits()``
by calling its own ``loss(X_test)``.

Numpy's global random state is restored after every suite, and a numpy
warning raised by student code is a failed check (nbgrader scores any stderr
output of a test cell as 0).
"""

from __future__ import annotations

import numbers

import numpy as np

from autograder.checks import concept, suite
from autograder.remote import class_names, is_class, kept_random_state, seed_numpy, type_name
from course import data, layers, nets
from course.losses import softmax_loss

TOL = 1e-7     # float64: the same operations in a possibly different order
TOL32 = 1e-4   # float32: relative to the largest entry of the array
ACTIVATION_NAMES = tuple(layers.ACTIVATIONS)


# ---------------------------------------------------------------- plumbing



def _own_class(judge, name, student) -> bool:
    """The graded class is a class of the student's own, not course.nets' (or a subclass)."""
    if not is_class(student):
        return judge.record(name, False, f"{name} should be a class (class {name}: ...), "
                            f"got {type_name(student)}")
    if "course.nets._Net" in class_names(student):
        return judge.record(name, False, f"{name} is course.nets' own class or derives from "
                            "it: the graded class must be your own implementation")
    return True


def _rel(got, expected) -> float:
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    err = np.abs(got - expected) / np.maximum(1e-8, np.abs(got) + np.abs(expected))
    return float(err.max()) if err.size else 0.0


def _near(got, expected, tol=1e-6) -> bool:
    """A quiet comparison for diagnosis: same shape and close (never records a verdict)."""
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, np.float64)
    return got.shape == expected.shape and bool(np.all(np.isfinite(got))) \
        and _rel(got, expected) <= tol


def _close(judge, what, got, expected, dtype, hint="", scale=0.0) -> bool:
    """judge.close in float64; in float32 the dtype, then errors relative to the array's
    largest entry. Either way an entry's error is relative to at least ``scale``, the size of
    the terms behind it (see ``_grad_scales``)."""
    if np.dtype(dtype) == np.float64:
        return judge.close(what, got, expected, tol=TOL, hint=hint, scale=scale)
    if not isinstance(got, (np.ndarray, np.floating, float)):
        return judge.record(what, False, f"{what}: expected a numpy array or number, "
                            f"got {type_name(got)}")
    expected = np.asarray(expected)
    got_arr = np.asarray(got)
    if got_arr.shape != expected.shape:
        return judge.record(what, False, f"{what}: shape {got_arr.shape}, expected "
                            f"{expected.shape}")
    if expected.ndim and got_arr.dtype != np.float32:
        return judge.record(what, False, f"{what}: dtype {got_arr.dtype} for a net built with "
                            "dtype=np.float32; cast params and X to self.dtype")
    got64, exp64 = got_arr.astype(np.float64), expected.astype(np.float64)
    if not np.all(np.isfinite(got64)):
        return judge.record(what, False, f"{what}: contains inf or nan")
    size = np.maximum(max(float(np.abs(exp64).max()) if exp64.size else 0.0, 1e-8), scale)
    worst = float((np.abs(got64 - exp64) / size).max()) if exp64.size else 0.0
    return judge.record(what, worst <= TOL32, f"{what}: error {worst:.1e} relative to the "
                        f"largest entry (allowed {TOL32:g})" + (f"; {hint}" if hint else ""))


def _pair(judge, what, got):
    """``got`` unpacked as (loss, grads), or None after a failed verdict."""
    if got is None:
        return None
    if not isinstance(got, tuple) or len(got) != 2:
        kind = f"a tuple of length {len(got)}" if isinstance(got, tuple) else type_name(got)
        judge.record(what, False, f"{what} should return a tuple (loss, grads) when y is "
                     f"given, got {kind}")
        return None
    return got


def _params_of(judge, label, obj, keys):
    """obj.params as a dict holding every key, or None after a failed verdict."""
    params = getattr(obj, "params", None)
    if not isinstance(params, dict):
        judge.record(label, False, f"{label}: the object has no params dict "
                     "(self.params = {} in __init__)")
        return None
    missing = [k for k in keys if k not in params]
    extra = [k for k in params if k not in keys]
    if missing or extra:
        parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + \
                ([f"unexpected {', '.join(map(repr, extra))}"] if extra else [])
        judge.record(label, False, f"{label}: params keys wrong ({'; '.join(parts)}); "
                     f"expected {', '.join(map(repr, keys))}")
        return None
    return params


def _install(params, values):
    """Copy the arrays of ``values`` into the student's params dict (same keys)."""
    for k, v in values.items():
        params[k] = v.copy()


def _weights(params):
    return [k for k in params if k.startswith("W")]


# ---------------------------------------------------------------- initialization mistakes

def _draws(sizes, scale, *, reverse=False, transposed=False, bias_draws=False, uniform=False):
    """Weights drawn from numpy's current global state in a (possibly wrong) way."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    order = range(len(pairs) - 1, -1, -1) if reverse else range(len(pairs))
    out = {}
    for i in order:
        fan_in, fan_out = pairs[i]
        if uniform:
            W = np.random.rand(fan_in, fan_out)
        elif transposed:
            W = np.random.randn(fan_out, fan_in).T
        else:
            W = np.random.randn(fan_in, fan_out)
        out[f"W{i + 1}"] = scale * W
        if bias_draws:
            np.random.randn(fan_out)
    return out


INIT_MISTAKES = (
    ({"reverse": True}, "the weights were drawn in the wrong order: draw W1 first, then W2, "
                        "..., layer by layer"),
    ({"transposed": True}, "a weight was drawn with shape (fan_out, fan_in) and transposed: "
                           "draw np.random.randn(fan_in, fan_out) directly"),
    ({"bias_draws": True}, "the biases were drawn at random too: they start at zero "
                           "(np.zeros), and only the weights use np.random.randn"),
    ({"uniform": True}, "np.random.rand draws uniform numbers in [0, 1): use np.random.randn "
                        "(a standard normal)"),
)


def _init_diagnosis(params, sizes, scale, seed) -> str:
    """Name the drawing mistake that reproduces the student's weights, or ''."""
    keys = [f"W{l}" for l in range(1, len(sizes))]
    for flags, message in INIT_MISTAKES:
        np.random.seed(seed)
        candidate = _draws(sizes, scale, **flags)
        if all(_near(params[k], candidate[k]) for k in keys):
            return message
    np.random.seed(seed)
    right = _draws(sizes, scale)
    first = keys[0]
    if np.shape(params[first]) != right[first].shape:
        return ""
    ratio = np.asarray(params[first], np.float64) / np.where(right[first] == 0, 1, right[first])
    if np.all(np.isfinite(ratio)) and np.ptp(ratio) < 1e-6 * max(1.0, abs(ratio.flat[0])):
        return ("the weights have the right pattern but the wrong scale: "
                "W = weight_scale * np.random.randn(fan_in, fan_out)")
    if _near(params[first], right[first]) and len(keys) > 1:
        return ("W1 is right but a later weight is not: draw the weights in layer order "
                "with no other random draws in between (biases are zeros, not random)")
    return ""


def _check_init(judge, label, params, ref, scale, seed, dtype=np.float64,
                seed_hint="") -> bool:
    """Compare every param with the reference's; name the drawing mistake if one fits."""
    ok = True
    for k, expected in ref.params.items():
        got = params[k]
        if not isinstance(got, np.ndarray):
            ok = judge.record(f"{label}: {k}", False, f"{label}: params[{k!r}] should be a "
                              f"numpy array, got {type_name(got)}") and ok
            continue
        if got.shape != expected.shape:
            hint = " (a bias is 1-d, shape (fan_out,))" if k.startswith("b") else ""
            ok = judge.record(f"{label}: {k}", False, f"{label}: params[{k!r}] has shape "
                              f"{got.shape}, expected {expected.shape}{hint}") and ok
            continue
        if got.dtype != np.dtype(dtype):
            ok = judge.record(f"{label}: {k}", False, f"{label}: params[{k!r}] has dtype "
                              f"{got.dtype}, expected {np.dtype(dtype)}; cast with "
                              ".astype(dtype)") and ok
            continue
        if k.startswith("b"):
            ok = judge.record(f"{label}: {k}", not np.any(got),
                              f"{label}: params[{k!r}] is not all zeros: biases start "
                              "at zero") and ok
    if not ok:
        return False
    wrong = [k for k in _weights(ref.params) if not _near(params[k], ref.params[k], 1e-12
                                                          if dtype == np.float64 else 1e-6)]
    if not wrong:
        return judge.record(label, True)
    sizes = [ref.params["W1"].shape[0]] + [ref.params[k].shape[1] for k in _weights(ref.params)]
    hint = seed_hint or _init_diagnosis(params, sizes, scale, seed) or \
        ("draw each weight as weight_scale * np.random.randn(fan_in, fan_out), in layer "
         "order, with nothing else drawn in between")
    verb = "differs" if len(wrong) == 1 else "differ"
    return judge.record(label, False, f"{label}: {', '.join(wrong)} {verb} from the weights "
                        f"drawn after the same np.random.seed; {hint}")


# ---------------------------------------------------------------- loss and gradient mistakes

def _variant(params, X, y, reg, activation="relu", *, identity=False, act_last=False,
             no_bias=False, relu_ge=False, summed=False, grads_summed=False,
             reg_loss=0.5, reg_grad=1.0, reg_biases=False, act_override=None):
    """A fully connected net with one of the usual mistakes: (scores, loss, grads).

    ``y`` None gives (scores, None, None). Written with course.layers, for diagnosis only.
    """
    L = len(params) // 2
    activation = act_override or activation
    fwd, bwd = layers.ACTIVATIONS[activation]
    h, caches = X.reshape(X.shape[0], -1), []
    for l in range(1, L + 1):
        b = np.zeros_like(params[f"b{l}"]) if no_bias else params[f"b{l}"]
        a, fc_cache = layers.affine_forward(h, params[f"W{l}"], b)
        if l < L or act_last:
            h, act_cache = (a, None) if identity else fwd(a)
        else:
            h, act_cache = a, None
        caches.append((fc_cache, act_cache, a))
    scores = h
    if y is None:
        return scores, None, None

    N = X.shape[0]
    loss, dh = softmax_loss(scores, y)
    if summed:
        loss, dh = loss * N, dh * N
    elif grads_summed:
        dh = dh * N
    grads = {}
    for l in range(L, 0, -1):
        fc_cache, act_cache, a = caches[l - 1]
        if act_cache is not None:
            dh = dh * (a >= 0) if relu_ge and activation == "relu" else bwd(dh, act_cache)
        dh, grads[f"W{l}"], grads[f"b{l}"] = layers.affine_backward(dh, fc_cache)
    penalized = [k for k in params if k.startswith("W") or (reg_biases and k.startswith("b"))]
    for k in penalized:
        loss += reg_loss * reg * float(np.sum(params[k] ** 2))
        grads[k] = grads[k] + reg_grad * reg * params[k]
    return scores, loss, grads


SCORE_MISTAKES = (
    ({"identity": True}, "the scores are an affine function of X: apply the activation to "
                         "the hidden layer, h = activation(X W1 + b1)"),
    ({"act_last": True}, "the activation was also applied to the scores: the last affine "
                         "layer gives the scores directly, with no activation after it"),
    ({"no_bias": True}, "the biases are missing: each layer computes X W + b"),
)

LOSS_MISTAKES = (
    ({"reg_grad": 0.0}, "the weight gradients miss the regularization term: add reg * W "
                        "to each dW"),
    ({"reg_grad": 2.0}, "each dW has 2 * reg * W: the derivative of 0.5 * reg * sum(W**2) "
                        "is reg * W"),
    ({"reg_loss": 1.0, "reg_grad": 2.0}, "the penalty is reg * sum(W**2): the course's L2 "
                                         "term is 0.5 * reg * sum(W**2), gradient reg * W"),
    ({"reg_loss": 1.0}, "the loss has reg * sum(W**2): the course's L2 term is "
                        "0.5 * reg * sum(W**2)"),
    ({"reg_loss": 0.0}, "the loss misses the regularization term 0.5 * reg * sum(W**2) "
                        "(over every weight matrix)"),
    ({"reg_loss": 0.0, "reg_grad": 0.0}, "the regularization is missing from the loss and "
                                         "the gradients: loss += 0.5 * reg * sum(W**2), "
                                         "dW += reg * W for every weight matrix"),
    ({"reg_biases": True}, "the biases are regularized too: L2 regularization applies to "
                           "the weights W only, not to b"),
    ({"summed": True}, "the data loss is summed over the batch: average it (divide the loss "
                       "and dscores by N)"),
    ({"grads_summed": True}, "the gradients are N times too large: dscores must be divided "
                             "by N, like the loss"),
    ({"relu_ge": True}, "the ReLU gradient at exactly 0 is 0: pass the gradient where the "
                        "input is > 0, not >= 0"),
)


def _reproduces(loss, grads, v_loss, v_grads) -> bool:
    return _near(loss, v_loss) and isinstance(grads, dict) and all(
        _near(grads.get(k), v_grads[k]) for k in v_grads)


def _loss_diagnosis(params, X, y, reg, activation, loss, grads, extra=()) -> str:
    """Name the mistake that reproduces (loss, grads) while the reference's don't, or ''."""
    with np.errstate(all="ignore"):
        _, ref_loss, ref_grads = _variant(params, X, y, reg, activation)
        for flags, message in (*extra, *LOSS_MISTAKES, *SCORE_MISTAKES):
            _, v_loss, v_grads = _variant(params, X, y, reg, activation, **flags)
            if _reproduces(loss, grads, v_loss, v_grads) and \
                    not _reproduces(ref_loss, ref_grads, v_loss, v_grads):
                return message
    return ""


def _scores_diagnosis(params, X, activation, scores, extra=()) -> str:
    with np.errstate(all="ignore"):
        reference = _variant(params, X, None, 0.0, activation)[0]
        for flags, message in (*extra, *SCORE_MISTAKES):
            candidate = _variant(params, X, None, 0.0, activation, **flags)[0]
            if _near(scores, candidate) and not _near(reference, candidate):
                return message
    return ""


# ---------------------------------------------------------------- random problems

def _sizes(rng, depth):
    """[D, hidden..., C] for a net of ``depth`` weight layers."""
    return [int(rng.integers(1, 9))] + [int(rng.integers(1, 8)) for _ in range(depth - 1)] + \
        [int(rng.integers(2, 7))]


def _problem(rng, sizes, N, trailing=False, dtype=np.float64):
    """X (N, D) or (N, d1, d2) with d1 * d2 = D, labels y (N,), params (nonzero biases)."""
    D, C = sizes[0], sizes[-1]
    X = rng.standard_normal((N, D))
    if trailing and D > 1:
        d1 = next(d for d in range(2, D + 1) if D % d == 0)
        X = X.reshape(N, d1, D // d1)
    y = rng.integers(0, C, size=N)
    params = {}
    for l, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"W{l}"] = rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{l}"] = 0.5 * rng.standard_normal(fan_out)
    params = {k: v.astype(dtype) for k, v in params.items()}
    return X, y, params  # X stays float64: the net casts it to its dtype


def _reg(rng):
    return float(10 ** rng.uniform(-2, 0))


def _unmodified(judge, label, X, X0, y, y0, params, params0):
    judge.unmodified(f"{label}: X", X0, X)
    if y is not None:
        judge.unmodified(f"{label}: y", y0, y)
    changed = [k for k in params0 if k in params and not np.array_equal(params[k], params0[k])]
    judge.record(f"{label}: params", not changed, f"{label}: loss() changed "
                 f"{', '.join(changed)} in place; the loss must not modify the params")


def _grad_scales(params, X, y, reg, activation):
    """Per gradient entry, the size of the terms behind it, which its rounding is relative to.

    Where a sum over the batch nearly cancels, another order of it differs by ulps of the
    terms, not of the sum. The backward pass on magnitudes (float64) adds up their sizes:
    (p + one_hot(y)) / N, then |h|.T @ d + reg |W|, d.sum(0), |act backward(d @ |W|.T)|.
    """
    p = {k: np.asarray(v, np.float64) for k, v in params.items()}
    L = len(p) // 2
    fwd, bwd = layers.ACTIVATIONS[activation]
    h = np.asarray(X, np.float64).reshape(X.shape[0], -1)
    inputs, caches = [h], []
    for l in range(1, L):
        h, cache = fwd(h @ p[f"W{l}"] + p[f"b{l}"])
        inputs.append(h)
        caches.append(cache)
    scores = h @ p[f"W{L}"] + p[f"b{L}"]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    d = e / e.sum(axis=1, keepdims=True)
    d[np.arange(len(d)), y] += 1
    d /= len(d)
    scales = {}
    for l in range(L, 0, -1):
        if l < L:
            d = np.abs(bwd(d, caches[l - 1]))
        scales[f"W{l}"] = np.abs(inputs[l - 1]).T @ d + reg * np.abs(p[f"W{l}"])
        scales[f"b{l}"] = d.sum(axis=0)
        d = d @ np.abs(p[f"W{l}"]).T
    return scales


def _compare_loss(judge, label, got, ref_loss, ref_grads, params, X, y, reg, activation,
                  dtype=np.float64, extra=()) -> bool:
    """Compare (loss, grads) with the reference; on a mismatch name the mistake if one fits."""
    pair = _pair(judge, label, got)
    if pair is None:
        return False
    loss, grads = pair
    if not isinstance(grads, dict):
        return judge.record(f"{label}: grads", False, f"{label}: grads should be a dict keyed "
                            f"like params, got {type_name(grads)}")
    missing = [k for k in ref_grads if k not in grads]
    if missing:
        return judge.record(f"{label}: grads", False, f"{label}: grads has no "
                            f"{', '.join(map(repr, missing))}; one gradient per param")
    hint = ""
    tol = TOL if dtype == np.float64 else 1e-3
    right = _near(loss, ref_loss, tol) and all(_near(grads[k], ref_grads[k], tol)
                                               for k in ref_grads)
    if not right and dtype == np.float64:
        hint = _loss_diagnosis(params, X, y, reg, activation, loss, grads, extra)
    with np.errstate(all="ignore"):
        scales = _grad_scales(params, X, y, reg, activation)
    ok = True
    for what, got_k, expected_k, scale in [("loss", loss, ref_loss, 0.0),
                                           *((f"grads[{k!r}]", grads[k], ref_grads[k],
                                              scales[k]) for k in ref_grads)]:
        # the diagnosis is said once, with the first wrong quantity
        ok = _close(judge, f"{label}: {what}", got_k, expected_k, dtype, hint if ok else "",
                    scale) and ok
    return ok


# ---------------------------------------------------------------- TwoLayerNet

def _two_layer(judge, student, label, D, H, C, weight_scale=1e-3, reg=0.0):
    return judge.attempt(f"{label}: TwoLayerNet(input_dim={D}, hidden_dim={H}, num_classes={C},"
                 f" weight_scale={weight_scale:g}, reg={reg:g})", student, input_dim=D,
                 hidden_dim=H, num_classes=C, weight_scale=weight_scale, reg=reg)


@suite("TwoLayerNet_init")
def _(student, rng, judge):
    if not _own_class(judge, "TwoLayerNet", student):
        return
    with kept_random_state(student):
        for case in range(4):
            D, H, C = int(rng.integers(1, 30)), int(rng.integers(1, 20)), int(rng.integers(2, 11))
            scale = float(10 ** rng.uniform(-3, 0))
            reg = 0.0 if case == 0 else _reg(rng)
            seed = int(rng.integers(2**31))
            label = f"case {case + 1}"
            seed_numpy(student, seed)
            net = _two_layer(judge, student, label, D, H, C, scale, reg)
            if net is None:
                return
            np.random.seed(seed)
            ref = nets.TwoLayerNet(D, H, C, weight_scale=scale, reg=reg)
            params = _params_of(judge, label, net, list(ref.params))
            if params is None or not _check_init(judge, label, params, ref, scale, seed):
                return


@suite("TwoLayerNet_scores")
def _(student, rng, judge):
    if not _own_class(judge, "TwoLayerNet", student):
        return
    with kept_random_state(student):
        for case in range(5):
            sizes = _sizes(rng, 2)
            N = 1 if case == 0 else int(rng.integers(2, 9))
            X, _, values = _problem(rng, sizes, N, trailing=case == 2)
            label = f"case {case + 1}, X of shape {X.shape}"
            net = _two_layer(judge, student, label, *sizes, weight_scale=1e-2)
            params = None if net is None else _params_of(judge, label, net, list(values))
            if params is None:
                return
            _install(params, values)
            X0, params0 = X.copy(), {k: v.copy() for k, v in values.items()}
            scores = judge.attempt(f"{label}: loss(X)", net.loss, X,
                           hint="X of shape (N, d1, ..., dk) must be flattened to (N, D)"
                           if X.ndim > 2 else "")
            if scores is None:
                return
            ref = nets.TwoLayerNet(*sizes)
            ref.params = {k: v.copy() for k, v in values.items()}
            expected = ref.loss(X)
            hint = "" if _near(scores, expected) else _scores_diagnosis(values, X, "relu", scores)
            ok = judge.close(f"{label}: scores", scores, expected, tol=TOL, hint=hint)
            _unmodified(judge, label, X, X0, None, None, params, params0)
            if not ok:
                return


@suite("TwoLayerNet_loss_and_grads")
def _(student, rng, judge):
    if not _own_class(judge, "TwoLayerNet", student):
        return
    with kept_random_state(student):
        for case in range(7):
            sizes = _sizes(rng, 2)
            N = 1 if case == 1 else int(rng.integers(2, 9))
            reg = 0.0 if case == 0 else _reg(rng)
            X, y, values = _problem(rng, sizes, N, trailing=case == 3)
            what = ""
            if case == 4:  # a zero input with zero biases puts every hidden unit at the kink
                X[0] = 0.0
                values = {k: (np.zeros_like(v) if k.startswith("b") else v)
                          for k, v in values.items()}
                what = ", a zero input with zero biases"
            if case == 5:  # every score near 800: np.exp overflows unless the scores are shifted
                values["b2"] = values["b2"] + 800.0
                what = ", scores near 800"
            label = f"case {case + 1}, X of shape {X.shape}, reg={reg:.3g}{what}"
            net = _two_layer(judge, student, label, *sizes, weight_scale=1e-2, reg=reg)
            params = None if net is None else _params_of(judge, label, net, list(values))
            if params is None:
                return
            _install(params, values)
            X0, y0, params0 = X.copy(), y.copy(), {k: v.copy() for k, v in values.items()}
            got = judge.attempt(f"{label}: loss(X, y)", net.loss, X, y,
                        hint="shift the scores by their row max before np.exp (or use "
                             "course.losses.softmax_loss)" if case == 5 else "")
            if got is None:
                return
            ref = nets.TwoLayerNet(*sizes, reg=reg)
            ref.params = {k: v.copy() for k, v in values.items()}
            ref_loss, ref_grads = ref.loss(X, y)
            ok = _compare_loss(judge, label, got, ref_loss, ref_grads, values, X, y, reg, "relu")
            _unmodified(judge, label, X, X0, y, y0, params, params0)
            if not ok:
                return
        # y=None still gives the scores
        sizes = _sizes(rng, 2)
        X, _, values = _problem(rng, sizes, 3)
        net = _two_layer(judge, student, "loss(X, y=None)", *sizes, weight_scale=1e-2, reg=0.1)
        params = None if net is None else _params_of(judge, "loss(X, y=None)", net, list(values))
        if params is not None:
            _install(params, values)
            scores = judge.attempt("loss(X, y=None)", net.loss, X, None)
            ref = nets.TwoLayerNet(*sizes)
            ref.params = values
            judge.close("loss(X, y=None): scores", scores, ref.loss(X), tol=TOL,
                        hint="with y=None, loss returns the scores only")


# ---------------------------------------------------------------- FullyConnectedNet

def _fcn(judge, student, label, hidden, D, C, **kwargs):
    shown = ", ".join(f"{k}={v.__name__ if isinstance(v, type) else repr(v)}"
                      for k, v in kwargs.items())
    return judge.attempt(f"{label}: FullyConnectedNet({hidden}, input_dim={D}, num_classes={C}"
                 f"{', ' + shown if shown else ''})", student, hidden_dims=list(hidden),
                 input_dim=D, num_classes=C, **kwargs)


def _activations(rng, n):
    """n activation names, every one of them once before any repeats, in random order."""
    names = list(rng.permutation(ACTIVATION_NAMES))
    while len(names) < n:
        names += list(rng.permutation(ACTIVATION_NAMES))
    return [str(a) for a in names[:n]]


@suite("FullyConnectedNet_init")
def _(student, rng, judge):
    if not _own_class(judge, "FullyConnectedNet", student):
        return
    acts = _activations(rng, 6)
    with kept_random_state(student):
        for case in range(6):
            depth = case % 4 + 1
            sizes = _sizes(rng, depth)
            D, hidden, C = sizes[0], sizes[1:-1], sizes[-1]
            scale = float(10 ** rng.uniform(-3, 0))
            dtype = np.float32 if case == 4 else np.float64
            seed = int(rng.integers(2**31))
            label = f"case {case + 1}, hidden_dims={hidden}"
            seed_hint = ""
            if case == 3:  # the defaults: weight_scale 1e-2, float64, relu, reg 0
                kwargs = {"seed": seed}
                scale = 1e-2
            elif case % 2 == 0:  # the seed argument, with the global state elsewhere
                kwargs = {"reg": _reg(rng), "weight_scale": scale, "dtype": dtype, "seed": seed,
                          "activation": acts[case]}
            else:  # no seed: the global state decides
                kwargs = {"reg": _reg(rng), "weight_scale": scale, "dtype": dtype,
                          "activation": acts[case]}
            if "seed" in kwargs:
                seed_hint = ("the seed argument was ignored: call np.random.seed(seed) before "
                             "drawing the weights when seed is not None")
            seed_numpy(student, seed + 1 if "seed" in kwargs else seed)
            net = _fcn(judge, student, label, hidden, D, C, **kwargs)
            if net is None:
                return
            np.random.seed(seed)
            ref = nets.FullyConnectedNet(hidden, input_dim=D, num_classes=C, weight_scale=scale,
                                         dtype=dtype)
            params = _params_of(judge, label, net, list(ref.params))
            if params is None:
                return
            hint = ""
            if seed_hint:
                np.random.seed(seed + 1)
                wrong = nets.FullyConnectedNet(hidden, input_dim=D, num_classes=C,
                                               weight_scale=scale, dtype=dtype)
                if all(_near(params.get(k), wrong.params[k]) for k in _weights(ref.params)):
                    hint = seed_hint
            elif not all(_near(params.get(k), ref.params[k], 1e-6) for k in ref.params) \
                    and not _init_diagnosis(params, sizes, scale, seed):
                hint = ("with seed=None, leave numpy's random state alone (np.random.seed(None) "
                        "reseeds it at random) and draw each weight as weight_scale * "
                        "np.random.randn(fan_in, fan_out), in layer order")
            if not _check_init(judge, label, params, ref, scale, seed, dtype, hint):
                return


def _fcn_case(rng, case, acts, dtype=np.float64):
    depth = case % 4 + 1
    sizes = _sizes(rng, depth)
    N = 1 if case == 1 else int(rng.integers(2, 9))
    X, y, values = _problem(rng, sizes, N, trailing=case == 2, dtype=dtype)
    return sizes, X, y, values, acts[case]


def _reference_fcn(sizes, values, reg, activation, dtype=np.float64):
    ref = nets.FullyConnectedNet(sizes[1:-1], input_dim=sizes[0], num_classes=sizes[-1],
                                 reg=reg, activation=activation, dtype=dtype)
    ref.params = {k: v.copy() for k, v in values.items()}
    return ref


@suite("FullyConnectedNet_loss")
def _(student, rng, judge):
    """Scores and the loss value, depths 1 to 4, every activation."""
    if not _own_class(judge, "FullyConnectedNet", student):
        return
    acts = _activations(rng, 8)
    with kept_random_state(student):
        for case in range(8):
            sizes, X, y, values, act = _fcn_case(rng, case, acts)
            reg = 0.0 if case == 0 else _reg(rng)
            label = (f"case {case + 1}, hidden_dims={sizes[1:-1]}, activation={act!r}, "
                     f"X of shape {X.shape}")
            net = _fcn(judge, student, label, sizes[1:-1], sizes[0], sizes[-1], reg=reg,
                       activation=act, seed=0)
            params = None if net is None else _params_of(judge, label, net, list(values))
            if params is None:
                return
            _install(params, values)
            X0, y0, params0 = X.copy(), y.copy(), {k: v.copy() for k, v in values.items()}
            ref = _reference_fcn(sizes, values, reg, act)
            scores = judge.attempt(f"{label}: loss(X)", net.loss, X)
            if scores is None:
                return
            expected = ref.loss(X)
            hint = "" if _near(scores, expected) else _scores_diagnosis(
                values, X, act, scores, _variant_extra(act))
            ok = judge.close(f"{label}: scores", scores, expected, tol=TOL, hint=hint)
            got = judge.attempt(f"{label}: loss(X, y)", net.loss, X, y)
            if got is None:
                return
            pair = _pair(judge, f"{label}: loss(X, y)", got)
            if pair is None:
                return
            ref_loss, ref_grads = ref.loss(X, y)
            if not _near(pair[0], ref_loss):
                hint = _loss_diagnosis(values, X, y, reg, act, pair[0], pair[1],
                                       _variant_extra(act))
                hint = hint or _loss_value_diagnosis(values, X, y, reg, act, pair[0])
            ok = judge.close(f"{label}: loss", pair[0], ref_loss, tol=TOL, hint=hint) and ok
            _unmodified(judge, label, X, X0, y, y0, params, params0)
            if not ok:
                return


def _variant_extra(activation):
    """Mistakes specific to the deep net: the activation argument ignored."""
    if activation == "relu":
        return ()
    return (({"act_override": "relu"}, f"the net used ReLU although activation="
             f"{activation!r} was asked: look the pair up in course.layers.ACTIVATIONS"),)


def _loss_value_diagnosis(params, X, y, reg, activation, loss) -> str:
    """For the loss value alone: which mistake gives the student's number."""
    with np.errstate(all="ignore"):
        reference = _variant(params, X, y, reg, activation)[1]
        for flags, message in LOSS_MISTAKES:
            candidate = _variant(params, X, y, reg, activation, **flags)[1]
            if _near(loss, candidate) and not _near(reference, candidate):
                return message
    return ""


@suite("FullyConnectedNet_grads")
def _(student, rng, judge):
    """Gradients for depths 1 to 4 and every activation, float64, then float32."""
    if not _own_class(judge, "FullyConnectedNet", student):
        return
    acts = _activations(rng, 8)
    with kept_random_state(student):
        for case in range(8):
            dtype = np.float32 if case == 7 else np.float64
            sizes, X, y, values, act = _fcn_case(rng, case, acts, dtype)
            reg = 0.0 if case == 0 else _reg(rng)
            label = (f"case {case + 1}, hidden_dims={sizes[1:-1]}, activation={act!r}, "
                     f"reg={reg:.3g}" + (", dtype=np.float32" if dtype == np.float32 else ""))
            net = _fcn(judge, student, label, sizes[1:-1], sizes[0], sizes[-1], reg=reg,
                       activation=act, dtype=dtype, seed=0)
            params = None if net is None else _params_of(judge, label, net, list(values))
            if params is None:
                return
            _install(params, values)
            X0, y0, params0 = X.copy(), y.copy(), {k: v.copy() for k, v in values.items()}
            got = judge.attempt(f"{label}: loss(X, y)", net.loss, X, y)
            if got is None:
                return
            ref = _reference_fcn(sizes, values, reg, act, dtype)
            ref_loss, ref_grads = ref.loss(X, y)
            ok = _compare_loss(judge, label, got, ref_loss, ref_grads, values, X, y, reg, act,
                               dtype, _variant_extra(act))
            _unmodified(judge, label, X, X0, y, y0, params, params0)
            if not ok:
                return


# ---------------------------------------------------------------- the trained model

_DIGITS = {}


def _digits_test():
    """(X_test, y_test) of course.data.load_digits() with its default split and preprocessing."""
    if not _DIGITS:
        split = data.load_digits()
        _DIGITS["X"], _DIGITS["y"] = split["X_test"], split["y_test"]
    return _DIGITS["X"].copy(), _DIGITS["y"].copy()


def _test_accuracy(judge, model):
    """Accuracy of model.loss(X_test) scores on the digits test split, or None (failed)."""
    what = "best_model"
    if model is None or not callable(getattr(model, "loss", None)):
        judge.record(what, False, f"{what} should be a trained model with a loss(X) method "
                     f"(for example your TwoLayerNet), got {type_name(model)}")
        return None
    X, y = _digits_test()
    X0 = X.copy()
    with kept_random_state(model):
        scores = judge.attempt("best_model.loss(X_test)", model.loss, X,
                       hint="train on course.data.load_digits() with its default arguments: "
                            "X of shape (N, 64), pixels scaled and centred")
    if scores is None:
        return None
    if type(scores) is not np.ndarray or scores.shape != (len(y), 10) \
            or scores.dtype.kind != "f":
        shape = getattr(scores, "shape", None)
        judge.record(what, False, f"best_model.loss(X_test) should return float scores of "
                     f"shape ({len(y)}, 10), got {type_name(scores)} of shape {shape}")
        return None
    if not np.all(np.isfinite(scores)):
        judge.record(what, False, "best_model.loss(X_test) returned inf or nan scores")
        return None
    judge.unmodified("X_test", X0, X)
    return float(np.mean(np.argmax(scores, axis=1) == y))


def _accuracy_suite(threshold):
    def check(student, rng, judge):
        acc = _test_accuracy(judge, student)
        if acc is not None:
            judge.record("test accuracy", acc >= threshold,
                         f"best_model classifies {acc:.1%} of the held-out test digits "
                         f"correctly; this check needs at least {threshold:.0%}: tune the "
                         "learning rate, hidden size, reg and epochs on the validation set")
    return check


suite("trained_model_90")(_accuracy_suite(0.90))
suite("trained_model_95")(_accuracy_suite(0.95))


# ---------------------------------------------------------------- concept checks


concept("q1_no_relu", "not right: multiply out W2 (W1 x + b1) + b2 and look at what is left",
         "linear", ("linear", "more_than_linear", "quadratic"))
concept("q2_overfitting", "not right: reread what the lecture advises against using as a "
         "regularizer, and try both in the capacity explorer",
         "more_regularization", ("fewer_hidden_units", "more_regularization"))


@suite("q3_num_params")
def _(student, rng, judge):
    if isinstance(student, bool) or not isinstance(student, numbers.Integral):
        judge.record("q3_num_params", False, "q3_num_params: the answer should be an int, "
                     f"got {student!r:.60}")
        return
    sizes = [64, 100, 50, 10]
    expected = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    hint = "not right: each layer has fan_in * fan_out weights plus fan_out biases"
    if int(student) == sum(a * b for a, b in zip(sizes[:-1], sizes[1:])):
        hint = "not right: the biases are parameters too"
    judge.record("q3_num_params", int(student) == expected, f"q3_num_params: {hint}")
