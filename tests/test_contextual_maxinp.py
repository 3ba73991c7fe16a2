"""Contextual MaxInP and the contextual Bradley–Terry bandit: exact regret oracle, invariants,
reproducibility, bad input, registration, and its regret check."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_quick_pass
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.preferences import LEARNERS
from algorithms.preferences.contextual import ContextualMaxInP
from algorithms.registry import make_learner
from instances.preferences import contextual_bt_bandit
from instances.registry import make
from mdptheory.preferences.contextual import ContextualPreferenceBandit
from proofs_check.harness import get

SMALL = contextual_bt_bandit(contexts=3, K=4, d=2, seed=2)


def test_registered_learner_and_instance():
    assert LEARNERS["contextual-maxinp"] is ContextualMaxInP
    assert make_learner("contextual-maxinp", c="0.3") == ContextualMaxInP(c=0.3)
    built, direct = make("contextual_bt_bandit", seed="3"), contextual_bt_bandit(seed=3)
    assert built.name == direct.name
    np.testing.assert_array_equal(built.contexts, direct.contexts)
    np.testing.assert_array_equal(built.theta, direct.theta)


def test_instance_geometry():
    bandit = contextual_bt_bandit(contexts=20, K=6, d=4, radius=0.5, seed=1)
    assert bandit.shape == (20, 6, 4)
    assert np.linalg.norm(bandit.theta) == pytest.approx(1.0, abs=1e-12)
    assert np.linalg.norm(bandit.contexts, axis=2).max() <= 0.5
    assert np.abs(bandit.utilities).max() <= 0.5
    P = bandit.preferences(3)
    np.testing.assert_allclose(P + P.T, 1.0, atol=0)


def test_pseudo_regret_is_exact_pair_regret_in_its_context():
    """Oracle written here from the definitions: gaps of the round's context by brute force."""
    trace = ContextualMaxInP(c=0.3).run(SMALL, budget=300, seed=2)
    ctx = trace.extras["context"].astype(int)
    i, j = trace.extras["arm0"], trace.extras["arm1"]
    expected = [
        0.5
        * (
            2 * max(SMALL.contexts[c] @ SMALL.theta)
            - SMALL.contexts[c, a] @ SMALL.theta
            - SMALL.contexts[c, b] @ SMALL.theta
        )
        for c, a, b in zip(ctx, i, j, strict=True)
    ]
    np.testing.assert_allclose(trace.pseudo_regret, expected, atol=1e-15)
    np.testing.assert_array_equal(trace.realised_regret, trace.pseudo_regret)
    # every context is visited, roughly uniformly
    assert np.bincount(ctx, minlength=3).min() > 60


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["maxinp", "uniform", "greedy"]))
def test_invariants(seed, rule):
    """Exploration pairs are distinct; |C_t| in [1, K]; outcomes are labels; regret in
    [0, the largest gap of the round's context]."""
    trace = ContextualMaxInP(c=0.3, explore=5, rule=rule).run(SMALL, budget=60, seed=seed)
    a0, a1 = trace.extras["arm0"], trace.extras["arm1"]
    ctx = trace.extras["context"].astype(int)
    assert np.all(a0[:5] != a1[:5])
    if rule != "maxinp":
        assert np.all(a0 != a1)
    active = trace.extras["active"]
    assert np.all((active >= 1) & (active <= SMALL.shape[1]))
    assert set(np.unique(trace.extras["outcome"])) <= {0.0, 1.0}
    assert np.all(trace.pseudo_regret >= 0)
    assert np.all(trace.pseudo_regret <= SMALL.gaps.max(axis=1)[ctx] + 1e-15)


def test_reproducible():
    a = ContextualMaxInP(c=0.3).run(SMALL, budget=200, seed=5)
    b = ContextualMaxInP(c=0.3).run(SMALL, budget=200, seed=5)
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    np.testing.assert_array_equal(a.extras["outcome"], b.extras["outcome"])
    c = ContextualMaxInP(c=0.3).run(SMALL, budget=200, seed=6)
    assert not np.array_equal(a.extras["context"], c.extras["context"])


def test_metadata_has_no_memory_address():
    """Two equal instances built apart give the same metadata (a repr without an id)."""
    learner = ContextualMaxInP(c=0.3)
    a = learner.run(contextual_bt_bandit(contexts=3, K=4, d=2, seed=2), budget=20, seed=5)
    b = learner.run(contextual_bt_bandit(contexts=3, K=4, d=2, seed=2), budget=20, seed=5)
    assert a.metadata == b.metadata
    assert "0x" not in a.metadata["instance_repr"]


def test_bad_input():
    with pytest.raises(ValueError, match="rule"):
        ContextualMaxInP(rule="random")
    with pytest.raises(ValueError, match="delta"):
        ContextualMaxInP(delta=1.0)
    with pytest.raises(ValueError, match="ContextualPreferenceBandit"):
        ContextualMaxInP().run(np.eye(2), budget=10)
    with pytest.raises(ValueError, match="probit"):
        ContextualMaxInP().run(
            ContextualPreferenceBandit(SMALL.contexts, SMALL.theta, link="probit"), 10
        )
    with pytest.raises(ValueError, match="budget"):
        ContextualMaxInP().run(SMALL, budget=0)
    with pytest.raises(ValueError, match="K >= 2"):
        ContextualPreferenceBandit(np.ones((2, 1, 3)), np.ones(3))
    with pytest.raises(ValueError, match="theta has shape"):
        ContextualPreferenceBandit(np.ones((2, 2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="contexts"):
        contextual_bt_bandit(contexts=0)


@pytest.mark.slow
def test_regret_check_passes_with_its_controls_rejected():
    assert_quick_pass("saha2021-contextual-maxinp-regret-slope", controls=2)
    theorem = get("saha2021-contextual-maxinp-regret-slope")
    assert theorem.verified is False and "contextual" in theorem.tags
