"""Minibatch training: CS231n's Solver, plus learning-rate schedules and a progress bar.

A Solver takes a model (anything with a ``params`` dict and a
``loss(X, y=None)`` method, like ``course.nets.TwoLayerNet``) and a data dict,
and runs minibatch gradient descent::

    data = {"X_train": ..., "y_train": ..., "X_val": ..., "y_val": ...}
    solver = Solver(model, data, update_rule="sgd",
                    optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=100, print_every=100)
    solver.train()

One iteration samples a minibatch, computes the loss and gradients, and
updates every parameter with its own copy of the optimizer config (each
parameter keeps its own velocity, moving averages, ...). Once per epoch, and
at the first and last iterations, it measures the training and validation
accuracy and keeps a copy of the params with the best validation accuracy;
``train()`` leaves those best params in the model.
"""

from __future__ import annotations

import numbers
import os
import pickle

import numpy as np
from tqdm.auto import tqdm

from course import _checks
from course.optim import get_update_rule
from course.schedules import apply_schedule

DEFAULTS = {
    "update_rule": "sgd",
    "optim_config": {},
    "lr_decay": 1.0,
    "batch_size": 100,
    "num_epochs": 10,
    "num_train_samples": 1000,
    "num_val_samples": None,
    "checkpoint_name": None,
    "print_every": 10,
    "verbose": True,
    "schedule": None,
    "progress": False,
    "seed": None,
}
"""Every keyword Solver accepts, with its default."""

DATA_KEYS = ("X_train", "y_train", "X_val", "y_val")



def _check_model(model):
    if not isinstance(getattr(model, "params", None), dict):
        raise TypeError(f"model: expected an object with a params dict, "
                        f"got {type(model).__name__}")
    if not callable(getattr(model, "loss", None)):
        raise TypeError(f"model: expected an object with a loss(X, y=None) method, "
                        f"got {type(model).__name__}")
    return model


def _check_data(data):
    if not isinstance(data, dict):
        raise TypeError(f"data: expected a dict with keys {', '.join(DATA_KEYS)}, "
                        f"got {type(data).__name__}")
    missing = [k for k in DATA_KEYS if k not in data]
    if missing:
        raise ValueError(f"data: missing key(s) {', '.join(missing)}; "
                         f"expected {', '.join(DATA_KEYS)}")
    for split in ("train", "val"):
        X, y = data[f"X_{split}"], data[f"y_{split}"]
        if np.ndim(X) < 2 or np.shape(y) != (len(X),):
            raise ValueError(f"data['y_{split}']: expected one label per row of "
                             f"data['X_{split}'] of shape {np.shape(X)}, "
                             f"got shape {np.shape(y)}")
    if len(data["X_train"]) == 0:
        raise ValueError("data['X_train']: expected at least one training example, got 0")
    return tuple(data[k] for k in DATA_KEYS)


class Solver:
    """Train a model by minibatch gradient descent (CS231n's Solver contract).

    Inputs:
    - model: an object with ``params`` (dict of arrays) and ``loss(X, y=None)``
    - data: dict with X_train (N_train, ...), y_train (N_train,), X_val, y_val
    Keyword arguments (anything else is a ValueError):
    - update_rule: a name in course.optim.UPDATE_RULES or a callable
      ``update(w, dw, config) -> (next_w, config)``; default "sgd"
    - optim_config: hyperparameters for the update rule, e.g. learning_rate;
      every parameter gets its own copy
    - lr_decay: multiply every learning rate by this at the end of each epoch
    - batch_size: examples per minibatch (sampled with replacement, as CS231n)
    - num_epochs: epochs to train; an epoch is max(N_train // batch_size, 1) iterations
    - num_train_samples: training examples sampled for the training accuracy
      (None: all); num_val_samples: the same for validation (None: all)
    - checkpoint_name: if given, pickle a checkpoint to
      ``{checkpoint_name}_epoch_{epoch}.pkl`` after each accuracy check (the
      model and update rule are pickled too: a custom rule must be a
      module-level function)
    - print_every: print the loss every this many iterations (when verbose)
    - verbose: print progress
    - schedule: a callable epoch -> learning rate (see course.schedules); at the
      start of each epoch it sets every config's learning_rate; needs lr_decay=1.0
    - progress: show a tqdm progress bar over the iterations
    - seed: if given, minibatches and accuracy subsamples come from a private
      np.random.default_rng(seed); None uses np.random.choice (global state)
    """

    def __init__(self, model, data, **kwargs):
        self.model = _check_model(model)
        self.X_train, self.y_train, self.X_val, self.y_val = _check_data(data)

        unknown = sorted(set(kwargs) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"Solver: unrecognized argument(s) {', '.join(unknown)}; "
                             f"expected some of {', '.join(DEFAULTS)}")
        opts = {**DEFAULTS, **kwargs}
        self.update_rule = get_update_rule(opts["update_rule"])
        if not isinstance(opts["optim_config"], dict):
            raise TypeError(f"optim_config: expected a dict, "
                            f"got {type(opts['optim_config']).__name__}")
        self.optim_config = opts["optim_config"]
        self.lr_decay = _checks.positive("lr_decay", opts["lr_decay"])
        self.batch_size = _checks.integer("batch_size", opts["batch_size"])
        self.num_epochs = _checks.integer("num_epochs", opts["num_epochs"])
        self.num_train_samples = _checks.integer("num_train_samples", opts["num_train_samples"],
                                                 allow_none=True)
        self.num_val_samples = _checks.integer("num_val_samples", opts["num_val_samples"],
                                               allow_none=True)
        self.checkpoint_name = opts["checkpoint_name"]
        if self.checkpoint_name is not None and not isinstance(self.checkpoint_name,
                                                                (str, os.PathLike)):
            raise TypeError(f"checkpoint_name: expected a str, a path or None, "
                            f"got {type(self.checkpoint_name).__name__}")
        self.print_every = _checks.integer("print_every", opts["print_every"])
        self.verbose = bool(opts["verbose"])
        self.schedule = opts["schedule"]
        if self.schedule is not None:
            if not callable(self.schedule):
                raise TypeError(f"schedule: expected a callable epoch -> learning rate "
                                f"(see course.schedules), got {type(self.schedule).__name__}")
            if self.lr_decay != 1.0:
                raise ValueError(f"lr_decay: must be 1.0 when a schedule is given (the "
                                 f"schedule sets the learning rate each epoch), "
                                 f"got {self.lr_decay}")
        self.progress = bool(opts["progress"])
        self.seed = opts["seed"]
        if self.seed is not None and (isinstance(self.seed, bool)
                                      or not isinstance(self.seed, numbers.Integral)):
            raise TypeError(f"seed: expected an int or None, got {type(self.seed).__name__}")
        self._reset()

    def _reset(self):
        """Set up the bookkeeping; called by __init__ (not meant to be called by hand)."""
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        # Each parameter gets its own config: its own velocity, moments, step count.
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}
        self._rng = None if self.seed is None else np.random.default_rng(self.seed)
        self._bar = None

    def _sample(self, n, size):
        """``size`` indices in [0, n), drawn with replacement."""
        if self._rng is None:
            return np.random.choice(n, size)
        return self._rng.choice(n, size)

    def _step(self):
        """One update: sample a minibatch, compute loss and grads, update every param."""
        batch = self._sample(self.X_train.shape[0], self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch], self.y_train[batch])
        self.loss_history.append(loss)
        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def _save_checkpoint(self):
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = f"{os.fspath(self.checkpoint_name)}_epoch_{self.epoch}.pkl"
        if self.verbose:
            self._log(f'Saving checkpoint to "{filename}"')
        with open(filename, "wb") as f:
            pickle.dump(checkpoint, f)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Fraction of examples the model classifies correctly.

        Inputs:
        - X: array of shape (N, d1, ..., dk); y: labels of shape (N,)
        - num_samples: if given and N > num_samples, score a random subsample
          of that many examples (drawn with replacement)
        - batch_size: examples per forward pass (bounds the memory used)
        Returns:
        - acc: float in [0, 1]
        """
        num_samples = _checks.integer("num_samples", num_samples, allow_none=True)
        batch_size = _checks.integer("batch_size", batch_size)
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self._sample(N, num_samples)
            N, X, y = num_samples, X[mask], y[mask]
        y_pred = [np.argmax(self.model.loss(X[i:i + batch_size]), axis=1)
                  for i in range(0, N, batch_size)]
        return float(np.mean(np.concatenate(y_pred) == y))

    def _log(self, message):
        # Printing under a live progress bar would tear it; tqdm.write does not.
        if self._bar is not None and not self._bar.disable:
            tqdm.write(message)
        else:
            print(message)

    def train(self):
        """Run num_epochs epochs of optimization, then put the best params in the model."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        self._bar = tqdm(total=num_iterations, disable=not self.progress, unit="it")
        try:
            for t in range(num_iterations):
                if self.schedule is not None and t % iterations_per_epoch == 0:
                    for config in self.optim_configs.values():
                        apply_schedule(config, self.schedule, self.epoch)
                self._step()
                if self.progress:
                    self._bar.set_postfix(loss=f"{self.loss_history[-1]:.4f}", refresh=False)
                    self._bar.update()
                if self.verbose and t % self.print_every == 0:
                    self._log(f"(Iteration {t + 1} / {num_iterations}) "
                              f"loss: {self.loss_history[-1]:f}")

                epoch_end = (t + 1) % iterations_per_epoch == 0
                if epoch_end:
                    self.epoch += 1
                    for config in self.optim_configs.values():
                        if "learning_rate" in config:
                            config["learning_rate"] *= self.lr_decay

                if t == 0 or t == num_iterations - 1 or epoch_end:
                    self._check_epoch()
        finally:
            self._bar.close()
            self._bar = None
        # Copies, so that training further cannot alter best_params.
        self.model.params = {k: v.copy() for k, v in self.best_params.items()}

    def _check_epoch(self):
        """Record train/val accuracy, checkpoint, and keep the best params so far."""
        train_acc = self.check_accuracy(self.X_train, self.y_train,
                                        num_samples=self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        self._save_checkpoint()
        if self.verbose:
            self._log(f"(Epoch {self.epoch} / {self.num_epochs}) "
                      f"train acc: {train_acc:f}; val_acc: {val_acc:f}")
        # The first check always stores params, so the model never ends up empty.
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = val_acc
            self.best_params = {k: v.copy() for k, v in self.model.params.items()}

    def __repr__(self):
        rule = getattr(self.update_rule, "__name__", repr(self.update_rule))
        extra = f", schedule={self.schedule!r}" if self.schedule is not None else ""
        return (f"Solver(model={self.model!r}, update_rule={rule!r}, "
                f"optim_config={self.optim_config!r}, lr_decay={self.lr_decay!r}{extra}, "
                f"batch_size={self.batch_size}, num_epochs={self.num_epochs}, "
                f"epoch={self.epoch}, best_val_acc={self.best_val_acc!r})")
