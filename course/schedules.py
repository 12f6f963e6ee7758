"""Learning-rate schedules: small callables from an epoch index to a learning rate.

A schedule is called with ``t``, the 0-based epoch index (an int >= 0), and
returns the learning rate itself (a float, not a multiplier of it)::

    schedule = cosine(lr0=1e-2, total=10)
    schedule(0)    # 0.01
    schedule(10)   # 0.0

The Solver uses them once per epoch, setting the rate in every parameter's
optimizer config::

    for config in optim_configs.values():
        apply_schedule(config, schedule, epoch)

Available schedules (each validates its arguments, each has a ``__repr__``
that reads like the call that made it):

- ``constant(lr0)``:                    lr0
- ``step_decay(lr0, drop, every)``:     lr0 * drop ** (t // every)
- ``exponential(lr0, gamma)``:          lr0 * gamma ** t
- ``lr_decay_schedule(lr0, lr_decay)``: CS231n Solver's ``lr_decay``, lr0 * lr_decay ** t
- ``cosine(lr0, total, lr_min)``:       lr_min + (lr0 - lr_min) * (1 + cos(pi * t / total)) / 2,
                                        then lr_min for t >= total
- ``linear_warmup(lr0, warmup, after)``: lr0 * (t + 1) / warmup for t < warmup,
                                        then after(t - warmup) (or lr0 without ``after``)
"""

from __future__ import annotations

import math

import numpy as np

from course import _checks


def _factor(name: str, value) -> float:
    """Check a decay factor lies in (0, 1] (1 means no decay)."""
    value = _checks.positive(name, value)
    if value > 1:
        raise ValueError(f"{name}: expected a decay factor in (0, 1], got {value}")
    return value


class Schedule:
    """Base class: ``schedule(t)`` checks the epoch index t, then returns ``rate(t)``."""

    name = "schedule"

    def rate(self, t: int) -> float:
        raise NotImplementedError

    def params(self) -> dict:
        """The arguments that made this schedule, for ``__repr__``."""
        return {}

    def __call__(self, t) -> float:
        return float(self.rate(_checks.integer("t", t, 0)))

    def rates(self, num_epochs: int) -> np.ndarray:
        """The learning rates of epochs 0 .. num_epochs - 1, for plotting."""
        num_epochs = _checks.integer("num_epochs", num_epochs, 0)
        return np.array([self(t) for t in range(num_epochs)], dtype=np.float64)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{self.name}({args})"


class Constant(Schedule):
    name = "constant"

    def __init__(self, lr0):
        self.lr0 = _checks.positive("lr0", lr0)

    def rate(self, t):
        return self.lr0

    def params(self):
        return {"lr0": self.lr0}


class StepDecay(Schedule):
    name = "step_decay"

    def __init__(self, lr0, drop=0.5, every=10):
        self.lr0 = _checks.positive("lr0", lr0)
        self.drop = _factor("drop", drop)
        self.every = _checks.integer("every", every, 1)

    def rate(self, t):
        return self.lr0 * self.drop ** (t // self.every)

    def params(self):
        return {"lr0": self.lr0, "drop": self.drop, "every": self.every}


class Exponential(Schedule):
    name = "exponential"

    def __init__(self, lr0, gamma):
        self.lr0 = _checks.positive("lr0", lr0)
        self.gamma = _factor("gamma", gamma)

    def rate(self, t):
        return self.lr0 * self.gamma**t

    def params(self):
        return {"lr0": self.lr0, "gamma": self.gamma}


class LrDecay(Schedule):
    """CS231n's Solver multiplies the rate by lr_decay at the end of every epoch.

    The rates are built by that same repeated multiplication rather than by
    ``lr0 * lr_decay**t``: the two differ in the last bits, and the product
    reproduces CS231n's numbers exactly.
    """

    name = "lr_decay_schedule"

    def __init__(self, lr0, lr_decay):
        self.lr0 = _checks.positive("lr0", lr0)
        self.lr_decay = _factor("lr_decay", lr_decay)
        self._memo = [self.lr0]  # _memo[t] is the rate of epoch t

    def rate(self, t):
        while len(self._memo) <= t:
            self._memo.append(self._memo[-1] * self.lr_decay)
        return self._memo[t]

    def params(self):
        return {"lr0": self.lr0, "lr_decay": self.lr_decay}


class Cosine(Schedule):
    name = "cosine"

    def __init__(self, lr0, total, lr_min=0.0):
        self.lr0 = _checks.positive("lr0", lr0)
        self.total = _checks.integer("total", total, 1)
        self.lr_min = _checks.positive("lr_min", lr_min, allow_zero=True)
        if self.lr_min > self.lr0:
            raise ValueError(f"lr_min: expected a number <= lr0 = {self.lr0}, "
                             f"got {self.lr_min}")

    def rate(self, t):
        if t >= self.total:
            return self.lr_min
        return self.lr_min + 0.5 * (self.lr0 - self.lr_min) * (
            1 + math.cos(math.pi * t / self.total))

    def params(self):
        return {"lr0": self.lr0, "total": self.total, "lr_min": self.lr_min}


class LinearWarmup(Schedule):
    """Rise linearly to lr0 over the first ``warmup`` epochs, then hand over.

    Epoch t < warmup runs at lr0 * (t + 1) / warmup: lr0 / warmup first,
    lr0 at t = warmup - 1. From t = warmup on the rate is after(t - warmup),
    so ``after`` starts from its own epoch 0; without ``after`` it stays lr0.
    """

    name = "linear_warmup"

    def __init__(self, lr0, warmup, after=None):
        self.lr0 = _checks.positive("lr0", lr0)
        self.warmup = _checks.integer("warmup", warmup, 1)
        if after is not None and not callable(after):
            raise TypeError(f"after: expected a schedule (a callable t -> rate) or None, "
                            f"got {type(after).__name__}")
        self.after = after

    def rate(self, t):
        if t < self.warmup:
            return self.lr0 * (t + 1) / self.warmup
        if self.after is None:
            return self.lr0
        return self.after(t - self.warmup)

    def params(self):
        return {"lr0": self.lr0, "warmup": self.warmup, "after": self.after}


def constant(lr0) -> Constant:
    """The same rate lr0 > 0 at every epoch."""
    return Constant(lr0)


def step_decay(lr0, drop=0.5, every=10) -> StepDecay:
    """lr0 * drop ** (t // every): multiply by drop (in (0, 1]) every ``every`` epochs."""
    return StepDecay(lr0, drop, every)


def exponential(lr0, gamma) -> Exponential:
    """lr0 * gamma ** t: multiply by gamma (in (0, 1]) every epoch."""
    return Exponential(lr0, gamma)


def lr_decay_schedule(lr0, lr_decay) -> LrDecay:
    """CS231n Solver's ``lr_decay``: lr0 * lr_decay ** t, as a running product."""
    return LrDecay(lr0, lr_decay)


def cosine(lr0, total, lr_min=0.0) -> Cosine:
    """Half a cosine from lr0 at t = 0 down to lr_min at t = total, then lr_min.

    With epochs 0 .. num_epochs - 1, ``total=num_epochs - 1`` ends exactly at
    lr_min; ``total=num_epochs`` stops one step short of it.
    """
    return Cosine(lr0, total, lr_min)


def linear_warmup(lr0, warmup, after=None) -> LinearWarmup:
    """lr0 * (t + 1) / warmup for t < warmup, then after(t - warmup) or lr0."""
    return LinearWarmup(lr0, warmup, after)


def apply_schedule(optim_config, schedule, t) -> float:
    """Set optim_config["learning_rate"] = schedule(t) and return that rate.

    Inputs:
    - optim_config: an update rule's config dict (see ``course.optim``).
    - schedule: a callable t -> learning rate, such as the schedules above.
    - t: the epoch index, an int >= 0.
    """
    if not isinstance(optim_config, dict):
        raise TypeError(f"optim_config: expected a dict, got {type(optim_config).__name__}")
    if not callable(schedule):
        raise TypeError(f"schedule: expected a callable t -> learning rate, "
                        f"got {type(schedule).__name__}")
    t = _checks.integer("t", t, 0)
    lr = _checks.positive(f"schedule({t})", schedule(t), allow_zero=True)
    optim_config["learning_rate"] = lr
    return lr
