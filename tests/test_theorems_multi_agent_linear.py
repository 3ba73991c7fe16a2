"""The Async-Coop-LSVI-UCB checks pass at quick scale with their controls rejected; the
communication bound holds on every run the check reads."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass

from algorithms.multi_agent import communication_bound
from proofs_check import harness
from proofs_check.theorems.multi_agent_linear import communication_burn_in, cooperation_band

CHECKS = (
    "min2023-async-lsvi-regret-slope",
    "min2023-async-lsvi-cooperation",
    "min2023-async-lsvi-communication",
)


@pytest.mark.slow
@pytest.mark.parametrize("check", CHECKS)
def test_quick_scale_passes_with_its_controls_rejected(check):
    result = assert_quick_pass(check)
    assert result.evidence.has_plot
    assert harness.get(check).module == "proofs_check.theorems.multi_agent_linear"


def test_communication_check_reads_every_run_against_the_bound():
    result = harness.run_check(CHECKS[2], "quick", seed=0, raise_errors=True)
    rounds, K = result.evidence.arrays["rounds"], result.evidence.arrays["K"]
    bound = np.array([communication_bound(4, 5, 4, int(k), 1 / 16) for k in K])
    assert np.all(rounds <= bound)
    assert np.all(np.diff(rounds, axis=1) >= 0)


def test_band_and_burn_in_formulas():
    assert cooperation_band(4) == 1.5
    assert communication_burn_in(2, 3, 2) == 24
    # The bound is O(d H M^2 log K): doubling M roughly quadruples its M-dependent part.
    small, large = (
        communication_bound(4, 5, 4, 10**6, 1 / 16),
        communication_bound(4, 5, 8, 10**6, 1 / 64),
    )
    assert 3.0 < large / small < 4.0
