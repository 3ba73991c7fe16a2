"""The reward-free checks run at quick scale: each passes and rejects its control."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass

from mdptheory.regret import ConvergenceTrace
from proofs_check.harness import registered
from proofs_check.theorems.reward_free import episodes_to_eps

IDS = (
    "zhang2023-reward-free-uniform-eps",
    "zhang2023-reward-free-episodes-to-eps",
    "zhang2023-reward-free-horizon-free",
)


def test_the_checks_are_registered_unverified():
    found = {t.id: t for t in registered() if t.module == "proofs_check.theorems.reward_free"}
    assert set(IDS) <= set(found)
    assert all(found[i].verified is False and found[i].rule for i in IDS)


def test_episodes_to_eps_reads_the_last_crossing():
    trace = ConvergenceTrace(
        np.array([0.5, 0.05, 0.2, 0.01]), {"iteration": np.array([10.0, 20.0, 40.0, 80.0])}
    )
    out = episodes_to_eps(trace, np.array([1.0, 0.3, 0.1, 0.001]))
    assert out.tolist() == [10.0, 20.0, 80.0, np.inf]


@pytest.mark.parametrize("check_id", IDS)
def test_check_passes_at_quick_scale_and_rejects_its_control(check_id):
    assert_quick_pass(check_id)
