"""G-optimal design: Kiefer–Wolfowitz on exact instances, Frank–Wolfe against cvxpy, the
Carathéodory core set, bad input."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdptheory.optimal_design import (
    design_matrix,
    frank_wolfe_design,
    g_value,
    log_det_design,
    prediction_norms,
    reduce_support,
)


def _cube(d):
    return np.array(list(itertools.product((-1.0, 1.0), repeat=d)))


def _points(seed, n, d):
    rng = np.random.default_rng(seed)
    # heavy-tailed radii: the uniform design is far from optimal on such sets
    return rng.normal(size=(n, d)) * rng.gamma(0.5, size=(n, 1))


@pytest.mark.parametrize("d", [2, 3, 4])
def test_uniform_design_is_optimal_on_cube_vertices(d):
    design = frank_wolfe_design(_cube(d), tol=1e-9, initial=np.full(2**d, 0.5**d))
    assert design.iterations == 0
    assert design.g == pytest.approx(d, abs=1e-12)
    np.testing.assert_allclose(design.weights, 1.0 / 2**d)


def test_basis_and_interior_points_get_no_weight():
    # the unit basis vectors and points inside their convex hull: the optimum puts 1/d on each
    # basis vector and nothing elsewhere
    X = np.vstack([np.eye(3), 0.5 * np.eye(3), [[0.3, 0.3, 0.3]]])
    design = frank_wolfe_design(X, tol=1e-10)
    np.testing.assert_allclose(design.weights[:3], 1 / 3, atol=1e-9)
    assert design.weights[3:].max() < 1e-9
    assert design.g == pytest.approx(3.0, abs=1e-8)


def test_one_dimension_puts_all_weight_on_the_largest_point():
    design = frank_wolfe_design([[0.5], [-2.0], [1.0]])
    np.testing.assert_array_equal(design.weights, [0.0, 1.0, 0.0])
    assert design.g == 1.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(4, 60), d=st.integers(2, 4))
def test_trace_identity_and_g_at_least_d(seed, n, d):
    X = _points(seed, n, d)
    rho = np.random.default_rng(seed + 1).dirichlet(np.ones(n))
    norms = prediction_norms(X, rho)
    # exact up to rounding, which the conditioning of V(rho) amplifies
    condition = np.linalg.cond(design_matrix(X, rho))
    assert rho @ norms == pytest.approx(d, rel=1e-13 * condition + 1e-12)
    assert g_value(X, rho) >= d * (1 - 1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(6, 80), d=st.integers(2, 5))
def test_frank_wolfe_reaches_kiefer_wolfowitz_and_reduction_keeps_v(seed, n, d):
    X = _points(seed, n, d)
    design = frank_wolfe_design(X, tol=1e-4)
    assert design.converged
    assert d * (1 - 1e-12) <= design.g <= d * (1 + 1e-4)
    assert design.weights.sum() == pytest.approx(1.0, abs=1e-12)
    assert design.weights.min() >= 0.0
    small = reduce_support(design)
    assert small.support.size <= d * (d + 1) // 2 + 1
    np.testing.assert_allclose(
        design_matrix(X, small.weights), design_matrix(X, design.weights), atol=1e-10
    )
    assert small.g == pytest.approx(design.g, rel=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_frank_wolfe_agrees_with_cvxpy(seed):
    X = _points(seed, 40, 4)
    fw = frank_wolfe_design(X, tol=1e-6)
    cvx = log_det_design(X)
    # both within their certified gap of the D-optimum, so within the sum of the two
    assert abs(fw.log_det - cvx.log_det) <= fw.bound + cvx.bound + 1e-9
    assert cvx.g <= 4 * (1 + 1e-4)
    assert fw.bound <= 4e-6


def test_same_input_same_design_bit_for_bit():
    X = _points(7, 300, 6)
    first, second = frank_wolfe_design(X, tol=1e-3), frank_wolfe_design(X, tol=1e-3)
    np.testing.assert_array_equal(first.weights, second.weights)
    assert first.iterations == second.iterations


def test_step_limit_reports_not_converged():
    X = _points(3, 200, 8)
    design = frank_wolfe_design(X, tol=1e-8, max_iter=5)
    assert not design.converged
    assert design.iterations == 5
    assert design.g == pytest.approx(g_value(X, design.weights))


def test_sample_counts_cover_the_budget():
    design = frank_wolfe_design(_cube(3), initial=np.full(8, 1 / 8))
    counts = design.sample_counts(100)
    assert counts.sum() >= 100
    assert counts.tolist() == [13] * 8
    with pytest.raises(ValueError, match="m must be a positive integer"):
        design.sample_counts(0)


def test_bad_input_names_what_is_wrong():
    with pytest.raises(ValueError, match=r"span a space of dimension 1 < d = 2"):
        frank_wolfe_design([[1.0, 2.0], [2.0, 4.0], [-1.0, -2.0]])
    with pytest.raises(ValueError, match=r"X\[1, 0\] is nan"):
        frank_wolfe_design([[1.0, 0.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match=r"weights\[1\] is -0.5"):
        design_matrix(np.eye(2), [1.5, -0.5])
    with pytest.raises(ValueError, match="do not span R\\^2"):
        frank_wolfe_design(np.eye(2), initial=[1.0, 0.0])
    with pytest.raises(ValueError, match="tol"):
        frank_wolfe_design(np.eye(2), tol=0.0)
    with pytest.raises(ValueError, match="must be a Design"):
        reduce_support(np.eye(2))


def test_docstring_examples():
    import doctest

    from mdptheory import optimal_design

    failures, tried = doctest.testmod(optimal_design)
    assert tried > 0 and failures == 0
