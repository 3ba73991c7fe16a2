"""The average-reward checks at quick scale: verdicts, controls rejected, declared metadata."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import quick_check_tests

from proofs_check.harness import discover, get, run_check

IDS = (
    "jaksch2010-evi-inner-max-lp",
    "jaksch2010-evi-optimism",
    "jaksch2010-ucrl2-regret-slope",
    "jaksch2010-ucrl2-regret-ratio",
    "jaksch2010-ucrl2-regret-grows-with-D",
    "ouyang2017-tsde-below-ucrl2",
    "jaksch2010-ucrl2-epoch-count",
    "average-reward-gap-regret-identity",
)


results, test_check_passes_with_its_controls_rejected = quick_check_tests(
    IDS, slow=True, controls_required=False
)


@pytest.mark.slow
def test_vacuous_parts_are_named(results):
    slope = results["jaksch2010-ucrl2-regret-slope"].verdict.reason
    assert "vacuous: UCRL2 on river_swim" in slope  # the paper's radii: burn-in ~6e6
    ratio = results["jaksch2010-ucrl2-regret-ratio"].verdict.reason
    assert "Theorem 2's bound" in ratio and "at or above the trivial" in ratio


def test_checks_are_registered_with_their_kinds():
    discover()
    kinds = {check_id: get(check_id).kind for check_id in IDS}
    assert kinds["jaksch2010-ucrl2-regret-slope"] == "slope"
    assert kinds["jaksch2010-ucrl2-regret-ratio"] == "ratio"
    assert kinds["ouyang2017-tsde-below-ucrl2"] == "comparison"
    assert kinds["average-reward-gap-regret-identity"] == "exact"


def _lower_bound_result(scale):
    discover()
    return run_check("jaksch2010-ucrl2-lower-bound", scale, 0, raise_errors=True)


def _assert_lower_bound(result, points):
    assert result.status == "pass", result.verdict.reason
    (control,) = result.controls
    assert control.rejected and control.measured["max_ratio"] == 0.0
    theorem = get("jaksch2010-ucrl2-lower-bound")
    assert theorem.kind == "lower-bound" and theorem.verified is False
    assert "0.015" in theorem.rule and "before any run" in theorem.rule
    fitted = result.evidence.fitted
    assert fitted["c"] == 0.015 and fitted["min_D"] >= 20 * np.log(21) / np.log(10)
    ratios = [v for k, v in fitted.items() if k.startswith("mean_ratio[") and "oracle" not in k]
    assert len(ratios) == 2 * points and min(ratios) > 0.015
    # Regret grows as sqrt(T) on the family tuned to T: the ratio stays within a factor 2.
    assert max(ratios) < 2 * min(ratios)


def test_lower_bound_check_quick():
    _assert_lower_bound(_lower_bound_result("quick"), 2)


@pytest.mark.slow
def test_lower_bound_check_full():
    _assert_lower_bound(_lower_bound_result("full"), 3)


def test_planning_step_replay_matches_and_rejects_the_slip():
    discover()
    result = run_check("jaksch2010-ucrl2-planning-step", "quick", 0, raise_errors=True)
    assert result.status == "pass", result.verdict.reason
    (control,) = result.controls
    assert control.rejected and control.measured["max_bracket_error"] > 1e-6
    fitted = result.evidence.fitted
    assert fitted["epochs replayed"] == 75 and fitted["epochs with another policy"] == 0
