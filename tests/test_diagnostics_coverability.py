"""The coverability coefficient: brute-force and LP oracles, the bounds A <= C_h <= SA, bad
input and the registered check at quick scale."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass
from hypothesis import given, settings

from instances.tabular import deep_sea, garnet, river_swim
from mdptheory import EpisodicMDP
from mdptheory.diagnostics.coverability import coverability, max_state_occupancy
from proofs_check.strategies import episodic_mdps
from proofs_check.theorems.diagnostics import brute_force_max_occupancy


@settings(max_examples=30, deadline=None)
@given(episodic_mdps(min_states=1, max_states=3, max_actions=2, max_horizon=3))
def test_dp_equals_the_maximum_over_all_deterministic_policies(mdp):
    result = coverability(mdp)
    np.testing.assert_allclose(result.max_occupancy, brute_force_max_occupancy(mdp), atol=1e-12)
    np.testing.assert_allclose(result.per_stage, result.max_occupancy.sum(axis=(1, 2)))
    assert result.value == result.per_stage.max()


@pytest.mark.parametrize(
    "mdp", [garnet(S=3, A=2, branching=2, H=3, seed=5), river_swim(S=4, H=3)], ids=lambda m: m.name
)
def test_lp_equals_dp(mdp):
    dp, lp = coverability(mdp), coverability(mdp, method="lp")
    np.testing.assert_allclose(lp.max_occupancy, dp.max_occupancy, atol=1e-6)
    np.testing.assert_allclose(lp.per_stage, dp.per_stage, rtol=1e-6)


@settings(max_examples=60, deadline=None)
@given(episodic_mdps(min_states=1, max_states=6, max_actions=3, max_horizon=6))
def test_coverability_lies_between_a_and_sa(mdp):
    result = coverability(mdp)
    assert np.all(result.per_stage >= mdp.A * (1 - 1e-12))
    assert np.all(result.per_stage <= mdp.S * mdp.A * (1 + 1e-12))
    # mu attains the infimum: the worst ratio over pairs equals C_h
    # (pairs of negligible reach are left out: their ratio loses all precision to underflow)
    reached = result.max_occupancy > 1e-100
    ratio = np.zeros_like(result.mu)
    ratio[reached] = result.max_occupancy[reached] / result.mu[reached]
    np.testing.assert_allclose(ratio.max(axis=(1, 2)), result.per_stage, rtol=1e-12)


def test_closed_forms():
    # deep sea: the agent sits in row h at stage h and can reach any column <= h
    mdp = deep_sea(N=5)
    reach = max_state_occupancy(mdp)
    assert reach.sum(axis=1)[1] == pytest.approx(2.0)
    # teleport: every state reachable at h >= 1, so C_h = S A
    S = 4
    P = np.zeros((S, S, S))
    P[:, np.arange(S), np.arange(S)] = 1.0
    result = coverability(EpisodicMDP(P, np.zeros((S, S)), H=3, initial=np.eye(S)[0]))
    assert result.per_stage.tolist() == [4.0, 16.0, 16.0]


def test_same_model_same_numbers():
    mdp = garnet(S=8, A=3, H=5, seed=3)
    np.testing.assert_array_equal(coverability(mdp).per_stage, coverability(mdp).per_stage)


def test_bad_input():
    with pytest.raises(ValueError, match="EpisodicMDP"):
        coverability(garnet(S=3, A=2, seed=0))
    with pytest.raises(ValueError, match="method"):
        coverability(garnet(S=3, A=2, H=2, seed=0), method="sampling")


def test_registered_check_passes_at_quick_scale():
    assert_quick_pass("xie2023-coverability-at-most-sa")
