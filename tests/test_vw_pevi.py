"""Variance-weighted PEVI: a per-sample transcription of the weighted ridge regression and of
the variance regressions (exact oracle), the invariants of a fit (hypothesis), reproducibility,
bad input and ``mdptheory run vw-pevi``."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.offline import (
    LEARNERS,
    PEVI,
    VWPEVI,
    OfflineDataset,
    collect,
    population_counts,
)
from algorithms.offline.vw_pevi.variance import true_variance
from algorithms.registry import make_learner
from instances.linear import simplex_feature_linear_mdp
from mdptheory.linear import LinearMDP
from mdptheory.tabular import EpisodicMDP
from proofs_check.theorems.variance_aware_offline import heteroscedastic_offline_mdp


@pytest.fixture(scope="module")
def model() -> LinearMDP:
    return heteroscedastic_offline_mdp(H=4)


@pytest.fixture(scope="module")
def data(model):
    return collect(model, "uniform", 120, seed=3)


def _ridge(X, y, weights, lam):
    gram = X.T @ (weights[:, None] * X) + lam * np.eye(X.shape[1])
    return np.linalg.solve(gram, X.T @ (weights * y))


def test_weighted_regression_matches_a_per_sample_transcription(model, data):
    learner = VWPEVI(c=0.2)
    result = learner.fit(model, data)
    H, lam = model.H, learner.ridge(model.H)
    even = (data.episode % 2) == 0
    V = np.vstack([result.fit.V_hat, np.zeros((1, model.S))])
    for h in range(H):
        rows = even & (data.stage == h)
        s, a, s2 = data.state[rows], data.action[rows], data.next_state[rows]
        X = model.phi[s, a]
        weights = 1.0 / result.variance[h, s, a]
        y = data.reward[rows] + V[h + 1, s2]
        np.testing.assert_allclose(
            result.fit.weights[h], _ridge(X, y, weights, lam), rtol=1e-9, atol=1e-11
        )
        gram = X.T @ (weights[:, None] * X) + lam * np.eye(model.d)
        widths = np.sqrt(
            np.einsum(
                "nd,de,ne->n",
                model.phi.reshape(-1, model.d),
                np.linalg.inv(gram),
                model.phi.reshape(-1, model.d),
            )
        )
        np.testing.assert_allclose(result.fit.widths[h].ravel(), widths, rtol=1e-9)


def test_variance_matches_a_per_sample_transcription(model, data):
    learner = VWPEVI(c=0.2, pilot_c=0.0)
    result = learner.fit(model, data)
    H, lam = model.H, learner.ridge(model.H)
    odd = (data.episode % 2) == 1
    # the pilot: greedy least squares (pilot_c = 0) on the odd episodes, by samples
    V = np.zeros((H + 1, model.S))
    for h in range(H - 1, -1, -1):
        rows = odd & (data.stage == h)
        X = model.phi[data.state[rows], data.action[rows]]
        w = _ridge(X, data.reward[rows] + V[h + 1, data.next_state[rows]], np.ones(X.shape[0]), lam)
        V[h] = np.clip(model.phi @ w, 0.0, H - h).max(axis=1)
    for h in range(H):
        rows = odd & (data.stage == h)
        X = model.phi[data.state[rows], data.action[rows]]
        target = V[h + 1, data.next_state[rows]]
        ones = np.ones(X.shape[0])
        first = np.clip(model.phi @ _ridge(X, target, ones, lam), 0.0, H - h)
        second = np.clip(model.phi @ _ridge(X, target**2, ones, lam), 0.0, (H - h) ** 2)
        expected = np.maximum(1.0, second - first**2)
        np.testing.assert_allclose(result.variance[h], expected, rtol=1e-9, atol=1e-9)


def test_true_variance_and_the_instance_knob():
    calm = heteroscedastic_offline_mdp(H=6, calm=0.0)
    mdp = calm.tabular()
    from mdptheory.planning import backward_induction

    V = np.vstack([backward_induction(mdp).values, np.zeros((1, mdp.S))])[: mdp.H + 1]
    var = true_variance(mdp, V)
    # decision pairs at stage 0: noisy 0.9 (H-1)^2 / 4, the calm optimal one exactly 0
    np.testing.assert_allclose(var[0, 0, :2], 0.9 * 25 / 4, rtol=1e-12)
    assert var[0, 0, 2] == pytest.approx(0.0, abs=1e-12)
    homo = heteroscedastic_offline_mdp(H=6, calm=0.9).tabular()
    Vh = np.vstack([backward_induction(homo).values, np.zeros((1, homo.S))])[: homo.H + 1]
    assert true_variance(homo, Vh)[0, 0, 2] > 5.0


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(4, 60), c=st.sampled_from([0.0, 0.1, 1.0]))
def test_fit_invariants(seed, n, c):
    model = simplex_feature_linear_mdp(S=4, A=2, H=3, d=3, seed=seed)
    result = VWPEVI(c=c).fit(model, collect(model, "uniform", n, seed=seed + 1))
    H = model.H
    top = np.maximum(1.0, (H - np.arange(H)) ** 2.0)
    assert (result.variance >= 1.0).all()
    assert (result.variance <= top[:, None, None] + 1e-12).all()
    # a floor of 1 and variances <= H^2: the weighted coverage is at most H times the plain
    assert (result.coverage <= H * result.unweighted_coverage + 1e-12).all()
    # the good event implies pessimism (induction over h)
    if result.fit.good_event:
        assert result.fit.pessimistic
    assert 0.0 <= result.suboptimality + 1e-12
    assert (result.fit.Q_hat <= (H - np.arange(H))[:, None, None] + 1e-12).all()


def test_population_data_and_the_split_switch(model):
    counts = population_counts(model, "uniform", 1e6)
    result = VWPEVI(c=0.0, split="none", pilot_c=0.0).fit(model, counts)
    # infinite data: the variances are the exact ones of the greedy V (floored at 1)
    assert result.suboptimality == pytest.approx(0.0, abs=1e-9)
    assert result.split == "none"
    given_half = VWPEVI(c=0.1).fit(model, counts, variance_data=counts)
    assert given_half.split == "given" and given_half.n_variance == 1e6


def test_reproducible_and_registered(model):
    learner = make_learner("vw-pevi", c=0.1)
    assert LEARNERS["vw-pevi"] is VWPEVI and isinstance(learner, VWPEVI)
    a = learner.run(model, 12, seed=5)
    b = learner.run(model, 12, seed=5)
    np.testing.assert_array_equal(a.gap, b.gap)
    np.testing.assert_array_equal(a.extras["pevi_gap"], b.extras["pevi_gap"])
    assert a.gap.shape == (12,) and a.metadata["label"] == "VW-PEVI c=0.1"
    assert learner.reference_curve(model, 12) is None


def test_bad_input(model, data):
    with pytest.raises(ValueError, match="c"):
        VWPEVI(c=-1.0)
    with pytest.raises(ValueError, match="split"):
        VWPEVI(split="halves")
    with pytest.raises(ValueError, match="lam"):
        VWPEVI(lam=0.0)
    with pytest.raises(ValueError, match="floor"):
        VWPEVI(floor=0.0)
    with pytest.raises(ValueError, match="cannot split TransitionCounts"):
        VWPEVI().fit(model, data.aggregate())
    no_episodes = OfflineDataset(
        model.S, model.A, model.H, data.stage, data.state, data.action, data.reward, data.next_state
    )
    with pytest.raises(ValueError, match="episode indices"):
        VWPEVI().fit(model, no_episodes)
    with pytest.raises(ValueError, match="LinearMDP"):
        VWPEVI().fit(EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.3, 0.7]], H=2), data)
    other = collect(simplex_feature_linear_mdp(S=3, A=2, H=2, d=2), "uniform", 10, seed=0)
    with pytest.raises(ValueError, match="S, A, H"):
        VWPEVI().fit(model, other)
    with pytest.raises(ValueError, match="calm"):
        heteroscedastic_offline_mdp(calm=1.0)


class _WorstCaseVariance(VWPEVI):
    def transform_variance(self, sigma2, H):
        return np.full_like(sigma2, float(H**2))


def test_at_worst_case_variance_vw_pevi_is_pevi(model, data):
    # sigma2 = H^2, lam = 1/H^2, c_V = c_P sqrt(d): Sigma_h = Lambda_h / H^2 and the penalties
    # coincide, so the fit is PEVI's (the matching of the offline variance checks)
    c_p = 0.05
    vw = _WorstCaseVariance(c=c_p * np.sqrt(model.d)).fit(model, data)
    even = data.first_episodes(int(data.episode.max()) + 1)
    keep = (even.episode % 2) == 0
    half = OfflineDataset(
        model.S,
        model.A,
        model.H,
        even.stage[keep],
        even.state[keep],
        even.action[keep],
        even.reward[keep],
        even.next_state[keep],
        even.episode[keep],
    )
    pevi = PEVI(c=c_p).fit(model, half)
    np.testing.assert_allclose(vw.fit.Q_hat, pevi.Q_hat, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(vw.fit.penalty, pevi.penalty, rtol=1e-9)
    assert vw.suboptimality == pevi.suboptimality


def test_docstring_examples_run():
    import algorithms.offline.vw_pevi as package
    from algorithms.offline.vw_pevi import learner, result, variance
    from proofs_check.theorems import variance_aware_offline

    for module in (package, learner, result, variance, variance_aware_offline):
        assert doctest.testmod(module).failed == 0, module.__name__
