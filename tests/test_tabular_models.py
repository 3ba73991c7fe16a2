"""Validation and storage of FiniteMDP and EpisodicMDP."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings

from mdptheory import EpisodicMDP, FiniteMDP, RewardNoise
from proofs_check.strategies import episodic_mdps, finite_mdps


def two_state_kernel():
    return np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [1.0, 0.0]]])


def test_row_sum_error_names_the_row():
    P = two_state_kernel()
    P[1, 0] = [0.0, 0.97]
    with pytest.raises(ValueError, match=r"P\[1, 0, :\] sums to 0.97"):
        FiniteMDP(P, np.zeros((2, 2)), gamma=0.9)


def test_negative_probability_names_the_entry():
    P = two_state_kernel()
    P[0, 1] = [1.5, -0.5]
    with pytest.raises(ValueError, match=r"P\[0, 1, 1\] is -0.5"):
        FiniteMDP(P, np.zeros((2, 2)), gamma=0.9)


def test_non_finite_reward_names_the_entry():
    R = np.zeros((2, 2))
    R[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"R\[1, 1\] is nan"):
        FiniteMDP(two_state_kernel(), R, gamma=0.9)


@pytest.mark.parametrize("gamma", [1.0, -0.1, 1.5])
def test_gamma_outside_range(gamma):
    with pytest.raises(ValueError, match="gamma"):
        FiniteMDP(two_state_kernel(), np.zeros((2, 2)), gamma=gamma)


def test_shape_mismatch():
    with pytest.raises(ValueError, match=r"P has shape \(2, 2, 2\), expected \(3, 2, 3\)"):
        FiniteMDP(two_state_kernel(), np.zeros((3, 2)), gamma=0.9)


def test_tolerance_is_documented_and_adjustable():
    P = two_state_kernel()
    P[0, 0] = [1.0 + 5e-10, 0.0]
    FiniteMDP(P, np.zeros((2, 2)), gamma=0.5)  # within 1e-9
    with pytest.raises(ValueError, match="sums to"):
        FiniteMDP(P, np.zeros((2, 2)), gamma=0.5, tol=1e-12)


def test_initial_distribution_validated():
    with pytest.raises(ValueError, match=r"initial\[:\] sums to 0.5"):
        FiniteMDP(two_state_kernel(), np.zeros((2, 2)), gamma=0.5, initial=[0.25, 0.25])


def test_bernoulli_noise_needs_unit_rewards():
    R = np.array([[0.0, 1.2], [0.5, 0.5]])
    with pytest.raises(ValueError, match=r"R\[0, 1\] is 1.2"):
        FiniteMDP(two_state_kernel(), R, gamma=0.5, noise="bernoulli")


def test_noise_parsing():
    assert RewardNoise.parse(("gaussian", 0.5)) == RewardNoise("gaussian", 0.5)
    assert RewardNoise.parse(None).kind == "deterministic"
    with pytest.raises(ValueError, match="sigma > 0"):
        RewardNoise("gaussian")
    with pytest.raises(ValueError, match="one of"):
        RewardNoise.parse("laplace")


def test_arrays_are_read_only_float64():
    mdp = FiniteMDP(two_state_kernel().tolist(), [[0, 1], [1, 0]], gamma=0.5)
    assert mdp.P.dtype == np.float64 and mdp.R.dtype == np.float64
    with pytest.raises(ValueError):
        mdp.P[0, 0, 0] = 0.3


def test_episodic_shapes_and_stage_axis():
    P = two_state_kernel()
    mdp = EpisodicMDP(P, np.zeros((2, 2)), H=4)
    assert mdp.P.shape == (1, 2, 2, 2) and mdp.R.shape == (4, 2, 2) and mdp.stationary
    stacked = EpisodicMDP(np.stack([P] * 3), np.zeros((3, 2, 2)), H=3)
    assert not stacked.stationary
    np.testing.assert_array_equal(stacked.transition(2), P)
    with pytest.raises(ValueError, match="stage axis is 3, expected H = 4"):
        EpisodicMDP(P, np.zeros((3, 2, 2)), H=4)
    with pytest.raises(ValueError, match="H must be a positive int"):
        EpisodicMDP(P, np.zeros((2, 2)), H=0)
    bad = np.stack([P] * 3)
    bad[2, 1, 1] = [0.2, 0.2]
    with pytest.raises(ValueError, match=r"P\[2, 1, 1, :\] sums to 0.4"):
        EpisodicMDP(bad, np.zeros((2, 2)), H=3)


def test_sparse_kernel_validation_and_expectation():
    P = two_state_kernel()
    mdp = FiniteMDP(sp.csr_array(P.reshape(4, 2)), np.zeros((2, 2)), gamma=0.5)
    assert mdp.is_sparse
    V = np.array([1.0, 3.0])
    np.testing.assert_allclose(mdp.expect(V), P @ V)
    bad = P.reshape(4, 2).copy()
    bad[3] = [0.5, 0.4]
    with pytest.raises(ValueError, match=r"P\[1, 1, :\] sums to 0.9"):
        FiniteMDP(sp.csr_array(bad), np.zeros((2, 2)), gamma=0.5)
    with pytest.raises(ValueError, match=r"expected \(S\*A, S\)"):
        FiniteMDP(sp.csr_array(np.eye(2)), np.zeros((2, 2)), gamma=0.5)


@settings(max_examples=30, deadline=None)
@given(finite_mdps())
def test_generated_models_are_valid(mdp):
    np.testing.assert_allclose(mdp.P.sum(axis=-1), 1.0, atol=1e-9)
    assert mdp.expect(np.ones(mdp.S)).shape == (mdp.S, mdp.A)


@settings(max_examples=30, deadline=None)
@given(episodic_mdps())
def test_generated_episodic_models_are_valid(mdp):
    for h in range(mdp.H):
        np.testing.assert_allclose(mdp.transition(h).sum(axis=-1), 1.0, atol=1e-9)
