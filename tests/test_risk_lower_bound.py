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


def test_check_passes_at_quick_scale():
    discover()
    result = run_check("du2023-icvar-lower-bound-order", "quick", 0)
    assert result.verdict.status == "pass", result.verdict.reason
