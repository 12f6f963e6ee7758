"""Hypothesis strategies shared by the tests: bounded float64 arrays and shapes."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims=1, max_dims=3, min_side=1, max_side=5):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims,
                            min_side=min_side, max_side=max_side)


def arrays(shape, low=-3.0, high=3.0, away_from=None, gap=1e-3):
    """float64 arrays of ``shape`` with values in [low, high].

    ``away_from``: a kink (e.g. 0.0 for ReLU) that values keep ``gap`` away
    from, so a centered difference of step 1e-5 never straddles it.
    """
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    strat = hnp.arrays(np.float64, shape, elements=elements)
    if away_from is None:
        return strat
    return strat.map(lambda a: np.where(np.abs(a - away_from) < gap,
                                        away_from + gap * np.where(a >= away_from, 1, -1) * 2,
                                        a))


def seeds():
    return st.integers(0, 2**31 - 1)
