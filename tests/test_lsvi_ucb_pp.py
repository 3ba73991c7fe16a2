"""LSVI-UCB++ (He, Zhao, Zhou, Gu 2023): a direct transcription as oracle, the exact regret,
the monotone sandwich and switch count, reproducibility, bad input, the registered checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.linear import LEARNERS, LSVIUCBPP, ScaledLSVIUCBPP, max_pp_switches
from algorithms.linear.lsvi_ucb_pp import floor_value, lsvi_ucb_pp_burn_in, pp_lambda
from instances.linear import simplex_feature_linear_mdp
from instances.variance_aware import heteroscedastic_linear_mdp
from mdptheory.linear import LinearMDP


def reference(model: LinearMDP, learner: LSVIUCBPP, states, actions):
    """Algorithm 1 transcribed with numpy, every Gram matrix and regression rebuilt from all
    past weighted data each episode (cost growing with k). Follows the recorded trajectory;
    returns the acting Q, the pessimistic Q and the weights of each episode."""
    K, H = actions.shape
    S, A, d = model.phi.shape
    phi = model.phi.reshape(S * A, d)
    R = model.R
    lam = pp_lambda(H)
    beta, beta_bar, beta_tilde = learner.radii(d, H, K)
    f = floor_value(learner.floor, H)
    cv = learner.c_var
    Q = np.full((H, S, A), float(H))
    Qc = np.zeros((H, S, A))
    last_logdet = np.full(H, d * math.log(lam))
    X = [[] for _ in range(H)]  # (phi, weight, next state)
    out_Q, out_Qc, out_sb = np.empty((K, H, S, A)), np.empty((K, H, S, A)), np.empty((K, H))
    for k in range(K):
        Sig = [
            lam * np.eye(d) + sum((w * np.outer(x, x) for x, w, _ in X[h]), np.zeros((d, d)))
            for h in range(H)
        ]
        logdet = np.array([np.linalg.slogdet(Sig[h])[1] for h in range(H)])
        switch = bool(np.any(logdet - last_logdet >= math.log(2.0)))
        V = np.zeros((H + 1, S))
        Vc = np.zeros((H + 1, S))
        V[:H] = Q.max(axis=2)
        Vc[:H] = Qc.max(axis=2)
        w_hat, w_chk, w_til = np.zeros((H, d)), np.zeros((H, d)), np.zeros((H, d))
        for h in range(H - 1, -1, -1):
            for target, out in ((V[h + 1], w_hat), (Vc[h + 1], w_chk), (V[h + 1] ** 2, w_til)):
                rhs = sum((w * x * target[t] for x, w, t in X[h]), np.zeros(d))
                out[h] = np.linalg.solve(Sig[h], rhs)
            if switch:
                width = np.sqrt(np.einsum("nd,de,ne->n", phi, np.linalg.inv(Sig[h]), phi))
                up = (R[h].ravel() + phi @ w_hat[h] + beta * width).reshape(S, A)
                lo = (R[h].ravel() + phi @ w_chk[h] - beta_bar * width).reshape(S, A)
                Q[h] = np.minimum(np.minimum(up, Q[h]), H)
                Qc[h] = np.maximum(np.maximum(lo, Qc[h]), 0.0)
            V[h] = Q[h].max(axis=1)
            Vc[h] = Qc[h].max(axis=1)
        if switch:
            last_logdet = logdet
        out_Q[k], out_Qc[k] = Q, Qc
        for h in range(H):
            n = states[k, h] * A + actions[k, h]
            x = phi[n]
            width = math.sqrt(x @ np.linalg.solve(Sig[h], x))
            m1 = min(max(x @ w_hat[h], 0.0), H)
            m2 = min(max(x @ w_til[h], 0.0), H * H)
            E = min(beta_tilde * width, H * H) + min(2 * H * beta_bar * width, H * H)
            D = min(
                4 * cv * d**3 * H**2 * (x @ w_hat[h] - x @ w_chk[h] + 2 * beta_bar * width),
                d**3 * H**3,
            )
            sigma = math.sqrt(max(m2 - m1 * m1 + E + D + H, 0.0))
            sb = max(sigma, f, 2 * cv * d**3 * H**2 * math.sqrt(width))
            out_sb[k, h] = sb
            X[h].append((x, 1.0 / sb**2, states[k, h + 1]))
    return out_Q, out_Qc, out_sb


def policy_value(model: LinearMDP, policies: np.ndarray) -> np.ndarray:
    """Exact V^pi_1(rho) of each deterministic policy (K, H, S) by its own backward recursion."""
    P = np.einsum("sad,htd->hsat", model.phi, model.mu)
    R = np.einsum("sad,hd->hsa", model.phi, model.theta)
    H, S = policies.shape[1:]
    out = np.empty(policies.shape[0])
    for k, pi in enumerate(policies):
        V = np.zeros(S)
        for h in range(H - 1, -1, -1):
            idx = np.arange(S)
            V = R[h, idx, pi[h]] + P[h, idx, pi[h]] @ V
        out[k] = model.initial @ V
    return out


@pytest.mark.parametrize(
    "learner",
    [
        ScaledLSVIUCBPP(record_policies=True),
        LSVIUCBPP(c=0.1, c_var=1e-3, floor="h", record_policies=True, refactor_every=7),
    ],
)
def test_fast_path_equals_the_direct_transcription(learner):
    model = simplex_feature_linear_mdp(S=5, A=3, H=3, d=3, seed=2)
    trace = learner.run(model, 60, seed=1)
    x = trace.extras
    Q, Qc, sb = reference(model, learner, x["states"], x["actions"])
    np.testing.assert_allclose(x["Q"], Q, rtol=0, atol=1e-8)
    np.testing.assert_allclose(x["Q_check"], Qc, rtol=0, atol=1e-8)
    np.testing.assert_allclose(x["sigma_bar"], sb, rtol=1e-9)
    assert x["replanned"].sum() >= 2  # the oracle saw switching episodes


def test_pseudo_regret_is_the_exact_regret_of_the_executed_policies():
    model = heteroscedastic_linear_mdp(S=6, A=2, H=4, d=4, seed=3)
    trace = ScaledLSVIUCBPP(record_policies=True).run(model, 200, seed=5)
    P = np.einsum("sad,htd->hsat", model.phi, model.mu)
    R = np.einsum("sad,hd->hsa", model.phi, model.theta)
    V = np.zeros(model.S)
    for h in range(model.H - 1, -1, -1):
        V = (R[h] + P[h] @ V).max(axis=1)
    optimum = model.initial @ V
    expected = optimum - policy_value(model, trace.extras["policies"])
    np.testing.assert_allclose(trace.pseudo_regret, expected, atol=1e-12)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    d=st.integers(2, 4),
    H=st.integers(2, 4),
    c=st.sampled_from([0.0, 0.03, 0.3, 1.0]),
    floor=st.sampled_from(["sqrt_h", "h"]),
)
def test_monotone_sandwich_and_switch_bound(seed, d, H, c, floor):
    model = simplex_feature_linear_mdp(S=5, A=2, H=H, d=d, seed=seed)
    K = 120
    trace = LSVIUCBPP(c=c, c_var=1e-3, floor=floor, record_policies=True).run(model, K, seed)
    Q, Qc = trace.extras["Q"], trace.extras["Q_check"]
    assert (np.diff(Q, axis=0) <= 0.0).all()  # Q_{k,h} non-increasing in k
    assert (np.diff(Qc, axis=0) >= 0.0).all()  # Q-check non-decreasing in k
    assert (Q <= H).all() and (Qc >= 0.0).all()
    assert trace.extras["replanned"].sum() <= max_pp_switches(d, H, K, floor)
    assert (trace.extras["sigma_bar"] >= floor_value(floor, H)).all()
    if c == 1.0:  # paper radii: the sandwich Q-check <= Q* <= Q holds on the good event
        P = np.einsum("sad,htd->hsat", model.phi, model.mu)
        R = np.einsum("sad,hd->hsa", model.phi, model.theta)
        Q_star, V = np.empty((H, 5, 2)), np.zeros(5)
        for h in range(H - 1, -1, -1):
            Q_star[h] = R[h] + P[h] @ V
            V = Q_star[h].max(axis=1)
        assert (Qc <= Q_star + 1e-9).all() and (Q >= Q_star - 1e-9).all()
        assert trace.extras["optimistic"].all()


def test_paper_constants_down_weight_early_data():
    model = simplex_feature_linear_mdp(S=5, A=2, H=4, d=3, seed=0)
    trace = LSVIUCBPP().run(model, 30, seed=0)
    d, H = 3, 4
    # sigma_bar >= 2 d^3 H^2 ||phi||^{1/2} with ||phi||_{Sigma^{-1}} ~ ||phi|| H at the start
    assert trace.extras["sigma_bar"][0].min() >= 2 * d**3 * H**2 * math.sqrt(H / math.sqrt(d))
    md = trace.metadata
    assert md["constants"] == "paper (c = 1)" and md["floor_value"] == 2.0
    assert md["burn_in_regret"] == lsvi_ucb_pp_burn_in(3, 4, 30) > 10**6
    assert md["ridge_lambda"] == 1 / 16


def test_same_seed_same_trace_bit_for_bit():
    model = heteroscedastic_linear_mdp(S=6, A=2, H=3, d=4, seed=1)
    a = ScaledLSVIUCBPP().run(model, 300, seed=9)
    b = ScaledLSVIUCBPP().run(model, 300, seed=9)
    assert np.array_equal(a.pseudo_regret, b.pseudo_regret)
    assert np.array_equal(a.realised_regret, b.realised_regret)
    assert np.array_equal(a.extras["sigma_bar"], b.extras["sigma_bar"])
    c = ScaledLSVIUCBPP().run(model, 300, seed=10)
    assert not np.array_equal(a.realised_regret, c.realised_regret)


def test_registered_names_and_labels():
    assert LEARNERS["lsvi-ucb++"] is LSVIUCBPP
    assert LEARNERS["lsvi-ucb++-scaled"] is ScaledLSVIUCBPP
    assert ScaledLSVIUCBPP().constants == "scaled (c = 0.03, c_var = 0.0001)"
    assert LSVIUCBPP(c=0.0).constants.startswith("greedy")
    assert LSVIUCBPP(floor="h").label == "LSVI-UCB++ (floor H)"


test_bad_hyperparameters = refusal_test(
    LSVIUCBPP,
    [
        ({"c": -1.0}, "c"),
        ({"c_var": float("nan")}, "c_var"),
        ({"p": 1.0}, "p"),
        ({"floor": "H"}, "floor"),
        ({"refactor_every": 0}, "refactor_every"),
    ],
)


def test_bad_models_and_budgets():
    from instances.tabular import chain

    with pytest.raises(ValueError, match="LinearMDP"):
        LSVIUCBPP().run(chain(S=3, H=3), 10, seed=0)
    phi = np.full((2, 1, 2), 0.8)  # ||phi|| = 1.13
    mu = np.tile(np.full((2, 2), 0.5 / 1.6), (2, 1, 1))
    with pytest.raises(ValueError, match=r"\|\|phi\[0, 0\]\|\|"):
        LSVIUCBPP().run(LinearMDP(phi, mu, np.zeros((2, 2))), 10, seed=0)
    model = simplex_feature_linear_mdp(S=3, A=2, H=2, d=2, seed=0)
    for budget in (0, 2.5, True):
        with pytest.raises(ValueError, match="number of episodes"):
            LSVIUCBPP().run(model, budget, seed=0)


def test_burn_in_rules():
    paper = lsvi_ucb_pp_burn_in(4, 5, 20_000)
    scaled = lsvi_ucb_pp_burn_in(4, 5, 20_000, c=0.03, c_var=1e-4)
    assert paper > 10**9 > scaled > 0
    assert lsvi_ucb_pp_burn_in(4, 5, 20_000, c=0.0) == 0
    assert lsvi_ucb_pp_burn_in(4, 5, 20_000, until="floor") > paper
    with pytest.raises(ValueError, match="until"):
        lsvi_ucb_pp_burn_in(4, 5, 100, until="clip")
