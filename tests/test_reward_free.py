"""Reward-free exploration: the exact planning phase, RF-Express's W recursion, HF-RFE, seeds,
bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.registry import make_learner
from algorithms.reward_free import (
    HorizonFreeRFE,
    RFExpress,
    evaluate_batch,
    hf_rfe_radius,
    plan_batch,
    planning_suboptimality,
    reward_battery,
    rf_express_beta,
)
from algorithms.reward_free._phases import checkpoints
from algorithms.reward_free.rf_express import _plan_w, _State
from instances.linear_mixture import random_linear_mixture_mdp, reward_free_hard_instance
from instances.tabular import garnet
from mdptheory.evaluation import policy_value_at_start
from mdptheory.planning import backward_induction


def test_battery_totals_and_indicators():
    battery = reward_battery(S=3, A=2, H=4, n_random=5, seed=1, base=np.zeros((4, 3, 2)))
    assert battery.rewards.shape == (1 + 5 + 12, 4, 3, 2)
    assert battery.indicator.sum() == 12 and battery.names[0] == "model"
    # Total reward along any trajectory is at most 1: the max per stage summed over stages.
    assert (battery.rewards.max(axis=(2, 3)).sum(axis=1) <= 1.0 + 1e-12).all()


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16))
def test_batched_planning_equals_backward_induction(seed):
    mdp = garnet(S=4, A=3, branching=2, H=3, seed=seed)
    P = mdp.dense_P()[0]
    battery = reward_battery(4, 3, 3, n_random=3, seed=seed)
    policies, V = plan_batch(P, battery.rewards)
    for i in (0, 2, 5, 10):
        twin = mdp.__class__(P, battery.rewards[i], 3, initial=mdp.initial)
        solution = backward_induction(twin)
        np.testing.assert_allclose(V[i], solution.values[0], atol=1e-12)
        value = evaluate_batch(P, battery.rewards[i : i + 1], policies[i : i + 1])[0]
        assert value @ mdp.initial == pytest.approx(policy_value_at_start(twin, policies[i]))
    assert planning_suboptimality(P, P, battery.rewards, mdp.initial).max() == 0.0


def test_a_wrong_model_has_positive_suboptimality_for_some_indicator():
    true = np.zeros((2, 2, 2))
    true[:, 0, 0] = true[:, 1, 1] = 1.0  # action a goes to state a
    wrong = true[:, ::-1]  # the actions swapped
    battery = reward_battery(2, 2, 2, n_random=0, seed=0)
    sub = planning_suboptimality(true, wrong, battery.rewards, np.array([1.0, 0.0]))
    assert sub[battery.indicator].max() == 1.0


def test_rf_express_w_recursion_matches_numpy():
    rng = np.random.default_rng(0)
    H, S, A, delta = 3, 3, 2, 0.1
    N_sas = rng.integers(0, 4, (H, S, A, S)).astype(float)
    N_sas[0, 0, 0] = 0.0  # one unvisited pair
    N_sa = N_sas.sum(axis=3)
    state = _State(
        N_sas, N_sa, np.zeros((H, S, A)), np.zeros((H + 1, S)), np.zeros((H, S), np.int64)
    )
    c = 1e-3
    _plan_w(state, math.log(3 * S * A * H / delta), S, c)
    maxW = np.zeros(S)
    for h in range(H - 1, -1, -1):
        W = np.full((S, A), float(H))
        for s in range(S):
            for a in range(A):
                n = N_sa[h, s, a]
                if n > 0:
                    bonus = c * 15 * H * H * rf_express_beta(n, S, A, H, delta) / n
                    nxt = N_sas[h, s, a] @ maxW / n
                    W[s, a] = min(H, bonus + (1 + 1 / H) * nxt)
        np.testing.assert_allclose(state.W[h], W, rtol=1e-13)
        maxW = W.max(axis=1)


def test_traces_record_the_worst_of_the_battery_and_checkpoints():
    model = reward_free_hard_instance(d=3, H=3, epsilon=1.0, seed=1)
    for learner in (HorizonFreeRFE(c=0.3), RFExpress(c=0.01)):
        trace = learner.run(model, budget=300, seed=0)
        sub = trace.extras["suboptimality"]
        np.testing.assert_array_equal(trace.gap, sub.max(axis=1))
        assert (sub >= 0).all() and (trace.extras["adversarial"] <= trace.gap).all()
        np.testing.assert_array_equal(trace.extras["iteration"], checkpoints(300))
        assert trace.metadata["battery_size"] == 1 + 8 + 3 * 5


def test_hf_rfe_learns_theta():
    model = random_linear_mixture_mdp(S=4, A=2, H=3, d=3, seed=2)
    trace = HorizonFreeRFE().run(model, budget=2000, seed=1)
    assert trace.extras["value_error"][-1] < trace.extras["value_error"][0]
    assert trace.gap[-1] <= 0.02


def test_same_seed_same_trace():
    model = reward_free_hard_instance(d=3, H=3, seed=1)
    for learner in (HorizonFreeRFE(), RFExpress(c=0.01)):
        a, b = learner.run(model, 200, seed=5), learner.run(model, 200, seed=5)
        np.testing.assert_array_equal(a.extras["suboptimality"], b.extras["suboptimality"])
        np.testing.assert_array_equal(a.extras["value_error"], b.extras["value_error"])


def test_formulas_and_registry():
    assert rf_express_beta(0, 2, 2, 3, 0.1) == pytest.approx(
        math.log(360) + 2 * math.log(8 * math.e)
    )
    assert hf_rfe_radius(2, 0.0, 0.1, 1.0, 1.0) == pytest.approx(1 + math.sqrt(2 * math.log(10)))
    assert isinstance(make_learner("rf-express", c="0.1"), RFExpress)
    assert isinstance(make_learner("hf-rfe-indicator"), HorizonFreeRFE)
    assert RFExpress().constants == "paper (c = 1)"
    assert HorizonFreeRFE(c=0.0).constants == "no pseudo-reward (c = 0)"


def test_bad_input():
    with pytest.raises(ValueError, match="c"):
        RFExpress(c=-1.0)
    with pytest.raises(ValueError, match="delta"):
        HorizonFreeRFE(delta=0.0)
    with pytest.raises(ValueError, match="n_random_rewards"):
        RFExpress(n_random_rewards=-1)
    with pytest.raises(ValueError, match="LinearMixtureMDP"):
        HorizonFreeRFE().run(garnet(S=3, A=2, H=2), budget=10, seed=0)
    with pytest.raises(ValueError, match="EpisodicMDP or a LinearMixtureMDP"):
        RFExpress().run("river", budget=10, seed=0)
    with pytest.raises(ValueError, match="episodes"):
        RFExpress().run(garnet(S=3, A=2, H=2), budget=0, seed=0)
