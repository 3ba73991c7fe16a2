"""Tests of instances.bandits: K-armed, lower-bound, linear and feature bandit families."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from instances.bandits import (
    PG_FEATURE_CONDITIONS,
    bernoulli_bandit,
    gaussian_bandit,
    hypercube_linear_bandit,
    npg_rank_preserved,
    one_good_arm_alternative,
    one_good_arm_bandit,
    pg_feature_bandit,
    random_feature_bandit,
    softmax_pg_conditions,
)
from mdptheory.bandits import Bandit, FeatureBandit, LinearBandit
from mdptheory.tabular import RewardNoise

# --- K-armed families ---------------------------------------------------------------------


def test_bernoulli_bandit_means():
    bandit = bernoulli_bandit(K=4, gap=0.1, best_mean=0.6)
    assert isinstance(bandit, Bandit) and bandit.noise == RewardNoise("bernoulli")
    assert bandit.means.tolist() == [0.6, 0.6 - 0.1, 0.6 - 0.1, 0.6 - 0.1]
    assert bandit.optimal_arm == 0
    np.testing.assert_allclose(bandit.gaps[1:], 0.1, rtol=0, atol=1e-15)
    spread = bernoulli_bandit(K=4, gap=0.1, best_mean=0.6, spread=True)
    np.testing.assert_allclose(spread.means, [0.6, 0.5, 0.4, 0.3], rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.sort(spread.gaps), [0.0, 0.1, 0.2, 0.3], rtol=0, atol=1e-15)


def test_bernoulli_bandit_seed_relabels_reproducibly():
    a = bernoulli_bandit(K=8, gap=0.05, best_mean=0.5, seed=3, spread=True)
    np.testing.assert_array_equal(
        a.means, bernoulli_bandit(K=8, gap=0.05, best_mean=0.5, seed=3, spread=True).means
    )
    base = bernoulli_bandit(K=8, gap=0.05, best_mean=0.5, spread=True)
    np.testing.assert_array_equal(np.sort(a.means), np.sort(base.means))
    positions = {bernoulli_bandit(K=8, seed=s).optimal_arm for s in range(20)}
    assert len(positions) > 1  # the best arm moves with the seed


test_bernoulli_bandit_bad_parameters = refusal_test(
    bernoulli_bandit,
    [
        ({"K": 1}, "K is 1; accepted values: >= 2"),
        ({"gap": 0.0}, "gap is 0.0; accepted values: finite and > 0"),
        ({"best_mean": 1.2}, r"Bernoulli means must lie in \[0, 1\]"),
        ({"K": 10, "gap": 0.1, "best_mean": 0.5, "spread": True}, r"range over \[-0.4"),
    ],
)


def test_gaussian_and_one_good_arm_bandits():
    bandit = gaussian_bandit(K=5, gap=0.2, sigma=0.5)
    assert bandit.noise == RewardNoise("gaussian", 0.5)
    assert bandit.means.tolist() == [0.0, -0.2, -0.2, -0.2, -0.2]
    np.testing.assert_array_equal(
        gaussian_bandit(K=5, seed=1).means, gaussian_bandit(K=5, seed=1).means
    )
    h4 = one_good_arm_bandit(K=4, gap=0.3)
    assert h4.means.tolist() == [0.3, 0.0, 0.0, 0.0] and h4.noise.sigma == 1.0
    assert h4.gaps.tolist() == [0.0, 0.3, 0.3, 0.3]
    alternative = one_good_arm_alternative(K=4, gap=0.3, arm=2)
    assert alternative.means.tolist() == [0.3, 0.0, 0.6, 0.0]
    assert alternative.optimal_arm == 2
    # the two instances differ only at the chosen arm
    assert np.flatnonzero(alternative.means != h4.means).tolist() == [2]
    with pytest.raises(ValueError, match="sigma is -1.0; accepted values: finite and > 0"):
        gaussian_bandit(sigma=-1.0)
    with pytest.raises(ValueError, match="arm is 0; accepted values: 1..3"):
        one_good_arm_alternative(K=4, arm=0)


# --- hypercube linear bandit (H2) ---------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(d=st.integers(1, 6), n=st.integers(1, 10**6), seed=st.integers(0, 2**32 - 1))
def test_hypercube_linear_bandit_structure(d, n, seed):
    bandit = hypercube_linear_bandit(d=d, n=n, seed=seed)
    assert isinstance(bandit, LinearBandit) and bandit.K == 2**d and bandit.noise_std == 1.0
    assert {tuple(row) for row in bandit.arms} == set(itertools.product((-1.0, 1.0), repeat=d))
    np.testing.assert_allclose(np.abs(bandit.theta), n**-0.5, rtol=1e-15)
    np.testing.assert_array_equal(bandit.arms[bandit.optimal_arm], np.sign(bandit.theta))
    wrong = (bandit.arms != np.sign(bandit.theta)).sum(axis=1)
    np.testing.assert_allclose(bandit.gaps, 2 * wrong / np.sqrt(n), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(bandit.theta, hypercube_linear_bandit(d, n, seed).theta)


def test_hypercube_bad_parameters():
    with pytest.raises(ValueError, match="d is 17; accepted values: 1..16"):
        hypercube_linear_bandit(d=17)
    with pytest.raises(ValueError, match="n is 0; accepted values: >= 1"):
        hypercube_linear_bandit(n=0)


# --- feature bandits for policy gradient ---------------------------------------------------


def exact_lin_spg(bandit: FeatureBandit, steps: int) -> np.ndarray:
    """Exact softmax PG with log-linear policies from theta = 0 (Mei et al. 2023)."""
    X, r = bandit.features, bandit.means
    eta = 0.9 * 4 / (9 * np.abs(r).max() * np.linalg.eigvalsh(X.T @ X).max())
    theta = np.zeros(bandit.d)
    for _ in range(steps):
        pi = bandit.policy(theta)
        theta = theta + eta * X.T @ (pi * (r - pi @ r))
    return bandit.policy(theta)


def test_pg_feature_bandits_meet_their_conditions():
    expected = {  # name: (npg_rank_preserved, non_domination, order_preserving)
        "npg_rank_preserved": (True, True, False),
        "npg_rank_violated": (False, False, False),
        "softmax_pg_holds": (False, True, True),
        "softmax_pg_order_violated": (False, True, False),
        "softmax_pg_dominated": (False, False, True),
    }
    assert set(expected) == set(PG_FEATURE_CONDITIONS)
    for name, (npg, non_dom, order) in expected.items():
        bandit = pg_feature_bandit(name)
        assert bandit.means.tolist() == [9.0, 8.0, 7.0, 6.0] and bandit.features.shape == (4, 2)
        assert npg_rank_preserved(bandit.features, bandit.means) is npg
        conditions = softmax_pg_conditions(arms=bandit.features, rewards=bandit.means)
        assert (conditions.non_domination, conditions.order_preserving) == (non_dom, order)
    # approximation error does not decide NPG convergence
    kept, lost = pg_feature_bandit("npg_rank_preserved"), pg_feature_bandit("npg_rank_violated")
    assert kept.approximation_error == pytest.approx(np.sqrt(209.5), abs=1e-12)
    assert lost.approximation_error == pytest.approx(np.sqrt(14 / 3), abs=1e-12)
    assert int(np.argmax(kept.projected_means)) == 0
    assert int(np.argmax(lost.projected_means)) == 1


def test_lin_spg_pair_behaves_as_documented():
    holds = pg_feature_bandit("softmax_pg_holds")
    violated = pg_feature_bandit("softmax_pg_order_violated")
    assert violated.approximation_error < holds.approximation_error
    assert int(np.argmax(exact_lin_spg(holds, 5000))) == 0
    pi = exact_lin_spg(violated, 5000)
    assert int(np.argmax(pi)) == 1 and pi[1] > 0.99


def test_pg_feature_bandit_bad_condition_and_noise():
    with pytest.raises(ValueError, match="accepted: npg_rank_preserved, npg_rank_violated"):
        pg_feature_bandit("converges")
    with pytest.raises(ValueError, match=r"means\[0\] is 9.0, outside \[0, 1\]"):
        pg_feature_bandit("softmax_pg_holds", noise="bernoulli")
    noisy = pg_feature_bandit("softmax_pg_holds", noise=("gaussian", 1.0))
    assert noisy.noise.sigma == 1.0


@settings(max_examples=30, deadline=None)
@given(K=st.integers(2, 6), d=st.integers(1, 3), seed=st.integers(0, 2**32 - 1))
def test_npg_condition_matches_lin_npg_limit(K, d, seed):
    assume(d <= K)
    bandit = random_feature_bandit(K=K, d=d, seed=seed)
    X, r = bandit.features, bandit.means
    # Lin-NPG adds eta (X^T X)^{-1} X^T r to theta each step: the logits after t steps are
    # t eta r_hat, so pi_t concentrates on argmax r_hat. r_hat from the normal equations:
    r_hat = X @ np.linalg.solve(X.T @ X, X.T @ r)
    top = np.sort(r_hat)
    assume(top[-1] - top[-2] > 1e-6)  # a strict maximum, away from rounding
    assert npg_rank_preserved(X, r) == (int(np.argmax(r_hat)) == int(np.argmax(r)))


@settings(max_examples=30, deadline=None)
@given(K=st.integers(2, 5), seed=st.integers(0, 2**32 - 1))
def test_order_preservation_matches_angular_sweep(K, seed):
    # d = 2: the ordering of X w changes only where (x_i - x_j) . w = 0, so testing one
    # direction inside each arc between consecutive critical angles is an exact oracle
    bandit = random_feature_bandit(K=K, d=2, seed=seed)
    X, r = bandit.features, bandit.means
    critical = []
    for i, j in itertools.combinations(range(K), 2):
        dx, dy = X[i] - X[j]
        base = np.arctan2(dx, -dy)  # w at this angle is orthogonal to x_i - x_j
        critical += [base % (2 * np.pi), (base + np.pi) % (2 * np.pi)]
    angles = np.sort(np.array(critical))
    gaps = np.diff(np.r_[angles, angles[0] + 2 * np.pi])
    assume(gaps.min() > 1e-6)
    middles = angles + gaps / 2
    order = np.argsort(-r)
    found = any(np.all(np.diff((X @ [np.cos(t), np.sin(t)])[order]) < 0) for t in middles)
    assert softmax_pg_conditions(X, r).order_preserving == found
    non_domination = all(X[i] @ X[i] > X[i] @ X[j] for i in range(K) for j in range(K) if i != j)
    assert softmax_pg_conditions(X, r).non_domination == non_domination


def test_random_feature_bandit_reproducible_and_checked():
    a = random_feature_bandit(K=6, d=3, seed=5)
    b = random_feature_bandit(K=6, d=3, seed=5)
    np.testing.assert_array_equal(a.features, b.features)
    np.testing.assert_array_equal(a.means, b.means)
    assert not np.array_equal(a.means, random_feature_bandit(K=6, d=3, seed=6).means)
    with pytest.raises(ValueError, match="d is 4; accepted values: 1..3"):
        random_feature_bandit(K=3, d=4)
