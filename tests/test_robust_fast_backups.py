"""The faster backups: the chi-square walk from a guessed interval and the KL ball's
minimisers written from the shared-anchor solve equal the full row scans (to 1e-10) and the cvxpy
primal (to 1e-7); warm-started backups equal cold ones; same input, same numbers."""

from functools import partial

import numpy as np
import pytest
from conftest import count_calls, full_scan, property_settings, random_value_rows
from hypothesis import given
from hypothesis import strategies as st

import mdptheory.robust._tilt as tilt_module
import mdptheory.robust.sets as sets_module
from mdptheory import FiniteMDP
from mdptheory.robust import UncertaintySet, divergence, robust_value_iteration
from mdptheory.robust._kernels import chi2_rows
from mdptheory.robust.primal import inner_problem_primal
from mdptheory.robust.sets import ANCHORED_ROWS

_rows = partial(random_value_rows, exponent=3.0, drop=0.5, bump=0.05)


@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 40),
    S=st.integers(1, 30),
    rho=st.one_of(st.floats(1e-8, 5.0), st.just(1.0)),
    sparse=st.booleans(),
    ties=st.booleans(),
)
@property_settings(60)
def test_chi2_walk_equals_thefull_scan(seed, n, S, rho, sparse, ties):
    P, V = _rows(seed, n, S, sparse, ties)
    ball = UncertaintySet("chi2", radius=rho)
    scale = 1.0 + np.abs(V).max()
    np.testing.assert_allclose(
        ball.walk_backup(P, V), full_scan(ball, P, V), rtol=0, atol=1e-10 * scale
    )


def test_chi2_walk_keeps_each_rows_interval_and_hands_back_no_ordinary_row():
    P, V = _rows(5, 200, 300, False, False)
    order = np.argsort(V, kind="stable")
    warm = np.zeros(200)
    values = chi2_rows(P, V, order, 0.1, False, warm, np.full(P.shape[0], -1), np.empty((1, 1)))
    # every row solved by the walk leaves its interval's position for the next backup
    assert np.all((warm >= 1) & (warm <= 300))
    np.testing.assert_allclose(
        values, full_scan(UncertaintySet("chi2", radius=0.1), P, V), atol=1e-12 * 10
    )


@given(seed=st.integers(0, 2**31), rho=st.floats(1e-3, 4.0), sparse=st.booleans())
@property_settings(8)
def test_chi2_walk_equals_the_cvxpy_primal(seed, rho, sparse):
    P, V = _rows(seed, 12, 6, sparse, False)
    ball = UncertaintySet("chi2", radius=rho)
    values = ball.walk_backup(P, V)
    for r in (0, 5, 11):
        primal, _ = inner_problem_primal(ball, P[r], V)
        assert abs(values[r] - primal) <= 1e-7


def test_backup_takes_the_walk_for_every_chi2_set(monkeypatch):
    P, V = _rows(2, 30, 10, False, False)
    calls = count_calls(monkeypatch, sets_module, "chi2_rows")
    UncertaintySet("chi2", radius=0.3).backup(P, V)
    UncertaintySet("chi2", radius=2.0).backup(P, V)
    UncertaintySet("chi2", penalty=1.0).backup(P, V)
    assert len(calls) == 3
    np.testing.assert_array_equal(UncertaintySet("chi2", radius=0.0).backup(P, V), P @ V)


@pytest.mark.parametrize(
    "uncertainty", [UncertaintySet("kl", radius=0.1), UncertaintySet("kl", penalty=1.0)]
)
def test_walks_reject_other_sets(uncertainty):
    P, V = _rows(0, 3, 4, False, False)
    with pytest.raises(ValueError, match="walk backups are for TV and chi2 sets"):
        uncertainty.walk_backup(P, V)


@given(seed=st.integers(0, 2**31), rho=st.floats(1e-4, 3.0), sparse=st.booleans())
@property_settings(10)
def test_kl_worst_case_from_anchors_equals_the_row_kernel(seed, rho, sparse):
    P, V = _rows(seed, ANCHORED_ROWS, 12, sparse, False)
    ball = UncertaintySet("kl", radius=rho)
    values, Q2 = ball.worst_case(P, V)
    row_values, row_Q2, _ = ball.scan_backup(P, V, minimisers=True)
    scale = 1.0 + np.abs(V).max()
    np.testing.assert_allclose(values, row_values, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(Q2, row_Q2, rtol=0, atol=1e-8)
    np.testing.assert_allclose(Q2.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(Q2 @ V, values, atol=1e-10 * scale)
    for r in (0, 100, ANCHORED_ROWS - 1):
        assert divergence("kl", P[r], Q2[r]) <= rho + 1e-9


def test_kl_worst_case_writes_the_corner_rows():
    # a large radius puts every row at its support's minimum (beta -> 0)
    P, V = _rows(7, ANCHORED_ROWS, 9, True, True)
    ball = UncertaintySet("kl", radius=50.0)
    values, Q2 = ball.worst_case(P, V)
    row_values, row_Q2, _ = ball.scan_backup(P, V, minimisers=True)
    np.testing.assert_array_equal(values, row_values)
    np.testing.assert_allclose(Q2, row_Q2, atol=1e-15)


def test_warm_started_backups_equal_cold_ones():
    P, V = _rows(3, 400, 50, True, False)
    rng = np.random.default_rng(1)
    scale = 1.0 + np.abs(V).max()
    for kind in ("kl", "chi2"):
        ball = UncertaintySet(kind, radius=0.2)
        warm = np.zeros(400)
        for _ in range(5):  # a sequence of nearby V, as in value iteration
            V = V + 0.05 * rng.standard_normal(V.size)
            warm_values = ball.backup(P, V, warm)
            cold_values = ball.backup(P, V, np.zeros(400))
            np.testing.assert_allclose(warm_values, cold_values, atol=1e-10 * scale)
            np.testing.assert_allclose(warm_values, full_scan(ball, P, V), atol=1e-10 * scale)


@pytest.mark.parametrize("kind", ["kl", "chi2", "tv"])
def test_value_iteration_equals_the_one_of_the_full_row_scans(kind, monkeypatch):
    rng = np.random.default_rng(6)
    S, A = 40, 8
    P = rng.random((S, A, S)) ** 2
    P[rng.random((S, A, S)) < 0.3] = 0.0
    P[:, :, 0] += 0.01
    P /= P.sum(axis=-1, keepdims=True)
    mdp = FiniteMDP(P, rng.random((S, A)), 0.9)
    ball = UncertaintySet(kind, radius=0.3)
    fast = robust_value_iteration(mdp, ball, tol=1e-11)
    monkeypatch.setattr(sets_module, "ANCHORED_ROWS", 10**9)
    monkeypatch.setattr(sets_module, "WALKS", ())
    rows = robust_value_iteration(mdp, ball, tol=1e-11)
    np.testing.assert_allclose(fast.values, rows.values, atol=1e-10)
    np.testing.assert_allclose(fast.worst_kernel, rows.worst_kernel, atol=1e-8)
    assert np.array_equal(fast.policy, rows.policy)


def test_same_input_same_numbers():
    P, V = _rows(11, 300, 40, True, False)
    for ball in (UncertaintySet("chi2", radius=0.2), UncertaintySet("kl", radius=0.2)):
        a = ball.worst_case(P, V)
        b = ball.worst_case(P, V)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(ball.backup(P, V), ball.backup(P, V))


@given(seed=st.integers(0, 2**31), n=st.integers(1, 21), S=st.integers(1, 40))
@property_settings(20)
def test_dense_moments_equal_the_matrix_product(seed, n, S):
    rng = np.random.default_rng(seed)
    P = rng.random((n, S))
    F = tilt_module.anchor_columns(rng.random(S), 1.5, 9)
    G = tilt_module.dense_moments(P, np.ascontiguousarray(F.T))
    np.testing.assert_allclose(G, P @ F, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("slack", [1e-3, 1e-6, 1e-9])
def test_a_coarser_series_stays_within_the_reported_gap(slack):
    P, V = _rows(9, 400, 60, False, False)
    ball = UncertaintySet("kl", radius=0.15)
    warm = np.zeros(400)
    ball.anchored_backup(P, V, warm, slack)  # warm dual variables, as in value iteration
    V = V + 0.01 * np.cos(np.arange(V.size))
    values, gap = ball.anchored_backup(P, V, warm, slack)
    exact = full_scan(ball, P, V)
    assert 0.0 < gap <= 1.01 * slack
    assert np.all(np.abs(values - exact) <= gap + 1e-12)


def test_chi2_walk_hands_nearly_degenerate_rows_to_thefull_scan():
    # almost all mass on the minimum: the lower part's variance, a difference of two sums,
    # would be swamped by rounding, so the walk leaves these rows to the full scan (the same
    # numbers bit for bit)
    rng = np.random.default_rng(0)
    S = 20
    V = rng.random(S) * 5.0
    P = rng.random((50, S)) * 1e-6
    P[:, np.argmin(V)] = 1.0
    P /= P.sum(axis=1, keepdims=True)
    warm = np.zeros(50)
    ball = UncertaintySet("chi2", radius=0.1)
    np.testing.assert_array_equal(ball.walk_backup(P, V, warm), full_scan(ball, P, V))
    assert np.all(warm == 0.0)  # no row kept a position: each went to the full scan
