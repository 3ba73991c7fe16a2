"""Tests of mdptheory.bandits: Bandit, LinearBandit, FeatureBandit."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from mdptheory.bandits import Bandit, FeatureBandit, LinearBandit
from mdptheory.tabular import RewardNoise

unit_means = st.lists(st.floats(0.0, 1.0, allow_nan=False), min_size=1, max_size=8)


# --- Bandit -------------------------------------------------------------------------------


def test_bandit_exact_oracle():
    bandit = Bandit([0.2, 0.7, 0.7, 0.1])
    assert bandit.K == 4
    assert bandit.optimal_arm == 1  # smallest index among the tied maximisers
    assert bandit.optimal_mean == 0.7
    assert bandit.gaps.tolist() == [0.7 - 0.2, 0.0, 0.0, 0.7 - 0.1]
    assert bandit.pseudo_regret([0, 1, 2, 3, 3]).tolist() == [0.7 - 0.2, 0, 0, 0.7 - 0.1, 0.7 - 0.1]
    assert bandit.pseudo_regret([]).shape == (0,)
    assert bandit.means.dtype == np.float64 and not bandit.means.flags.writeable
    assert not bandit.gaps.flags.writeable
    assert bandit.noise == RewardNoise("bernoulli")
    assert bandit.value([0.5, 0.5, 0.0, 0.0]) == pytest.approx(0.45, abs=1e-15)
    assert bandit.suboptimality([0.0, 0.0, 0.0, 1.0]) == pytest.approx(0.6, abs=1e-15)


@settings(max_examples=30, deadline=None)
@given(means=unit_means, data=st.data())
def test_bandit_gaps_and_pseudo_regret_property(means, data):
    bandit = Bandit(means)
    best = max(means)
    assert bandit.optimal_arm == means.index(best)  # first maximiser
    arms = data.draw(st.lists(st.integers(0, len(means) - 1), max_size=20))
    expected = [best - means[a] for a in arms]
    assert bandit.pseudo_regret(np.array(arms, dtype=np.int64)).tolist() == expected
    assert (bandit.gaps >= 0).all() and bandit.gaps[bandit.optimal_arm] == 0.0


def test_bandit_sampling_reproducible_and_faithful():
    bandit = Bandit([0.1, 0.5, 0.9])
    arms = np.tile(np.arange(3), 4000)
    first = bandit.sample(arms, seed=7)
    np.testing.assert_array_equal(first, bandit.sample(arms, seed=7))
    assert not np.array_equal(first, bandit.sample(arms, seed=8))
    assert set(np.unique(first)) <= {0.0, 1.0}
    # the compiled kernels' convention: reward 1 iff a uniform is below the mean
    uniforms = np.random.Generator(np.random.PCG64(7)).random(arms.shape)
    np.testing.assert_array_equal(first, (uniforms < bandit.means[arms]).astype(float))
    for arm in range(3):  # 4000 draws each: 5 standard errors
        assert abs(first[arms == arm].mean() - bandit.means[arm]) < 5 * 0.5 / np.sqrt(4000)
    assert isinstance(bandit.sample(2, seed=0), float)


def test_gaussian_and_deterministic_sampling():
    gaussian = Bandit([0.0, 1.0], noise=("gaussian", 2.0))
    draws = gaussian.sample(np.ones(20000, dtype=np.int64), seed=1)
    assert abs(draws.mean() - 1.0) < 5 * 2.0 / np.sqrt(20000)
    assert abs(draws.std() - 2.0) < 0.05
    fixed = Bandit([3.0, -1.0], noise="deterministic")
    assert fixed.sample([1, 0, 1], seed=0).tolist() == [-1.0, 3.0, -1.0]


test_bandit_bad_input = refusal_test(
    Bandit,
    [
        ({"means": [0.5, 1.5]}, r"means\[1\] is 1.5, outside \[0, 1\]"),
        ({"means": [0.5, np.nan]}, r"means\[1\] is nan"),
        ({"means": []}, "at least one arm"),
        ({"means": [[0.5]]}, "means must have 1 dimensions"),
        ({"means": [0.5], "noise": ("gaussian", -1.0)}, "sigma"),
        ({"means": [0.5], "noise": "poisson"}, "reward noise kind"),
    ],
)


def test_bandit_bad_arms():
    bandit = Bandit([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"arms\[2\] is 3, outside 0..2"):
        bandit.pseudo_regret([0, 1, 3])
    with pytest.raises(ValueError, match="integer arm indices"):
        bandit.pseudo_regret([0.0, 1.0])
    with pytest.raises(ValueError, match="arm -1 is outside 0..2"):
        bandit.sample(-1, seed=0)
    with pytest.raises(ValueError, match=r"policy\[1\] is -0.5"):
        bandit.value([1.5, -0.5, 0.0])


# --- LinearBandit -------------------------------------------------------------------------


def test_linear_bandit_exact_oracle():
    arms = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [-1.0, 1.0]]
    bandit = LinearBandit(arms, [0.2, 0.6], noise_std=0.5, name="toy")
    assert (bandit.K, bandit.d) == (4, 2)
    np.testing.assert_allclose(bandit.means, [0.2, 0.6, 0.4, 0.4], atol=1e-15)
    assert bandit.optimal_arm == 1 and bandit.optimal_mean == 0.6
    np.testing.assert_allclose(bandit.gaps, [0.4, 0.0, 0.2, 0.2], atol=1e-15)
    np.testing.assert_allclose(bandit.pseudo_regret([0, 3]), [0.4, 0.2], atol=1e-15)
    plain = bandit.as_bandit()
    assert type(plain) is Bandit and plain.name == "toy"
    np.testing.assert_array_equal(plain.means, bandit.means)
    assert plain.noise == RewardNoise("gaussian", 0.5)
    noiseless = LinearBandit(arms, [0.2, 0.6], noise_std=0.0)
    assert noiseless.as_bandit().noise.kind == "deterministic"
    assert not bandit.arms.flags.writeable and not bandit.theta.flags.writeable


@settings(max_examples=30, deadline=None)
@given(K=st.integers(1, 6), d=st.integers(1, 4), seed=st.integers(0, 2**32 - 1))
def test_linear_bandit_means_are_inner_products(K, d, seed):
    rng = np.random.default_rng(seed)
    arms, theta = rng.normal(size=(K, d)), rng.normal(size=d)
    bandit = LinearBandit(arms, theta)
    brute = [sum(arms[i, j] * theta[j] for j in range(d)) for i in range(K)]
    np.testing.assert_allclose(bandit.means, brute, atol=1e-12)
    assert bandit.means[bandit.optimal_arm] == bandit.means.max()
    assert (bandit.gaps >= 0).all()
    np.testing.assert_array_equal(
        bandit.sample(np.arange(K), seed=seed),
        LinearBandit(arms, theta).sample(np.arange(K), seed=seed),
    )


def test_linear_bandit_bad_input():
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(d,\) = \(2,\)"):
        LinearBandit(np.eye(2), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"arms\[1, 0\] is inf"):
        LinearBandit([[0.0, 1.0], [np.inf, 0.0]], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"noise_std must lie in \[0.0, inf\], got -1.0"):
        LinearBandit(np.eye(2), [1.0, 2.0], noise_std=-1.0)


# --- FeatureBandit ------------------------------------------------------------------------


def test_feature_bandit_exact_oracle():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    r = np.array([9.0, 8.0, 7.0, 6.0])
    bandit = FeatureBandit(X, r)
    # normal equations, solved independently of the projection code
    expected = X @ np.linalg.solve(X.T @ X, X.T @ r)
    np.testing.assert_allclose(bandit.projected_means, expected, atol=1e-12)
    np.testing.assert_allclose(bandit.projected_means, [22 / 3, 8, 22 / 3, 22 / 3], atol=1e-12)
    assert bandit.approximation_error == pytest.approx(np.sqrt(14 / 3), abs=1e-12)
    assert bandit.noise.kind == "deterministic" and bandit.optimal_arm == 0
    pi = bandit.policy([0.0, 1000.0])  # huge logits must not overflow
    assert pi.argmax() == 1 and pi.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(bandit.policy([0.0, 0.0]), np.full(4, 0.25))


def test_feature_bandit_bad_input():
    with pytest.raises(ValueError, match=r"rank 1 < d = 2"):
        FeatureBandit([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], [1.0, 2.0, 3.0])
    with pytest.raises(
        ValueError,
        match=r"features has shape \(2, 2\), expected \(K, d\) "
        r"with K = 3",
    ):
        FeatureBandit(np.eye(2), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"theta has shape \(3,\), expected \(2,\)"):
        FeatureBandit(np.eye(2), [1.0, 2.0]).policy([1.0, 2.0, 3.0])
