"""The hidden checks of assignment 06_neural_networks: the reference passes, mistakes are named.

Every suite is run on the reference classes (copied into classes of their
own, since the suites refuse course.nets' classes themselves) and on plain
student-style solutions written with numpy, for several seeds; then
realistic wrong implementations must fail with a message naming the mistake.
"""

import numpy as np
import pytest

from autograder.hidden import check
from course import data, nets
from course.gradcheck import eval_numerical_gradient, rel_error
from course.layers import ACTIVATIONS
from tests.checking import check_fails as _fails

pytestmark = pytest.mark.networks

SEEDS = range(3)



def _detached(cls):
    """The reference class's own code in a class that does not derive from course.nets."""
    namespace = {}
    for klass in reversed(cls.__mro__[:-1]):
        namespace.update({k: v for k, v in vars(klass).items()
                          if k not in ("__dict__", "__weakref__")})
    return type(cls.__name__, (), namespace)


REF_TWO_LAYER = _detached(nets.TwoLayerNet)
REF_FCN = _detached(nets.FullyConnectedNet)


# ---------------------------------------------------------------------------
# Student-style solutions in plain numpy, with switches for the usual mistakes
# ---------------------------------------------------------------------------

def _act(name, a):
    """(h, local gradient dh/da) of an activation from course.layers.ACTIVATIONS."""
    forward, backward = ACTIVATIONS[name]
    h, cache = forward(a)
    return h, backward(np.ones_like(a), cache)


def make_net(*, draw="right", act_last=False, identity=False, reg_grad=1.0, reg_loss=0.5,
             reg_biases=False, summed=False, relu_ge=False, naive_softmax=False,
             inplace=False, ignore_activation=False, ignore_seed=False, no_cast=False,
             reseed_none=False, random_biases=False, reg_last_only=False, einsum=False,
             log_softmax=False):
    """A FullyConnectedNet written with numpy; ``make_two_layer`` wraps it as a TwoLayerNet.

    ``einsum`` and ``log_softmax`` are no mistakes: products by np.einsum (another summation
    order) and the probabilities as exp(scores - logsumexp).
    """
    mm = (lambda a, b: np.einsum("ik,kj->ij", a, b)) if einsum else np.matmul

    class Net:
        def __init__(self, hidden_dims, input_dim=3 * 32 * 32, num_classes=10, reg=0.0,
                     weight_scale=1e-2, dtype=np.float64, seed=None, activation="relu"):
            self.reg, self.dtype = reg, dtype
            self.activation = "relu" if ignore_activation else activation
            if (seed is not None and not ignore_seed) or reseed_none:
                np.random.seed(seed)
            sizes = [input_dim, *hidden_dims, num_classes]
            self.L = len(sizes) - 1
            self.params = {}
            order = range(self.L, 0, -1) if draw == "reversed" else range(1, self.L + 1)
            for l in order:
                fan_in, fan_out = sizes[l - 1], sizes[l]
                if draw == "transposed":
                    W = weight_scale * np.random.randn(fan_out, fan_in).T
                elif draw == "unscaled":
                    W = np.random.randn(fan_in, fan_out)
                else:
                    W = weight_scale * np.random.randn(fan_in, fan_out)
                self.params[f"W{l}"] = W if no_cast else W.astype(dtype)
                b = np.random.randn(fan_out) if random_biases else np.zeros(fan_out)
                self.params[f"b{l}"] = b if no_cast else b.astype(dtype)
            if draw == "reversed":
                self.params = {k: self.params[k] for k in sorted(self.params)}

        def loss(self, X, y=None):
            X_in = X
            X = X.reshape(X.shape[0], -1)
            X = X if no_cast else X.astype(self.dtype)
            h, stack = X, []
            for l in range(1, self.L + 1):
                a = mm(h, self.params[f"W{l}"]) + self.params[f"b{l}"]
                if l < self.L or act_last:
                    if identity:
                        new_h, local = a, np.ones_like(a)
                    else:
                        new_h, local = _act(self.activation, a)
                        if relu_ge and self.activation == "relu":
                            local = (a >= 0).astype(a.dtype)
                else:
                    new_h, local = a, None
                stack.append((h, local))
                h = new_h
            scores = h
            if y is None:
                return scores
            N = X.shape[0]
            if naive_softmax:
                e = np.exp(scores)
                p = e / e.sum(axis=1, keepdims=True)
            elif log_softmax:
                m = scores.max(axis=1, keepdims=True)
                p = np.exp(scores - m - np.log(np.exp(scores - m).sum(axis=1, keepdims=True)))
            else:
                shifted = scores - scores.max(axis=1, keepdims=True)
                p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
            loss = -np.mean(np.log(p[np.arange(N), y]))
            dh = p.copy()
            dh[np.arange(N), y] -= 1
            dh /= N
            if summed:
                loss, dh = loss * N, dh * N
            grads = {}
            for l in range(self.L, 0, -1):
                h_in, local = stack[l - 1]
                if local is not None:
                    dh = dh * local
                grads[f"W{l}"] = mm(h_in.T, dh)
                grads[f"b{l}"] = dh.sum(axis=0)
                dh = mm(dh, self.params[f"W{l}"].T)
            for k, p_ in self.params.items():
                if k.startswith("W") and (not reg_last_only or k == f"W{self.L}"):
                    loss += reg_loss * self.reg * np.sum(p_ * p_)
                    grads[k] = grads[k] + reg_grad * self.reg * p_
                if k.startswith("b") and reg_biases:
                    loss += 0.5 * self.reg * np.sum(p_ * p_)
                    grads[k] = grads[k] + self.reg * p_
            if inplace:
                X_in *= 2.0  # e.g. a preprocessing step written with an in-place operator
            return loss, grads

    Net.__name__ = "FullyConnectedNet"
    return Net


def make_two_layer(**flags):
    Net = make_net(**flags)

    class TwoLayerNet(Net):
        def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10,
                     weight_scale=1e-3, reg=0.0):
            super().__init__([hidden_dim], input_dim, num_classes, reg, weight_scale)

    return TwoLayerNet


TWO_LAYER_OK = make_two_layer()
FCN_OK = make_net()


# ---------------------------------------------------------------------------
# The reference and the student-style solutions pass
# ---------------------------------------------------------------------------

TWO_LAYER_SUITES = ("TwoLayerNet_init", "TwoLayerNet_scores", "TwoLayerNet_loss_and_grads")
FCN_SUITES = ("FullyConnectedNet_init", "FullyConnectedNet_loss", "FullyConnectedNet_grads")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", TWO_LAYER_SUITES)
def test_reference_two_layer_net_passes(name, seed):
    check(name, REF_TWO_LAYER, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", FCN_SUITES)
def test_reference_fully_connected_net_passes(name, seed):
    check(name, REF_FCN, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", TWO_LAYER_SUITES)
def test_numpy_two_layer_net_passes(name, seed):
    check(name, TWO_LAYER_OK, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", FCN_SUITES)
def test_numpy_fully_connected_net_passes(name, seed):
    check(name, FCN_OK, seed=seed)


# Seeds on which correct nets once failed in float32: a bias gradient, a sum over the batch,
# nearly cancelled, and another order of the same sums differed by more than 1e-4 of the
# array's largest entry, though by a few ulps of the terms (found on 3,500 seeds).
@pytest.mark.parametrize("net, seed", [
    (FCN_OK, 2747), (FCN_OK, 3354), (make_net(einsum=True, log_softmax=True), 1408),
], ids=["matmul-2747", "matmul-3354", "einsum-1408"])
def test_other_correct_orders_pass_where_a_gradient_nearly_cancels(net, seed):
    check("FullyConnectedNet_grads", net, seed=seed)


def test_gradient_error_scales_add_up_the_sizes_of_the_terms():
    from autograder.checks.a06_networks import _grad_scales

    # one layer, equal scores: p = 1/2, dscores = (p - one_hot(y)) / N = [[-1, 1], [1, -1]] / 4
    # sums to 0 over the batch, from terms (p + one_hot(y)) / N = [[3, 1], [1, 3]] / 4
    params = {"W1": np.zeros((1, 2)), "b1": np.zeros(2)}
    X, y = np.ones((2, 1)), np.array([0, 1])
    scales = _grad_scales(params, X, y, 0.5, "relu")
    assert scales["b1"].tolist() == [1.0, 1.0]
    assert scales["W1"].tolist() == [[1.0, 1.0]]  # |X|.T @ terms + reg |W|, with W = 0
    # with a hidden tanh layer the terms flow back through |W2| and |tanh'|
    params = {"W1": np.ones((1, 1)), "b1": np.zeros(1), "W2": np.array([[1.0, -1.0]]),
              "b2": np.zeros(2)}
    scales = _grad_scales(params, 0 * X, y, 0.0, "tanh")  # tanh'(0) = 1, h = 0
    assert scales["b1"].tolist() == [2.0]  # (3 + 1) / 4 + (1 + 3) / 4, through |W2| = 1
    assert scales["W1"].tolist() == [[0.0]]  # the input is 0


def in_float32(Net):
    """A correct net that works in float32 inside: a near miss in float64."""

    class Inside(Net):
        def loss(self, X, y=None):
            saved, self.params = self.params, {k: v.astype(np.float32)
                                               for k, v in self.params.items()}
            try:
                out = super().loss(X.astype(np.float32), y)
            finally:
                self.params = saved
            if y is None:
                return out.astype(np.float64)
            return float(out[0]), {k: g.astype(np.float64) for k, g in out[1].items()}

    Inside.__name__ = Net.__name__
    return Inside


@pytest.mark.parametrize("name, net", [("TwoLayerNet_loss_and_grads", TWO_LAYER_OK),
                                       ("FullyConnectedNet_grads", FCN_OK)])
def test_a_near_miss_is_not_told_a_mistake_the_reference_shares(name, net):
    # On these seeds the old hints named mistakes that change nothing where the near miss
    # failed: "summed over the batch" with N = 1, "miss the regularization" with reg = 0,
    # "> 0, not >= 0" with no input at the kink
    from autograder.checks.a06_networks import LOSS_MISTAKES, SCORE_MISTAKES

    for seed in range(4):
        message = _fails(name, in_float32(net), seed=seed)
        named = [m for _, m in (*LOSS_MISTAKES, *SCORE_MISTAKES) if m in message]
        assert not named and "used ReLU" not in message, message


def test_the_suites_leave_numpy_random_state_alone():
    np.random.seed(5)
    before = np.random.get_state()[1].copy()
    for name in TWO_LAYER_SUITES:
        check(name, REF_TWO_LAYER, seed=1)
    for name in FCN_SUITES:
        check(name, REF_FCN, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)


def test_reference_gradients_agree_with_centered_differences():
    # The suites trust course.nets; here is the numerical check they rely on, on the
    # kind of problem they draw (random biases, reg > 0, a deep tanh net).
    rng = np.random.default_rng(0)
    model = nets.FullyConnectedNet([5, 4], input_dim=6, num_classes=3, reg=0.3,
                                   activation="tanh", weight_scale=0.5, seed=0)
    for k in model.params:
        if k.startswith("b"):
            model.params[k] = rng.standard_normal(model.params[k].shape)
    X, y = rng.standard_normal((4, 6)), rng.integers(0, 3, 4)
    _, grads = model.loss(X, y)
    for k, p in model.params.items():
        numeric = eval_numerical_gradient(lambda _: model.loss(X, y)[0], p, verbose=False)
        assert rel_error(grads[k], numeric) < 1e-7, k


# ---------------------------------------------------------------------------
# Realistic mistakes fail, with a message naming them
# ---------------------------------------------------------------------------

def test_course_classes_themselves_are_refused():
    _fails("TwoLayerNet_init", nets.TwoLayerNet, "your own")

    class Sub(nets.FullyConnectedNet):
        pass

    _fails("FullyConnectedNet_grads", Sub, "your own")
    _fails("TwoLayerNet_scores", TWO_LAYER_OK(2, 2, 2), "should be a class")


@pytest.mark.parametrize("draw, words", [
    ("reversed", ("wrong order",)),
    ("transposed", ("(fan_out, fan_in)",)),
    ("unscaled", ("wrong scale",)),
])
def test_wrong_draws_are_named(draw, words):
    _fails("TwoLayerNet_init", make_two_layer(draw=draw), *words)


def test_random_biases_are_named():
    _fails("TwoLayerNet_init", make_two_layer(random_biases=True), "biases start at zero")


def test_no_relu_and_relu_on_the_scores_are_named():
    _fails("TwoLayerNet_scores", make_two_layer(identity=True), "affine function of X")
    _fails("TwoLayerNet_scores", make_two_layer(act_last=True), "also applied to the scores")


@pytest.mark.parametrize("flags, words", [
    ({"reg_grad": 0.0}, ("miss the regularization",)),
    ({"reg_grad": 2.0}, ("2 * reg * W",)),
    ({"reg_loss": 1.0, "reg_grad": 2.0}, ("0.5 * reg",)),
    ({"reg_biases": True}, ("biases are regularized",)),
    ({"summed": True}, ("summed over the batch",)),
    ({"relu_ge": True}, ("> 0, not >= 0",)),
])
def test_loss_and_gradient_mistakes_are_named(flags, words):
    _fails("TwoLayerNet_loss_and_grads", make_two_layer(**flags), *words)


def test_naive_softmax_overflows_and_fails():
    _fails("TwoLayerNet_loss_and_grads", make_two_layer(naive_softmax=True), "row max")


def test_input_modified_in_place_fails():
    _fails("TwoLayerNet_loss_and_grads", make_two_layer(inplace=True), "modified in place")


def test_fcn_mistakes_are_named():
    _fails("FullyConnectedNet_init", make_net(ignore_seed=True), "seed argument was ignored")
    _fails("FullyConnectedNet_init", make_net(reseed_none=True), "seed=None")
    _fails("FullyConnectedNet_init", make_net(no_cast=True), "dtype")
    _fails("FullyConnectedNet_init", make_net(draw="reversed"), "wrong order")
    _fails("FullyConnectedNet_grads", make_net(reg_grad=0.0), "miss the regularization")
    _fails("FullyConnectedNet_grads", make_net(reg_biases=True), "biases are regularized")
    _fails("FullyConnectedNet_loss", make_net(act_last=True), "also applied to the scores")
    _fails("FullyConnectedNet_grads", make_net(reg_last_only=True), "grads['W1']")


def test_fcn_ignoring_the_activation_is_named():
    # Every activation appears among the cases: some non-ReLU case shows the mistake.
    for seed in SEEDS:
        _fails("FullyConnectedNet_loss", make_net(ignore_activation=True), "used ReLU",
               seed=seed)


def test_fcn_float32_without_casting_fails():
    Net = make_net(no_cast=True)
    _fails("FullyConnectedNet_grads", Net, "float32")


# ---------------------------------------------------------------------------
# The trained model
# ---------------------------------------------------------------------------

class NearestNeighbour:
    """A 1-nearest-neighbour classifier on the digits' training split (about 98% on test)."""

    def __init__(self):
        split = data.load_digits()
        self.X, self.y = split["X_train"], split["y_train"]

    def loss(self, X, y=None):
        d = ((X[:, None, :] - self.X[None, :, :]) ** 2).sum(axis=2)
        scores = np.zeros((len(X), 10))
        scores[np.arange(len(X)), self.y[np.argmin(d, axis=1)]] = 1.0
        return scores


def test_a_good_model_passes_both_accuracy_checks():
    model = NearestNeighbour()
    check("trained_model_90", model)
    check("trained_model_95", model)


def test_a_trained_two_layer_net_passes():
    np.random.seed(0)
    split = data.load_digits()
    model = nets.TwoLayerNet(64, 100, 10, weight_scale="he", reg=1e-3)
    from course.solver import Solver

    Solver(model, split, update_rule="adam", optim_config={"learning_rate": 5e-3},
           batch_size=64, num_epochs=10, verbose=False, seed=0).train()
    check("trained_model_95", model)


def test_an_untrained_model_fails_with_its_accuracy():
    np.random.seed(0)
    model = nets.TwoLayerNet(64, 20, 10, weight_scale=1e-3)
    _fails("trained_model_90", model, "held-out test digits", "at least 90%")


def test_a_model_between_90_and_95_gets_the_first_check_only():
    class Blurred(NearestNeighbour):
        def loss(self, X, y=None):
            scores = super().loss(X)
            scores[:21] = np.roll(scores[:21], 1, axis=1)  # 21 of 300 wrong at least: < 93%
            return scores

    model = Blurred()
    check("trained_model_90", model)
    _fails("trained_model_95", model, "at least 95%")


@pytest.mark.parametrize("model, words", [
    (None, ("loss(X) method",)),
    (type("Flat", (), {"loss": lambda self, X, y=None: np.zeros(len(X))})(), ("shape (300, 10)",)),
    (type("Image", (), {"loss": lambda self, X, y=None: X.reshape(-1, 1, 8, 8)[:, :, 9]})(),
     ("default arguments",)),
])
def test_broken_models_fail_with_a_message(model, words):
    _fails("trained_model_95", model, *words)


# ---------------------------------------------------------------------------
# Concept checks
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, right, wrong", [
    ("q1_no_relu", "linear", "more_than_linear"),
    ("q2_overfitting", "more_regularization", "fewer_hidden_units"),
    ("q3_num_params", 64 * 100 + 100 + 100 * 50 + 50 + 50 * 10 + 10, 12000),
])
def test_concepts(name, right, wrong):
    check(name, right)
    message = _fails(name, wrong, "not right")
    assert str(right) not in message
    _fails(name, "something else" if name != "q3_num_params" else "12060", "should be")


def test_forgotten_biases_in_the_parameter_count_are_named():
    _fails("q3_num_params", 64 * 100 + 100 * 50 + 50 * 10, "biases")


def test_activation_names_cover_the_library():
    assert set(ACTIVATIONS) >= {"relu", "tanh", "sigmoid"}
