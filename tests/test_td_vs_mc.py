"""TD against Monte Carlo: exact asymptotic MSEs, pooling, crossing times, the simulator."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances import make
from instances.layered_chains import layered_chain, merging_chains
from instances.tabular import garnet
from mdptheory import EpisodicMDP
from mdptheory.diagnostics import diagnose
from mdptheory.diagnostics.td_vs_mc import (
    crossing_time,
    difference_mse,
    simulate_estimates,
    td_vs_mc,
)


def test_uniform_layers_closed_form():
    # width W, uniform moves, unit noise, zero means: V = 0, every TD error has variance 1,
    # p = 1/W; MC: H / p = W H; TD: W (own stage) + (H - 1) (later stages, M = 1/W each)
    W, H = 3, 4
    mdp = EpisodicMDP(np.full((W, 1, W), 1 / W), np.zeros((W, 1)), H, noise=("gaussian", 1.0))
    out = td_vs_mc(mdp)
    np.testing.assert_allclose(out.mse_mc[0], W * H)
    np.testing.assert_allclose(out.mse_td[0], W + (H - 1))
    np.testing.assert_allclose(out.pooling[0], (1 + (H - 1) / W) / H)
    np.testing.assert_allclose(out.pooling[-1], 1.0)  # last stage: nothing to pool


@pytest.mark.parametrize(("W", "H"), [(2, 3), (4, 5), (5, 8)])
def test_layered_example_with_a_terminal_reward_pools_one_in_w(W, H):
    # theory-wave2.md 6.3 [S]: width W, uniform sampling, C = 1/W. With a reward only in the
    # last layer, the only TD-error variance is at layer H - 2, reached from W states alike.
    R = np.zeros((H, W, 1))
    R[-1, :, 0] = np.arange(W, dtype=float)
    mdp = EpisodicMDP(np.full((W, 1, W), 1 / W), R, H)
    np.testing.assert_allclose(td_vs_mc(mdp).pooling[0], 1 / W, rtol=1e-12)


@pytest.mark.parametrize(("k", "H"), [(1, 5), (2, 8), (3, 3), (4, 16)])
def test_merging_chains_closed_form(k, H):
    mdp = merging_chains(k=k, H=H, sigma=2.0)
    td, mc = difference_mse(mdp, 0, 1)
    assert td == pytest.approx(4 * k * 4.0)  # k stages, two lanes of visit 1/2
    assert mc == pytest.approx(4 * H * 4.0)  # the whole horizon
    assert crossing_time(mdp, 0, 1) == pytest.approx(k)


def test_disjoint_lanes_do_not_pool_and_td_equals_mc_there():
    mdp = layered_chain(W=3, H=4, mixing=0.0, seed=2)
    np.testing.assert_allclose(td_vs_mc(mdp).pooling, 1.0)
    sim = simulate_estimates(mdp, n_trajectories=30, n_datasets=50, seed=0)
    np.testing.assert_allclose(sim.td, sim.mc, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    W=st.integers(2, 4),
    H=st.integers(2, 5),
    mixing=st.floats(0.0, 1.0),
)
def test_pooling_in_unit_interval_and_crossing_time_bound(seed, W, H, mixing):
    mdp = layered_chain(W=W, H=H, mixing=mixing, sigma=0.5, seed=seed)
    out = td_vs_mc(mdp)
    assert np.all(out.pooling > 0) and np.all(out.pooling <= 1 + 1e-12)
    assert np.all(out.mse_td <= out.mse_mc + 1e-9)
    worst = np.nanmax(out.td_error_variance / out.visit)
    for s in range(1, W):
        td, _ = difference_mse(mdp, 0, s)
        assert td <= 2 * crossing_time(mdp, 0, s) * worst + 1e-9


def test_stochastic_policy_and_bernoulli_rewards_match_the_simulator():
    rng = np.random.default_rng(4)
    mdp = EpisodicMDP(
        rng.dirichlet(np.ones(3), size=(3, 2)), rng.random((3, 2)), H=3, noise="bernoulli"
    )
    policy = rng.dirichlet(np.ones(2), size=(3, 3))
    exact = td_vs_mc(mdp, policy)
    sim = simulate_estimates(mdp, n_trajectories=100, n_datasets=4000, seed=1, policy=policy)
    np.testing.assert_allclose(sim.scaled_mse("td"), exact.mse_td, rtol=0.12)
    np.testing.assert_allclose(sim.scaled_mse("mc"), exact.mse_mc, rtol=0.12)


def test_simulator_is_reproducible():
    mdp = layered_chain(W=3, H=3)
    a = simulate_estimates(mdp, 20, 30, seed=7)
    b = simulate_estimates(mdp, 20, 30, seed=7)
    np.testing.assert_array_equal(a.td, b.td)
    np.testing.assert_array_equal(a.counts, b.counts)
    c = simulate_estimates(mdp, 20, 30, seed=8)
    assert not np.array_equal(a.mc, c.mc)
    assert (a.counts.sum(axis=2) == 20).all()  # one state per layer per trajectory


def test_bad_input_raises_naming_the_parameter():
    mdp = merging_chains()
    with pytest.raises(ValueError, match="EpisodicMDP"):
        td_vs_mc(garnet(S=4, A=2))
    with pytest.raises(ValueError, match="s_prime"):
        crossing_time(mdp, 0, 2)
    with pytest.raises(ValueError, match="stage"):
        difference_mse(mdp, 0, 1, h=10)
    with pytest.raises(ValueError, match="n_trajectories"):
        simulate_estimates(mdp, 0, 3, seed=0)
    with pytest.raises(ValueError, match="policy"):
        td_vs_mc(mdp, np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(ValueError, match="estimator"):
        simulate_estimates(mdp, 2, 2, seed=0).scaled_mse("lstd")
    with pytest.raises(ValueError, match="k must be"):
        merging_chains(k=11, H=10)
    with pytest.raises(ValueError, match="mixing"):
        layered_chain(mixing=1.5)


def test_catalogue_entries_and_diagnosis():
    mdp = make("merging_chains", k="3", H="12")
    assert crossing_time(mdp, 0, 1) == 3
    found = {d.name: d for d in diagnose(make("layered_chain"))}["TD vs Monte Carlo"]
    assert 0 < found.values["pooling C at stage 0 (mean over start states)"] < 1
