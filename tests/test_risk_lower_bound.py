"""The iterated-CVaR lower-bound check on its hard family."""

import numpy as np

from instances.risk import du2023_hard_instance
from mdptheory.risk import icvar_backward_induction, icvar_evaluate
from proofs_check.harness import discover, run_check
from proofs_check.theorems import risk_lower_bound as lb


def test_family_stays_in_the_exact_gap_regime():
    for grid, _ in lb.PLAN.values():
        for K in grid:
            eta = lb.eta_for(K)
            n, H, alpha = lb.N_CHAIN, lb.HORIZON, lb.ALPHA
            assert eta < alpha * (n - 1) / (3 * (H - n))
            mdp = du2023_hard_instance(n=n, A=lb.ACTIONS, H=H, alpha=alpha, eta=eta)
            best = icvar_backward_induction(mdp, alpha)
            wrong = best.policy.copy()
            wrong[n - 1, n - 1] = 0  # the bandit state's non-optimal action
            gap = best.values[0, 0] - icvar_evaluate(mdp, wrong, alpha)[0, 0]
            np.testing.assert_allclose(gap, 0.6 * eta / alpha * (H - n), rtol=1e-10)


def test_rate_scales_as_sqrt_k():
    rate = lb.lower_bound_rate(np.array([100, 400]))
    np.testing.assert_allclose(rate[1] / rate[0], 2.0)


def test_family_starts_in_the_exact_gap_regime_and_spans_half_a_decade():
    for grid, _ in lb.PLAN.values():
        assert np.log10(grid[-1] / grid[0]) >= 0.6
        assert lb.eta_for(grid[0]) < lb.ALPHA * (lb.N_CHAIN - 1) / (3 * (lb.HORIZON - lb.N_CHAIN))


def test_oracle_has_zero_regret_and_a_wrong_action_costs_the_gap():
    for a in range(lb.ACTIONS):
        assert lb.oracle_regret(4000, a) == 0.0
    mdp = lb.family_instance(4000, optimal_action=0)
    best = icvar_backward_induction(mdp, lb.ALPHA)
    assert best.policy[lb.N_CHAIN - 1, lb.N_CHAIN - 1] == 0


def test_clipped_learners_are_detected_from_the_bonus_formula():
    paper, aggressive = lb.LEARNERS
    assert lb.clipped_at_bandit_state(paper, 16_000)  # 320 visits < n* ~ 500
    assert not lb.clipped_at_bandit_state(paper, 128_000)
    assert not lb.clipped_at_bandit_state(aggressive, 4_000)


def test_criterion_rejects_sub_sqrt_growth_and_accepts_sqrt():
    K = np.array(lb.PLAN["quick"][0])
    rng = np.random.default_rng(0)
    sqrt_curve = rng.uniform(0.8, 1.2, (6, 1)) * np.sqrt(K)
    assert lb.lower_bound_criterion("sqrt", K, sqrt_curve, 0)[0].status == "pass"
    log_curve = rng.uniform(0.8, 1.2, (6, 1)) * np.log(K)
    assert lb.lower_bound_criterion("log", K, log_curve, 0)[0].status == "fail"
    assert lb.lower_bound_criterion("zero", K, np.zeros((6, K.size)), 0)[0].status == "fail"


def test_check_at_quick_scale():
    discover()
    result = run_check("du2023-icvar-lower-bound-order", "quick", 0)
    assert result.controls and all(c.rejected for c in result.controls)
    # The paper bonus sits at its clip at the bandit state at quick scale (vacuous); the x0.01
    # variant's lock-in makes its slope CI wide over 6 seeds: pass or inconclusive, never fail.
    assert result.verdict.status in ("pass", "inconclusive", "vacuous"), result.verdict.reason
    fitted = result.evidence.fitted
    assert fitted["clipped_at_bandit_state[ICVaR-RM(alpha=0.2)]"] == 1.0
    assert fitted["clipped_at_bandit_state[ICVaR-RM(alpha=0.2) x0.01]"] == 0.0
    assert fitted["slope_ci_high[ICVaR-RM(alpha=0.2) x0.01]"] >= 0.45
