"""Variance-aware and horizon-free instances: exact linearity, variance spread, normalisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.linear import simplex_feature_linear_mdp, tabular_as_linear
from instances.tabular import chain, garnet
from instances.variance_aware import (
    heteroscedastic_linear_mdp,
    horizon_free,
    horizon_free_garnet,
    horizon_free_simplex,
    lsvi_ucb_gap_instance,
    max_trajectory_return,
    next_value_variance,
)
from mdptheory import EpisodicMDP
from mdptheory.linear import LinearMDP


def brute_force_max_return(mdp: EpisodicMDP) -> float:
    """Largest total reward over all trajectories, by enumeration (tiny models only)."""
    P = np.broadcast_to(mdp.dense_P(), (mdp.H, mdp.S, mdp.A, mdp.S))
    best = -np.inf

    def walk(h, s, total):
        nonlocal best
        if h == mdp.H:
            best = max(best, total)
            return
        for a in range(mdp.A):
            for t in np.flatnonzero(P[h, s, a] > 0):
                walk(h + 1, t, total + mdp.R[h, s, a])

    for s in np.flatnonzero(mdp.initial > 0):
        walk(0, s, 0.0)
    return best


def test_variance_spread_follows_the_knob():
    spreads = []
    for ratio in (1.0, 10.0, 1000.0):
        var = next_value_variance(heteroscedastic_linear_mdp(ratio=ratio, seed=0))[:-1, 2:]
        spreads.append(var.max() / var.min())
    assert spreads[0] < spreads[1] < spreads[2]
    assert spreads[2] > 1000.0  # orders of magnitude at the default knob


def test_heteroscedastic_model_is_exactly_linear_and_valid():
    mdp = heteroscedastic_linear_mdp(S=9, A=3, H=6, d=6, seed=4)
    assert mdp.assumptions().holds
    np.testing.assert_allclose(mdp.P.sum(axis=-1), 1.0, atol=1e-12)
    assert mdp.R[:, 0].min() == 1.0 and mdp.R[:, 1].max() == 0.0


def test_next_value_variance_matches_a_direct_computation():
    mdp = garnet(S=5, A=2, branching=2, H=4, seed=3)
    from mdptheory.planning import backward_induction

    V = np.vstack([backward_induction(mdp).values, np.zeros(5)])  # V_H = 0
    var = next_value_variance(mdp)
    P = np.broadcast_to(mdp.dense_P(), (4, 5, 2, 5))
    for h in range(4):
        for s in range(5):
            for a in range(2):
                p = P[h, s, a]
                mean = p @ V[h + 1]
                assert var[h, s, a] == pytest.approx(p @ (V[h + 1] - mean) ** 2, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), H=st.integers(1, 5), terminal=st.booleans())
def test_every_trajectory_total_is_at_most_one(seed, H, terminal):
    mdp = garnet(S=3, A=2, branching=2, H=H, seed=seed)
    mode = "terminal" if terminal else "max_return"
    scaled = horizon_free(mdp, mode)
    total = brute_force_max_return(scaled)
    assert total <= 1.0
    assert total == pytest.approx(max_trajectory_return(scaled), abs=1e-12)
    if not terminal:
        assert total > 1.0 - 1e-12  # tight
    lin = horizon_free(tabular_as_linear(mdp), mode)
    assert isinstance(lin, LinearMDP) and brute_force_max_return(lin.tabular()) <= 1.0


def test_horizon_300_and_families():
    lin = horizon_free_simplex(S=4, A=2, H=300, d=3, seed=2)
    assert lin.H == 300 and max_trajectory_return(lin) <= 1.0
    tab = horizon_free_garnet(S=4, A=2, H=300, seed=2)
    assert tab.H == 300 and max_trajectory_return(tab) <= 1.0
    sparse = horizon_free_simplex(H=20, mode="terminal")
    assert sparse.R[:-1].max() == 0.0 and sparse.R[-1].max() > 0.0
    base = simplex_feature_linear_mdp(S=10, A=3, H=20, d=4, seed=0)
    np.testing.assert_array_equal(sparse.R[-1], base.R[-1])


def test_same_seed_same_instance():
    a = heteroscedastic_linear_mdp(seed=7)
    b = heteroscedastic_linear_mdp(seed=7)
    assert np.array_equal(a.phi, b.phi) and np.array_equal(a.mu, b.mu)
    assert not np.array_equal(a.phi, heteroscedastic_linear_mdp(seed=8).phi)


def test_gap_instance_is_the_hard_family():
    m = lsvi_ucb_gap_instance(d=4, H=3, K_design=100)
    assert m.assumptions().holds and m.S == 5


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: heteroscedastic_linear_mdp(S=2), "S is 2"),
        (lambda: heteroscedastic_linear_mdp(d=3), "d is 3"),
        (lambda: heteroscedastic_linear_mdp(ratio=0.5), "ratio"),
        (lambda: horizon_free(chain(S=3, H=4), mode="dense"), "mode must be one of"),
        (lambda: horizon_free("garnet"), "LinearMDP or an EpisodicMDP"),
        (lambda: horizon_free_garnet(H=301), "H is 301"),
        (
            lambda: horizon_free(EpisodicMDP(np.ones((1, 1, 1)), np.full((1, 1), 2.0), H=2)),
            "R[0, 0, 0] is 2.0",
        ),
        (
            lambda: horizon_free(EpisodicMDP(np.ones((1, 1, 1)), np.zeros((1, 1)), H=2)),
            "nothing to scale",
        ),
    ],
)
def test_bad_input_raises(call, fragment):
    with pytest.raises(ValueError) as info:
        call()
    assert fragment in str(info.value)
