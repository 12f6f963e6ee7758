"""Assignment 06: TwoLayerNet and FullyConnectedNet (course.nets).

References are computed independently: the weight draws are reconstructed
from numpy's seeded global state, the forward pass and loss are written out
again with plain numpy in the tests, every gradient is compared with
centered differences (course.gradcheck), and PyTorch autograd serves as an
optional oracle.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from course.gradcheck import eval_numerical_gradient, rel_error
from course.layers import ACTIVATIONS
from course.nets import FullyConnectedNet, TwoLayerNet
from tests.strategies import seeds

pytestmark = pytest.mark.networks

ACTIVATION_NAMES = list(ACTIVATIONS)
KINKED = {"relu", "leaky_relu"}  # a kink in the function itself at 0


def numpy_softmax_loss(scores, y):
    """Mean cross-entropy, written out with log-sum-exp."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(y)), y].mean()


def numeric_grads(model, X, y):
    """Centered-difference gradient of model.loss(X, y)[0] for every param."""
    f = lambda _: model.loss(X, y)[0]
    return {k: eval_numerical_gradient(f, p, verbose=False) for k, p in model.params.items()}


def toy_two_layer(reg=0.0, seed=0, D=5, H=6, C=4, N=3):
    """A small float64 TwoLayerNet with O(1) weights and random nonzero biases."""
    rng = np.random.default_rng(seed)
    model = TwoLayerNet(D, H, C, weight_scale=0.5, reg=reg)
    model.params["b1"] = 0.3 * rng.standard_normal(H)
    model.params["b2"] = 0.3 * rng.standard_normal(C)
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    return model, X, y


# ---- TwoLayerNet: initialization ------------------------------------------------

def test_two_layer_init_reproduces_seeded_randn():
    np.random.seed(0)
    model = TwoLayerNet(input_dim=5, hidden_dim=4, num_classes=3, weight_scale=1e-3)
    # Reconstruct independently: W1 is the first draw after seeding, W2 the next.
    np.random.seed(0)
    W1 = 1e-3 * np.random.randn(5, 4)
    W2 = 1e-3 * np.random.randn(4, 3)
    np.testing.assert_array_equal(model.params["W1"], W1)
    np.testing.assert_array_equal(model.params["W2"], W2)
    np.testing.assert_array_equal(model.params["b1"], np.zeros(4))
    np.testing.assert_array_equal(model.params["b2"], np.zeros(3))
    assert list(model.params) == ["W1", "b1", "W2", "b2"]
    assert model.params["W1"].dtype == np.float64


def test_two_layer_default_sizes_are_cifar10():
    model = TwoLayerNet()
    assert model.params["W1"].shape == (3 * 32 * 32, 100)
    assert model.params["W2"].shape == (100, 10)
    assert model.reg == 0.0


def test_two_layer_equals_one_hidden_layer_fully_connected_net():
    np.random.seed(7)
    two = TwoLayerNet(6, 5, 3, weight_scale=0.1, reg=0.2)
    fc = FullyConnectedNet([5], input_dim=6, num_classes=3, weight_scale=0.1, reg=0.2, seed=7)
    for k in two.params:
        np.testing.assert_array_equal(two.params[k], fc.params[k])
    X = np.random.default_rng(1).standard_normal((4, 6))
    y = np.array([0, 2, 1, 2])
    loss2, grads2 = two.loss(X, y)
    loss_fc, grads_fc = fc.loss(X, y)
    assert loss2 == loss_fc
    for k in grads2:
        np.testing.assert_array_equal(grads2[k], grads_fc[k])


# ---- TwoLayerNet: forward, loss, gradients -----------------------------------

def test_two_layer_scores_and_loss_match_direct_numpy():
    model, X, y = toy_two_layer(reg=0.3)
    p = model.params
    hidden = np.maximum(0, X @ p["W1"] + p["b1"])
    scores = hidden @ p["W2"] + p["b2"]
    expected = numpy_softmax_loss(scores, y) + 0.5 * 0.3 * (
        (p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    np.testing.assert_allclose(model.loss(X), scores, rtol=1e-12, atol=1e-14)
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(expected, rel=1e-12)
    assert set(grads) == set(p)
    assert all(grads[k].shape == p[k].shape for k in p)


def test_two_layer_zero_weights_by_hand():
    # With all weights and biases 0 every score is 0, so softmax is uniform:
    # loss = log C, dscores = (1/C - onehot(y)) / N. The hidden layer is 0, so
    # dW2 = 0; ReLU's gradient at exactly 0 is 0, so dW1 = db1 = 0.
    C = 4
    model = TwoLayerNet(3, 5, C, weight_scale=0.0)
    X = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    y = np.array([1, 3])
    loss, grads = model.loss(X, y)
    assert loss == pytest.approx(np.log(C), rel=1e-15)
    np.testing.assert_allclose(grads["b2"], [0.25, 0.25 - 0.5, 0.25, 0.25 - 0.5], rtol=1e-15)
    for k in ("W1", "b1", "W2"):
        np.testing.assert_array_equal(grads[k], 0.0)


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_two_layer_gradients_match_numerical(reg):
    model, X, y = toy_two_layer(reg=reg)
    _, grads = model.loss(X, y)
    for k, num in numeric_grads(model, X, y).items():
        assert rel_error(num, grads[k]) < 1e-7, k


def test_two_layer_regularization_adds_exactly_half_reg_sum_w_squared():
    model, X, y = toy_two_layer(reg=0.0)
    loss0, grads0 = model.loss(X, y)
    model.reg = 0.25
    loss1, grads1 = model.loss(X, y)
    W1, W2 = model.params["W1"], model.params["W2"]
    penalty = 0.5 * 0.25 * (np.sum(W1 * W1) + np.sum(W2 * W2))
    assert loss1 - loss0 == pytest.approx(penalty, rel=1e-12)
    np.testing.assert_allclose(grads1["W1"] - grads0["W1"], 0.25 * W1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads1["W2"] - grads0["W2"], 0.25 * W2, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(grads1["b1"], grads0["b1"])  # biases are not regularized
    np.testing.assert_array_equal(grads1["b2"], grads0["b2"])


def test_two_layer_initial_loss_is_log_num_classes():
    # Tiny weights give near-zero scores, a near-uniform softmax and loss ~ log C.
    np.random.seed(3)
    model = TwoLayerNet(20, 30, 10, weight_scale=1e-3)
    X = np.random.randn(50, 20)
    y = np.random.randint(10, size=50)
    assert model.loss(X, y)[0] == pytest.approx(np.log(10), abs=1e-3)


def test_two_layer_flattens_image_shaped_input():
    model, X, y = toy_two_layer(D=6)
    X_img = X.reshape(len(X), 1, 2, 3)
    np.testing.assert_array_equal(model.loss(X_img), model.loss(X))
    assert model.loss(X_img, y)[0] == model.loss(X, y)[0]


def test_two_layer_predict_by_hand():
    # W1 = W2 = I and zero biases: scores = max(0, x), so the larger positive entry wins.
    model = TwoLayerNet(2, 2, 2)
    model.params.update(W1=np.eye(2), W2=np.eye(2))
    X = np.array([[3.0, 1.0], [-1.0, 2.0], [0.5, 4.0]])
    np.testing.assert_array_equal(model.predict(X), [0, 1, 1])


def test_two_layer_repr():
    model, _, _ = toy_two_layer(reg=0.3, D=5, H=6, C=4)
    text = repr(model)
    assert "TwoLayerNet(5 -> 6 -> 4" in text
    assert "relu" in text and "reg=0.3" in text
    assert "num_params=64" in text  # 5*6 + 6 + 6*4 + 4


# ---- FullyConnectedNet ----------------------------------------------------------

def preactivations(model, X):
    """Every affine output a_l, recomputed with plain numpy and the activation forwards."""
    act = ACTIVATIONS[model.activation][0]
    h, out = X, []
    for l in range(1, model.num_layers + 1):
        a = h @ model.params[f"W{l}"] + model.params[f"b{l}"]
        out.append(a)
        h = act(a)[0]
    return out


def grad_error(num, ana, floor=1e-2):
    """CS231n's relative error max |n - a| / max(floor, |n| + |a|), with a larger floor.

    A centered difference with h = 1e-5 on a loss of size ~1 carries an
    absolute rounding error of ~1e-11, so an entry near 0 (dead units, a bias
    gradient where examples cancel, the exact zeros of the SVM) has an
    unmeasurable relative error. With floor 1e-2 a bound of 1e-7 means: 1e-7
    relative on entries above 1e-2 and 1e-9 absolute below it (100x the noise).
    """
    return float(np.max(np.abs(num - ana) / np.maximum(floor, np.abs(num) + np.abs(ana))))


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@settings(max_examples=5)
@given(data=st.data())
def test_fully_connected_gradients_match_numerical(depth, activation, data):
    hidden = data.draw(st.lists(st.integers(2, 5), min_size=depth - 1, max_size=depth - 1))
    D, C, N = (data.draw(st.integers(2, 5)), data.draw(st.integers(2, 4)),
               data.draw(st.integers(2, 5)))
    loss = data.draw(st.sampled_from(["softmax", "svm"]))
    reg = data.draw(st.sampled_from([0.0, 0.1]))
    seed = data.draw(seeds())
    rng = np.random.default_rng(seed)
    model = FullyConnectedNet(hidden, input_dim=D, num_classes=C, reg=reg, weight_scale="xavier",
                              seed=seed, activation=activation, loss=loss)
    # Nonzero biases: with zero biases a layer of dead ReLUs feeds exact zeros into
    # the next, putting its pre-activations right on the kink.
    for l in range(1, depth + 1):
        model.params[f"b{l}"] = 0.5 * rng.standard_normal(model.params[f"b{l}"].shape)
    X = rng.standard_normal((N, D))
    y = rng.integers(0, C, size=N)
    # Keep 1e-3 away from the kinks (ReLU/Leaky ReLU at 0, a hinge margin at 0), so
    # no nudge of size 1e-5 crosses one; this rejects only ~1% of the draws.
    *hidden_a, scores = preactivations(model, X)
    if activation in KINKED:
        assume(all(np.abs(a).min() > 1e-3 for a in hidden_a))
    if loss == "svm":
        margins = scores - scores[np.arange(N), y][:, None] + 1
        margins[np.arange(N), y] = 1.0
        assume(np.abs(margins).min() > 1e-3)

    _, grads = model.loss(X, y)
    for k, num in numeric_grads(model, X, y).items():
        assert grad_error(num, grads[k]) < 1e-7, k


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_fully_connected_gradients_strict_rel_error(activation):
    # CS231n's own rel_error (floor 1e-8) on a fixed instance with no gradient entry
    # near 0, where it is meaningful (see grad_error); measured max about 3e-8.
    rng = np.random.default_rng(2)
    model = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, reg=0.5, weight_scale=0.7,
                              seed=3, activation=activation)
    for l in (1, 2, 3):
        model.params[f"b{l}"] = 0.5 * rng.standard_normal(model.params[f"b{l}"].shape)
    X = rng.standard_normal((5, 4))
    y = np.array([0, 1, 2, 2, 1])
    _, grads = model.loss(X, y)
    for k, num in numeric_grads(model, X, y).items():
        assert rel_error(num, grads[k]) < 1e-7, k


def test_fully_connected_init_reproduces_seeded_randn():
    model = FullyConnectedNet([7, 6], input_dim=5, num_classes=3, weight_scale=0.05, seed=11)
    np.random.seed(11)
    for l, shape in enumerate([(5, 7), (7, 6), (6, 3)], start=1):
        np.testing.assert_array_equal(model.params[f"W{l}"], 0.05 * np.random.randn(*shape))
        np.testing.assert_array_equal(model.params[f"b{l}"], np.zeros(shape[1]))
    assert list(model.params) == ["W1", "b1", "W2", "b2", "W3", "b3"]


@pytest.mark.parametrize("name, gain", [("he", 2.0), ("xavier", 1.0)])
def test_named_initializations(name, gain):
    model = FullyConnectedNet([7, 6], input_dim=5, num_classes=3, weight_scale=name, seed=2)
    np.random.seed(2)
    for l, (fan_in, fan_out) in enumerate([(5, 7), (7, 6), (6, 3)], start=1):
        expected = np.sqrt(gain / fan_in) * np.random.randn(fan_in, fan_out)
        np.testing.assert_allclose(model.params[f"W{l}"], expected, rtol=1e-15)


def test_depth_one_is_a_linear_softmax_classifier():
    model = FullyConnectedNet([], input_dim=3, num_classes=2, weight_scale=0.5, seed=0)
    assert list(model.params) == ["W1", "b1"]
    X = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 2.0]])
    np.testing.assert_allclose(model.loss(X), X @ model.params["W1"], rtol=1e-15)


def test_fully_connected_float32():
    model = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, weight_scale=0.3,
                              dtype=np.float32, seed=0, reg=0.1, activation="tanh")
    ref = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, weight_scale=0.3,
                            dtype=np.float64, seed=0, reg=0.1, activation="tanh")
    assert all(p.dtype == np.float32 for p in model.params.values())
    X = np.random.default_rng(0).standard_normal((5, 4))  # float64, cast to float32
    y = np.array([0, 1, 2, 0, 1])
    assert model.loss(X).dtype == np.float32
    loss, grads = model.loss(X, y)
    assert all(g.dtype == np.float32 for g in grads.values())
    loss64, grads64 = ref.loss(X, y)
    assert loss == pytest.approx(loss64, rel=1e-5)
    for k in grads:
        np.testing.assert_allclose(grads[k], grads64[k], rtol=1e-3, atol=1e-5)


@pytest.mark.parametrize("loss_name", ["softmax", "svm"])
def test_fully_connected_loss_matches_direct_numpy(loss_name):
    model = FullyConnectedNet([5, 4], input_dim=3, num_classes=3, weight_scale=0.8, seed=4,
                              reg=0.2, activation="sigmoid", loss=loss_name)
    X = np.random.default_rng(4).standard_normal((6, 3))
    y = np.array([0, 1, 2, 2, 0, 1])
    p = model.params
    sig = lambda a: 1 / (1 + np.exp(-a))
    scores = sig(sig(X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]) @ p["W3"] + p["b3"]
    if loss_name == "softmax":
        data_loss = numpy_softmax_loss(scores, y)
    else:
        margins = np.maximum(0, scores - scores[np.arange(6), y][:, None] + 1)
        data_loss = (margins.sum() - 6.0) / 6  # each correct class adds a margin of exactly 1
    penalty = 0.5 * 0.2 * sum(np.sum(p[f"W{l}"] ** 2) for l in (1, 2, 3))
    np.testing.assert_allclose(model.loss(X), scores, rtol=1e-12)
    assert model.loss(X, y)[0] == pytest.approx(data_loss + penalty, rel=1e-12)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_fully_connected_regularization_difference(activation):
    model = FullyConnectedNet([5, 4], input_dim=3, num_classes=4, weight_scale=0.5, seed=5,
                              activation=activation)
    X = np.random.default_rng(5).standard_normal((4, 3))
    y = np.array([3, 0, 1, 2])
    loss0, grads0 = model.loss(X, y)
    model.reg = 0.3
    loss1, grads1 = model.loss(X, y)
    weights = [model.params[f"W{l}"] for l in (1, 2, 3)]
    assert loss1 - loss0 == pytest.approx(0.5 * 0.3 * sum(np.sum(W * W) for W in weights),
                                          rel=1e-12)
    for l, W in enumerate(weights, start=1):
        np.testing.assert_allclose(grads1[f"W{l}"] - grads0[f"W{l}"], 0.3 * W,
                                   rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(grads1[f"b{l}"], grads0[f"b{l}"])


@pytest.mark.parametrize("loss_name, expected", [("softmax", np.log(7)), ("svm", 7 - 1.0)])
def test_fully_connected_initial_loss(loss_name, expected):
    # Near-zero scores: softmax gives log C; every hinge margin is ~1, so SVM gives C - 1.
    model = FullyConnectedNet([20, 20], input_dim=10, num_classes=7, weight_scale=1e-3,
                              seed=0, loss=loss_name)
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 10)), rng.integers(0, 7, size=40)
    assert model.loss(X, y)[0] == pytest.approx(expected, abs=1e-3)


# ---- both nets: inputs untouched, errors, repr ------------------------------------

def make_nets():
    np.random.seed(0)
    return [TwoLayerNet(6, 5, 3, weight_scale=0.5, reg=0.1),
            FullyConnectedNet([5, 4], input_dim=6, num_classes=3, weight_scale=0.5, reg=0.1,
                              activation="elu")]


@pytest.mark.parametrize("index", [0, 1])
def test_loss_modifies_neither_inputs_nor_params(index):
    model = make_nets()[index]
    X = np.random.default_rng(2).standard_normal((4, 6))
    y = np.array([0, 1, 2, 1])
    X0, y0 = X.copy(), y.copy()
    params0 = {k: v.copy() for k, v in model.params.items()}
    model.loss(X)
    _, grads = model.loss(X, y)
    for g in grads.values():
        g += 1.0  # the grads are fresh arrays: writing to them leaves the params alone
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    for k in params0:
        np.testing.assert_array_equal(model.params[k], params0[k])


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize("X, y, error, match", [
    (np.zeros((4, 5)), None, ValueError, r"X: .*input_dim"),
    (np.zeros(6), None, ValueError, "X"),
    (np.zeros((4, 6), dtype=int), None, TypeError, "X"),
    (np.zeros((4, 6)), np.array([0, 1, 2]), ValueError, "y"),
    (np.zeros((4, 6)), np.array([0, 1, 2, 3]), ValueError, r"y: .*\[0, 3\)"),
    (np.zeros((4, 6)), np.array([0.0, 1.0, 2.0, 1.0]), TypeError, "y"),
])
def test_bad_inputs_are_named(index, X, y, error, match):
    model = make_nets()[index]
    with pytest.raises(error, match=match):
        model.loss(X, y)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"input_dim": 0}, ValueError, "input_dim"),
    ({"hidden_dim": 2.5}, TypeError, "hidden_dim"),
    ({"num_classes": True}, TypeError, "num_classes"),
    ({"weight_scale": -1.0}, ValueError, "weight_scale"),
    ({"weight_scale": "kaiming"}, ValueError, "weight_scale"),
    ({"reg": -0.1}, ValueError, "reg"),
])
def test_two_layer_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        TwoLayerNet(**kwargs)


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((5,), {}, TypeError, r"hidden_dims: .*\[5\]"),
    (([3, 0],), {}, ValueError, r"hidden_dims\[1\]"),
    (("34",), {}, TypeError, "hidden_dims"),
    (([3],), {"activation": "softplus"}, ValueError, "activation: .*'relu'"),
    (([3],), {"loss": "hinge"}, ValueError, "loss: .*'svm'"),
    (([3],), {"dtype": np.int32}, ValueError, "dtype"),
    (([3],), {"dtype": "not a dtype"}, TypeError, "dtype"),
    (([3],), {"num_classes": -2}, ValueError, "num_classes"),
    (([3],), {"reg": float("nan")}, ValueError, "reg"),
])
def test_fully_connected_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        FullyConnectedNet(*args, **kwargs)


def test_fully_connected_repr_and_predict():
    model = FullyConnectedNet([5, 4], input_dim=6, num_classes=3, reg=0.1, activation="gelu",
                              loss="svm", dtype=np.float32, seed=0)
    text = repr(model)
    for part in ("FullyConnectedNet(6 -> 5 -> 4 -> 3", "'gelu'", "'svm'", "float32",
                 "reg=0.1", f"num_params={6 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3}"):
        assert part in text
    X = np.random.default_rng(0).standard_normal((8, 6))
    pred = model.predict(X)
    assert pred.shape == (8,)
    np.testing.assert_array_equal(pred, np.argmax(model.loss(X), axis=1))


# ---- PyTorch oracle -------------------------------------------------------------

def torch_activation(torch, name):
    F = torch.nn.functional
    return {"relu": F.relu, "leaky_relu": lambda a: F.leaky_relu(a, 0.01),
            "elu": lambda a: F.elu(a, 1.0), "gelu": F.gelu, "silu": F.silu,
            "sigmoid": torch.sigmoid, "tanh": torch.tanh}[name]


def torch_loss_and_grads(torch, params, X, y, activation, reg, loss="softmax"):
    """The same net in torch autograd: layers in order, L2 on the weights."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    L = len(t) // 2
    h = torch.tensor(X.reshape(len(X), -1), dtype=torch.float64)
    act = torch_activation(torch, activation)
    for l in range(1, L):
        h = act(h @ t[f"W{l}"] + t[f"b{l}"])
    scores = h @ t[f"W{L}"] + t[f"b{L}"]
    labels = torch.tensor(y)
    if loss == "softmax":
        data_loss = torch.nn.functional.cross_entropy(scores, labels)
    else:
        correct = scores.gather(1, labels[:, None])
        margins = torch.clamp(scores - correct + 1, min=0)
        data_loss = (margins.sum() - len(y)) / len(y)
    total = data_loss + 0.5 * reg * sum((t[f"W{l}"] ** 2).sum() for l in range(1, L + 1))
    total.backward()
    return total.item(), {k: v.grad.numpy() for k, v in t.items()}


def assert_grads_match_torch(grads, t_grads):
    # atol only for entries that are exactly 0 here and ~1e-17 in torch's sum order.
    for k in grads:
        np.testing.assert_allclose(grads[k], t_grads[k], rtol=1e-10, atol=1e-14, err_msg=k)


@pytest.mark.oracle
def test_two_layer_matches_torch():
    torch = pytest.importorskip("torch")
    model, X, y = toy_two_layer(reg=0.4, D=7, H=9, C=5, N=6)
    loss, grads = model.loss(X, y)
    t_loss, t_grads = torch_loss_and_grads(torch, model.params, X, y, "relu", 0.4)
    assert loss == pytest.approx(t_loss, rel=1e-10)
    assert_grads_match_torch(grads, t_grads)


@pytest.mark.oracle
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
@pytest.mark.parametrize("loss_name", ["softmax", "svm"])
def test_fully_connected_matches_torch(activation, loss_name):
    torch = pytest.importorskip("torch")
    model = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, weight_scale=0.7, reg=0.2,
                              seed=3, activation=activation, loss=loss_name)
    rng = np.random.default_rng(3)
    for l in (1, 2, 3):
        model.params[f"b{l}"] = 0.5 * rng.standard_normal(model.params[f"b{l}"].shape)
    X = rng.standard_normal((5, 2, 2))  # image-shaped, flattened by the first layer
    y = np.array([0, 1, 2, 2, 1])
    loss, grads = model.loss(X, y)
    t_loss, t_grads = torch_loss_and_grads(torch, model.params, X, y, activation, 0.2, loss_name)
    assert loss == pytest.approx(t_loss, rel=1e-10)
    assert_grads_match_torch(grads, t_grads)
