"""VA-DRPVI against DRPVI with KL and chi-square balls: the check's learners and precondition,
its quick run with both controls rejected, its mutant, and revision 3 of the DRPVI ball rate
check (the full-scale grid and seeds)."""

import numpy as np
import pytest
from conftest import assert_quick_pass

from algorithms.offline import DRPVI, VADRPVI
from proofs_check import harness
from proofs_check.mutants import get_mutant, probe_changes
from proofs_check.theorems import robust_drpvi, robust_va_drpvi
from proofs_check.theorems import robust_va_drpvi_balls as check_module
from proofs_check.theorems.robust_offline import robust_covered_curves
from proofs_check.theorems.variance_aware_offline import heteroscedastic_offline_mdp

CHECK = "liu2024-va-drpvi-below-drpvi-kl-chi2-heteroscedastic"


def test_ball_learners_carry_the_tv_checks_constants():
    triples = check_module.ball_learners(5)
    assert [t[0].divergence for t in triples] == ["kl", "chi2"]
    for (kind, rho), (drpvi, va, inverted) in zip(check_module.BALLS, triples, strict=True):
        assert type(drpvi) is DRPVI and type(va) is VADRPVI
        assert isinstance(inverted, robust_va_drpvi.InvertedWeightsVADRPVI)
        for learner in (drpvi, va, inverted):
            assert (learner.divergence, learner.radius) == (kind, rho)
            assert learner.c == robust_va_drpvi.TUNED_C
        assert drpvi.lam == 1.0 and va.lam == inverted.lam == 1.0 / 25
    assert check_module.N_JUDGE_BALLS in robust_va_drpvi.N_GRID


@pytest.mark.parametrize("kind", ["kl", "chi2"])
def test_population_moments_give_the_exact_robust_q(kind):
    model = heteroscedastic_offline_mdp(H=5, noise=0.9, calm=0.0)
    assert check_module.population_error(model, kind, 0.1) <= robust_drpvi.EXACT_TOL


def test_inverted_weights_trust_the_noisiest_pairs_most():
    sigma2 = np.array([[[1.0, 4.0, 25.0]]])
    inverted = robust_va_drpvi.InvertedWeightsVADRPVI(divergence="kl")
    out = inverted.transform_variance(sigma2, 5)
    assert np.argmax(out) == np.argmin(sigma2) and out.min() == 1.0


@pytest.mark.slow
def test_check_passes_and_rejects_both_controls():
    assert_quick_pass(CHECK, controls=2)
    theorem = harness.get(CHECK)
    assert theorem.module == "proofs_check.theorems.robust_va_drpvi_balls"
    assert not theorem.verified and "va-drpvi" in theorem.tags
    assert "revision 1" in theorem.rule.lower() and "revision 2" in theorem.rule.lower()


def test_chi2_radius_mutant_changes_its_target():
    mutant = get_mutant("drpvi-chi2-ball-radius-unrooted")
    changed, what = probe_changes(mutant.patches[0], mutant.id)
    assert changed, what
    assert "va-drpvi" in mutant.tags


# --- revision 3 of the DRPVI ball rate check -------------------------------------------------


def test_rate_check_full_scale_is_revision_3():
    harness.discover()
    assert robust_drpvi._PLAN["quick"] == (48, 30, 5_000, 12)
    assert robust_drpvi._PLAN["full"] == (192, 30, 30_000, 13)
    theorem = harness.get("liu2024-drpvi-kl-chi2-covered-rate")
    assert "revision 3" in theorem.rule.lower()


def test_covered_curves_take_the_number_of_grid_points():
    learners = [DRPVI(radius=0.1, divergence="kl", c=0.03)]
    control = robust_drpvi.SignFlippedDRPVI(radius=0.1, divergence="kl", c=1.0)
    grid, sub, models = robust_covered_curves(learners, control, 2, 10, 40, 0, points=3)
    assert grid.tolist() == [10, 20, 40] and sub.shape == (2, 3, 2) and len(models) == 2
    again = robust_covered_curves(learners, control, 2, 10, 40, 0, points=3)[1]
    assert np.array_equal(sub, again)
    assert (sub >= -1e-12).all()
