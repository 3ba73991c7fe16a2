"""Robust inner problems and robust planning against cvxpy primals and independent oracles."""

import itertools
import math
from functools import partial

import numpy as np
import pytest
from conftest import property_settings, random_discounted_mdp, refusal_test
from hypothesis import given
from hypothesis import strategies as st

import mdptheory as mt
from mdptheory.planning import backward_induction, value_iteration
from mdptheory.risk import worst_path_backward_induction
from mdptheory.robust import (
    UncertaintySet,
    divergence,
    inner_problem,
    robust_backward_induction,
    robust_bellman,
    robust_evaluate,
    robust_solve,
    robust_value_iteration,
)
from mdptheory.robust.primal import inner_problem_primal

DIVERGENCES = ("tv", "kl", "chi2")


@st.composite
def rows(draw, max_states: int = 6):
    """A nominal row ``p`` (possibly with zeros) and a value vector ``V``."""
    n = draw(st.integers(2, max_states))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(n, draw(st.sampled_from([0.3, 1.0, 3.0]))))
    if draw(st.booleans()):
        p[rng.integers(n)] = 0.0
        p /= p.sum()
    V = rng.random(n) * draw(st.sampled_from([1.0, 5.0, 20.0]))
    if draw(st.booleans()):
        V[rng.integers(n)] = V[rng.integers(n)]  # a tie
    return p, V


# Random discounted MDPs with Dirichlet(0.5) kernel rows; by default S = 5, A = 3, gamma = 0.9.
random_mdp = partial(random_discounted_mdp, S=5, A=3, gamma=0.9, concentration=0.5)


def all_sets(rho: float, lam: float):
    return (
        [UncertaintySet(d, radius=rho) for d in DIVERGENCES]
        + [UncertaintySet(d, penalty=lam) for d in DIVERGENCES]
        + [UncertaintySet("tv", radius=rho, support="nominal")]
    )


# --- inner problems -------------------------------------------------------------------------


@property_settings(12)
# radii from 1e-4 on: below about 1e-5 Clarabel's exponential cone returns KL balls' optima
# only to about 1e-4 (inaccurate status), while the dual stays exact
@given(rows(), st.one_of(st.just(0.0), st.floats(1e-4, 1.5)), st.sampled_from(DIVERGENCES))
def test_ball_equals_cvxpy_primal(row, rho, kind):
    p, V = row
    ball = UncertaintySet(kind, radius=rho)
    value, q = inner_problem(ball, p, V)
    primal, _ = inner_problem_primal(ball, p, V)
    assert abs(value - primal) <= 1e-7
    # the minimiser is in the ball and attains the value
    assert divergence(kind, p, q) <= rho + 1e-9
    assert q.min() >= 0 and abs(q.sum() - 1) <= 1e-12
    assert abs(q @ V - value) <= 1e-10 * (1 + np.abs(V).max())


@property_settings(12)
@given(rows(), st.floats(-2.0, 1.5), st.sampled_from(DIVERGENCES))
def test_penalty_equals_cvxpy_primal(row, log_lam, kind):
    p, V = row
    lam = 10.0**log_lam
    penalty = UncertaintySet(kind, penalty=lam)
    value, q = inner_problem(penalty, p, V)
    primal, _ = inner_problem_primal(penalty, p, V)
    assert abs(value - primal) <= 1e-7
    assert abs(q @ V + lam * divergence(kind, p, q) - value) <= 1e-9 * (1 + np.abs(V).max())


def test_inner_problem_closed_forms():
    p = np.array([0.2, 0.3, 0.5])
    V = np.array([1.0, 3.0, 2.0])
    # KL penalty: -lam log E_p exp(-V / lam)
    value, _ = inner_problem(UncertaintySet("kl", penalty=0.7), p, V)
    assert value == pytest.approx(-0.7 * math.log(p @ np.exp(-V / 0.7)), abs=1e-14)
    # TV penalty: E_p min(V, min V + lam)
    value, _ = inner_problem(UncertaintySet("tv", penalty=0.5), p, V)
    assert value == pytest.approx(p @ np.minimum(V, 1.5), abs=1e-15)
    # TV ball: mass 0.25 leaves the top state (V = 3) for the bottom one (V = 1)
    value, q = inner_problem(UncertaintySet("tv", radius=0.25), p, V)
    assert value == pytest.approx(p @ V - 0.25 * 2.0, abs=1e-15)
    np.testing.assert_allclose(q, [0.45, 0.05, 0.5], atol=1e-15)


def test_tv_moves_mass_outside_the_support_unless_told_not_to():
    p = np.array([0.0, 0.5, 0.5])
    V = np.array([-1.0, 0.0, 1.0])
    assert inner_problem(UncertaintySet("tv", radius=5.0), p, V)[0] == -1.0
    assert inner_problem(UncertaintySet("tv", radius=5.0, support="nominal"), p, V)[0] == 0.0
    for kind in ("kl", "chi2"):  # infinite divergence outside the support
        value, q = inner_problem(UncertaintySet(kind, radius=50.0), p, V)
        assert value == 0.0 and q[0] == 0.0


@pytest.mark.parametrize("kind", DIVERGENCES)
def test_limits_recover_the_nominal_backup(kind):
    rng = np.random.default_rng(3)
    p, V = rng.dirichlet(np.ones(7)), rng.random(7)
    for uncertainty in (UncertaintySet(kind, radius=0.0), UncertaintySet(kind, penalty=np.inf)):
        assert inner_problem(uncertainty, p, V)[0] == p @ V
    # continuity: tiny radius, huge penalty
    assert inner_problem(UncertaintySet(kind, radius=1e-14), p, V)[0] == pytest.approx(
        p @ V, abs=1e-6
    )
    assert inner_problem(UncertaintySet(kind, penalty=1e9), p, V)[0] == pytest.approx(
        p @ V, abs=1e-8
    )


@property_settings(40)
@given(rows(), st.floats(0.0, 1.2), st.floats(0.0, 1.2), st.sampled_from(DIVERGENCES))
def test_inner_value_monotone_in_radius_and_penalty(row, r1, r2, kind):
    p, V = row
    small, large = sorted((r1, r2))
    tol = 1e-12 * (1 + V.max())
    assert (
        inner_problem(UncertaintySet(kind, radius=large), p, V)[0]
        <= inner_problem(UncertaintySet(kind, radius=small), p, V)[0] + tol
    )
    lam_small, lam_large = 0.01 + small, 0.01 + large
    assert (
        inner_problem(UncertaintySet(kind, penalty=lam_small), p, V)[0]
        <= inner_problem(UncertaintySet(kind, penalty=lam_large), p, V)[0] + tol
    )


def test_small_kl_balls_follow_the_small_radius_expansion():
    """inf over KL(q || p) <= rho of q.V = E V - sqrt(2 rho Var V) + O(rho): the row solver and
    the backup of many rows keep this down to radii far below an ulp of the values (a log of a
    Z rounded near 1 once put 1e-10 errors there, and broke monotonicity in the radius)."""
    rng = np.random.default_rng(0)
    P2 = rng.dirichlet(np.full(30, 0.5), size=3000)
    V = rng.random(30)
    mean = P2 @ V
    sd = np.sqrt(np.einsum("rs,rs->r", P2, (V[None, :] - mean[:, None]) ** 2))
    for rho in (1e-60, 1e-30, 1e-20, 1e-16, 1e-12, 1e-9, 1e-7):
        ball = UncertaintySet("kl", radius=rho)
        backup = ball.backup(P2, V)
        rows = np.array([inner_problem(ball, p, V)[0] for p in P2[:50]])
        expansion = mean - np.sqrt(2.0 * rho) * sd
        np.testing.assert_allclose(backup, expansion, rtol=0, atol=2.0 * rho + 1e-15)
        np.testing.assert_allclose(rows, expansion[:50], rtol=0, atol=2.0 * rho + 1e-15)
    p = np.array([0.40007079, 0.59992921])
    V2 = np.array([0.04097352, 0.01652764])
    tiny, small = (
        inner_problem(UncertaintySet("kl", radius=r), p, V2)[0] for r in (2.9e-58, 1e-18)
    )
    assert small <= tiny


# --- planning -------------------------------------------------------------------------------


def primal_backward_induction(mdp: mt.EpisodicMDP, uncertainty: UncertaintySet) -> np.ndarray:
    """Robust optimal values by backward induction on cvxpy primals (no shared code)."""
    H, S, A = mdp.H, mdp.S, mdp.A
    V = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        P = mdp.transition(h)
        Q = np.array(
            [
                [
                    mdp.R[h, s, a] + inner_problem_primal(uncertainty, P[s, a], V[h + 1])[0]
                    for a in range(A)
                ]
                for s in range(S)
            ]
        )
        V[h] = Q.max(axis=1)
    return V[:H]


@pytest.mark.parametrize("index", range(7))
def test_backward_induction_equals_primal_oracle(index):
    rng = np.random.default_rng(index)
    mdp = mt.EpisodicMDP(rng.dirichlet(np.full(3, 0.6), (2, 3, 2)), rng.random((2, 3, 2)), H=2)
    uncertainty = all_sets(0.3, 0.4)[index]
    solution = robust_backward_induction(mdp, uncertainty)
    np.testing.assert_allclose(
        solution.values, primal_backward_induction(mdp, uncertainty), atol=1e-7
    )
    if not uncertainty.penalised:  # the greedy policy attains the values on the worst kernel
        np.testing.assert_allclose(solution.policy_values, solution.values, atol=1e-12)


def test_tv_ball_of_radius_two_on_the_support_is_the_worst_path():
    rng = np.random.default_rng(5)
    mdp = mt.EpisodicMDP(rng.dirichlet(np.full(6, 0.3), (6, 3)), rng.random((6, 3)), H=5)
    robust = robust_backward_induction(mdp, UncertaintySet("tv", radius=2.0, support="nominal"))
    np.testing.assert_allclose(robust.values, worst_path_backward_induction(mdp).values, atol=1e-12)
    # over all states, the adversary sends every step to the worst state
    everywhere = robust_backward_induction(mdp, UncertaintySet("tv", radius=2.0))
    V = np.zeros(mdp.S)
    for h in range(mdp.H - 1, -1, -1):
        V = (mdp.R[h] + V.min()).max(axis=1)
        np.testing.assert_allclose(everywhere.values[h], V, atol=1e-12)


@pytest.mark.parametrize("kind", DIVERGENCES)
def test_value_iteration_limits_and_certificate(kind):
    mdp = random_mdp(1)
    nominal = value_iteration(mdp, tol=1e-10)
    for uncertainty in (UncertaintySet(kind, radius=0.0), UncertaintySet(kind, penalty=np.inf)):
        np.testing.assert_array_equal(
            robust_value_iteration(mdp, uncertainty, tol=1e-10).values, nominal.values
        )
    ball = UncertaintySet(kind, radius=0.2)
    solution = robust_value_iteration(mdp, ball, tol=1e-9)
    assert solution.stop_reason == "tolerance" and solution.bound <= 1e-9
    # an independent fixed point: robust policy evaluation of the returned policy
    evaluation = robust_evaluate(mdp, solution.policy, ball, tol=1e-11)
    assert np.max(np.abs(evaluation.values - solution.values)) <= solution.bound + 1e-10
    # robust values sit below the nominal ones; the worst kernel is in the ball
    assert np.all(solution.values <= nominal.values + 1e-9)
    for s in range(mdp.S):
        for a in range(mdp.A):
            assert ball.contains(mdp.P[s, a], solution.worst_kernel[s, a])
    # the policy's exact value under the worst kernel is at least its robust value
    assert np.all(solution.policy_values >= solution.values - solution.bound - 1e-9)


@pytest.mark.parametrize("index", range(7))
def test_robust_bellman_is_a_gamma_contraction(index):
    mdp = random_mdp(2, gamma=0.8)
    uncertainty = all_sets(0.25, 0.3)[index]
    rng = np.random.default_rng(index)
    for _ in range(20):
        U, W = rng.normal(0, 3, mdp.S), rng.normal(0, 3, mdp.S)
        TU = robust_bellman(mdp, U, uncertainty).max(axis=1)
        TW = robust_bellman(mdp, W, uncertainty).max(axis=1)
        assert np.abs(TU - TW).max() <= mdp.gamma * np.abs(U - W).max() + 1e-12


def test_robust_values_monotone_in_radius_and_penalty():
    mdp = random_mdp(4)
    for kind in DIVERGENCES:
        balls = [
            robust_value_iteration(mdp, UncertaintySet(kind, radius=r), tol=1e-10).values
            for r in (0.0, 0.05, 0.2, 0.8)
        ]
        penalties = [
            robust_value_iteration(mdp, UncertaintySet(kind, penalty=lam), tol=1e-10).values
            for lam in (np.inf, 3.0, 0.3, 0.03)
        ]
        for sequence in (balls, penalties):
            for bigger, smaller in itertools.pairwise(sequence):
                assert np.all(smaller <= bigger + 1e-9)


def test_episodic_robust_evaluation_is_exact_and_solve_dispatches():
    rng = np.random.default_rng(9)
    mdp = mt.EpisodicMDP(rng.dirichlet(np.ones(4), (4, 2)), rng.random((4, 2)), H=3)
    ball = UncertaintySet("chi2", radius=0.3)
    solution = robust_solve(mdp, ball)
    evaluation = robust_evaluate(mdp, solution.policy, ball)
    np.testing.assert_allclose(evaluation.values, solution.values, atol=1e-12)
    assert np.all(solution.values <= backward_induction(mdp).values + 1e-12)


def test_same_input_same_numbers():
    mdp = random_mdp(6)
    for uncertainty in all_sets(0.3, 0.5):
        first = robust_value_iteration(mdp, uncertainty, tol=1e-8)
        second = robust_value_iteration(mdp, uncertainty, tol=1e-8)
        np.testing.assert_array_equal(first.values, second.values)
        np.testing.assert_array_equal(first.worst_kernel, second.worst_kernel)


# --- bad input ------------------------------------------------------------------------------


test_bad_sets_are_refused = refusal_test(
    UncertaintySet,
    [
        ({"divergence": "hellinger", "radius": 0.1}, "divergence must be one of"),
        ({"divergence": "kl"}, "exactly one of radius"),
        ({"divergence": "kl", "radius": 0.1, "penalty": 1.0}, "exactly one of radius"),
        ({"divergence": "kl", "radius": -0.1}, "radius must lie in"),
        ({"divergence": "tv", "radius": float("nan")}, "radius must be a finite"),
        ({"divergence": "chi2", "penalty": 0.0}, "penalty must lie in"),
        ({"divergence": "tv", "radius": 0.1, "support": "some"}, "support must be"),
    ],
)


def test_bad_rows_and_models_are_refused():
    ball = UncertaintySet("kl", radius=0.1)
    with pytest.raises(ValueError, match=r"p\[1\] is -0.5"):
        inner_problem(ball, [1.5, -0.5], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"V\[1\] is nan"):
        inner_problem(ball, [0.5, 0.5], [0.0, np.nan])
    with pytest.raises(ValueError, match="must match"):
        inner_problem(ball, [0.5, 0.5], [0.0, 1.0, 2.0])
    mdp = random_mdp(0)
    with pytest.raises(ValueError, match="UncertaintySet"):
        robust_value_iteration(mdp, "kl")
    with pytest.raises(ValueError, match="needs a FiniteMDP"):
        robust_value_iteration(mt.EpisodicMDP(mdp.P, mdp.R, H=2), ball)
    with pytest.raises(ValueError, match=r"policy\[2\] is action 7"):
        robust_evaluate(mdp, np.array([0, 0, 7, 0, 0]), ball)
    with pytest.raises(ValueError, match="tol"):
        robust_value_iteration(mdp, ball, tol=-1.0)


@pytest.mark.parametrize("index", range(7))
def test_robust_evaluation_is_value_iteration_with_one_action(index):
    mdp = random_mdp(11, A=1, gamma=0.85)
    uncertainty = all_sets(0.3, 0.2)[index]
    solution = robust_value_iteration(mdp, uncertainty, tol=1e-11)
    evaluation = robust_evaluate(mdp, np.zeros(5, dtype=np.int64), uncertainty, tol=1e-11)
    assert evaluation.stop_reason == "tolerance"
    np.testing.assert_allclose(evaluation.values, solution.values, atol=1e-10)
