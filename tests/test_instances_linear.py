"""Tests of instances.linear: linear and low-rank MDP families."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from instances.linear import (
    MisspecifiedLinearMDP,
    misspecified_linear_mdp,
    random_low_rank_mdp,
    sign_vectors,
    simplex_feature_linear_mdp,
    tabular_as_linear,
    zhou_gu_szepesvari_gap,
    zhou_gu_szepesvari_hard_instance,
    zhou_gu_szepesvari_optimal_value,
    zhou_gu_szepesvari_parameters,
)
from mdptheory._kernels import backward_induction_kernel
from mdptheory.linear import LinearMDP, LowRankMDP
from mdptheory.tabular import EpisodicMDP


def solve(mdp: EpisodicMDP):
    return backward_induction_kernel(mdp.P, mdp.R)


def same_arrays(a, b) -> bool:
    names = ("phi", "mu", "theta", "psi", "P", "R", "initial")
    return all(np.array_equal(getattr(a, n), getattr(b, n)) for n in names if hasattr(a, n))


# --- tabular_as_linear --------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(
    S=st.integers(1, 5),
    A=st.integers(1, 3),
    H=st.integers(1, 4),
    stationary=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_tabular_as_linear_is_exact(S, A, H, stationary, seed):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S), size=(S, A) if stationary else (H, S, A))
    mdp = EpisodicMDP(P, rng.random((H, S, A)), H, initial=rng.dirichlet(np.ones(S)), name="m")
    linear = tabular_as_linear(mdp)
    assert linear.d == S * A and linear.name == "m"
    twin = linear.tabular()
    # one non-zero term in each phi . mu: bit-for-bit equality
    np.testing.assert_array_equal(twin.P, np.broadcast_to(mdp.P, (H, S, A, S)))
    np.testing.assert_array_equal(twin.R, mdp.R)
    np.testing.assert_array_equal(twin.initial, mdp.initial)
    _, V_lin, pi_lin = solve(twin)
    _, V, pi = solve(mdp)
    np.testing.assert_allclose(V_lin, V, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(pi_lin, pi)
    report = linear.assumptions()  # Example 2.1: the measure bound holds with equality
    assert report.holds and report.phi_norm == 1.0
    assert report.mu_total_variation == pytest.approx(np.sqrt(S * A), rel=1e-12)


def test_tabular_as_linear_bad_input():
    with pytest.raises(ValueError, match="must be an EpisodicMDP, got LinearMDP"):
        tabular_as_linear(simplex_feature_linear_mdp(S=3, A=2, H=2, d=2))


# --- simplex_feature_linear_mdp -----------------------------------------------------------


def test_simplex_feature_linear_mdp_is_valid_and_reproducible():
    mdp = simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=11)
    assert isinstance(mdp, LinearMDP) and (mdp.S, mdp.A, mdp.H, mdp.d) == (6, 3, 4, 3)
    assert same_arrays(mdp, simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=11))
    assert not np.array_equal(mdp.P, simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=12).P)
    assert same_arrays(
        mdp, simplex_feature_linear_mdp(S=6, A=3, H=4, d=3, seed=np.random.SeedSequence(11))
    )
    np.testing.assert_allclose(mdp.phi.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(mdp.mu.sum(axis=1), 1.0, atol=1e-12)  # each mu_h^(i) sums to 1
    assert (mdp.R >= 0).all() and (mdp.R <= 1).all()
    np.testing.assert_allclose(
        mdp.tabular().P, np.einsum("sad,htd->hsat", mdp.phi, mdp.mu), rtol=0, atol=1e-12
    )
    assert mdp.assumptions().holds


test_simplex_feature_bad_parameters = refusal_test(
    simplex_feature_linear_mdp,
    [
        ({"S": 0}, "S is 0; accepted values: >= 1"),
        ({"d": 2.5}, "d must be an int, got 2.5"),
        ({"seed": -1}, "seed must be non-negative"),
    ],
)


# --- misspecified_linear_mdp --------------------------------------------------------------


@pytest.mark.parametrize("zeta", [0.0, 0.05, 0.3, 1.0])
def test_misspecification_level_is_measured_and_at_most_zeta(zeta):
    inst = misspecified_linear_mdp(S=6, A=2, H=3, d=3, zeta=zeta, seed=4)
    assert isinstance(inst, MisspecifiedLinearMDP) and inst.zeta == zeta
    true, nominal = inst.mdp, inst.linear
    measured_tv = 0.5 * np.abs(true.P - nominal.P).sum(axis=-1).max()
    measured_reward = np.abs(true.R - nominal.R).max()
    assert inst.transition_level == pytest.approx(measured_tv, abs=1e-12)
    assert inst.reward_level == pytest.approx(measured_reward, abs=1e-12)
    assert inst.level == max(inst.transition_level, inst.reward_level)
    assert inst.level <= zeta
    if zeta > 0:  # the random component is not linear in phi: the level is positive
        assert inst.level > 0
    # the nominal model is the simplex family with the same seed
    assert same_arrays(inst.linear, simplex_feature_linear_mdp(S=6, A=2, H=3, d=3, seed=4))


def test_misspecification_level_is_linear_in_zeta():
    # P - phi.mu = zeta (Q - phi.mu) with Q, u independent of zeta: level / zeta is constant
    levels = [
        misspecified_linear_mdp(S=5, A=2, H=2, d=2, zeta=z, seed=9).level for z in (0.1, 0.2, 0.4)
    ]
    np.testing.assert_allclose(np.array(levels) / [0.1, 0.2, 0.4], levels[0] / 0.1, rtol=1e-12)
    inst = misspecified_linear_mdp(S=5, A=2, H=2, d=2, zeta=0.0, seed=9)
    np.testing.assert_array_equal(inst.mdp.P, inst.linear.P)
    assert inst.level == 0.0


@pytest.mark.parametrize("zeta", [-0.1, 1.5, float("nan")])
def test_misspecified_bad_zeta(zeta):
    with pytest.raises(ValueError, match=r"zeta must (lie in|be a finite number in) \[0.0, 1.0\]"):
        misspecified_linear_mdp(zeta=zeta)


# --- Zhou-Gu-Szepesvari hard instance H1 --------------------------------------------------


def test_sign_vectors():
    corners = sign_vectors(3)
    assert corners.shape == (8, 3)
    assert {tuple(row) for row in corners} == set(itertools.product((-1.0, 1.0), repeat=3))


@settings(max_examples=15, deadline=None)
@given(
    d=st.integers(2, 5),
    H=st.integers(2, 5),
    extra=st.integers(0, 1000),
    seed=st.integers(0, 2**32 - 1),
)
def test_zhou_gu_szepesvari_structure(d, H, extra, seed):
    K = int(np.ceil((d - 1) ** 2 * H / 32)) + extra
    mdp = zhou_gu_szepesvari_hard_instance(d=d, H=H, K=K, seed=seed)
    p = zhou_gu_szepesvari_parameters(d=d, H=H, K=K, seed=seed)
    assert (mdp.S, mdp.A, mdp.d) == (H + 2, 2 ** (d - 1), d + 2)
    assert mdp.initial[0] == 1.0
    twin = mdp.tabular()
    # exact linearity: the twin is phi . mu (nothing was clipped) and rewards phi . theta
    np.testing.assert_allclose(
        twin.P, np.einsum("sad,htd->hsat", mdp.phi, mdp.mu), rtol=0, atol=1e-12
    )
    # at the validity boundary (d - 1) Delta = delta an escape probability is 0 up to rounding;
    # only such tiny negatives are zeroed in the twin
    np.testing.assert_array_equal(twin.P, np.where(mdp.P < 0, 0.0, mdp.P))
    reward = np.zeros((H, H + 2, mdp.A))
    reward[:, H + 1] = 1.0
    np.testing.assert_array_equal(twin.R, reward)
    # the paper's transitions from the live state x_{h+1} (index h) at code stage h
    inner = p.actions @ (p.Delta * p.signs).T  # <mu_h, a>, shape (A, H)
    for h in range(H):
        escape = p.delta + inner[:, h]
        np.testing.assert_allclose(twin.P[h, h, :, H + 1], escape, rtol=0, atol=1e-12)
        np.testing.assert_allclose(twin.P[h, h, :, h + 1], 1 - escape, rtol=0, atol=1e-12)
        for s in (H, H + 1):  # absorbing
            np.testing.assert_allclose(twin.P[h, s, :, s], 1.0, rtol=0, atol=1e-12)
    # optimal action = sign(mu_h); each wrong coordinate costs exactly the closed-form gap
    Q, V, _ = solve(twin)
    gap = zhou_gu_szepesvari_gap(d, H, K)
    assert V[0, 0] == pytest.approx(zhou_gu_szepesvari_optimal_value(d, H, K), abs=1e-12)
    for h in range(H):
        wrong = (p.actions != p.signs[h]).sum(axis=1)
        q = Q[h, h]
        np.testing.assert_allclose(q.max() - q, wrong * gap[h], rtol=0, atol=1e-12)
        if h < H - 1:
            assert gap[h] > 0 and int(np.argmax(q)) == p.optimal_actions[h]
            np.testing.assert_array_equal(p.actions[p.optimal_actions[h]], p.signs[h])
    assert gap[-1] == 0.0


def test_zhou_gu_szepesvari_defaults_reproducible_and_assumption_a():
    a = zhou_gu_szepesvari_hard_instance(seed=3)
    assert same_arrays(a, zhou_gu_szepesvari_hard_instance(seed=3))
    assert not np.array_equal(a.mu, zhou_gu_szepesvari_hard_instance(seed=4).mu)
    report = a.assumptions()
    assert report.holds and report.phi_norm == pytest.approx(1.0, abs=1e-15)


test_zhou_gu_szepesvari_bad_parameters = refusal_test(
    zhou_gu_szepesvari_hard_instance,
    [
        ({"d": 10, "H": 4, "K": 10}, r"K >= \(d - 1\)\*\*2 \* H / 32 = 10.125"),
        ({"d": 1}, "d is 1; accepted values: 2..17"),
        ({"H": 1}, "H is 1; accepted values: >= 2"),
        ({"K": 0}, "K is 0; accepted values: >= 1"),
    ],
)


# --- random_low_rank_mdp ------------------------------------------------------------------


def test_random_low_rank_mdp():
    mdp = random_low_rank_mdp(S=7, A=2, H=3, d=3, seed=2)
    assert isinstance(mdp, LowRankMDP)
    np.testing.assert_array_equal(mdp.rank, [3, 3, 3])
    np.testing.assert_allclose(
        mdp.tabular().P, np.einsum("hsad,htd->hsat", mdp.phi, mdp.psi), rtol=0, atol=1e-12
    )
    assert same_arrays(mdp, random_low_rank_mdp(S=7, A=2, H=3, d=3, seed=2))
    assert not np.array_equal(mdp.P, random_low_rank_mdp(S=7, A=2, H=3, d=3, seed=3).P)
    assert (mdp.R >= 0).all() and (mdp.R <= 1).all()
    with pytest.raises(ValueError, match="H is 0; accepted values: >= 1"):
        random_low_rank_mdp(H=0)
