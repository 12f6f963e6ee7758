"""Assignment 06: the Solver training loop (course.solver), and nets that learn.

The Solver's bookkeeping is checked against expectations computed outside
it: a recording update rule sees the learning rate of every update, a
minibatch is re-drawn from the same seeded generator, and the restored best
params are checked against the accuracies recorded when they were saved.
"""

import pickle

import numpy as np
import pytest

from course import optim, schedules
from course.data import load_digits, make_spiral
from course.nets import FullyConnectedNet, TwoLayerNet
from course.solver import Solver

pytestmark = pytest.mark.networks


def toy_data(N=50, D=10, C=5, seed=0, num_val=30):
    rng = np.random.default_rng(seed)
    return {"X_train": rng.standard_normal((N, D)), "y_train": rng.integers(0, C, size=N),
            "X_val": rng.standard_normal((num_val, D)), "y_val": rng.integers(0, C, size=num_val)}


def toy_model(D=10, H=30, C=5, seed=0):
    np.random.seed(seed)
    return TwoLayerNet(D, H, C, weight_scale=0.1)


def recording_rule(record, rule=optim.sgd):
    """An update rule that logs the learning rate of every update, then defers to ``rule``."""
    def update(w, dw, config=None):
        next_w, config = rule(w, dw, config)
        record.append(config["learning_rate"])
        return next_w, config
    return update


# ---- construction and arguments -------------------------------------------------

def test_defaults_follow_cs231n():
    solver = Solver(toy_model(), toy_data())
    assert solver.update_rule is optim.sgd
    assert solver.optim_config == {}
    assert (solver.lr_decay, solver.batch_size, solver.num_epochs) == (1.0, 100, 10)
    assert (solver.num_train_samples, solver.num_val_samples) == (1000, None)
    assert (solver.checkpoint_name, solver.print_every, solver.verbose) == (None, 10, True)
    assert (solver.schedule, solver.progress, solver.seed) == (None, False, None)
    assert solver.loss_history == [] and solver.best_params == {}
    assert solver.epoch == 0 and solver.best_val_acc == 0


def test_unknown_keyword_is_named():
    with pytest.raises(ValueError, match="learning_rate"):
        Solver(toy_model(), toy_data(), learning_rate=1e-3)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"update_rule": "adagrad"}, ValueError, "update_rule"),
    ({"update_rule": 3}, TypeError, "update_rule"),
    ({"optim_config": [("learning_rate", 1)]}, TypeError, "optim_config"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"num_epochs": 2.5}, TypeError, "num_epochs"),
    ({"lr_decay": -0.5}, ValueError, "lr_decay"),
    ({"num_train_samples": 0}, ValueError, "num_train_samples"),
    ({"print_every": None}, TypeError, "print_every"),
    ({"checkpoint_name": 5}, TypeError, "checkpoint_name"),
    ({"schedule": 0.1}, TypeError, "schedule"),
    ({"schedule": schedules.constant(0.1), "lr_decay": 0.9}, ValueError, "lr_decay"),
    ({"seed": 1.5}, TypeError, "seed"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        Solver(toy_model(), toy_data(), **kwargs)


def test_bad_model_and_data_are_named():
    data = toy_data()
    with pytest.raises(TypeError, match="model"):
        Solver(object(), data)
    with pytest.raises(ValueError, match="y_val"):
        Solver(toy_model(), {k: v for k, v in data.items() if k != "y_val"})
    with pytest.raises(ValueError, match="y_train"):
        Solver(toy_model(), {**data, "y_train": data["y_train"][:-1]})
    with pytest.raises(TypeError, match="data"):
        Solver(toy_model(), [data])


def test_update_rule_by_callable_and_repr():
    solver = Solver(toy_model(), toy_data(), update_rule=optim.adam,
                    optim_config={"learning_rate": 1e-3})
    assert solver.update_rule is optim.adam
    text = repr(solver)
    assert text.startswith("Solver(model=TwoLayerNet(10 -> 30 -> 5")
    assert "update_rule='adam'" in text and "'learning_rate': 0.001" in text


# ---- one step ---------------------------------------------------------------------

def test_step_is_one_sgd_update_on_a_seeded_minibatch():
    data, model = toy_data(), toy_model()
    before = {k: v.copy() for k, v in model.params.items()}
    solver = Solver(model, data, optim_config={"learning_rate": 0.1}, batch_size=8, seed=3)
    solver._step()
    # The same minibatch, drawn again from the same generator (with replacement, as CS231n).
    batch = np.random.default_rng(3).choice(50, 8)
    reference = toy_model()
    loss, grads = reference.loss(data["X_train"][batch], data["y_train"][batch])
    assert solver.loss_history == [loss]
    for k in before:
        np.testing.assert_allclose(model.params[k], before[k] - 0.1 * grads[k], rtol=1e-14)


def test_every_param_has_its_own_config():
    optim_config = {"learning_rate": 1e-2, "momentum": 0.5}
    model = toy_model()
    solver = Solver(model, toy_data(), update_rule="sgd_momentum", optim_config=optim_config,
                    batch_size=10)
    solver._step()
    assert optim_config == {"learning_rate": 1e-2, "momentum": 0.5}  # the caller's dict untouched
    configs = solver.optim_configs
    assert set(configs) == set(model.params)
    assert len({id(c) for c in configs.values()}) == len(configs)
    for k, config in configs.items():
        assert config["velocity"].shape == model.params[k].shape
        assert config["momentum"] == 0.5


# ---- training -------------------------------------------------------------------

def test_overfits_fifty_examples():
    # 50 examples with random labels: a 100-unit net can memorize them all.
    data = toy_data(N=50, D=10, C=5)
    solver = Solver(toy_model(H=100), data, update_rule="adam",
                    optim_config={"learning_rate": 1e-2}, batch_size=25, num_epochs=60,
                    verbose=False, seed=0)
    solver.train()
    assert solver.train_acc_history[-1] == 1.0
    assert len(solver.loss_history) == 60 * 2
    assert solver.loss_history[-1] < 0.1 * solver.loss_history[0]


def test_accuracy_checked_at_first_iteration_and_every_epoch():
    solver = Solver(toy_model(), toy_data(N=50), batch_size=20, num_epochs=3, verbose=False)
    solver.train()
    # 50 // 20 = 2 iterations per epoch: checks after iteration 1, then epochs 1, 2, 3.
    assert len(solver.loss_history) == 6
    assert len(solver.train_acc_history) == len(solver.val_acc_history) == 4
    assert solver.epoch == 3


def test_best_params_are_restored():
    # Validation labels that disagree with training: val accuracy peaks early, and
    # the model must end with the params of that peak, not the last ones.
    data = toy_data(N=50, C=5, seed=1)
    rng = np.random.default_rng(9)
    data["X_val"] = data["X_train"][:30]
    data["y_val"] = (data["y_train"][:30] + rng.integers(1, 5, size=30)) % 5
    model = toy_model(H=100)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-2},
                    batch_size=25, num_epochs=20, num_train_samples=None, verbose=False,
                    seed=0)
    solver.train()
    best = int(np.argmax(solver.val_acc_history))
    assert best < len(solver.val_acc_history) - 1
    assert solver.best_val_acc == max(solver.val_acc_history)
    assert set(model.params) == set(solver.best_params)
    for k in model.params:
        np.testing.assert_array_equal(model.params[k], solver.best_params[k])
        assert model.params[k] is not solver.best_params[k]
    assert solver.check_accuracy(data["X_val"], data["y_val"]) == solver.best_val_acc
    assert solver.check_accuracy(data["X_train"], data["y_train"]) == \
        solver.train_acc_history[best]


def test_model_keeps_params_when_val_accuracy_is_always_zero():
    # Labels no model of 5 classes can predict: CS231n would leave model.params = {}.
    data = toy_data()
    data["y_val"] = np.full(30, 7)
    model = toy_model()
    solver = Solver(model, data, batch_size=25, num_epochs=2, verbose=False)
    solver.train()
    assert solver.val_acc_history == [0.0, 0.0, 0.0]
    assert set(model.params) == {"W1", "b1", "W2", "b2"}


def test_lr_decay_gives_lr0_times_decay_to_the_epoch():
    record = []
    solver = Solver(toy_model(), toy_data(N=50), update_rule=recording_rule(record),
                    optim_config={"learning_rate": 0.1}, lr_decay=0.5, batch_size=25,
                    num_epochs=4, verbose=False)
    solver.train()
    # 4 params updated per iteration, 2 iterations per epoch: 8 updates per epoch.
    assert len(record) == 4 * 8
    for epoch in range(4):
        assert record[8 * epoch: 8 * (epoch + 1)] == pytest.approx([0.1 * 0.5**epoch] * 8,
                                                                   rel=1e-15)
    assert solver.optim_configs["W1"]["learning_rate"] == pytest.approx(0.1 * 0.5**4)


@pytest.mark.parametrize("schedule", [
    schedules.step_decay(0.2, drop=0.5, every=2),
    schedules.lr_decay_schedule(0.1, 0.9),
    lambda epoch: [0.3, 0.01, 0.2, 0.05][epoch],  # any callable epoch -> rate
])
def test_schedule_sets_the_rate_at_the_start_of_each_epoch(schedule):
    record = []
    solver = Solver(toy_model(), toy_data(N=50), update_rule=recording_rule(record, optim.adam),
                    optim_config={"learning_rate": 123.0}, schedule=schedule, batch_size=25,
                    num_epochs=4, verbose=False)
    solver.train()
    for epoch in range(4):
        assert record[8 * epoch: 8 * (epoch + 1)] == [schedule(epoch)] * 8


def test_seed_makes_training_reproducible_and_leaves_global_state_alone():
    def run(seed):
        solver = Solver(toy_model(), toy_data(), batch_size=10, num_epochs=2, verbose=False,
                        num_train_samples=20, seed=seed)
        np.random.seed(123)
        state = np.random.get_state()[1].copy()
        solver.train()
        np.testing.assert_array_equal(np.random.get_state()[1], state)
        return solver.loss_history
    assert run(5) == run(5)
    assert run(5) != run(6)


def test_global_seed_reproduces_without_seed_argument():
    def run():
        np.random.seed(42)
        solver = Solver(toy_model(), toy_data(), batch_size=10, num_epochs=2, verbose=False)
        np.random.seed(42)
        solver.train()
        return solver.loss_history
    first = run()
    assert run() == first
    # ...because minibatches are np.random.choice draws, as in CS231n.
    np.random.seed(42)
    batch = np.random.choice(50, 10)
    data = toy_data()
    assert first[0] == toy_model().loss(data["X_train"][batch], data["y_train"][batch])[0]


def test_check_accuracy_by_hand():
    # W1 = W2 = I, zero biases: scores = max(0, x) and the larger positive entry wins.
    model = TwoLayerNet(2, 2, 2)
    model.params.update(W1=np.eye(2), W2=np.eye(2))
    X = np.array([[3.0, 1.0], [-1.0, 2.0], [0.5, 4.0], [2.0, 0.0], [1.0, 5.0], [0.0, 1.0],
                  [4.0, 3.0]])
    y = np.array([0, 1, 0, 0, 1, 1, 1])  # predictions 0 1 1 0 1 1 0: 5 of 7 right
    data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    solver = Solver(model, data, seed=0)
    assert solver.check_accuracy(X, y, batch_size=3) == pytest.approx(5 / 7)
    assert solver.check_accuracy(X, y) == pytest.approx(5 / 7)
    sub = solver.check_accuracy(X, y, num_samples=4)
    assert sub * 4 == pytest.approx(round(sub * 4))


def test_works_with_a_float32_fully_connected_net():
    data = toy_data()
    model = FullyConnectedNet([20, 20], input_dim=10, num_classes=5, weight_scale=0.1,
                              dtype=np.float32, seed=0, activation="tanh")
    solver = Solver(model, data, update_rule="rmsprop", optim_config={"learning_rate": 1e-2},
                    batch_size=25, num_epochs=50, verbose=False, seed=0)
    solver.train()
    assert all(p.dtype == np.float32 for p in model.params.values())
    assert solver.train_acc_history[-1] > 0.9


# ---- output: printing, checkpoints, progress bar -----------------------------------

def test_verbose_output(capsys):
    solver = Solver(toy_model(), toy_data(N=50), batch_size=25, num_epochs=2, print_every=3)
    solver.train()
    out = capsys.readouterr().out.splitlines()
    iterations = [line for line in out if line.startswith("(Iteration")]
    epochs = [line for line in out if line.startswith("(Epoch")]
    assert [line.split(")")[0] for line in iterations] == ["(Iteration 1 / 4", "(Iteration 4 / 4"]
    assert epochs[0].startswith("(Epoch 0 / 2) train acc: ")
    assert "; val_acc: " in epochs[0]
    assert len(epochs) == 3


def test_quiet_when_not_verbose(capsys):
    Solver(toy_model(), toy_data(), num_epochs=1, verbose=False).train()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_checkpoints_are_written_each_epoch(tmp_path, capsys):
    name = tmp_path / "twolayer"
    solver = Solver(toy_model(), toy_data(N=50), batch_size=25, num_epochs=2,
                    checkpoint_name=str(name), verbose=True)
    solver.train()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"twolayer_epoch_{e}.pkl" for e in range(3)]
    assert f'Saving checkpoint to "{name}_epoch_2.pkl"' in capsys.readouterr().out
    with open(tmp_path / "twolayer_epoch_2.pkl", "rb") as f:
        checkpoint = pickle.load(f)
    assert checkpoint["epoch"] == 2
    assert checkpoint["loss_history"] == solver.loss_history
    assert checkpoint["val_acc_history"] == solver.val_acc_history
    assert checkpoint["update_rule"] is optim.sgd
    assert checkpoint["batch_size"] == 25 and checkpoint["lr_decay"] == 1.0
    assert isinstance(checkpoint["model"], TwoLayerNet)
    with open(tmp_path / "twolayer_epoch_0.pkl", "rb") as f:
        assert pickle.load(f)["epoch"] == 0


def test_progress_bar(capsys):
    solver = Solver(toy_model(), toy_data(N=50), batch_size=10, num_epochs=3, progress=True,
                    verbose=False)
    solver.train()
    err = capsys.readouterr().err
    assert "15/15" in err  # 50 // 10 = 5 iterations per epoch, 3 epochs
    assert "loss=" in err


def test_progress_bar_with_verbose_output(capsys):
    solver = Solver(toy_model(), toy_data(N=50), batch_size=25, num_epochs=2, progress=True)
    solver.train()
    captured = capsys.readouterr()
    assert "(Iteration 1 / 4)" in captured.out + captured.err
    assert "4/4" in captured.err


# ---- learning: the nets actually learn (correctness, fixed seeds) -------------------

@pytest.mark.slow
def test_two_layer_net_fits_the_spiral():
    # The lecture's spiral is not linearly separable; 100 ReLUs fit it. Validation is
    # the training set, so the restored best params are the best fit. The ceiling is
    # 298/300 = 99.33%: each arm starts at radius 0, so three points with three
    # different labels sit on the origin.
    X, y = make_spiral(num_classes=3, points_per_class=100, noise=0.2, seed=0)
    np.random.seed(0)
    model = TwoLayerNet(input_dim=2, hidden_dim=100, num_classes=3, weight_scale=0.1)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
                    update_rule="adam", optim_config={"learning_rate": 3e-2}, batch_size=50,
                    num_epochs=300, verbose=False, seed=0)
    solver.train()
    assert solver.check_accuracy(X, y) >= 0.99


@pytest.mark.slow
def test_two_layer_net_learns_digits():
    data = load_digits(seed=0)
    np.random.seed(0)
    model = TwoLayerNet(input_dim=64, hidden_dim=200, num_classes=10, weight_scale="he",
                        reg=1e-3)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 3e-3},
                    batch_size=50, num_epochs=20, verbose=False, seed=0)
    solver.train()
    # Measured over seeds 0..9: 98.0% to 99.0% on the 300 test images.
    assert solver.check_accuracy(data["X_test"], data["y_test"]) >= 0.96
