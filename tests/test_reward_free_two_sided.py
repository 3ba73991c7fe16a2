"""The check of HF-UCRL-RFE on the two-sided lower-bound family: its two criteria on planted
curves, and the check itself at quick scale with its control rejected."""

from __future__ import annotations

import numpy as np
import pytest

from proofs_check.harness import get, run_check
from proofs_check.theorems import reward_free_two_sided as two_sided


def test_criteria_on_planted_curves():
    K = np.geomspace(100, 10_000, 12)
    rng = np.random.default_rng(0)
    noise = np.exp(rng.normal(0.0, 0.05, (8, K.size)))
    sqrt_decay = 0.5 / np.sqrt(K) * noise
    verdict, numbers, _, _ = two_sided.error_rate(K, sqrt_decay, "planted", 0.0, 0)
    assert verdict.status == "pass"
    assert numbers["slope[K planted]"] == pytest.approx(-0.5, abs=0.05)
    flat = 0.2 * noise
    assert two_sided.error_rate(K, flat, "flat", 0.0, 0)[0].status == "fail"
    slow = 0.5 * K**-0.2 * noise  # decays, but slower than K^-1/2
    assert two_sided.error_rate(K, slow, "slow", 0.0, 0)[0].status == "fail"
    assert two_sided.within_eps(np.zeros(8), "x")[0].status == "pass"
    assert two_sided.within_eps(np.full(8, 0.197), "x")[0].status == "fail"


def test_registered_with_a_rule_and_unverified():
    theorem = get("zhang2023-reward-free-two-sided")
    assert theorem.verified is False
    assert "before the check's own runs" in theorem.rule
    assert "reward-free" in theorem.tags


@pytest.mark.slow
def test_two_sided_check_at_quick_scale_and_its_control():
    result = run_check("zhang2023-reward-free-two-sided", scale="quick", seed=0, raise_errors=True)
    fitted = result.evidence.fitted
    key = "reward_free_lower_bound(d=4,H=5,epsilon=1)"
    # part 1 holds in every seed: every sign of mu is learned within the budget
    assert fitted[f"final_worst_high[{key}]"] <= two_sided.EPSILON
    # part 2 at quick scale (8 seeds): the slope is about -1/2 but its CI straddles -1/2 + 0.1
    assert result.status in ("pass", "inconclusive"), result.verdict.reason
    assert fitted[f"slope[K {key}]"] < -0.4
    assert result.controls and all(c.rejected for c in result.controls)


def test_doctests():
    import doctest

    from proofs_check.theorems import reward_free

    # within_eps, which the two-sided check judges with, is written in reward_free
    failures, tried = doctest.testmod(reward_free)
    assert tried > 0 and failures == 0
