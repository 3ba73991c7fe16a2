"""The checks of risk-sensitive RL beyond the tabular learner pass at quick scale, with every
negative control rejected, and their criteria reject planted failures."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass

from proofs_check import harness
from proofs_check.theorems import risk_beyond

IDS = (
    "zhao2024-discretised-planner-error",
    "wang2023-cvar-ucbvi-regret-slope",
    "chen2024-icvar-l-regret-slope",
    "wang2023-cvar-ucbvi-tau-ratio",
    "zhao2024-lowrank-cvar-ucb-regret-slope",
)


def test_registered_with_rule_source_and_kind():
    for check_id in IDS:
        theorem = harness.get(check_id)
        assert theorem.module == "proofs_check.theorems.risk_beyond"
        assert theorem.kind in ("slope", "ratio") and theorem.rule and theorem.source
        assert theorem.verified is False  # the papers' algorithms were not read


@pytest.mark.parametrize("check_id", IDS)
def test_quick_scale_passes_with_power(check_id):
    result = assert_quick_pass(check_id)
    assert result.evidence.has_plot and result.evidence.fitted


def test_planner_criterion_rejects_an_error_that_does_not_shrink():
    etas = np.geomspace(1e-3, 1e-1, 5)
    optima = np.ones(3)
    flat = np.full((3, 5), 0.05)
    verdict, _, _ = risk_beyond._planner_criterion("flat", etas, flat, optima, 3, 0.3, 0)
    assert verdict.status == "fail"
    linear = np.outer([0.5, 1.0, 1.5], etas)
    verdict, _, _ = risk_beyond._planner_criterion("linear", etas, linear, optima, 3, 0.3, 0)
    assert verdict.status == "pass", verdict.reason


def test_burn_ins_follow_the_bonus_formulas():
    mdp = risk_beyond.swapped_route()
    small, _ = risk_beyond.icvar_l_burn_in(mdp, 30_000, 0.001, 0.1)
    large, delta = risk_beyond.icvar_l_burn_in(mdp, 30_000, 0.01, 0.1)
    assert large > 50 * small and delta == pytest.approx(1.5)
    from algorithms.risk import CVaRUCBVI

    garnet = risk_beyond.quarter_garnet()
    burns = [
        risk_beyond.static_burn_in(garnet, 30_000, CVaRUCBVI(alpha=0.25, eta=0.25, bonus_scale=c))[
            0
        ]
        for c in (1.0, 0.3, 0.0)
    ]
    assert burns[0] > burns[1] > burns[2] == garnet.S * garnet.A


def test_gamble_instance_needs_the_gamble_at_every_tau():
    from mdptheory.risk import static_cvar_optimum

    mdp = risk_beyond.gamble_instance()
    for tau in risk_beyond.TAU_GRID:
        solution = static_cvar_optimum(mdp, tau)
        assert solution.act(0, 0, 0.0) == 0
        assert solution.value == pytest.approx((tau - 0.4) / tau)
