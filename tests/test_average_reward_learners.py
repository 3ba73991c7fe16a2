"""UCRL2, UCRL2-B, TSDE and the controls: exact pieces against oracles, the papers' epoch rules
on recorded runs, the gap-regret identity on every step, reproducibility, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from algorithms.average_reward import (
    LEARNERS,
    TSDE,
    UCRL2,
    UCRL2B,
    CertaintyEquivalence,
    FixedPolicy,
    box_inner_max,
    burn_in,
    descending_order,
    extended_value_iteration,
    l1_inner_max,
)
from algorithms.average_reward.evi import BOX, L1
from algorithms.registry import make_learner
from instances.average_reward import average_gridworld, communicating_garnet, ucrl2_lower_bound
from instances.tabular import river_swim
from mdptheory import EpisodicMDP, FiniteMDP
from mdptheory.average_reward import bellman_gaps, optimal_gain_bias
from mdptheory.experiment import run_seeds

RIVER = river_swim(S=6)
SMALL_LEARNERS = [UCRL2(), UCRL2B(), TSDE(), CertaintyEquivalence(), FixedPolicy()]


def lp_inner_max(p_hat, u, d=None, width=None):
    """max p.u over the simplex and an L1 ball (d) or a box (width), by scipy's LP solver."""
    S = p_hat.size
    if d is not None:
        # variables p (S) and slack e (S): e >= |p - p_hat|, sum e <= d
        c = np.concatenate([-u, np.zeros(S)])
        eye = np.eye(S)
        A_ub = np.block([[eye, -eye], [-eye, -eye], [np.zeros((1, S)), np.ones((1, S))]])
        b_ub = np.concatenate([p_hat, -p_hat, [d]])
        A_eq = np.concatenate([np.ones(S), np.zeros(S)])[None]
        bounds = [(0, 1)] * S + [(0, None)] * S
    else:
        c = -u
        A_ub, b_ub = None, None
        A_eq = np.ones((1, S))
        bounds = [(max(0.0, q - w), min(1.0, q + w)) for q, w in zip(p_hat, width, strict=True)]
    result = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0], bounds=bounds, method="highs")
    assert result.status == 0
    return -result.fun


@st.composite
def rows(draw, max_states=6):
    S = draw(st.integers(1, max_states))
    # Weights below 1e-6 are zeros: the LP oracle (HiGHS) works to about 1e-7.
    weights = np.asarray(draw(st.lists(st.floats(0, 1), min_size=S, max_size=S)))
    weights[weights < 1e-6] = 0.0
    if weights.sum() == 0:
        weights[0] = 1.0
    u = np.asarray(draw(st.lists(st.floats(-5, 5), min_size=S, max_size=S)))
    return weights / weights.sum(), u


@settings(max_examples=60, deadline=None)
@given(rows(), st.floats(1e-3, 2.5))
def test_l1_inner_max_equals_the_lp(row, d):
    # To the LP solver's precision here; proofs_check compares with cvxpy to 1e-9.
    p_hat, u = row
    value = l1_inner_max(p_hat, d, u, descending_order(u))
    assert value == pytest.approx(lp_inner_max(p_hat, u, d=d), abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(rows(), st.data())
def test_box_inner_max_equals_the_lp(row, data):
    p_hat, u = row
    width = np.asarray(
        data.draw(st.lists(st.floats(0.0, 0.6), min_size=p_hat.size, max_size=p_hat.size))
    )
    value = box_inner_max(p_hat, width, u, descending_order(u))
    assert value == pytest.approx(lp_inner_max(p_hat, u, width=width), abs=1e-6)


def test_unvisited_pair_may_jump_to_the_best_state():
    u = np.array([0.0, 3.0, 1.0])
    assert l1_inner_max(np.zeros(3), 0.1, u, descending_order(u)) == 3.0
    assert box_inner_max(np.zeros(3), np.zeros(3), u, descending_order(u)) == 3.0


def test_evi_with_the_true_model_and_no_radius_finds_the_optimal_gain():
    P, R = np.array(RIVER.P), np.array(RIVER.R)
    u = np.zeros(RIVER.S)
    policy = np.zeros(RIVER.S, dtype=np.int64)
    _, low, high, ok = extended_value_iteration(
        P, R, np.zeros((RIVER.S, RIVER.A, 1)), L1, 1e-10, 100_000, 0.5, u, policy
    )
    rho = optimal_gain_bias(RIVER).gain
    assert ok and low - 1e-10 <= rho <= high + 1e-10
    assert policy.tolist() == optimal_gain_bias(RIVER).policy.tolist()


@pytest.mark.parametrize("kind", [L1, BOX])
def test_evi_is_optimistic_when_the_true_model_is_plausible(kind):
    rng = np.random.default_rng(3)
    P, R = np.array(RIVER.P), np.array(RIVER.R)
    rho = optimal_gain_bias(RIVER).gain
    for _ in range(10):
        noise = rng.dirichlet(np.ones(RIVER.S), size=(RIVER.S, RIVER.A))
        p_hat = 0.9 * P + 0.1 * noise  # ||p_hat - P||_1 <= 0.2
        if kind == L1:
            radius = np.full((RIVER.S, RIVER.A, 1), 0.2)
        else:
            radius = np.abs(p_hat - P) + 1e-12
        u = np.zeros(RIVER.S)
        policy = np.zeros(RIVER.S, dtype=np.int64)
        _, _, high, ok = extended_value_iteration(
            p_hat, R, radius, kind, 1e-6, 10**6, 0.0, u, policy
        )
        assert ok and high >= rho - 1e-12


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------


def counts_between(states, actions, start, stop, S, A):
    counts = np.zeros((S, A))
    np.add.at(counts, (states[start:stop], actions[start:stop]), 1.0)
    return counts


@pytest.mark.parametrize("learner", [UCRL2(), UCRL2B()], ids=lambda x: x.label)
def test_ucrl2_epochs_follow_the_doubling_rule(learner):
    T = 30_000
    trace = learner.run(RIVER, T, seed=1, record_trajectory=True)
    states, actions = trace.extras["states"], trace.extras["actions"]
    starts = np.append(trace.extras["epoch_start"], T)
    S, A = RIVER.S, RIVER.A
    before = np.zeros((S, A))
    for k in range(starts.size - 1):
        v = counts_between(states, actions, starts[k], starts[k + 1], S, A)
        assert np.all(v <= np.maximum(1.0, before))  # line (6)
        # The epoch ended because the next pair reached its count, unless T did.
        before += v
    m = starts.size - 1
    assert m <= S * A * np.log2(8 * T / (S * A))  # Jaksch et al., Prop. 18
    assert np.all(trace.extras["evi_gain_high"] >= trace.extras["evi_gain_low"])


def test_tsde_epochs_follow_both_stopping_rules():
    T = 30_000
    trace = TSDE().run(RIVER, T, seed=2, record_trajectory=True)
    states, actions = trace.extras["states"], trace.extras["actions"]
    starts = np.append(trace.extras["epoch_start"], T)
    lengths = np.diff(starts)
    previous = np.concatenate([[1], lengths[:-1]])  # T_0 = 1
    assert np.all(lengths[:-1] <= previous[:-1] + 1)
    before = np.zeros((RIVER.S, RIVER.A))
    for k in range(lengths.size):
        v = counts_between(states, actions, starts[k], starts[k + 1], RIVER.S, RIVER.A)
        assert np.all(v <= before + 1)  # stops once a count doubles
        before += v


@pytest.mark.parametrize("learner", [UCRL2(), UCRL2B(), TSDE()], ids=lambda x: x.label)
def test_gap_regret_identity_on_every_step(learner):
    mdp = communicating_garnet(S=5, A=2, branching=2, seed=0, noise="bernoulli")
    T = 5000
    trace = learner.run(mdp, T, seed=4, record_trajectory=True)
    states, actions = trace.extras["states"], trace.extras["actions"]
    sol = optimal_gain_bias(mdp)
    h, rho = sol.bias, sol.gain
    gaps = bellman_gaps(mdp, sol)
    np.testing.assert_array_equal(trace.pseudo_regret, gaps[states[:-1], actions])
    rewards = rho - trace.realised_regret
    Ph = mdp.P @ h
    martingale = np.cumsum(Ph[states[:-1], actions] - h[states[1:]])
    noise = np.cumsum(mdp.R[states[:-1], actions] - rewards)
    lhs = np.cumsum(trace.realised_regret) - np.cumsum(trace.pseudo_regret)
    rhs = h[states[1:]] - h[states[0]] + martingale + noise
    np.testing.assert_allclose(lhs, rhs, atol=1e-9 * T)


@pytest.mark.parametrize("learner", SMALL_LEARNERS, ids=lambda x: x.label)
def test_same_seed_same_run_bit_for_bit(learner):
    a = learner.run(RIVER, 3000, seed=11)
    b = learner.run(RIVER, 3000, seed=11)
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    np.testing.assert_array_equal(a.realised_regret, b.realised_regret)
    np.testing.assert_array_equal(a.extras["epoch_start"], b.extras["epoch_start"])
    if not isinstance(learner, FixedPolicy):
        c = learner.run(ucrl2_lower_bound(A=3, depth=1, seed=1), 3000, seed=12)
        d = learner.run(ucrl2_lower_bound(A=3, depth=1, seed=1), 3000, seed=13)
        assert not np.array_equal(c.realised_regret, d.realised_regret)


def test_learners_reach_low_regret_where_the_controls_do_not():
    T = 200_000
    regret = {
        learner.label: learner.run(RIVER, T, seed=0).pseudo_regret.sum()
        for learner in (UCRL2(), TSDE(), FixedPolicy())
    }
    assert regret["TSDE"] < regret["UCRL2"] < regret["fixed policy (action 0)"]
    frozen = FixedPolicy().run(RIVER, T, seed=0)
    rho = optimal_gain_bias(RIVER).gain
    assert frozen.pseudo_regret.sum() / T == pytest.approx(rho - 0.005, rel=0.02)


def test_registered_names_and_the_runner():
    assert LEARNERS == {
        "ucrl2": UCRL2,
        "ucrl2-b": UCRL2B,
        "tsde": TSDE,
        "ce-epsilon-greedy": CertaintyEquivalence,
    }
    assert make_learner("ucrl2-b").confidence == "bernstein"
    assert make_learner("ucrl2", radius_scale="0.3").constants == "paper scaled"
    traces = run_seeds(make_learner("tsde"), RIVER, 2000, seeds=2, seed=0, progress=False)
    assert [t.n_episodes for t in traces] == [2000, 2000]
    assert traces[0].metadata["unit"] == "step"


def test_burn_in_shrinks_with_the_radius_scale_and_grows_with_D():
    steps = [burn_in(UCRL2(radius_scale=c), RIVER, 10**6).steps for c in (1.0, 0.3, 0.1)]
    assert steps[0] > steps[1] > steps[2]
    small, large = average_gridworld(size=3), average_gridworld(size=5)
    assert burn_in(UCRL2(), large, 10**6).steps > burn_in(UCRL2(), small, 10**6).steps


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------


def test_bad_models_and_budgets_raise_value_errors():
    episodic = EpisodicMDP(np.ones((1, 1, 1)), [[0.5]], H=2)
    with pytest.raises(ValueError, match="needs a FiniteMDP"):
        UCRL2().run(episodic, 10, 0)
    big = FiniteMDP(np.ones((1, 1, 1)), [[1.5]], gamma=0.5)
    with pytest.raises(ValueError, match=r"R\[0, 0, 0\] is 1.5"):
        TSDE().run(big, 10, 0)
    noisy = FiniteMDP(np.ones((1, 1, 1)), [[0.5]], gamma=0.5, noise=("gaussian", 0.1))
    with pytest.raises(ValueError, match="Gaussian"):
        UCRL2B().run(noisy, 10, 0)
    stuck = FiniteMDP(np.array([[[1.0, 0.0]], [[0.0, 1.0]]]), [[0.2], [0.7]], gamma=0.5)
    with pytest.raises(ValueError, match="closed class"):
        UCRL2().run(stuck, 10, 0)
    for budget in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="budget"):
            UCRL2().run(RIVER, budget, 0)
    with pytest.raises(ValueError, match="policy has 2 actions"):
        FixedPolicy(policy=(0, 1)).run(RIVER, 10, 0)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: UCRL2(delta=0.0), "delta must be a finite number > 0"),
        (lambda: UCRL2(delta=1.0), "delta must lie in (0, 1)"),
        (lambda: UCRL2(confidence="kl"), "confidence must be one of"),
        (lambda: UCRL2(radius_scale=-1.0), "radius_scale"),
        (lambda: UCRL2(evi_max_iter=0), "evi_max_iter"),
        (lambda: TSDE(alpha=0.0), "alpha"),
        (lambda: CertaintyEquivalence(epsilon=1.5), "epsilon"),
    ],
)
def test_bad_hyperparameters_name_themselves(make, fragment):
    with pytest.raises(ValueError) as info:
        make()
    assert fragment in str(info.value)


def test_evi_that_cannot_converge_stops_with_an_error():
    with pytest.raises(ValueError, match="evi_max_iter = 1 sweeps"):
        UCRL2(evi_max_iter=1).run(RIVER, 1000, 0)
