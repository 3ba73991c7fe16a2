"""PR-LSVI's comparator option: the default keeps earlier numbers, the greedy-MLE comparator's
regret is exact, reproducibility and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from algorithms.preferences.pr_lsvi import PRLSVI
from instances.preferences import preference_lock_linear_mdp

LOCK = preference_lock_linear_mdp()


def test_default_comparator_keeps_the_earlier_numbers():
    """Fingerprint of a run recorded before the option existed (same machine code path)."""
    trace = PRLSVI(eps=0.3).run(LOCK, 300, seed=3)
    assert trace.pseudo_regret.sum() == pytest.approx(23.6412, abs=1e-12)
    queried = np.flatnonzero(trace.extras["queried"])
    assert queried.size == 58
    assert queried[:12].tolist() == [1, 2, 3, 4, 5, 6, 9, 10, 17, 18, 21, 22]
    np.testing.assert_allclose(
        trace.extras["theta_hat"][4:8],
        [-0.0189559288, 0.2782979568, 0.3087443541, -0.5680863821],
        atol=1e-10,
    )
    explicit = PRLSVI(eps=0.3, comparator="previous").run(LOCK, 300, seed=3)
    for name in ("queried", "uncertainty", "theta_hat"):
        np.testing.assert_array_equal(explicit.extras[name], trace.extras[name])
    np.testing.assert_array_equal(explicit.pseudo_regret, trace.pseudo_regret)
    assert "comparator_regret" not in trace.extras


def test_greedy_mle_comparator_without_randomisation_is_the_executed_policy():
    """With sigma_r = sigma_p = 0 the sampled policy is the greedy-MLE one: both regrets agree
    exactly, and every comparison is of two trajectories of the same policy."""
    trace = PRLSVI(eps=0.0, sigma_r=0.0, sigma_p=0.0, comparator="greedy-mle").run(LOCK, 50, 1)
    np.testing.assert_array_equal(trace.extras["comparator_regret"], trace.pseudo_regret)


def test_greedy_mle_comparator_regret_is_exact_and_bounded():
    from mdptheory.evaluation import policy_value_at_start
    from mdptheory.planning import backward_induction

    trace = PRLSVI(eps=0.0, comparator="greedy-mle").run(LOCK, 200, seed=2)
    regret = trace.extras["comparator_regret"]
    v_star = policy_value_at_start(LOCK.tabular(), backward_induction(LOCK.tabular()).policy)
    assert np.all(regret >= -1e-12) and np.all(regret <= v_star + 1e-12)
    # a query is possible from episode 0 on: the comparator exists in every episode
    assert np.isfinite(trace.extras["uncertainty"][0])
    again = PRLSVI(eps=0.0, comparator="greedy-mle").run(LOCK, 200, seed=2)
    np.testing.assert_array_equal(again.extras["comparator_regret"], regret)
    np.testing.assert_array_equal(again.pseudo_regret, trace.pseudo_regret)
    assert "greedy-mle comparator" in trace.metadata["constants"]


def test_bad_comparator():
    with pytest.raises(ValueError, match="comparator must be one of"):
        PRLSVI(comparator="best")
