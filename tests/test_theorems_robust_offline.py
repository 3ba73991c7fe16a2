"""The robust offline checks pass at quick scale and reject their controls; their mutant's
patch changes its target (the kill itself: ``python -m proofs_check.runner --mutant ID``)."""

from __future__ import annotations

import pytest
from conftest import assert_quick_pass, assert_registered_records

from proofs_check.mutants import get_mutant, probe_changes
from proofs_check.theorems import robust_offline

IDS = ("tang2025-r2pvi-covered-rate", "tang2025-r2pvi-robust-coverage")


def test_checks_are_registered_with_their_records():
    assert_registered_records("robust-offline", IDS, "proofs_check.theorems.robust_offline")


def test_coverage_check_passes_and_rejects_both_controls():
    result = assert_quick_pass("tang2025-r2pvi-robust-coverage", controls=2)
    fitted = result.evidence.fitted
    assert fitted["level_L"] == pytest.approx(0.08)
    # the robust-coverage term stays at its prior value when the safe road is never taken
    assert fitted["coverage_term_uncovered"] > 10 * fitted["coverage_term_covered"]


@pytest.mark.slow
def test_rate_check_passes_and_rejects_its_control():
    assert_quick_pass("tang2025-r2pvi-covered-rate")


def test_nominal_duals_mutant_changes_its_target():
    mutant = get_mutant("r2pvi-nominal-duals")
    changed, what = probe_changes(mutant.patches[0], mutant.id)
    assert changed, what


def test_sign_flipped_control_is_a_bonus():
    from instances.linear import robust_route_linear_mdp

    model = robust_route_linear_mdp()
    flipped = robust_offline.SignFlippedR2PVI("kl", penalty=0.3, c=1.0)
    assert flipped.beta(model, 100) < 0
