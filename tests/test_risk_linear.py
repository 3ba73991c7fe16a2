"""The ICVaR-L hard family (reconstructed) and its lower-bound-order check."""

import numpy as np
import pytest
from conftest import assert_quick_pass, refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.risk import du2023_hard_instance
from instances.risk_linear import hypercube_action, linear_icvar_hard_instance
from mdptheory.risk import icvar_backward_induction, icvar_evaluate
from proofs_check.theorems import risk_linear_lower_bound as lb


def corner_gap(mdp, alpha: float, n: int, corner: int) -> float:
    twin = mdp.tabular()
    best = icvar_backward_induction(twin, alpha)
    policy = best.policy.copy()
    policy[n - 1, n - 1] = corner
    return float(best.values[0, 0] - icvar_evaluate(twin, policy, alpha)[0, 0])


def test_one_sign_is_du_wang_huang_two_action_instance():
    linear = linear_icvar_hard_instance(n=3, m=1, H=20, alpha=0.2, eta=0.004, optimal_action=1)
    tabular = du2023_hard_instance(n=3, A=2, H=20, alpha=0.2, eta=0.004, optimal_action=1)
    dense = np.broadcast_to(tabular.dense_P(), linear.P.shape)
    np.testing.assert_allclose(linear.P, dense, atol=1e-15)
    np.testing.assert_allclose(linear.R, np.broadcast_to(tabular.R, linear.R.shape), atol=1e-15)


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(2, 4),
    m=st.integers(1, 3),
    extra=st.integers(1, 6),
    alpha=st.sampled_from([0.1, 0.2, 0.25, 1 / 3]),
    fraction=st.floats(0.05, 0.95),
    data=st.data(),
)
def test_gap_is_linear_in_the_wrong_signs_in_the_exact_gap_regime(
    n, m, extra, alpha, fraction, data
):
    H = n + extra
    eta = fraction * alpha * (n - 1) / (3 * (H - n))  # strictly inside the regime
    theta = data.draw(st.integers(0, 2**m - 1))
    mdp = linear_icvar_hard_instance(n=n, m=m, H=H, alpha=alpha, eta=eta, optimal_action=theta)
    for corner in range(2**m):
        wrong = int(np.sum(hypercube_action(corner, m) != hypercube_action(theta, m)))
        expected = 0.6 * (eta / alpha) * (H - n) * wrong / m
        assert corner_gap(mdp, alpha, n, corner) == pytest.approx(expected, abs=1e-12)


test_bad_parameters_are_named = refusal_test(
    linear_icvar_hard_instance,
    [
        ({"n": 1}, "n"),
        ({"m": 0}, "m"),
        ({"H": 2}, "H"),
        ({"alpha": 0.5}, "alpha"),
        ({"eta": 0.3}, "eta"),
        ({"optimal_action": 4}, "optimal_action"),
        ({"spread": 1.0}, "spread"),
        ({"spread": 0.0}, "spread"),
    ],
)


def test_family_stays_in_the_exact_gap_regime_and_ratio_of_worst_corner_is_r_max():
    bound = lb.ALPHA * (lb.N_CHAIN - 1) / (3 * (lb.HORIZON - lb.N_CHAIN))
    for grid, _ in lb.PLAN.values():
        assert lb.eta_for(grid[0]) < bound
        assert np.log10(grid[-1] / grid[0]) >= 0.6
    K = lb.PLAN["quick"][0][0]
    mdp = lb.family_instance(K, optimal_action=3)
    assert mdp.assumptions().holds and linear_icvar_hard_instance().assumptions().holds
    worst = corner_gap(mdp, lb.ALPHA, lb.N_CHAIN, 0)
    assert K * worst / lb.lower_bound_order(K) == pytest.approx(lb.R_MAX, rel=1e-9)
    assert lb.oracle_ratio(K, 2) == 0.0


def test_band_criterion_accepts_uniform_play_and_rejects_a_stuck_learner():
    K = np.array(lb.PLAN["quick"][0])
    corners = np.arange(8) % 4
    uniform = np.full((8, K.size), lb.R_MAX / 2)
    assert lb.band_criterion("uniform", K, uniform, corners)[0].status == "pass"
    wrong_signs = np.array([2, 1, 1, 0])[corners]  # always corner 0
    stuck = np.repeat((lb.R_MAX * wrong_signs / 2)[:, None], K.size, axis=1)
    assert lb.band_criterion("stuck", K, stuck, corners)[0].status == "fail"
    assert lb.band_criterion("zero", K, 0 * stuck, corners)[0].status == "fail"


def test_vacuity_rule():
    assert lb.successor_clipped(0.1, lb.PLAN["quick"][0][-1])
    assert not lb.successor_clipped(0.03, lb.PLAN["full"][0][-1])
    for grid, _ in lb.PLAN.values():  # judged at every K: the smallest binds
        assert lb.successor_clipped(0.03, grid[0])
        assert not any(lb.successor_clipped(0.01, k) for k in grid)


@pytest.mark.slow
def test_check_at_quick_scale_passes_and_rejects_its_controls():
    result = assert_quick_pass("chen2024-icvar-l-lower-bound-order", controls=2)
    fitted = result.evidence.fitted
    assert fitted["max_corner_ratio[ICVaR-L(alpha=0.25) c=0.01]"] <= lb.HIGH
