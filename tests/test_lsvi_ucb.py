"""LSVI-UCB (Jin, Yang, Wang, Jordan 2020): exact oracles, the one-hot reduction, properties,
reproducibility, bad input, and the registered checks at quick scale."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import refusal_test, simplex_arrays
from hypothesis import given, settings
from hypothesis import strategies as st

import mdptheory as mt
from algorithms.linear import (
    LEARNERS,
    LSVI,
    LSVIUCB,
    RareSwitchLSVIUCB,
    lsvi_ucb_beta,
    lsvi_ucb_regret_bound,
    max_rare_switches,
    nonvacuous_episodes,
    sherman_morrison_update,
)
from mdptheory.linear import LinearMDP

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lsvi_ucb_reference import reference_q_sequence, reference_run


def simplex_model(
    S: int = 6, A: int = 3, H: int = 4, d: int = 3, seed: int = 0, noise=None
) -> LinearMDP:
    """Features on the simplex, mu_h rows are distributions over next states."""
    return LinearMDP(*simplex_arrays(S, A, H, d, seed), noise=noise)


def one_hot_model(mdp: mt.EpisodicMDP) -> LinearMDP:
    """Example 2.1 of the paper: d = S A, phi(s, a) = e_(s, a), mu_h = P_h, theta_h = r_h."""
    S, A, H = mdp.S, mdp.A, mdp.H
    phi = np.eye(S * A).reshape(S, A, S * A)
    P = np.stack([mdp.transition(h) for h in range(H)])  # (H, S, A, S')
    mu = P.reshape(H, S * A, S).transpose(0, 2, 1)  # (H, S', S A)
    theta = mdp.R.reshape(H, S * A)
    return LinearMDP(phi, mu, theta, initial=mdp.initial)


def twin(model: LinearMDP) -> tuple[np.ndarray, np.ndarray]:
    """The exact tabular twin by einsum (independent of LinearMDP.tabular)."""
    P = np.einsum("sad,htd->hsat", model.phi, model.mu)
    R = np.einsum("sad,hd->hsa", model.phi, model.theta)
    return P, R


def exact_policy_value(
    P: np.ndarray, R: np.ndarray, initial: np.ndarray, policy: np.ndarray
) -> float:
    H, S, _ = R.shape
    v = np.zeros(S)
    rows = np.arange(S)
    for h in reversed(range(H)):
        v = R[h, rows, policy[h]] + P[h, rows, policy[h]] @ v
    return float(initial @ v)


# ----------------------------------------------------------------------------------- oracles


def test_twin_used_by_the_learner_is_the_einsum_twin():
    model = simplex_model(seed=4)
    P, R = twin(model)
    tab = model.tabular()
    np.testing.assert_allclose(np.broadcast_to(tab.dense_P(), P.shape), P, atol=1e-12)
    np.testing.assert_allclose(tab.R, R, atol=1e-12)


@pytest.mark.parametrize(
    "c, switching",
    [(0.05, "every_episode"), (1.0, "every_episode"), (0.0, "every_episode"), (0.05, "rare")],
)
def test_fast_path_equals_reference_transcription(c, switching):
    model = simplex_model(seed=1)
    learner = LSVIUCB(c=c, switching=switching, record_policies=True, refactor_every=7)
    trace = learner.run(model, 60, seed=3)
    ex = trace.extras
    beta = trace.metadata["beta"]
    _, R = twin(model)
    ref_Q = reference_q_sequence(model.phi, R, ex["states"], ex["actions"], beta)
    if switching == "every_episode":
        np.testing.assert_allclose(ex["Q"], ref_Q, atol=1e-9, rtol=0)
        planned_Q = ref_Q
    else:
        # Rare switching acts with the Q of the last replan.
        last = np.maximum.accumulate(np.where(ex["replanned"], np.arange(60), 0))
        planned_Q = ref_Q[last]
        np.testing.assert_allclose(ex["Q"], planned_Q, atol=1e-9, rtol=0)
        assert ex["replanned"].sum() < 60
    # Same actions: the executed action attains the reference maximum, and is the reference
    # argmax wherever the maximum is separated from the runner-up by more than rounding.
    for k in range(60):
        for h in range(model.H):
            q = planned_Q[k, h, ex["states"][k, h]]
            a = ex["actions"][k, h]
            assert q[a] >= q.max() - 1e-9
            top2 = np.sort(q)[-2:] if q.size > 1 else np.array([-np.inf, q[0]])
            if top2[1] - top2[0] > 1e-9:
                assert a == int(np.argmax(q))


def test_reference_run_reproduces_the_compiled_run():
    """The same seed gives the same trajectories, actions and exact regret (same stream)."""
    model = simplex_model(S=5, A=2, H=3, d=3, seed=2)
    trace = LSVIUCB(c=0.1, record_policies=True).run(model, 40, seed=11)
    P, R = twin(model)
    ref = reference_run(
        model.phi, P, R, model.initial, 40, trace.metadata["beta"], np.random.default_rng(11)
    )
    np.testing.assert_array_equal(ref["states"], trace.extras["states"])
    np.testing.assert_array_equal(ref["actions"], trace.extras["actions"])
    np.testing.assert_allclose(ref["pseudo_regret"], trace.pseudo_regret, atol=1e-12)


def test_recorded_pseudo_regret_is_the_exact_regret_of_the_executed_policies():
    model = simplex_model(seed=5)
    trace = LSVIUCB(c=0.05, record_policies=True).run(model, 50, seed=0)
    P, R = twin(model)
    mdp = mt.EpisodicMDP(P, R, model.H, initial=model.initial)
    V_star = mt.backward_induction(mdp).values
    v_star = float(model.initial @ V_star[0])
    for k in range(50):
        policy = trace.extras["Q"][k].argmax(axis=2)
        expected = v_star - exact_policy_value(P, R, model.initial, policy)
        assert trace.pseudo_regret[k] == pytest.approx(expected, abs=1e-12)
        # The executed actions are those of this policy.
        states = trace.extras["states"][k]
        np.testing.assert_array_equal(
            trace.extras["actions"][k], policy[np.arange(model.H), states[:-1]]
        )
        # Realised regret: V*_1(x_1) minus the (deterministic) sampled return.
        ret = R[np.arange(model.H), states[:-1], trace.extras["actions"][k]].sum()
        assert trace.realised_regret[k] == pytest.approx(V_star[0, states[0]] - ret, abs=1e-12)
    assert trace.pseudo_regret.min() >= -1e-12


def test_misspecified_environment_is_used_for_dynamics_and_regret():
    model = simplex_model(seed=6)
    P, R = twin(model)
    rng = np.random.default_rng(0)
    P_true = 0.7 * P + 0.3 * rng.dirichlet(np.ones(model.S), size=P.shape[:3])
    true_mdp = mt.EpisodicMDP(P_true, R, model.H, initial=model.initial)
    trace = LSVIUCB(c=0.05, record_policies=True).run(model, 30, seed=1, true_mdp=true_mdp)
    ref = reference_run(
        model.phi, P_true, R, model.initial, 30, trace.metadata["beta"], np.random.default_rng(1)
    )
    np.testing.assert_array_equal(ref["states"], trace.extras["states"])
    np.testing.assert_allclose(ref["pseudo_regret"], trace.pseudo_regret, atol=1e-12)
    assert trace.metadata["environment"] == "true_mdp"


# --------------------------------------------------------------------------- one-hot reduction


def test_one_hot_features_reduce_to_tabular_lsvi_with_counts():
    rng = np.random.default_rng(7)
    S, A, H = 3, 2, 3
    P = rng.dirichlet(np.ones(S), size=(H, S, A))
    R = rng.random((H, S, A))
    mdp = mt.EpisodicMDP(P, R, H)
    from instances.linear import tabular_as_linear

    model = tabular_as_linear(mdp)
    mine = one_hot_model(mdp)
    for name in ("phi", "mu", "theta"):
        np.testing.assert_array_equal(getattr(model, name), getattr(mine, name))
    K = 80
    trace = LSVIUCB(c=0.2, record_policies=True).run(model, K, seed=2)
    ex = trace.extras
    beta = trace.metadata["beta"]
    states, actions = ex["states"], ex["actions"]
    for k in range(K):
        V_next = np.zeros(S)
        for h in reversed(range(H)):
            s_h, a_h, s_next = states[:k, h], actions[:k, h], states[:k, h + 1]
            N = np.zeros((S, A))
            np.add.at(N, (s_h, a_h), 1.0)
            sum_next = np.zeros((S, A))
            np.add.at(sum_next, (s_h, a_h), V_next[s_next])
            # phi^T Lambda^{-1} phi = 1 / (N(s, a) + lambda), lambda = 1.
            np.testing.assert_allclose(
                ex["width2"][k, h].reshape(S, A), 1.0 / (N + 1.0), rtol=1e-12, atol=1e-14
            )
            # w(s, a) = (N r + sum of V_{h+1}(s')) / (N + 1) = N/(N+1) (r + P_hat V).
            q_tab = np.minimum((N * R[h] + sum_next) / (N + 1.0) + beta / np.sqrt(N + 1.0), H)
            np.testing.assert_allclose(ex["Q"][k, h], q_tab, atol=1e-10, rtol=0)
            V_next = q_tab.max(axis=1)


# --------------------------------------------------------------------------------- properties


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    d=st.integers(2, 5),
    H=st.integers(1, 4),
    S=st.integers(2, 6),
    A=st.integers(1, 3),
)
def test_optimism_with_the_paper_beta(seed, d, H, S, A):
    """On the good event (beta with c = 1) Q^k_h >= Q*_h everywhere, every episode."""
    model = simplex_model(S=S, A=A, H=H, d=d, seed=seed)
    trace = LSVIUCB(c=1.0).run(model, 150, seed=seed)
    assert trace.extras["optimistic"].all()
    assert trace.extras["optimism_gap"].min() >= -1e-9 * H


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), d=st.integers(1, 8), n=st.integers(50, 600))
def test_sherman_morrison_matches_a_fresh_inverse_after_many_updates(seed, d, n):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1.0)
    inv = np.eye(d)
    u = np.empty(d)
    log_det = 0.0
    for x in X:
        log_det += math.log(sherman_morrison_update(inv, x, u))
    Lam = np.eye(d) + X.T @ X
    np.testing.assert_allclose(inv, np.linalg.inv(Lam), atol=1e-8, rtol=0)
    assert log_det == pytest.approx(np.linalg.slogdet(Lam)[1], abs=1e-8)


@pytest.mark.parametrize("refactor_every", [10**9, 1000, 3])
def test_learner_inverse_and_widths_stay_exact(refactor_every):
    model = simplex_model(S=8, A=3, H=3, d=5, seed=9)
    learner = LSVIUCB(c=0.05, refactor_every=refactor_every, record_policies=True)
    trace = learner.run(model, 700, seed=0)
    ex = trace.extras
    for h in range(model.H):
        exact = np.linalg.inv(ex["Lambda"][h])
        np.testing.assert_allclose(ex["Lambda_inv"][h], exact, atol=1e-8, rtol=0)
        assert ex["log_det"][h] == pytest.approx(np.linalg.slogdet(ex["Lambda"][h])[1], abs=1e-8)
    # Lambda_h really is lambda I + sum of the executed features (one matrix per stage).
    S, A = model.S, model.A
    feats = model.phi.reshape(S * A, -1)
    for h in range(model.H):
        X = feats[ex["states"][:, h] * A + ex["actions"][:, h]]
        np.testing.assert_allclose(ex["Lambda"][h], np.eye(5) + X.T @ X, atol=1e-9)


def test_rare_switching_replans_rarely_and_within_the_bound():
    model = simplex_model(S=8, A=3, H=3, d=4, seed=3)
    K = 2000
    trace = RareSwitchLSVIUCB(c=0.05).run(model, K, seed=0)
    n = int(trace.extras["replanned"].sum())
    assert trace.extras["replanned"][0]
    assert n <= max_rare_switches(4, 3, K)
    assert n < K // 20
    assert trace.metadata["n_replans"] == n


def test_lemma_b2_weight_norm_on_a_run():
    model = simplex_model(seed=8)
    K = 300
    trace = LSVIUCB(c=0.1).run(model, K, seed=0)
    k = np.arange(1, K + 1)
    assert (trace.extras["w_norm_max"] <= 2 * model.H * np.sqrt(model.d * k)).all()


def test_helpers():
    assert lsvi_ucb_beta(4, 5, 100, 0.05, c=0.0) == 0.0
    assert lsvi_ucb_beta(4, 5, 100, 0.05, c=2.0) == pytest.approx(
        2 * 4 * 5 * math.sqrt(math.log(2 * 4 * 500 / 0.05))
    )
    K = nonvacuous_episodes(3, 2, 0.05)
    assert lsvi_ucb_regret_bound(3, 2, K, 0.05) <= 2 * K
    assert lsvi_ucb_regret_bound(3, 2, K - 1, 0.05) > 2 * (K - 1)
    assert {"lsvi-ucb", "lsvi", "lsvi-ucb-rare"} <= set(LEARNERS)
    assert LEARNERS["lsvi"] is LSVI
    assert LSVIUCB(c=0.01).constants == "scaled (c = 0.01)"
    assert LSVIUCB().constants == "paper (c = 1)"


# ------------------------------------------------------------------------------ reproducibility


def test_same_seed_same_trace_bit_for_bit():
    model = simplex_model(seed=3, noise="bernoulli")
    for learner in (LSVIUCB(c=0.05), LSVI(), RareSwitchLSVIUCB(c=0.05)):
        a = learner.run(model, 200, seed=5)
        b = learner.run(model, 200, seed=5)
        c = learner.run(model, 200, seed=6)
        np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
        np.testing.assert_array_equal(a.realised_regret, b.realised_regret)
        for key in a.extras:
            np.testing.assert_array_equal(a.extras[key], b.extras[key])
        assert not np.array_equal(a.realised_regret, c.realised_regret)
    seeds = mt.spawn_seeds(1, 2)
    np.testing.assert_array_equal(
        LSVIUCB(c=0.05).run(model, 100, seeds[1]).realised_regret,
        LSVIUCB(c=0.05).run(model, 100, seeds[1]).realised_regret,
    )


def test_metadata_records_beta_and_constant():
    model = simplex_model()
    trace = LSVIUCB(c=0.01).run(model, 10, seed=0)
    meta = trace.metadata
    assert meta["c"] == 0.01 and meta["c_default"] == 1.0
    assert meta["constants"] == "scaled (c = 0.01)"
    assert meta["beta"] == pytest.approx(lsvi_ucb_beta(model.d, model.H, 10, 0.05, 0.01))
    assert meta["ridge_lambda"] == 1.0 and meta["clip"] == model.H
    assert LSVI().run(model, 5, 0).metadata["beta"] == 0.0


# ---------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("budget", [0, -3, 2.5, True, "10"])
def test_bad_budget(budget):
    with pytest.raises(ValueError, match="budget"):
        LSVIUCB().run(simplex_model(), budget, seed=0)


test_bad_hyperparameters = refusal_test(
    LSVIUCB,
    [
        ({"c": -0.1}, "c must"),
        ({"c": float("nan")}, "c must"),
        ({"c": "1"}, "c must"),
        ({"p": 0.0}, "p must"),
        ({"p": 1.5}, "p must"),
        ({"switching": "sometimes"}, "switching"),
        ({"refactor_every": 0}, "refactor_every"),
    ],
)


def test_lsvi_rejects_a_bonus():
    with pytest.raises(ValueError, match="c=0.5"):
        LSVI(c=0.5)


def test_bad_models():
    model = simplex_model()
    with pytest.raises(ValueError, match="LinearMDP"):
        LSVIUCB().run(model.tabular(), 10, seed=0)
    with pytest.raises(ValueError, match="LinearMDP"):
        LSVIUCB().run("not a model", 10, seed=0)
    other = simplex_model(S=4)
    with pytest.raises(ValueError, match=r"\(S, A, H\)"):
        LSVIUCB().run(model, 10, seed=0, true_mdp=other.tabular())
    with pytest.raises(ValueError, match="true_mdp"):
        LSVIUCB().run(model, 10, seed=0, true_mdp=model)
    with pytest.raises(ValueError, match="phi"):
        # ||phi|| = sqrt(2) > 1 (Assumption A), though P and r are valid.
        big = LinearMDP(np.ones((1, 1, 2)), np.full((1, 1, 2), 0.5), np.full((1, 2), 0.25))
        LSVIUCB().run(big, 10, seed=0)


def test_a_misspecified_pair_runs_in_its_true_mdp():
    from instances.linear import misspecified_linear_mdp

    pair = misspecified_linear_mdp(S=4, A=2, H=2, d=2, zeta=0.1, seed=0)
    direct = LSVIUCB().run(pair.linear, 10, seed=0, true_mdp=pair.mdp)
    from_pair = LSVIUCB().run(pair, 10, seed=0)
    np.testing.assert_array_equal(direct.pseudo_regret, from_pair.pseudo_regret)
    assert from_pair.metadata["environment"] == "true_mdp"
    with pytest.raises(ValueError, match="LinearMDP"):
        LSVIUCB().run(pair.mdp, 10, seed=0)


# --------------------------------------------------------------------------- registered checks


def _linear_check_ids() -> list[str]:
    from proofs_check.harness import registered

    return [t.id for t in registered() if t.module == "proofs_check.theorems.linear"]


def test_the_checks_are_registered():
    ids = set(_linear_check_ids())
    assert {
        "jin2020-lsvi-ucb-regret-slope",
        "jin2020-lsvi-ucb-paper-beta-burn-in",
        "jin2020-lsvi-ucb-ratio-band",
        "zhou2021-linear-mdp-lower-bound",
        "jin2020-lsvi-ucb-misspecification",
        "jin2020-lemma-d2-elliptical-potential",
        "jin2020-lemma-d1-and-b2",
    } <= ids


@pytest.mark.parametrize("check_id", _linear_check_ids())
def test_registered_check_passes_at_quick_scale_and_rejects_its_controls(check_id):
    from proofs_check.harness import run_check

    result = run_check(check_id, scale="quick", seed=0, raise_errors=True)
    # Each check has informative parts at quick scale (its vacuous parts are reported in the
    # reason), so the combined verdict is pass, never vacuous.
    assert result.status == "pass", result.verdict.reason
    assert result.theorem.kind is not None and result.theorem.source
    if result.theorem.statistical:
        assert result.controls, check_id
        assert all(c.rejected for c in result.controls), [c.record() for c in result.controls]


def test_burn_in_follows_the_bonus_formula():
    from algorithms.linear import burn_in, lsvi_ucb_beta

    d, H, K = 4, 5, 20_000
    for c in (1.0, 0.3, 0.1, 0.03):
        beta = lsvi_ucb_beta(d, H, K, 0.05, c)
        for until, level in (("regret", 0.5), ("clip", float(H))):
            b = burn_in(d, H, K, c=c, until=until)
            n = b // d  # visits per direction at the end of the burn-in
            assert beta / math.sqrt(n + 1.0) <= level + 1e-12
            assert n == 0 or beta / math.sqrt(n) > level
    # Larger c, larger burn-in; c = 0 has none; the clip exit comes first.
    values = [burn_in(d, H, K, c=c) for c in (0.01, 0.03, 0.1, 0.3, 1.0)]
    assert values == sorted(values) and burn_in(d, H, K, c=0.0) == 0
    assert burn_in(d, H, K, until="clip") < burn_in(d, H, K)
    with pytest.raises(ValueError, match="until"):
        burn_in(d, H, K, until="bonus")
    with pytest.raises(ValueError, match="c must"):
        burn_in(d, H, K, c=-1.0)


def test_slope_check_judges_only_the_c_whose_burn_in_ends_early():
    from proofs_check.harness import run_check

    reason = run_check("jin2020-lsvi-ucb-regret-slope", "quick", 0).verdict.reason
    assert "vacuous: c=1 on" in reason and "vacuous: c=0.3 on" in reason
    assert "c=0.1 on" in reason and "(burn-in 1,060)" in reason
