"""Numerical gradients: the tool that checks every other backward pass."""

import numpy as np
import pytest
from hypothesis import given

from course.gradcheck import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    numerical_jacobian,
    rel_error,
)
from tests.strategies import arrays, shapes

pytestmark = pytest.mark.vector_backprop


def test_rel_error_definition():
    # max over entries of |x - y| / max(1e-8, |x| + |y|), worked by hand:
    # entry 0: 0.1 / 2.1, entry 1: 0 / 4, entry 2: both zero -> 0 / 1e-8
    x = np.array([1.0, 2.0, 0.0])
    y = np.array([1.1, 2.0, 0.0])
    assert rel_error(x, y) == pytest.approx(0.1 / 2.1, rel=1e-12)
    assert rel_error(np.array([0.0]), np.array([1e-9])) == pytest.approx(1e-9 / 1e-8)
    with pytest.raises(ValueError, match="same shape"):
        rel_error(np.zeros(2), np.zeros(3))


@given(x=arrays(shapes(max_dims=3, max_side=4)))
def test_numerical_gradient_of_a_known_function(x):
    # f(x) = sum(x**3) / 3 + sum(sin x) has gradient x**2 + cos x.
    before = x.copy()
    grad = eval_numerical_gradient(lambda a: np.sum(a**3) / 3 + np.sum(np.sin(a)), x,
                                   verbose=False)
    expected = x**2 + np.cos(x)
    assert np.max(np.abs(grad - expected)) < 1e-8
    assert np.array_equal(x, before)  # every entry put back exactly


@given(x=arrays(shapes(max_dims=2, max_side=4)))
def test_numerical_gradient_array_is_vector_jacobian_product(x):
    rng = np.random.default_rng(0)
    df = rng.standard_normal(x.shape)
    grad = eval_numerical_gradient_array(np.tanh, x, df)
    assert np.max(np.abs(grad - df * (1 - np.tanh(x) ** 2))) < 1e-9


def test_numerical_jacobian_of_a_linear_map_is_the_matrix():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 3))
    x = rng.standard_normal(3)
    J = numerical_jacobian(lambda v: A @ v, x)
    assert J.shape == (4, 3)
    assert np.max(np.abs(J - A)) < 1e-9


def test_grad_check_sparse_finds_a_wrong_gradient(capsys):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 4))
    f = lambda a: float(np.sum(a**2))
    good = grad_check_sparse(f, x, 2 * x, num_checks=8, seed=0)
    bad = grad_check_sparse(f, x, 3 * x, num_checks=8, seed=0, verbose=False)
    assert max(good) < 1e-8
    assert min(bad) > 0.1  # 3x vs 2x: relative error 1/5 everywhere
    assert "relative error" in capsys.readouterr().out


def test_closure_over_x_sees_the_perturbation():
    # the CS231n idiom: f ignores its argument and reads the array it closes over
    w = np.array([1.0, -2.0])
    grad = eval_numerical_gradient(lambda _: float(np.sum(w**2)), w, verbose=False)
    assert np.max(np.abs(grad - 2 * w)) < 1e-8


def test_bad_input():
    with pytest.raises(TypeError, match="x: expected a floating-point array"):
        eval_numerical_gradient(np.sum, np.array([1, 2]), verbose=False)
    with pytest.raises(ValueError, match="h: expected a finite number > 0"):
        eval_numerical_gradient(np.sum, np.ones(2), verbose=False, h=0)
    with pytest.raises(ValueError, match="analytic_grad: expected shape"):
        grad_check_sparse(np.sum, np.ones(3), np.ones(2))
