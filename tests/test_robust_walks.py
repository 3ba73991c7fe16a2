"""The TV and chi-square backups that walk each row from a guessed cut equal the row kernels
that scan every atom (to 1e-12, whatever the guess), and the cvxpy primal (to 1e-7); the
same input gives the same numbers, whatever the number of threads; the chi-square minimisers
are in the ball."""

from functools import partial

import numpy as np
import pytest
from conftest import full_scan, property_settings, random_value_rows
from hypothesis import given
from hypothesis import strategies as st

from mdptheory.robust import UncertaintySet, divergence
from mdptheory.robust._kernels import tv_ball_rows
from mdptheory.robust.primal import inner_problem_primal
from mdptheory.threads import numba_threads

_rows = partial(random_value_rows, exponent=4.0, drop=0.6, bump=0.02, atom_at_random=True)


def _guesses(seed: int, n: int, S: int, kind: int) -> np.ndarray | None:
    # no guess, guesses anywhere in the order, or values that are no position at all
    rng = np.random.default_rng(seed + 1)
    if kind == 0:
        return None
    if kind == 1:
        return rng.integers(0, S + 1, n).astype(np.float64)
    return rng.choice([-3.0, np.nan, np.inf, 0.5, S + 7.0], n)


RADII_TV = st.one_of(
    st.just(0.0), st.floats(1e-13, 1e-9), st.floats(1e-6, 1.5), st.floats(2.0, 5.0)
)
RADII_CHI2 = st.one_of(
    st.just(0.0), st.floats(1e-13, 1e-9), st.floats(1e-6, 1.0), st.floats(1.0, 60.0)
)


@st.composite
def walk_inputs(draw):
    """Rows ``P``, values ``V`` and guessed cuts ``warm`` (or None) for a walk backup."""
    seed = draw(st.integers(0, 2**31))
    n, S = draw(st.integers(1, 30)), draw(st.integers(1, 40))
    sparse, ties = draw(st.booleans()), draw(st.booleans())
    P, V = _rows(seed, n, S, sparse, ties)
    return P, V, _guesses(seed, n, S, draw(st.integers(0, 2)))


@given(inputs=walk_inputs(), rho=RADII_TV, nominal_support=st.booleans())
@property_settings(80)
def test_tv_walk_equals_the_row_kernel(inputs, rho, nominal_support):
    P, V, warm = inputs
    ball = UncertaintySet("tv", radius=rho, support="nominal" if nominal_support else "all")
    scale = 1.0 + np.abs(V).max()
    np.testing.assert_allclose(
        ball.backup(P, V, warm), full_scan(ball, P, V), rtol=0, atol=1e-12 * scale
    )


@given(inputs=walk_inputs(), param=RADII_CHI2, penalised=st.booleans())
@property_settings(80)
def test_chi2_walk_equals_the_row_kernel(inputs, param, penalised):
    P, V, warm = inputs
    if penalised:
        chi2 = UncertaintySet("chi2", penalty=max(param, 1e-3))
    else:
        chi2 = UncertaintySet("chi2", radius=param)
    scale = 1.0 + np.abs(V).max()
    values = chi2.backup(P, V, warm)
    np.testing.assert_allclose(values, full_scan(chi2, P, V), rtol=0, atol=1e-12 * scale)
    # the minimisers: the row kernel's, a distribution in the ball attaining the value
    worst, Q2 = chi2.worst_case(P, V, warm)
    ref_values, ref_Q2, _ = chi2.scan_backup(P, V, minimisers=True)
    np.testing.assert_allclose(worst, ref_values, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(Q2.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(Q2 >= 0.0)
    if not penalised:
        np.testing.assert_allclose(Q2, ref_Q2, atol=1e-8)
        np.testing.assert_allclose(Q2 @ V, worst, atol=1e-9 * scale)
        for r in range(P.shape[0]):
            # near the corner (all mass on the minimum) the minimiser's divergence is
            # sensitive to rounding, the row kernel's as much
            outside = max(divergence("chi2", P[r], ref_Q2[r]) - chi2.radius, 0.0)
            excess = divergence("chi2", P[r], Q2[r]) - chi2.radius
            assert excess <= 2.0 * outside + 1e-9 * chi2.radius + 1e-12


@given(seed=st.integers(0, 2**31), lam=st.floats(1e-3, 20.0), sparse=st.booleans())
@property_settings(20)
def test_tv_penalty_rows_equal_the_row_kernel(seed, lam, sparse):
    P, V = _rows(seed, 20, 15, sparse, False)
    for support in ("all", "nominal"):
        penalty = UncertaintySet("tv", penalty=lam, support=support)
        np.testing.assert_array_equal(penalty.backup(P, V), full_scan(penalty, P, V))


@given(seed=st.integers(0, 2**31), rho=st.floats(1e-3, 1.5), sparse=st.booleans())
@property_settings(8)
def test_tv_walk_equals_the_cvxpy_primal(seed, rho, sparse):
    P, V = _rows(seed, 12, 6, sparse, False)
    for support in ("all", "nominal"):
        ball = UncertaintySet("tv", radius=rho, support=support)
        values = ball.backup(P, V)
        for r in (0, 5, 11):
            primal, _ = inner_problem_primal(ball, P[r], V)
            assert abs(values[r] - primal) <= 1e-7


def test_each_row_keeps_its_cut_and_a_kept_cut_gives_the_same_values():
    P, V = _rows(4, 300, 200, False, False)
    ball = UncertaintySet("tv", radius=0.1)
    warm = np.zeros(300)
    first = ball.backup(P, V, warm)
    order = np.argsort(V, kind="stable")
    # the cut: the mass strictly above it is at most rho, and with it more than rho
    for r in (0, 150, 299):
        k = int(warm[r]) - 1
        above = P[r, order[k + 1 :]].sum()
        assert above <= 0.1 + 1e-12 < above + P[r, order[k]] + 1e-12
    np.testing.assert_allclose(ball.backup(P, V, warm), first, rtol=0, atol=1e-13)
    chi2 = UncertaintySet("chi2", radius=2.0)
    warm = np.zeros(300)
    first = chi2.backup(P, V, warm)
    assert np.all((warm >= 1) & (warm <= 200))
    np.testing.assert_allclose(chi2.backup(P, V, warm), first, rtol=0, atol=1e-13)


@pytest.mark.parametrize(
    "uncertainty",
    [
        UncertaintySet("tv", radius=0.2),
        UncertaintySet("tv", radius=0.2, support="nominal"),
        UncertaintySet("tv", penalty=0.5),
        UncertaintySet("chi2", radius=0.2),
        UncertaintySet("chi2", radius=3.0),
        UncertaintySet("chi2", penalty=0.5),
        UncertaintySet("kl", radius=0.2),
    ],
)
def test_same_input_same_numbers_whatever_the_threads(uncertainty):
    P, V = _rows(8, 700, 60, True, False)
    with numba_threads(1):
        one = uncertainty.backup(P, V)
    np.testing.assert_array_equal(uncertainty.backup(P, V), one)
    np.testing.assert_array_equal(uncertainty.backup(P, V), uncertainty.backup(P, V))
    a, b = np.zeros(700), np.zeros(700)
    np.testing.assert_array_equal(uncertainty.backup(P, V, a), uncertainty.backup(P, V, b))
    np.testing.assert_array_equal(a, b)


def test_tv_rows_of_a_single_state_and_of_no_rows():
    P = np.ones((3, 1))
    V = np.array([2.5])
    np.testing.assert_array_equal(
        tv_ball_rows(P, V, np.zeros(1, dtype=np.int64), 0.3, True, np.zeros(3)), 2.5
    )
    assert tv_ball_rows(
        np.empty((0, 4)), np.arange(4.0), np.arange(4), 0.3, True, np.zeros(0)
    ).shape == (0,)


@pytest.mark.parametrize(
    "uncertainty",
    [
        UncertaintySet("chi2", radius=0.3),
        UncertaintySet("chi2", penalty=0.3),
        UncertaintySet("tv", radius=0.3),
    ],
)
def test_a_constant_value_is_every_rows_value(uncertainty):
    # value iteration starts from V = 0: every state ties, no walk is needed
    P, _ = _rows(12, 50, 30, True, False)
    V = np.full(30, 1.5)
    np.testing.assert_allclose(uncertainty.backup(P, V), 1.5, rtol=0, atol=1e-14)
    values, Q2 = uncertainty.worst_case(P, V)
    np.testing.assert_allclose(values, full_scan(uncertainty, P, V), rtol=0, atol=1e-14)
    np.testing.assert_allclose(Q2, uncertainty.scan_backup(P, V, minimisers=True)[1], atol=1e-15)
