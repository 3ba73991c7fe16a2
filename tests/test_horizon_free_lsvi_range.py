"""HF-LSVI with the range-scaled uniform variance bound (``range_scaled=True``,
:class:`RangeHFLSVI`): a numpy transcription as oracle, the degenerate case where it must agree
with the learner as first written, optimism, reproducibility, bad input, and the check's
runner on the variant and its per-stage control at quick scale."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hf_lsvi_reference import transcription_constants, variance_level
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.linear import (
    HFLSVI,
    LEARNERS,
    PerStageRangeHFLSVI,
    RangeHFLSVI,
    ScaledHFLSVI,
)
from algorithms.linear.horizon_free_lsvi import hf_levels
from instances.variance_aware import horizon_free_stationary_simplex
from mdptheory.linear import LinearMDP


def range_reference(model: LinearMDP, learner: HFLSVI, states, actions):
    """The pooled range-scaled estimator rebuilt with numpy from all past data every episode,
    along the recorded trajectory: the acting Q, the levels and the variance bounds."""
    K, H, S, A, d, phi, R, L, beta, beta_var = transcription_constants(model, learner, actions)
    ridge, ridge_var = learner.ridges()
    levels = [[] for _ in range(L)]  # (pair, next state) per level
    seen = []  # every observation, unweighted
    out_Q = np.empty((K, H, S, A))
    out_level = np.empty((K, H), dtype=np.int64)
    out_var = np.empty((K, H))

    def gram(items, weight, lam):
        G = lam * np.eye(d)
        for n, _ in items:
            G += weight * np.outer(phi[n], phi[n])
        return G

    def fit(items, weight, lam, target):
        rhs = np.zeros(d)
        for n, s_next in items:
            rhs += weight * phi[n] * target[s_next]
        return np.linalg.solve(gram(items, weight, lam), rhs)

    for k in range(K):
        V = np.zeros((H + 1, S))
        Q = np.empty((H, S, A))
        m1 = np.zeros((H, S * A))
        m2 = np.zeros((H, S * A))
        span = np.zeros(H)
        for h in range(H - 1, -1, -1):
            upper = np.zeros(S * A)
            if h < H - 1:
                bounds = []
                for lv in range(L):
                    w = fit(levels[lv], 4.0**lv, ridge, 1.0 - V[h + 1])
                    inv = np.linalg.inv(gram(levels[lv], 4.0**lv, ridge))
                    width = np.sqrt(np.einsum("nd,de,ne->n", phi, inv, phi))
                    bounds.append(1.0 - phi @ w + beta * width)
                upper = np.clip(np.min(bounds, axis=0), 0.0, 1.0)
                low = V[h + 1].min()
                span[h] = V[h + 1].max() - low
                m1[h] = np.clip(phi @ fit(seen, 1.0, ridge_var, V[h + 1] - low), 0, span[h])
                m2[h] = np.clip(
                    phi @ fit(seen, 1.0, ridge_var, (V[h + 1] - low) ** 2), 0, span[h] ** 2
                )
            Q[h] = np.minimum(R[h] + upper.reshape(S, A), 1.0)
            V[h] = Q[h].max(axis=1)
        out_Q[k] = Q
        G_inv = np.linalg.inv(gram(seen, 1.0, ridge_var))
        new = []
        for h in range(H):
            n = states[k, h] * A + actions[k, h]
            width = math.sqrt(phi[n] @ G_inv @ phi[n])
            per_stage = np.maximum(m2[:, n] - m1[:, n] ** 2, 0.0) + 3 * beta_var * span**2 * width
            v = min(float(per_stage.max()), 1.0)
            lv = variance_level(v, L)
            out_var[k, h], out_level[k, h] = v, lv
            new.append((lv, n, states[k, h + 1]))
        for lv, n, s_next in new:
            levels[lv].append((n, s_next))
            seen.append((n, s_next))
    return out_Q, out_level, out_var


def test_matches_the_numpy_transcription():
    model = horizon_free_stationary_simplex(S=4, A=2, H=4, d=3, seed=2)
    trace = RangeHFLSVI(record_policies=True).run(model, 25, seed=5)
    ex = trace.extras
    Q, level, var = range_reference(model, RangeHFLSVI(), ex["states"], ex["actions"])
    np.testing.assert_allclose(ex["Q"], Q, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(ex["level"], level)
    np.testing.assert_allclose(ex["variance"], var, rtol=0, atol=1e-9)
    assert len(np.unique(level)) > 1  # more than one level is populated


def test_constant_next_values_give_the_top_level_and_span_one_is_the_first_learner():
    """Degenerate cases. (1) H = 2 and a last reward that does not depend on the state: the
    known next values V_1 = r_1 and V_2 = 0 are constant, their span is 0, so every variance
    bound is exactly 0 and every observation enters the top level (the first learner's slack
    keeps them lower). (2) ``range_scaled=False`` is the learner as first written, bit for bit
    (its own transcription test pins it)."""
    phi = np.eye(2).reshape(2, 1, 2)
    mu = np.tile(np.full((2, 2), 0.5), (2, 1, 1))
    theta = np.array([[0.1, 0.4], [0.5, 0.5]])
    model = LinearMDP(phi, mu, theta)
    trace = RangeHFLSVI().run(model, budget=10, seed=0)
    assert (trace.extras["variance"] == 0.0).all()
    assert (trace.extras["level"] == hf_levels(2) - 1).all()
    assert (ScaledHFLSVI().run(model, budget=10, seed=0).extras["variance"] > 0.0).all()
    model = horizon_free_stationary_simplex(S=5, A=2, H=6, d=3, seed=4)
    a = ScaledHFLSVI().run(model, 40, seed=1)
    b = RangeHFLSVI(range_scaled=False).run(model, 40, seed=1)
    assert np.array_equal(a.pseudo_regret, b.pseudo_regret)
    assert np.array_equal(a.extras["variance"], b.extras["variance"])


@settings(max_examples=8, deadline=None)
@given(
    S=st.integers(2, 5),
    A=st.integers(1, 3),
    H=st.integers(2, 8),
    d=st.integers(1, 4),
    seed=st.integers(0, 10**6),
)
def test_paper_radius_stays_optimistic_and_in_range(S, A, H, d, seed):
    """With the paper-form radius c = c_var = 1 the range-scaled learner's Q is above Q* in
    every episode; its levels, variance bounds and pseudo-regret stay in their ranges."""
    model = horizon_free_stationary_simplex(S=S, A=A, H=H, d=d, seed=seed)
    trace = HFLSVI(range_scaled=True, record_policies=True).run(model, 15, seed=seed)
    assert trace.extras["optimistic"].all()
    level, var = trace.extras["level"], trace.extras["variance"]
    assert level.min() >= 0 and level.max() < hf_levels(H)
    assert (var >= 0.0).all() and (var <= 1.0).all()
    assert (trace.pseudo_regret >= -1e-12).all()


def test_scaled_variant_loses_optimism_by_a_small_margin_where_the_first_learner_does_not():
    """Recorded finding (docs/variance_aware.md): at the scaled radii c = c_var = 0.03 the
    range-scaled bound puts data in the top level while the next values are still nearly flat,
    and those observations are reused later for values of larger span; on this small model
    the variant is below Q* in 157 of 200 episodes (by at most 0.003) and the first learner
    in none, although the variant's regret is lower (0.22 against 0.63)."""
    model = horizon_free_stationary_simplex(S=5, A=2, H=6, d=3, seed=0)
    first = ScaledHFLSVI().run(model, 200, seed=0)
    trace = RangeHFLSVI().run(model, 200, seed=0)
    assert first.extras["optimistic"].all()
    lost = ~trace.extras["optimistic"]
    assert 100 < lost.sum() < 200 and trace.extras["optimism_gap"].min() > -0.01
    assert trace.cumulative[-1] < 0.5 * first.cumulative[-1]
    assert trace.extras["level"].max() == hf_levels(6) - 1


def test_bad_input_and_registration():
    with pytest.raises(ValueError, match=r"range_scaled must be a bool, got 'yes'"):
        HFLSVI(range_scaled="yes")
    with pytest.raises(ValueError, match="c_var"):
        RangeHFLSVI(c_var=-0.1)
    unnormalised = horizon_free_stationary_simplex(S=4, A=2, H=3, d=2, seed=0)
    unnormalised = LinearMDP(unnormalised.phi, unnormalised.mu, unnormalised.theta * 3.0)
    with pytest.raises(ValueError, match=r"total reward <= 1"):
        RangeHFLSVI().run(unnormalised, 5, seed=0)
    assert LEARNERS["hf-lsvi-range"] is RangeHFLSVI
    assert LEARNERS["hf-lsvi-range-per-stage"] is PerStageRangeHFLSVI
    trace = RangeHFLSVI().run(horizon_free_stationary_simplex(S=4, A=2, H=5, d=2), 5, seed=0)
    assert trace.metadata["range_scaled"] is True and trace.metadata["verified"] is False


@pytest.mark.slow
def test_check_runner_on_the_variant_passes_but_its_per_stage_control_is_not_rejected():
    """The check's own runner and criterion at quick scale (docs/variance_aware.md): the
    range-scaled learner's regret at K falls with H (mean 0.29, 0.21, 0.13, 0.10 at H =
    8..64), but the same estimators kept per stage are nearly flat as well (1.21 .. 1.54,
    slope 0.12), so that control is not rejected; the registered check keeps its subject."""
    from proofs_check.theorems.variance_aware_hf import flat_in_horizon

    out = flat_in_horizon(
        "quick",
        0,
        subjects=(RangeHFLSVI(),),
        controls=(("per-stage range-scaled", PerStageRangeHFLSVI()),),
    )
    assert out.verdict.status == "pass", out.verdict.reason
    regret = out.evidence.arrays["regret[HF-LSVI-range c=0.03 c_var=0.03]"].mean(axis=0)
    assert (np.diff(regret) < 0).all()
    assert len(out.controls) == 1 and not out.controls[0].rejected
