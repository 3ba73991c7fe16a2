"""The generative-model sampler: frequencies match the kernel, seeds reproduce, every model
kind and storage works, bad pairs are named."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from instances import garnet
from instances.linear import simplex_feature_linear_mdp
from mdptheory.generative import generative_samples
from mdptheory.tabular import EpisodicMDP, FiniteMDP


def _frequencies(draws, S):
    return np.stack([np.bincount(row, minlength=S) for row in draws]) / draws.shape[1]


def test_frequencies_match_the_kernel():
    # a multinomial goodness-of-fit test per pair at level 1e-6: a wrong row fails it
    mdp = garnet(S=8, A=3, branching=4, gamma=0.9, seed=2)
    states, actions = np.repeat(np.arange(8), 3), np.tile(np.arange(3), 8)
    draws = generative_samples(mdp, states, actions, n=20_000, seed=0)
    for i, (s, a) in enumerate(zip(states, actions, strict=True)):
        p = mdp.P[s, a]
        counts = np.bincount(draws[i], minlength=8)
        assert counts[p == 0].sum() == 0
        support = p > 0
        statistic = ((counts[support] - 20_000 * p[support]) ** 2 / (20_000 * p[support])).sum()
        assert stats.chi2.sf(statistic, support.sum() - 1) > 1e-6, (s, a)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 50))
def test_draws_are_successors_and_reproducible(seed, n):
    mdp = garnet(S=6, A=2, branching=2, gamma=0.9, seed=seed % 1000)
    states = np.arange(6).repeat(2)
    actions = np.tile([0, 1], 6)
    first = generative_samples(mdp, states, actions, n, seed=seed)
    again = generative_samples(mdp, states, actions, n, seed=seed)
    np.testing.assert_array_equal(first, again)
    assert first.dtype == np.int64 and first.shape == (12, n)
    assert (mdp.P[states[:, None], actions[:, None], first] > 0).all()


def test_sparse_and_dense_kernels_give_the_same_draws():
    dense = garnet(S=7, A=2, branching=3, gamma=0.9, seed=4)
    sparse = FiniteMDP(sp.csr_array(dense.P.reshape(14, 7)), dense.R, gamma=0.9)
    args = ([0, 6, 3], [1, 0, 1], 100)
    np.testing.assert_array_equal(
        generative_samples(dense, *args, seed=9), generative_samples(sparse, *args, seed=9)
    )


def test_finite_horizon_models_sample_the_stage_asked():
    linear = simplex_feature_linear_mdp(S=6, A=2, H=3, d=3, seed=0)
    tabular = linear.tabular()
    for h in range(3):
        a = generative_samples(linear, [2, 5], [1, 1], 50, seed=h, stage=h)
        b = generative_samples(tabular, [2, 5], [1, 1], 50, seed=h, stage=h)
        np.testing.assert_array_equal(a, b)
        assert (tabular.P[h][[2, 5], [1, 1]][np.arange(2)[:, None], a] > 0).all()
    assert isinstance(tabular, EpisodicMDP)


def test_bad_input_names_what_is_wrong():
    mdp = garnet(S=4, A=2, branching=2, gamma=0.9, seed=0)
    with pytest.raises(ValueError, match=r"states\[1\] is 4, outside 0..3"):
        generative_samples(mdp, [0, 4], [0, 0], 3, seed=0)
    with pytest.raises(ValueError, match=r"actions\[0\] is -1"):
        generative_samples(mdp, [0], [-1], 3, seed=0)
    with pytest.raises(ValueError, match="same length"):
        generative_samples(mdp, [0, 1], [0], 3, seed=0)
    with pytest.raises(ValueError, match="n"):
        generative_samples(mdp, [0], [0], 0, seed=0)
    with pytest.raises(ValueError, match="no stages"):
        generative_samples(mdp, [0], [0], 3, seed=0, stage=1)
    linear = simplex_feature_linear_mdp(S=4, A=2, H=2, d=2, seed=0)
    with pytest.raises(ValueError, match="stage is required"):
        generative_samples(linear, [0], [0], 3, seed=0)
    with pytest.raises(ValueError, match="stage"):
        generative_samples(linear, [0], [0], 3, seed=0, stage=2)
    with pytest.raises(ValueError, match="integer array"):
        generative_samples(mdp, [0.5], [0], 3, seed=0)


def test_docstring_examples():
    import doctest

    from mdptheory import generative

    failures, tried = doctest.testmod(generative)
    assert tried > 0 and failures == 0
