"""The hypercube-action hard linear MDP: validity, closed-form optimum and gaps, seeds, input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.linear_gap import (
    hypercube_gap_action_gaps,
    hypercube_gap_linear_mdp,
    hypercube_gap_optimal_value,
    hypercube_gap_parameters,
)
from mdptheory.planning import backward_induction


def brute_force_start_value(params, sequence) -> float:
    """Value from x_1 of the open-loop action sequence (a_0..a_{H-1}) at the live chain state,
    summed over escape times (no code shared with the model or the planner)."""
    value, alive = 0.0, 1.0
    for h, a in enumerate(sequence):
        escape = params.delta + float(params.actions[a] @ (params.Delta * params.signs[h]))
        # escaping during stage h pays 1 at each of the H - 1 - h later stages
        value += alive * escape * (params.H - 1 - h)
        alive *= 1.0 - escape
    return value


@pytest.mark.parametrize("d, H, K, A", [(4, 3, 20, 4), (6, 3, 50, 6), (5, 4, 30, 8)])
def test_optimum_equals_brute_force_over_action_sequences(d, H, K, A):
    params = hypercube_gap_parameters(d=d, H=H, K=K, n_actions=A, seed=2)
    best = max(
        brute_force_start_value(params, seq)
        for seq in itertools.product(range(params.n_actions), repeat=H)
    )
    assert best == pytest.approx(hypercube_gap_optimal_value(d=d, H=H, K=K), abs=1e-12)
    mdp = hypercube_gap_linear_mdp(d=d, H=H, K=K, n_actions=A, seed=2)
    assert backward_induction(mdp.tabular()).values[0, 0] == pytest.approx(best, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    d=st.integers(3, 12),
    H=st.integers(2, 5),
    extra=st.integers(0, 200),
    n_actions=st.integers(5, 40),
    seed=st.integers(0, 2**16),
)
def test_linear_exact_and_gaps_match_the_planner(d, H, extra, n_actions, seed):
    K = int(np.ceil((d - 2) ** 2 * H / 32)) + extra
    mdp = hypercube_gap_linear_mdp(d=d, H=H, K=K, n_actions=n_actions, seed=seed)
    params = hypercube_gap_parameters(d=d, H=H, K=K, n_actions=n_actions, seed=seed)
    assert mdp.d == d and mdp.S == H + 1 and mdp.A == min(n_actions, 2 ** (d - 2))
    assert mdp.assumptions().holds
    # the defining invariant: escape probability delta + <a, theta_h> from every chain state
    escape = params.delta + params.actions @ (params.Delta * params.signs).T  # (A, H)
    for h in range(H):
        np.testing.assert_allclose(mdp.P[h, :H, :, H], np.broadcast_to(escape[:, h], (H, mdp.A)))
    assert (params.wrong[np.arange(H), params.optimal_actions] == 0).all()
    solution = backward_induction(mdp.tabular())
    q = solution.q[:, :H, :]
    gaps = hypercube_gap_action_gaps(d=d, H=H, K=K, n_actions=n_actions, seed=seed)
    expected = np.broadcast_to(gaps[:, None, :], q.shape)
    np.testing.assert_allclose(q.max(axis=-1, keepdims=True) - q, expected, atol=1e-12)
    assert solution.values[0, 0] == pytest.approx(
        hypercube_gap_optimal_value(d=d, H=H, K=K), abs=1e-12
    )


def test_same_seed_same_instance_other_seed_other_instance():
    a = hypercube_gap_linear_mdp(d=12, H=3, K=500, n_actions=16, seed=5)
    b = hypercube_gap_linear_mdp(d=12, H=3, K=500, n_actions=16, seed=5)
    c = hypercube_gap_linear_mdp(d=12, H=3, K=500, n_actions=16, seed=6)
    assert np.array_equal(a.phi, b.phi) and np.array_equal(a.mu, b.mu)
    assert np.array_equal(a.P, b.P)
    assert not np.array_equal(a.P, c.P)


def test_full_hypercube_when_it_fits():
    params = hypercube_gap_parameters(d=5, H=3, K=100, n_actions=64, seed=0)
    assert params.n_actions == 8
    assert len({tuple(row) for row in params.actions}) == 8


test_bad_input_names_the_parameter = refusal_test(
    hypercube_gap_linear_mdp,
    [
        ({"d": 2}, "d is 2"),
        ({"d": 33}, "d is 33"),
        ({"H": 1}, "H is 1"),
        ({"K": 0}, "K is 0"),
        ({"n_actions": 1}, "n_actions is 1"),
        ({"d": 16, "H": 3, "K": 10}, "exceeds delta"),
        ({"d": 12, "H": 6, "K": 200, "n_actions": 2}, "n_actions is 2"),
    ],
)


# --- the check he2023-lsvi-ucb-pp-d-gap on this family ----------------------------------------

GAP_ID = "he2023-lsvi-ucb-pp-d-gap"


def test_gap_check_is_registered_with_its_rule():
    from proofs_check import harness

    theorem = harness.get(GAP_ID)
    assert theorem.kind == "slope" and "Revision 2" in theorem.rule and not theorem.verified


def test_gap_criterion_tells_bounded_from_growing():
    from proofs_check.theorems.variance_aware_gap import GAP_DIMENSIONS, _judge_slope

    d = np.array(GAP_DIMENSIONS, dtype=float)
    level = np.random.default_rng(0).uniform(0.9, 1.1, (6, 1))
    flat, sqrt_d = level * np.ones_like(d), level * np.sqrt(d)
    assert _judge_slope("flat", flat, 0, bounded=True)[0].status == "pass"
    assert _judge_slope("sqrt d", sqrt_d, 0, bounded=True)[0].status == "fail"
    assert _judge_slope("sqrt d", sqrt_d, 0, bounded=False)[0].status == "pass"
    assert _judge_slope("flat", flat, 0, bounded=False)[0].status == "fail"


def test_gap_vacuity_rules():
    from proofs_check.theorems.variance_aware_gap import _not_learning, _saturated, chosen_c

    assert _not_learning("x", np.array([0.2, 0.3, 0.4])) is None
    assert _not_learning("x", np.array([0.2, 0.9, 0.4])).status == "vacuous"
    cap = np.array([0.2, 0.2, 0.2])
    assert _saturated("x", np.full((2, 3), 0.19), cap).status == "vacuous"
    assert _saturated("x", np.full((2, 3), 0.1), cap) is None
    assert chosen_c(20_000) == 0.001 and chosen_c(50_000) == 0.001


def test_regret_cap_is_above_any_policy():
    from proofs_check.theorems.variance_aware_gap import regret_cap

    mdp = hypercube_gap_linear_mdp(d=6, H=3, K=100, n_actions=8, seed=0)
    gaps = hypercube_gap_action_gaps(d=6, H=3, K=100, n_actions=8, seed=0)
    # the always-worst-action policy loses at least the first stage's largest gap per episode
    assert regret_cap(mdp, 10) >= 10 * gaps[0].max() - 1e-12


@pytest.mark.slow
def test_gap_check_quick_is_vacuous_with_its_numbers():
    """At quick scale neither learner learns at the rule's c, so the check says vacuous (not
    pass, not fail) and records every ratio, the learning ratios and the control."""
    from proofs_check import harness

    result = harness.run_check(GAP_ID, "quick", seed=0, raise_errors=True)
    assert result.status == "vacuous", result.verdict.reason
    assert "not learning" in result.verdict.reason
    fitted = result.evidence.fitted
    assert fitted["c"] == 0.001
    for name in ("LSVI-UCB++", "LSVI-UCB"):
        for d in (8, 16, 32):
            assert 0 < fitted[f"ratio[{name}, d={d}]"] < fitted[f"cap_ratio[d={d}]"]
    assert len(result.controls) == 1
