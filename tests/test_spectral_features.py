"""Spectral features: SVD of the kernel, the low-rank and linear MDPs it gives, estimates."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import subspace_angles

from instances.linear import random_low_rank_mdp, simplex_feature_linear_mdp
from instances.tabular import garnet
from mdptheory import EpisodicMDP, FiniteMDP
from mdptheory.diagnostics import diagnose
from mdptheory.diagnostics.spectral import (
    estimate_spectral_features,
    linear_mdp_from_features,
    spectral_decomposition,
    spectral_linear_mdp,
    spectral_low_rank_mdp,
)
from mdptheory.evaluation import q_values


def span_residual(basis: np.ndarray, vector: np.ndarray) -> float:
    coef = np.linalg.lstsq(basis, vector, rcond=None)[0]
    return float(np.max(np.abs(basis @ coef - vector)))


def test_decomposition_is_the_svd_with_eckart_young_errors():
    mdp = garnet(S=8, A=3, branching=3, seed=2)
    full = spectral_decomposition(mdp)
    P = mdp.P.reshape(24, 8)
    np.testing.assert_allclose(full.singular_values[0], np.linalg.svd(P, compute_uv=False))
    assert full.d == np.linalg.matrix_rank(P)
    product = full.phi[0].reshape(24, -1) @ full.psi[0].T
    assert np.abs(product - P).max() < 1e-12
    for d in (1, 3, 5):
        dec = spectral_decomposition(mdp, d)
        error = P - dec.phi[0].reshape(24, d) @ dec.psi[0].T
        assert np.linalg.norm(error, 2) == pytest.approx(dec.spectral_error[0], rel=1e-9)
        assert np.linalg.norm(error) == pytest.approx(dec.frobenius_error[0], rel=1e-9)


def test_low_rank_and_linear_mdps_reproduce_the_model():
    model = random_low_rank_mdp(S=8, A=3, H=4, d=3, seed=1)
    low = spectral_low_rank_mdp(model)
    assert low.d == 3 and np.abs(low.P - model.P).max() < 1e-12
    lin = spectral_linear_mdp(model)
    assert np.abs(lin.P - model.P).max() < 1e-12 and np.abs(lin.R - model.R).max() < 1e-12
    assert np.linalg.norm(lin.phi, axis=-1).max() == pytest.approx(1.0)
    simplex = simplex_feature_linear_mdp(S=10, A=3, H=5, d=4, seed=0)
    assert spectral_linear_mdp(simplex).d == 4  # rewards already in the span


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), d=st.integers(1, 4))
def test_q_pi_lies_in_span_of_phi_and_r_at_exact_rank(seed, d):
    model = random_low_rank_mdp(S=7, A=3, H=3, d=d, seed=seed)
    twin = model.tabular()
    dec = spectral_decomposition(twin)
    rng = np.random.default_rng(seed)
    policy = rng.dirichlet(np.ones(3), size=(3, 7))
    Q = q_values(twin, policy)
    for h in range(3):
        basis = np.concatenate([dec.phi[h].reshape(21, -1), twin.R[h].reshape(21, 1)], axis=1)
        assert span_residual(basis, Q[h].reshape(21)) <= 1e-9


def test_truncated_features_miss_some_q_pi():
    model = random_low_rank_mdp(S=7, A=3, H=3, d=3, seed=0)
    twin = model.tabular()
    dec = spectral_decomposition(twin, d=2)
    Q = q_values(twin, np.zeros((3, 7), dtype=np.int64))
    basis = np.concatenate([dec.phi[0].reshape(21, 2), twin.R[0].reshape(21, 1)], axis=1)
    assert span_residual(basis, Q[0].reshape(21)) > 1e-3


def test_estimated_features_converge_and_are_reproducible():
    model = simplex_feature_linear_mdp(S=10, A=3, H=5, d=4, seed=0)
    a = estimate_spectral_features(model, 4, 100, seed=3)
    b = estimate_spectral_features(model, 4, 100, seed=3)
    np.testing.assert_array_equal(a.phi, b.phi)
    c = estimate_spectral_features(model, 4, 100, seed=4)
    assert not np.array_equal(a.phi, c.phi)
    distances = [
        estimate_spectral_features(model, 4, n, seed=0).distance for n in (10, 1000, 100_000)
    ]
    assert distances[0] > distances[1] > distances[2] and distances[2] < 0.02
    exact = spectral_linear_mdp(model).phi.reshape(30, 4)
    assert subspace_angles(a.exact_phi.reshape(30, 4), exact).max() < 1e-7
    ones = np.ones(30)
    assert span_residual(a.phi.reshape(30, 4), ones) < 1e-9  # the constant stays in the span
    assert np.linalg.norm(a.phi, axis=-1).max() == pytest.approx(1.0)


def test_linear_mdp_from_features_is_valid_and_close():
    model = simplex_feature_linear_mdp(S=6, A=2, H=3, d=3, seed=5)
    exact = spectral_linear_mdp(model)
    fit = linear_mdp_from_features(exact.phi, model.P, model.R, initial=model.initial)
    assert np.abs(fit.P - model.P).max() < 1e-5
    est = estimate_spectral_features(model, 3, 50, seed=0)
    nominal = linear_mdp_from_features(est.phi, est.kernel, model.R)
    assert (nominal.P >= 0).all()
    np.testing.assert_allclose(nominal.P.sum(axis=-1), 1.0, atol=1e-9)


def test_stationary_and_discounted_models_enter_once():
    mdp = garnet(S=6, A=2, branching=2, seed=0)
    assert spectral_decomposition(mdp).phi.shape[0] == 1
    episodic = garnet(S=6, A=2, branching=2, H=4, seed=0)
    lin = spectral_linear_mdp(episodic)
    assert np.abs(lin.P - np.broadcast_to(episodic.P, lin.P.shape)).max() < 1e-12
    assert estimate_spectral_features(mdp, 3, 20, seed=0).kernel.shape == (1, 6, 2, 6)


def test_bad_input_raises_naming_the_parameter():
    model = random_low_rank_mdp(S=6, A=2, H=2, d=3, seed=0)
    with pytest.raises(ValueError, match="d must be"):
        spectral_decomposition(model, d=0)
    with pytest.raises(ValueError, match="below the rank"):
        spectral_linear_mdp(model, d=2)
    with pytest.raises(ValueError, match="n_samples"):
        estimate_spectral_features(model, 3, 0, seed=0)
    with pytest.raises(ValueError, match="seed"):
        estimate_spectral_features(model, 3, 5, seed=-1)
    with pytest.raises(ValueError, match="constant vector"):
        linear_mdp_from_features(np.eye(12)[:, :2].reshape(6, 2, 2), model.P, model.R)
    with pytest.raises(ValueError, match="kernel has shape"):
        linear_mdp_from_features(np.ones((6, 2, 1)), np.ones((1, 6, 2, 5)), model.R)
    with pytest.raises(ValueError, match="episodic"):
        spectral_linear_mdp(FiniteMDP(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), gamma=0.5))
    with pytest.raises(ValueError, match="FiniteMDP"):
        spectral_decomposition(np.eye(3))


def test_diagnosis_reports_the_ranks():
    model = random_low_rank_mdp(S=8, A=3, H=2, d=3, seed=0)
    found = {d.name: d for d in diagnose(model)}["spectral features"]
    assert found.values["rank of P_h as an SA x S matrix (max over stages)"] == 3
    single = EpisodicMDP(np.full((3, 2, 3), 1 / 3), np.zeros((3, 2)), H=2)
    found = {d.name: d for d in diagnose(single)}["spectral features"]
    assert found.values["rank of [P_0 ... P_{H-1} | r] (shared linear-MDP features)"] == 1
