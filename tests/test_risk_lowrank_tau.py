"""The tau-ratio check of the low-rank CVaR-UCB."""

import numpy as np
import pytest
from conftest import assert_quick_pass

from algorithms.risk import LowRankCVaRUCB
from proofs_check.theorems import risk_beyond
from proofs_check.theorems import risk_lowrank_tau as rt


def test_bonus_scale_follows_its_rule():
    model = risk_beyond.lowrank_garnet()
    K = rt.PLAN["quick"][0]
    for c in (1.0, 0.3):
        learner = LowRankCVaRUCB(alpha=min(rt.TAUS), eta=risk_beyond.STATIC_ETA, c=c)
        assert risk_beyond.lowrank_burn_in(model, K, learner)[0] > K // 10
    learner = LowRankCVaRUCB(alpha=min(rt.TAUS), eta=risk_beyond.STATIC_ETA, c=rt.C)
    assert risk_beyond.lowrank_burn_in(model, K, learner)[0] <= K // 10


def test_criterion_accepts_inverse_tau_and_rejects_inverse_tau_squared():
    taus = np.array(rt.TAUS)
    rng = np.random.default_rng(0)
    noise = rng.uniform(0.9, 1.1, (8, taus.size))
    inverse = 100.0 / taus * noise
    assert rt.tau_criterion("1/tau", inverse)[0].status == "pass"
    inverse_squared = 100.0 / taus**2 * noise
    assert rt.tau_criterion("1/tau^2", inverse_squared)[0].status == "fail"
    flat = np.zeros((8, taus.size))
    assert rt.tau_criterion("zero", flat)[0].status == "vacuous"


@pytest.mark.slow
def test_check_at_quick_scale_passes_and_rejects_its_control():
    assert_quick_pass("zhao2024-lowrank-cvar-tau-ratio", controls=1)
