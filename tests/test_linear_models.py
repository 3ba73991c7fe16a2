"""Tests of mdptheory.linear: LinearMDP and LowRankMDP and their exact tabular twins."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import simplex_arrays
from hypothesis import given, settings
from hypothesis import strategies as st

from mdptheory._kernels import backward_induction_kernel
from mdptheory.linear import LinearMDP, LowRankMDP
from mdptheory.tabular import EpisodicMDP


def brute_kernel(phi, mu):
    """P[h, s, a, t] by explicit sums (shares no code with the model)."""
    H, S, d = mu.shape
    A = phi.shape[-2]
    P = np.zeros((H, S, A, S))
    for h in range(H):
        features = phi[h] if phi.ndim == 4 else phi
        for s in range(S):
            for a in range(A):
                for t in range(S):
                    P[h, s, a, t] = sum(features[s, a, i] * mu[h, t, i] for i in range(d))
    return P


# --- LinearMDP ----------------------------------------------------------------------------


def test_linear_mdp_exact_oracle():
    # S = 2, A = 2, d = 2, H = 2; mu_0 = identity measures, mu_1 swaps the states
    phi = np.array([[[1.0, 0.0], [0.25, 0.75]], [[0.0, 1.0], [0.5, 0.5]]])
    mu = np.array([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    theta = np.array([[1.0, 0.0], [0.0, 2.0]])
    mdp = LinearMDP(phi, mu, theta, initial=[1.0, 0.0], name="toy")
    assert (mdp.S, mdp.A, mdp.H, mdp.d) == (2, 2, 2, 2)
    np.testing.assert_array_equal(mdp.P[0, 0, 1], [0.25, 0.75])
    np.testing.assert_array_equal(mdp.P[1, 0, 1], [0.75, 0.25])
    np.testing.assert_array_equal(mdp.R, [[[1.0, 0.25], [0.0, 0.5]], [[0.0, 1.5], [2.0, 1.0]]])
    twin = mdp.tabular()
    assert isinstance(twin, EpisodicMDP) and twin.name == "toy" and twin.H == 2
    np.testing.assert_array_equal(twin.P, mdp.P)
    np.testing.assert_array_equal(twin.initial, [1.0, 0.0])
    assert mdp.tabular() is twin
    # V*: stage 1 values max_a R[1] = (1.5, 2.0); stage 0 from state 0: a=0 -> 1 + 1.5,
    # a=1 -> 0.25 + 0.25*1.5 + 0.75*2.0 = 2.125
    _, V, policy = backward_induction_kernel(twin.P, twin.R)
    assert V[0, 0] == 2.5 and policy[0, 0] == 0
    for array in (mdp.phi, mdp.mu, mdp.theta, mdp.P, mdp.R, mdp.initial):
        assert array.dtype == np.float64 and not array.flags.writeable


@settings(max_examples=25, deadline=None)
@given(
    S=st.integers(1, 5),
    A=st.integers(1, 3),
    H=st.integers(1, 3),
    d=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_linear_mdp_twin_and_proposition_2_3(S, A, H, d, seed):
    phi, mu, theta = simplex_arrays(S, A, H, d, seed)
    mdp = LinearMDP(phi, mu, theta)
    twin = mdp.tabular()
    np.testing.assert_allclose(twin.P, brute_kernel(phi, mu), rtol=0, atol=1e-12)
    np.testing.assert_allclose(twin.R, np.einsum("sad,hd->hsa", phi, theta), rtol=0, atol=1e-12)
    # Jin et al. (2020), Proposition 2.3: Q*_h = phi . (theta_h + mu_h^T V*_{h+1})
    Q, V, _ = backward_induction_kernel(twin.P, twin.R)
    np.testing.assert_allclose(mdp.q_from_weights(mdp.q_weights(V)), Q, rtol=0, atol=1e-12)
    report = mdp.assumptions()
    assert report.holds and report.phi_norm <= 1 + 1e-12
    assert report.mu_total_variation == pytest.approx(np.sqrt(d), abs=1e-12)


def test_tiny_negative_entries_are_zeroed_only_in_the_twin():
    phi = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # S = 2, A = 1
    mu = np.array([[[1.0 + 4e-10, 0.0], [-4e-10, 1.0]]])  # P_0(.|0) = (1 + 4e-10, -4e-10)
    mdp = LinearMDP(phi, mu, [[0.0, 0.0]])
    assert mdp.P[0, 0, 0, 1] == -4e-10  # the model keeps what phi . mu gives
    assert mdp.tabular().P[0, 0, 0, 1] == 0.0
    with pytest.raises(ValueError, match=r"is -4e-10 at h=0, s=0, a=0, s'=1"):
        LinearMDP(phi, mu, [[0.0, 0.0]], tol=1e-10)


def test_linear_mdp_kernel_errors_name_the_worst_triple():
    phi, mu, theta = simplex_arrays(3, 2, 2, 2, seed=0)
    bad_phi = phi.copy()
    bad_phi[2, 1] = [1.5, -0.5]  # still sums to 1, so the row sums stay 1
    worst = brute_kernel(bad_phi, mu)[:, 2, 1].min()
    h, t = np.unravel_index(int(np.argmin(brute_kernel(bad_phi, mu)[:, 2, 1])), (2, 3))
    with pytest.raises(ValueError, match=rf"is {worst:.6f}\d* at h={h}, s=2, a=1, s'={t}"):
        LinearMDP(bad_phi, mu, theta)
    bad_mu = mu.copy()
    bad_mu[1, 0, :] *= 0.9  # every row of stage 1 loses mass
    sums = brute_kernel(phi, bad_mu)[1].sum(axis=-1)
    s, a = np.unravel_index(int(np.argmax(np.abs(sums - 1))), sums.shape)
    with pytest.raises(ValueError, match=rf"at h=1, s={s}, a={a} \(the largest deviation"):
        LinearMDP(phi, bad_mu, theta)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda p, m, t: (p, m[:, :2], t), r"mu has shape \(2, 2, 2\), expected \(H, S, d\)"),
        (lambda p, m, t: (p, m, t[:1]), r"theta has shape \(1, 2\), expected \(2, 2\)"),
        (lambda p, m, t: (np.where(p == p[0, 1, 1], np.nan, p), m, t), r"phi\[0, 1, 1\] is nan"),
        (lambda p, m, t: (p[..., None], m, t), "phi must have 3 dimensions"),
    ],
)
def test_linear_mdp_bad_shapes(change, message):
    phi, mu, theta = change(*simplex_arrays(3, 2, 2, 2, seed=1))
    with pytest.raises(ValueError, match=message):
        LinearMDP(phi, mu, theta)


def test_linear_mdp_bernoulli_needs_unit_rewards_and_initial_is_checked():
    phi, mu, theta = simplex_arrays(3, 2, 2, 2, seed=2)
    theta = theta.copy()
    theta[1] = [2.0, 2.0]
    with pytest.raises(ValueError, match=r"R\[1, 0, 0\] is 2.0, outside \[0, 1\]"):
        LinearMDP(phi, mu, theta, noise="bernoulli")
    with pytest.raises(ValueError, match=r"initial\[1\] is -0.5"):
        LinearMDP(phi, mu, theta, initial=[1.0, -0.5, 0.5])


def test_assumptions_are_reported_not_enforced():
    phi = np.array([[[2.0, 0.0]], [[0.0, 1.0]]])
    mu = np.array([[[0.5, 0.0], [0.0, 1.0]]])  # P_0(.|0) = (1, 0); P_0(.|1) = (0, 1)
    report = LinearMDP(phi, mu, [[3.0, 0.0]]).assumptions()
    assert report.phi_norm == 2.0 and not report.phi_ok
    assert report.theta_norm == 3.0 and not report.theta_ok
    assert report.mu_total_variation == pytest.approx(np.sqrt(1.25)) and report.mu_ok
    assert not report.holds and report.bound == np.sqrt(2)
    # a signed measure mu^(2) = (0.5, -0.5): net mass 0 but total variation 1, so the TV form
    # (sqrt 2) is stricter than the printed net-mass form (1)
    phi = np.array([[[1.0, 1.0]], [[1.0, -1.0]]])
    mu = np.array([[[0.5, 0.5], [0.5, -0.5]]])
    report = LinearMDP(phi, mu, [[0.0, 0.0]]).assumptions()
    assert report.mu_net_mass == 1.0 and report.mu_total_variation == np.sqrt(2)


def test_linear_mdp_copies_its_inputs():
    phi, mu, theta = simplex_arrays(3, 2, 2, 2, seed=3)
    a, b = LinearMDP(phi, mu, theta), LinearMDP(phi, mu, theta)
    np.testing.assert_array_equal(a.P, b.P)
    phi[0, 0] = [0.0, 1.0]
    assert not np.array_equal(a.phi, phi)


# --- LowRankMDP ---------------------------------------------------------------------------


def test_low_rank_mdp_exact_oracle():
    phi = np.array(
        [[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]]
    )  # S = 3, A = 2, d = 2, shared by stages
    psi = np.array([[[0.0, 0.5], [1.0, 0.0], [0.0, 0.5]], [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]])
    reward = np.arange(6.0).reshape(3, 2)
    mdp = LowRankMDP(phi, psi, reward)
    assert (mdp.S, mdp.A, mdp.H, mdp.d) == (3, 2, 2, 2)
    assert mdp.phi.shape == (2, 3, 2, 2) and mdp.R.shape == (2, 3, 2)
    np.testing.assert_array_equal(mdp.P, brute_kernel(mdp.phi, psi))
    np.testing.assert_array_equal(mdp.P[0, 0, 1], [0.25, 0.5, 0.25])
    np.testing.assert_array_equal(mdp.rank, [2, 2])
    twin = mdp.tabular()
    np.testing.assert_array_equal(twin.P, mdp.P)
    np.testing.assert_array_equal(twin.R[1], reward)


@settings(max_examples=20, deadline=None)
@given(
    S=st.integers(2, 6),
    A=st.integers(1, 3),
    H=st.integers(1, 3),
    d=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_low_rank_twin_and_rank_property(S, A, H, d, seed):
    rng = np.random.default_rng(seed)
    phi = rng.dirichlet(np.ones(d), size=(H, S, A))
    psi = rng.dirichlet(np.ones(S), size=(H, d)).transpose(0, 2, 1)
    mdp = LowRankMDP(phi, psi, rng.random((H, S, A)))
    np.testing.assert_allclose(mdp.tabular().P, brute_kernel(phi, psi), rtol=0, atol=1e-12)
    assert (mdp.rank <= min(d, S, S * A)).all()


def test_low_rank_from_tabular_reproduces_the_kernel():
    rng = np.random.default_rng(5)
    S, A, H = 5, 3, 3
    P = rng.dirichlet(np.ones(S), size=(H, S, A))
    P[1] = P[1, :1, :1]  # stage 1: every (s, a) has the same next-state law -> rank 1
    mdp = EpisodicMDP(P, rng.random((H, S, A)), H, name="garnet-ish")
    low = LowRankMDP.from_tabular(mdp)
    assert low.d == 5 and low.name == "garnet-ish"
    np.testing.assert_array_equal(low.rank, [5, 1, 5])
    np.testing.assert_allclose(low.tabular().P, mdp.P, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(low.R, mdp.R)
    with pytest.raises(ValueError, match="stage h=0 has numerical rank 5"):
        LowRankMDP.from_tabular(mdp, rank=3)


def test_low_rank_bad_input():
    psi = np.array([[[1.0], [0.0]]])  # H = 1, S = 2, d = 1: everything goes to state 0
    phi = np.ones((2, 1, 1))
    with pytest.raises(ValueError, match=r"phi has shape \(1, 3, 1, 1\), expected"):
        LowRankMDP(np.ones((3, 1, 1)), psi, np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"reward has shape \(2, 2\), expected \(2, 1\)"):
        LowRankMDP(phi, psi, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"is 2.0 at h=0, s=1, a=0 \(the largest deviation"):
        LowRankMDP(np.array([[[1.0]], [[2.0]]]), psi, np.zeros((2, 1)))
