"""Tests of ICVaR-RM (Du, Wang, Huang 2023) and its registered checks.

The oracles share no code with the learner: iterated-CVaR values come from a plain recursion with
the sup form of CVaR, and a step-by-step re-implementation of Algorithm 1 (drawing from the same
random stream as the compiled run) must reproduce the executed policies episode by episode.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import cvar_sup_form, episode, property_settings, random_mdp
from hypothesis import given
from hypothesis import strategies as st

from algorithms.registry import make_learner
from algorithms.risk import (
    LEARNERS,
    ICVaRRM,
    bonus_below_h_visits,
    burn_in,
    icvar_rm_log_factor,
    icvar_rm_regret_bound,
)
from mdptheory import EpisodicMDP
from proofs_check.harness import run_check

PROPERTY = property_settings(10)


def icvar_values(P: np.ndarray, R: np.ndarray, alpha: float, policy=None) -> np.ndarray:
    """Iterated-CVaR values (H + 1, S): optimal when ``policy`` is None, else of ``policy``."""
    H, S, A = R.shape
    V = np.zeros((H + 1, S))
    for h in reversed(range(H)):
        for s in range(S):
            q = [R[h, s, a] + cvar_sup_form(V[h + 1], P[s, a], alpha) for a in range(A)]
            V[h, s] = max(q) if policy is None else q[policy[h, s]]
    return V


def reference_icvar_rm(
    mdp: EpisodicMDP, K: int, seed: int, alpha: float, delta: float = 0.05, scale: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Algorithm 1 as printed, one episode at a time; deterministic rewards only."""
    S, A, H = mdp.S, mdp.A, mdp.H
    P, R = mdp.P[0], mdp.R
    rng = np.random.default_rng(seed)
    L = math.log(K * H * S * A / (delta / 5))
    counts = np.zeros((S, A, S))
    policies = np.zeros((K, H, S), dtype=np.int64)
    optimistic = np.zeros(K)
    for k in range(K):
        V = np.zeros((H + 1, S))
        policy = np.zeros((H, S), dtype=np.int64)
        for h in reversed(range(H)):
            for s in range(S):
                q = np.empty(A)
                for a in range(A):
                    n = counts[s, a].sum()
                    if n == 0:
                        q[a] = H
                    else:
                        p_hat = counts[s, a] / n
                        q[a] = min(
                            R[h, s, a]
                            + cvar_sup_form(V[h + 1], p_hat, alpha)
                            + scale * H / alpha * math.sqrt(L / n),
                            H,
                        )
                # The learner's rule: the smallest action within rounding of the best.
                policy[h, s] = int(np.flatnonzero(q >= q.max() - 1e-12 * H)[0])
                V[h, s] = q.max()
        policies[k] = policy
        optimistic[k] = mdp.initial @ V[0]
        for _, s, a, s_next in episode(P, mdp.initial, policy, rng):
            counts[s, a, s_next] += 1
    return policies, optimistic


class TestExactness:
    @PROPERTY
    @given(st.integers(0, 10**6), st.sampled_from([0.05, 0.3, 0.7, 1.0]))
    def test_pseudo_regret_is_exact_for_the_executed_policies(self, seed, alpha):
        mdp = random_mdp(seed, sparse=True)
        trace = ICVaRRM(alpha=alpha, record_policies=True).run(mdp, 30, seed)
        P, R = mdp.P[0], mdp.R
        v_star = mdp.initial @ icvar_values(P, R, alpha)[0]
        expected = np.array(
            [
                v_star - mdp.initial @ icvar_values(P, R, alpha, pi)[0]
                for pi in trace.extras["policies"]
            ]
        )
        assert np.allclose(trace.pseudo_regret, expected, rtol=0, atol=1e-12)
        assert trace.pseudo_regret.min() >= -1e-12
        assert trace.metadata["optimal_value"] == pytest.approx(v_star, abs=1e-12)

    @PROPERTY
    @given(st.integers(0, 10**6), st.sampled_from([0.1, 0.5, 1.0]), st.sampled_from([1.0, 0.05]))
    def test_reproduces_algorithm_1_episode_by_episode(self, seed, alpha, scale):
        mdp = random_mdp(seed, S=3, A=2, H=3, sparse=True)
        K = 40
        trace = ICVaRRM(alpha=alpha, bonus_scale=scale, record_policies=True).run(mdp, K, seed)
        policies, optimistic = reference_icvar_rm(mdp, K, seed, alpha, scale=scale)
        assert np.array_equal(trace.extras["policies"], policies)
        assert np.allclose(trace.extras["optimistic_value"], optimistic, rtol=0, atol=1e-12)

    def test_alpha_one_optimum_is_the_risk_neutral_optimum(self):
        from mdptheory import backward_induction

        mdp = random_mdp(5, sparse=True)
        trace = ICVaRRM(alpha=1.0).run(mdp, 5, 0)
        v_star = mdp.initial @ backward_induction(mdp).values[0]
        assert trace.metadata["optimal_value"] == pytest.approx(v_star, abs=1e-12)

    def test_optimism_holds_with_the_paper_bonus(self):
        trace = ICVaRRM(alpha=0.3).run(random_mdp(1, S=4, A=2, H=4, sparse=True), 300, 1)
        assert trace.extras["optimistic"].all()
        assert (trace.extras["optimism_gap"] >= -1e-9).all()


class TestRun:
    def test_bitwise_reproducible(self):
        mdp = random_mdp(2, S=4, A=3, H=5, sparse=True)
        learner = ICVaRRM(alpha=0.2)
        first = learner.run(mdp, 200, 7)
        second = learner.run(mdp, 200, 7)
        assert np.array_equal(first.pseudo_regret, second.pseudo_regret)
        assert np.array_equal(first.realised_regret, second.realised_regret)
        other = learner.run(mdp, 200, 8)
        assert not np.array_equal(first.realised_regret, other.realised_regret)
        from_sequence = learner.run(mdp, 200, np.random.SeedSequence(7))
        assert np.array_equal(first.pseudo_regret, from_sequence.pseudo_regret)
        generator = learner.run(mdp, 200, np.random.default_rng(7))
        assert np.array_equal(first.pseudo_regret, generator.pseudo_regret)

    def test_trace_and_metadata(self):
        mdp = random_mdp(3, sparse=True, noise="bernoulli")
        trace = ICVaRRM(alpha=0.25, bonus_scale=0.1).run(mdp, 50, 0)
        assert trace.n_episodes == 50
        assert trace.episode_time.shape == (50,) and (trace.episode_time >= 0).all()
        meta = trace.metadata
        assert meta["algorithm"] == "ICVaRRM"
        assert meta["constants"] == "scaled"
        assert meta["label"] == "ICVaR-RM(alpha=0.25) x0.1"
        assert meta["log_factor"] == pytest.approx(icvar_rm_log_factor(3, 2, 4, 50, 0.05))
        assert ICVaRRM().constants == "paper"

    def test_registry(self):
        assert LEARNERS["icvar-rm"] is ICVaRRM
        learner = make_learner("icvar-rm", alpha="0.2", bonus_scale="0.5")
        assert learner == ICVaRRM(alpha=0.2, bonus_scale=0.5)

    def test_bound(self):
        assert icvar_rm_regret_bound(5, 2, 5, 100, 0.3, 0.05, min_visit=1e-7) == pytest.approx(
            icvar_rm_regret_bound(5, 2, 5, 100, 0.3, 0.05)
        )
        with pytest.raises(ValueError, match="min_visit"):
            icvar_rm_regret_bound(5, 2, 5, 100, 0.3, 0.05, min_visit=0.0)

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"alpha": 0.0}, "alpha must lie in"),
            ({"alpha": 1.5}, "alpha must lie in"),
            ({"delta": 1.0}, "delta must lie in"),
            ({"bonus_scale": -1.0}, "bonus_scale"),
        ],
    )
    def test_bad_hyperparameters(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            ICVaRRM(**kwargs)

    def test_bad_models(self):
        learner = ICVaRRM()
        rng = np.random.default_rng(0)
        P = rng.dirichlet(np.ones(2), size=(3, 2, 2))
        with pytest.raises(ValueError, match="stationary kernel"):
            learner.run(EpisodicMDP(P, rng.random((2, 2)), 3), 10, 0)
        with pytest.raises(ValueError, match=r"R\[0, 0, 0\] is 2\.0"):
            learner.run(EpisodicMDP(P[0], np.full((2, 2), 2.0), 3), 10, 0)
        with pytest.raises(ValueError, match="EpisodicMDP"):
            learner.run("model", 10, 0)
        with pytest.raises(ValueError, match="budget"):
            learner.run(random_mdp(0, sparse=True), 0, 0)


def assert_burn_in_is_the_first_count_below(S, A, H, K, delta, alpha, scale, level=None):
    """``bonus_below_h_visits`` is the first count n at which the bonus
    ``scale H / alpha sqrt(L / n)`` is below ``level`` (H when not given, the default), and
    ``burn_in`` is S A times that count."""
    given_level = {} if level is None else {"level": level}
    threshold = H if level is None else level
    n_star = bonus_below_h_visits(H, K, S, A, alpha, delta, scale, **given_level)
    L = icvar_rm_log_factor(S, A, H, K, delta)

    def bonus(n):
        return scale * H / alpha * math.sqrt(L / n)

    assert bonus(n_star) < threshold
    if n_star > 1:
        assert bonus(n_star - 1) >= threshold
    assert burn_in(S, A, H, K, alpha, delta, scale, **given_level) == S * A * n_star


class TestBurnIn:
    def test_documented_values(self):
        # L = log(1e5 * 5 * 5 * 2 / 0.01) = 20.03, n* = floor(L / 0.09) + 1 = 223.
        assert bonus_below_h_visits(5, 100_000, 5, 2, 0.3) == 223
        assert burn_in(5, 2, 5, 100_000, 0.3) == 2230
        assert burn_in(5, 2, 5, 100_000, 0.3, bonus_scale=0.0) == 10

    @pytest.mark.parametrize("alpha, scale", [(0.3, 1.0), (0.05, 0.3), (1.0, 0.01), (0.7, 2.0)])
    def test_bonus_drops_below_h_exactly_at_n_star(self, alpha, scale):
        assert_burn_in_is_the_first_count_below(4, 3, 6, 5000, 0.05, alpha, scale)

    @pytest.mark.parametrize("level", [5.0, 1.0, 0.165, 0.01])
    def test_bonus_drops_below_the_level_exactly_at_n_star(self, level):
        S, A, H, K, delta, alpha, scale = 5, 2, 5, 100_000, 0.05, 0.3, 0.03
        assert_burn_in_is_the_first_count_below(S, A, H, K, delta, alpha, scale, level)
        # level = H is the clip rule; a lower level never shortens the burn-in.
        if level == H:
            assert burn_in(S, A, H, K, alpha, delta, scale, level=level) == burn_in(
                S, A, H, K, alpha, delta, scale
            )
        assert burn_in(S, A, H, K, alpha, delta, scale, level=level) >= burn_in(
            S, A, H, K, alpha, delta, scale, level=H
        )

    def test_greedy_burn_in_ignores_the_level(self):
        assert burn_in(5, 2, 5, 1000, 0.3, bonus_scale=0.0, level=1e-6) == 10

    def test_docstring_examples_run(self):
        import doctest
        import importlib

        module = importlib.import_module("algorithms.risk.burn_in")
        failures, tried = doctest.testmod(module)
        assert tried > 0 and failures == 0

    def test_monotone_in_the_bonus_scale_and_alpha(self):
        scales = [burn_in(5, 2, 5, 10_000, 0.3, bonus_scale=c) for c in (0.01, 0.1, 1.0, 3.0)]
        assert scales == sorted(scales)
        alphas = [burn_in(5, 2, 5, 10_000, a) for a in (1.0, 0.5, 0.1)]
        assert alphas == sorted(alphas)

    @pytest.mark.parametrize(
        "kwargs, match",
        [
            ({"bonus_scale": -0.1}, "bonus_scale"),
            ({"alpha": 0.0}, "alpha"),
            ({"delta": 1.0}, "delta"),
            ({"K": 0}, "K must be an int"),
            ({"S": 2.5}, "S must be an int"),
            ({"level": 0.0}, "level"),
            ({"level": float("nan")}, "level"),
            ({"level": True}, "level"),
        ],
    )
    def test_bad_input(self, kwargs, match):
        args = {"S": 2, "A": 2, "H": 3, "K": 100, "alpha": 0.5} | kwargs
        with pytest.raises(ValueError, match=match):
            burn_in(**args)

    def test_greedy_variant(self):
        greedy = ICVaRRM(alpha=0.3, bonus_scale=0.0)
        assert greedy.constants == "greedy" and greedy.label.endswith("x0")
        trace = greedy.run(random_mdp(4, sparse=True), 20, 0)
        assert trace.metadata["constants"] == "greedy"


def _controls_rejected(result):
    assert result.controls, "a statistical check must run a negative control"
    assert all(c.rejected for c in result.controls), [c.record() for c in result.controls]


def test_slope_check_judges_local_slopes_after_the_burn_in():
    from mdptheory.risk import icvar_max_episode_regret
    from proofs_check.theorems.risk import BURN_IN_FRACTION, C_GRID, _garnet

    result = run_check("du2023-icvar-rm-regret-slope", "quick", seed=0, raise_errors=True)
    _controls_rejected(result)
    fitted = result.evidence.fitted
    K = 100_000
    mdp = _garnet()
    delta_max = icvar_max_episode_regret(mdp, 0.3)
    assert fitted["max_episode_regret_icvar[garnet]"] == delta_max
    # The burn-in judged is the tabular family's rule: the bonus per stage below Delta / H.
    # The first, pre-registered one (bonus below the clip H) is kept for the record.
    for c in C_GRID:
        key = f"c={c:g}"
        burn = burn_in(5, 2, 5, K, 0.3, bonus_scale=c, level=delta_max / 5)
        assert fitted[f"burn_in[{key}]"] == burn
        assert fitted[f"clip_burn_in[{key}]"] == burn_in(5, 2, 5, K, 0.3, bonus_scale=c)
        judged = burn <= BURN_IN_FRACTION * K
        assert (f"{key}: its burn-in" in result.verdict.reason) == (not judged), key
    # At quick scale c = 1, 0.3 and 0.1 are vacuous; c = 0.03 and 0.01 are judged.
    assert fitted["burn_in[c=1]"] > K and fitted["burn_in[c=0.03]"] <= BURN_IN_FRACTION * K
    # The first half-decade windows (steep, 0.6-1.0 for c >= 0.03) lie inside the burn-in.
    for key in ("c=0.03", "c=0.01"):
        assert fitted[f"max_local_ci_low_after_burn_in[{key}]"] <= 0.6
        assert fitted[f"slope_ci_high[{key}]"] <= 0.55
    assert result.status == "pass", result.verdict.reason
    assert result.controls[0].measured["slope_ci_low"] > 0.9  # greedy on H8: linear
    assert result.evidence.local_slopes and result.evidence.burn_in


def test_theorem1_order_is_vacuous_at_quick_scale():
    result = run_check("du2023-icvar-rm-theorem1-order", "quick", seed=0, raise_errors=True)
    _controls_rejected(result)
    assert result.status == "vacuous", result.verdict.reason
    assert result.evidence.fitted["bound_over_HK"] > 1
    assert result.evidence.fitted["informative_from_K"] > 100_000


def test_optimism_reports_the_clipped_fraction_and_rejects_greedy():
    result = run_check("du2023-icvar-rm-optimism", "quick", seed=0, raise_errors=True)
    _controls_rejected(result)
    assert result.status == "pass", result.verdict.reason
    fitted = result.evidence.fitted
    assert 0.0 < fitted["clipped_fraction"] < 1.0
    assert fitted["max_replay_error"] <= 1e-9  # the replay is the learner's own run


def test_replay_reproduces_the_learner():
    from proofs_check.theorems.risk import replay_icvar_rm

    mdp = random_mdp(9, S=3, A=2, H=3, sparse=True)
    trace = ICVaRRM(alpha=0.4, bonus_scale=0.3).run(mdp, 60, 11)
    gaps, clipped = replay_icvar_rm(mdp, 0.4, 0.05, 60, 11, bonus_scale=0.3)
    np.testing.assert_allclose(gaps, trace.extras["optimism_gap"], rtol=0, atol=1e-12)
    assert clipped[0] == 1.0 and clipped[-1] < 1.0
