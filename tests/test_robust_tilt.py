"""KL-ball backups through anchored series shared by the rows: exact against the row kernel and
the cvxpy primal, monotone in the radius, nominal at radius 0, reproducible, and the path that
robust value iteration takes on large models."""

import doctest

import numpy as np
import pytest
from conftest import count_calls, property_settings
from hypothesis import given
from hypothesis import strategies as st

import mdptheory.robust._tilt as tilt_module
import mdptheory.robust.sets as sets_module
from mdptheory import FiniteMDP
from mdptheory.robust import UncertaintySet, robust_value_iteration
from mdptheory.robust.primal import inner_problem_primal
from mdptheory.robust.sets import ANCHORED_ROWS


def test_doctests():
    assert doctest.testmod(tilt_module).failed == 0


def _rows(seed: int, n: int, S: int, sparse: bool):
    rng = np.random.default_rng(seed)
    P = rng.random((n, S)) ** float(rng.choice([1.0, 3.0]))
    if sparse:
        P[rng.random((n, S)) < 0.4] = 0.0
        P[:, int(rng.integers(S))] += 0.05  # every row keeps some mass
    P /= P.sum(axis=1, keepdims=True)
    V = rng.random(S) * float(rng.choice([1.0, 10.0])) - float(rng.choice([0.0, 3.0]))
    return P, V


def _row_kernel(ball, P, V):
    # below ANCHORED_ROWS rows a backup solves each row on its own
    assert P.shape[0] < ANCHORED_ROWS
    return ball.backup_with_gap(P, V)[0]


@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 90),
    S=st.integers(2, 25),
    rho=st.floats(1e-6, 4.0),
    sparse=st.booleans(),
)
@property_settings(40)
def test_anchored_backup_equals_the_row_kernel(seed, n, S, rho, sparse):
    P, V = _rows(seed, n, S, sparse)
    ball = UncertaintySet("kl", radius=rho)
    values, gap = ball.anchored_backup(P, V)
    scale = 1.0 + np.abs(V).max()
    np.testing.assert_allclose(values, _row_kernel(ball, P, V), atol=1e-10 * scale)
    assert 0.0 <= gap <= 1e-13 * scale
    # a warm start from the dual variables of a nearby V gives the same values
    warm = np.zeros(n)
    ball.anchored_backup(P, V, warm)
    V2 = V + 0.05 * np.sin(np.arange(S))
    np.testing.assert_allclose(
        ball.anchored_backup(P, V2, warm)[0], _row_kernel(ball, P, V2), atol=1e-10 * scale
    )


@given(seed=st.integers(0, 2**31), rho=st.floats(1e-4, 1.5), sparse=st.booleans())
@property_settings(10)
def test_anchored_backup_equals_the_cvxpy_primal(seed, rho, sparse):
    P, V = _rows(seed, 40, 6, sparse)
    ball = UncertaintySet("kl", radius=rho)
    values, _ = ball.anchored_backup(P, V)
    for r in (0, 17, 39):
        primal, _ = inner_problem_primal(ball, P[r], V)
        assert abs(values[r] - primal) <= 1e-7


RADII = st.one_of(st.just(0.0), st.floats(1e-8, 2.0))


@given(seed=st.integers(0, 2**31), r1=RADII, r2=RADII)
@property_settings(20)
def test_anchored_backup_is_monotone_in_the_radius(seed, r1, r2):
    P, V = _rows(seed, 50, 12, False)
    small, large = sorted((r1, r2))
    a = UncertaintySet("kl", radius=small).anchored_backup(P, V)[0]
    b = UncertaintySet("kl", radius=large).anchored_backup(P, V)[0]
    assert np.all(b <= a + 1e-12 * (1 + np.abs(V).max()))
    assert np.all(b >= V.min() - 1e-12)


def test_radius_to_zero_recovers_the_nominal_backup():
    P, V = _rows(3, 300, 40, False)
    nominal = P @ V
    np.testing.assert_array_equal(
        UncertaintySet("kl", radius=0.0).anchored_backup(P, V)[0], nominal
    )
    for rho in (1e-8, 1e-10):
        values = UncertaintySet("kl", radius=rho).anchored_backup(P, V)[0]
        assert np.all(values <= nominal + 1e-12)
        # inf over KL <= rho of q.V = p.V - sqrt(2 rho Var_p V) + O(rho)
        np.testing.assert_allclose(values, nominal, atol=3 * np.sqrt(rho) * np.ptp(V))


def test_same_input_same_numbers():
    P, V = _rows(11, 400, 30, True)
    ball = UncertaintySet("kl", radius=0.2)
    w1, w2 = np.zeros(400), np.zeros(400)
    a = ball.anchored_backup(P, V, w1, 1e-6)
    b = ball.anchored_backup(P, V, w2, 1e-6)
    assert a[1] == b[1]
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(w1, w2)


def test_anchored_backups_are_for_kl_balls_only():
    P, V = _rows(0, 5, 4, False)
    for other in (UncertaintySet("tv", radius=0.1), UncertaintySet("kl", penalty=1.0)):
        with pytest.raises(ValueError, match="anchored backups are for a KL ball"):
            other.anchored_backup(P, V)


def test_series_terms_meet_the_truncation_bound():
    for tau in (0.01, 0.1, 0.4, 1.0, 2.0):
        n = tilt_module.series_terms(tau)
        from math import exp, factorial

        assert tau**n / factorial(n) * exp(2 * tau) <= tilt_module.TRUNCATION


def test_value_iteration_takes_the_anchored_path_and_matches_the_row_kernel(monkeypatch):
    rng = np.random.default_rng(4)
    S, A = 40, 8
    assert S * A >= ANCHORED_ROWS
    P = rng.random((S, A, S)) ** 2
    P[rng.random((S, A, S)) < 0.3] = 0.0
    P[:, :, 0] += 0.01
    P /= P.sum(axis=-1, keepdims=True)
    mdp = FiniteMDP(P, rng.random((S, A)), 0.9)
    ball = UncertaintySet("kl", radius=0.3)
    calls = count_calls(monkeypatch, sets_module, "kl_ball_backup")
    fast = robust_value_iteration(mdp, ball, tol=1e-9)
    assert calls and fast.bound <= 1e-9
    monkeypatch.setattr(sets_module, "ANCHORED_ROWS", 10**9)
    rows = robust_value_iteration(mdp, ball, tol=1e-9)
    np.testing.assert_allclose(fast.values, rows.values, atol=2e-9)
    assert np.array_equal(fast.policy, rows.policy)


def test_rows_with_far_apart_dual_variables_are_solved_in_blocks(monkeypatch):
    rng = np.random.default_rng(8)
    S = 30
    # concentrated and spread-out rows: their dual variables are far apart
    P = np.vstack([rng.dirichlet(np.full(S, 0.05), 120), rng.dirichlet(np.full(S, 50.0), 120)])
    V = rng.random(S) * 4.0
    ball = UncertaintySet("kl", radius=0.05)
    blocks = []
    original = tilt_module.block_moments

    def spy(P2, rows, F):
        blocks.append(rows.size)
        return original(P2, rows, F)

    monkeypatch.setattr(tilt_module, "block_moments", spy)
    warm = np.zeros(P.shape[0])
    ball.anchored_backup(P, V, warm)
    values, _ = ball.anchored_backup(P, V + 0.01, warm)
    assert len(blocks) >= 2
    expected = np.concatenate(
        [_row_kernel(ball, P[:120], V + 0.01), _row_kernel(ball, P[120:], V + 0.01)]
    )
    np.testing.assert_allclose(values, expected, atol=1e-10 * 5.0)
