"""Tests of mdptheory.risk: exact CVaR, return distributions, iterated and static CVaR optima.

The oracles share no code with the module under test: CVaR by the "sup form" over atoms (no
sorting) or the Rockafellar-Uryasev LP, iterated-CVaR values by a plain recursion over states,
return distributions by enumerating every state path, and optima by brute force over policies.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import cvar_sup_form, property_settings
from episodic_oracles import stage_kernel
from hypothesis import assume, given
from hypothesis import strategies as st

from mdptheory import EpisodicMDP, Solution, backward_induction
from mdptheory.evaluation import evaluate
from mdptheory.risk import (
    ICVaRSolution,
    ReturnDistribution,
    cvar,
    cvar_backup,
    cvar_lp,
    cvar_weights,
    distributional_bellman,
    icvar_backward_induction,
    icvar_evaluate,
    icvar_max_episode_regret,
    project_onto_grid,
    return_distribution,
    static_cvar_optimum,
    var,
    worst_path_backup,
    worst_path_backward_induction,
    worst_path_evaluate,
)
from proofs_check.harness import registered, run_check
from proofs_check.strategies import episodic_mdps
from proofs_check.theorems.risk import (
    brute_force_static_cvar,
    lucky_start_instance,
    random_tiny_mdp,
)

PROPERTY = property_settings(30)
SLOW_PROPERTY = property_settings(8)


# --------------------------------------------------------------------------------------------
# Independent oracles
# --------------------------------------------------------------------------------------------


def quantile(values, probabilities, alpha: float) -> float:
    """VaR by its definition min{x : F(x) >= alpha}, F evaluated at every atom."""
    v = np.asarray(values, dtype=float)
    p = np.asarray(probabilities, dtype=float)
    candidates = [x for x in np.unique(v[p > 0]) if p[v <= x].sum() >= alpha - 1e-15]
    return float(min(candidates))


def icvar_value(mdp: EpisodicMDP, policy: np.ndarray, alpha: float) -> np.ndarray:
    """Iterated-CVaR values (H + 1, S) of a deterministic policy, state by state, sup form."""
    V = np.zeros((mdp.H + 1, mdp.S))
    for h in reversed(range(mdp.H)):
        P = stage_kernel(mdp, h)
        for s in range(mdp.S):
            a = policy[h, s]
            V[h, s] = mdp.R[h, s, a] + cvar_sup_form(V[h + 1], P[s, a], alpha)
    return V


def worst_value(mdp: EpisodicMDP, policy: np.ndarray) -> np.ndarray:
    V = np.zeros((mdp.H + 1, mdp.S))
    for h in reversed(range(mdp.H)):
        P = stage_kernel(mdp, h)
        for s in range(mdp.S):
            a = policy[h, s]
            V[h, s] = mdp.R[h, s, a] + min(V[h + 1, t] for t in range(mdp.S) if P[s, a, t] > 0)
    return V


def all_policies(mdp: EpisodicMDP):
    for flat in itertools.product(range(mdp.A), repeat=mdp.H * mdp.S):
        yield np.array(flat, dtype=np.int64).reshape(mdp.H, mdp.S)


def path_distribution(mdp: EpisodicMDP, policy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns and probabilities of every (state, action, reward) path; policy (H, S, A)."""
    atoms, probs = [], []

    def reward_atoms(mean):
        if mdp.noise.kind == "bernoulli":
            return [(0.0, 1.0 - mean), (1.0, mean)]
        return [(mean, 1.0)]

    def walk(h, s, total, prob):
        if h == mdp.H:
            atoms.append(total)
            probs.append(prob)
            return
        P = stage_kernel(mdp, h)
        for a in range(mdp.A):
            if policy[h, s, a] == 0:
                continue
            for r, pr in reward_atoms(mdp.R[h, s, a]):
                if pr == 0:
                    continue
                for t in range(mdp.S):
                    if P[s, a, t] > 0:
                        walk(h + 1, t, total + r, prob * policy[h, s, a] * pr * P[s, a, t])

    for s in range(mdp.S):
        if mdp.initial[s] > 0:
            walk(0, s, 0.0, mdp.initial[s])
    return np.array(atoms), np.array(probs)


@st.composite
def distributions(draw, max_atoms: int = 12):
    n = draw(st.integers(1, max_atoms))
    grid = draw(st.booleans())
    if grid:
        values = draw(st.lists(st.integers(-3, 3), min_size=n, max_size=n))
        values = np.asarray(values, dtype=float) / 2.0
    else:
        values = np.asarray(
            draw(st.lists(st.floats(-10, 10, allow_nan=False), min_size=n, max_size=n))
        )
    weights = np.asarray(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    weights[0] += 1e-3 if weights.sum() == 0 else 0.0
    return values, weights / weights.sum()


alphas = st.one_of(
    st.sampled_from([1.0, 0.5, 0.25, 0.1, 1e-3]), st.floats(1e-4, 1.0, exclude_min=False)
)


# --------------------------------------------------------------------------------------------
# CVaR of a discrete distribution
# --------------------------------------------------------------------------------------------


class TestCVaR:
    @PROPERTY
    @given(distributions(), alphas)
    def test_sort_equals_sup_form_and_weights(self, dist, alpha):
        v, p = dist
        value = cvar(v, p, alpha)
        scale = 1.0 + np.abs(v).max()
        assert abs(value - cvar_sup_form(v, p, alpha)) <= 1e-12 * scale
        q = cvar_weights(v, p, alpha)
        assert abs(q @ v - value) <= 1e-12 * scale
        # q lies in the risk envelope {0 <= q <= p / alpha, sum q = 1}.
        assert np.all(q >= 0) and np.all(q <= p / alpha + 1e-12)
        assert abs(q.sum() - 1.0) <= 1e-12

    @SLOW_PROPERTY
    @given(distributions(max_atoms=8), alphas)
    def test_sort_equals_rockafellar_uryasev_lp(self, dist, alpha):
        v, p = dist
        assert abs(cvar(v, p, alpha) - cvar_lp(v, p, alpha)) <= 1e-9

    @PROPERTY
    @given(distributions(), st.floats(1e-4, 1.0), st.floats(1e-4, 1.0))
    def test_monotone_in_alpha(self, dist, a1, a2):
        v, p = dist
        low, high = sorted((a1, a2))
        assert cvar(v, p, low) <= cvar(v, p, high) + 1e-12 * (1 + np.abs(v).max())

    @PROPERTY
    @given(distributions())
    def test_alpha_one_is_mean_and_small_alpha_is_min(self, dist):
        v, p = dist
        assert abs(cvar(v, p, 1.0) - v @ p) <= 1e-12 * (1 + np.abs(v).max())
        low = v[p > 0].min()
        p_low = p[v == low].sum()
        assert cvar(v, p, p_low) == low
        if p_low / 2 > 0:
            assert cvar(v, p, p_low / 2) == low

    @PROPERTY
    @given(distributions(), alphas)
    def test_var_is_the_quantile_and_bounds_cvar(self, dist, alpha):
        v, p = dist
        q = var(v, p, alpha)
        # q is an alpha-quantile: F(q) >= alpha > F(q-), up to the rounding of the sums (exactly
        # at the boundary the two sides of the definition are a matter of the last ulp).
        assert q in v[p > 0]
        assert p[v <= q].sum() >= alpha - 1e-12
        assert p[v < q].sum() <= alpha + 1e-12
        if abs(p[v < q].sum() - alpha) > 1e-12:
            assert q == quantile(v, p, alpha)
        assert cvar(v, p, alpha) <= q + 1e-12 * (1 + abs(q))

    def test_known_values(self):
        assert cvar([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 0.5) == pytest.approx(0.6, abs=1e-15)
        assert var([0.0, 1.0, 2.0], [0.2, 0.3, 0.5], 0.5) == 1.0
        assert cvar([3.0], [1.0], 0.01) == 3.0
        # Ties and zero probabilities change nothing.
        assert cvar([1.0, 0.0, 0.0, 5.0], [0.5, 0.25, 0.25, 0.0], 0.5) == 0.0

    def test_reproducible_bitwise(self):
        rng = np.random.default_rng(3)
        v, p = rng.normal(size=50), rng.dirichlet(np.ones(50))
        first = [cvar(v, p, a) for a in np.linspace(0.01, 1, 50)]
        second = [cvar(v.copy(), p.copy(), a) for a in np.linspace(0.01, 1, 50)]
        assert first == second

    @pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5, float("nan"), True, "a"])
    def test_bad_alpha_names_the_value(self, alpha):
        with pytest.raises(ValueError, match="alpha must") as info:
            cvar([0.0, 1.0], [0.5, 0.5], alpha)
        assert repr(alpha) in str(info.value)

    def test_bad_probabilities_name_the_value(self):
        with pytest.raises(ValueError, match=r"sum to 0\.9"):
            cvar([0.0, 1.0], [0.5, 0.4], 0.5)
        with pytest.raises(ValueError, match=r"probabilities\[1\] is -0\.5"):
            cvar([0.0, 1.0, 2.0], [1.0, -0.5, 0.5], 0.5)
        with pytest.raises(ValueError, match="shape"):
            cvar([0.0, 1.0], [1.0], 0.5)
        with pytest.raises(ValueError, match=r"values\[0\] is"):
            var([np.inf, 1.0], [0.5, 0.5], 0.5)
        with pytest.raises(ValueError, match="at least one atom"):
            cvar([], [], 0.5)

    @PROPERTY
    @given(st.integers(1, 6), st.integers(1, 4), st.integers(0, 10**6), alphas)
    def test_backup_equals_row_by_row(self, S, rows, seed, alpha):
        rng = np.random.default_rng(seed)
        P = rng.random((rows, 2, S)) * (rng.random((rows, 2, S)) < 0.6)
        P[P.sum(axis=-1) == 0, 0] = 1.0
        P /= P.sum(axis=-1, keepdims=True)
        V = rng.integers(0, 3, size=S) / 2.0 if seed % 2 else rng.normal(size=S)
        out = cvar_backup(P, V, alpha)
        worst = worst_path_backup(P, V)
        assert out.shape == (rows, 2)
        for i, j in np.ndindex(rows, 2):
            assert abs(out[i, j] - cvar_sup_form(V, P[i, j], alpha)) <= 1e-12 * (1 + abs(V).max())
            assert worst[i, j] == V[P[i, j] > 0].min()

    def test_backup_bad_input(self):
        with pytest.raises(ValueError, match=r"P\[1, :\] sums to 0\.5"):
            cvar_backup(np.array([[1.0, 0.0], [0.25, 0.25]]), np.zeros(2), 0.5)
        with pytest.raises(ValueError, match="last axis"):
            cvar_backup(np.ones((2, 3)) / 3, np.zeros(2), 0.5)
        with pytest.raises(ValueError, match="alpha must lie in"):
            cvar_backup(np.ones((1, 2)) / 2, np.zeros(2), 2.0)


# --------------------------------------------------------------------------------------------
# Return distributions
# --------------------------------------------------------------------------------------------


class TestReturnDistribution:
    @PROPERTY
    @given(episodic_mdps(max_states=3, max_actions=2, max_horizon=3), st.data())
    def test_exact_equals_path_enumeration(self, mdp, data):
        noise = data.draw(st.sampled_from([None, "bernoulli"]))
        mdp = EpisodicMDP(
            mdp.P if mdp.P.shape[0] > 1 else mdp.P[0],
            mdp.R,
            mdp.H,
            initial=mdp.initial,
            noise=noise,
        )
        if data.draw(st.booleans()):
            flat = data.draw(
                st.lists(st.integers(0, mdp.A - 1), min_size=mdp.H * mdp.S, max_size=mdp.H * mdp.S)
            )
            policy = np.array(flat, dtype=np.int64).reshape(mdp.H, mdp.S)
            one_hot = np.eye(mdp.A)[policy]
        else:
            rng = np.random.default_rng(data.draw(st.integers(0, 10**6)))
            policy = one_hot = rng.dirichlet(np.ones(mdp.A), size=(mdp.H, mdp.S))
        d = return_distribution(mdp, policy)
        atoms, probs = path_distribution(mdp, one_hot)
        # Returns that differ by more than rounding but less than the 1e-9 matching window
        # below would be matched to two atoms at once: keep such draws out.
        gaps = np.diff(np.sort(atoms[probs > 0]))
        assume(not np.any((gaps > 1e-12) & (gaps < 1e-8)))
        for x, p in zip(d.atoms, d.probabilities, strict=True):
            assert abs(probs[np.abs(atoms - x) <= 1e-9].sum() - p) <= 1e-12
        assert abs(d.probabilities.sum() - 1.0) <= 1e-12
        assert abs(d.mean() - mdp.initial @ evaluate(mdp, policy)[0]) <= 1e-12
        for alpha in (0.1, 0.5):
            assert abs(d.cvar(alpha) - cvar_sup_form(atoms, probs / probs.sum(), alpha)) <= 1e-12

    @PROPERTY
    @given(episodic_mdps(max_states=3, max_actions=2, max_horizon=4), st.integers(0, 10**6))
    def test_grid_keeps_the_mean(self, mdp, seed):
        rng = np.random.default_rng(seed)
        policy = rng.integers(0, mdp.A, size=(mdp.H, mdp.S))
        d = return_distribution(mdp, policy, grid=4 * mdp.H + 10)
        assert not d.exact
        assert abs(d.mean() - mdp.initial @ evaluate(mdp, policy)[0]) <= 1e-12

    def test_gaussian_needs_a_grid(self):
        mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=3, noise=("gaussian", 0.1))
        policy = np.zeros((3, 2), dtype=int)
        with pytest.raises(ValueError, match="grid"):
            return_distribution(mdp, policy)
        d = return_distribution(mdp, policy, grid=101)
        assert abs(d.mean() - mdp.initial @ evaluate(mdp, policy)[0]) <= 1e-12
        with pytest.raises(ValueError, match="more than 2 H"):
            return_distribution(mdp, policy, grid=5)

    def test_bellman_operator_one_stage(self):
        P = np.array([[[0.25, 0.75]], [[0.0, 1.0]]])
        mdp = EpisodicMDP(P, [[0.5], [1.0]], H=2)
        Z_next = [
            ReturnDistribution.from_atoms([0.0, 2.0], [0.5, 0.5]),
            ReturnDistribution.point(1.0),
        ]
        Z = distributional_bellman(mdp, np.zeros((2, 2), dtype=int), 0, Z_next)
        assert Z[0].atoms.tolist() == [0.5, 1.5, 2.5]
        assert Z[0].probabilities.tolist() == [0.125, 0.75, 0.125]
        assert Z[1].atoms.tolist() == [2.0]
        grid = np.linspace(0.0, 4.0, 9)
        Zg = np.stack([project_onto_grid(d.atoms, d.probabilities, grid) for d in Z_next])
        out = distributional_bellman(mdp, np.zeros((2, 2), dtype=int), 0, Zg, grid=grid)
        assert np.allclose(out[0], project_onto_grid(Z[0].atoms, Z[0].probabilities, grid))

    def test_projection_preserves_mean_inside_the_range(self):
        grid = np.array([0.0, 1.0, 3.0])
        p = project_onto_grid([0.5, 2.0, 3.0], [0.2, 0.3, 0.5], grid)
        assert p.sum() == pytest.approx(1.0)
        assert p @ grid == pytest.approx(0.5 * 0.2 + 2.0 * 0.3 + 3.0 * 0.5)

    def test_bad_input(self):
        mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=2)
        with pytest.raises(ValueError, match=r"policy\[0, 1\] is 3"):
            return_distribution(mdp, np.array([[0, 3], [0, 0]]))
        with pytest.raises(ValueError, match="sums to"):
            return_distribution(mdp, np.full((2, 2, 1), 0.5))
        with pytest.raises(ValueError, match="strictly increasing"):
            ReturnDistribution(np.array([1.0, 0.0]), np.array([0.5, 0.5]))
        with pytest.raises(ValueError, match="strictly increasing"):
            project_onto_grid([0.0], [1.0], [0.0, 0.0])


# --------------------------------------------------------------------------------------------
# Iterated CVaR
# --------------------------------------------------------------------------------------------


class TestIteratedCVaR:
    @PROPERTY
    @given(episodic_mdps(max_states=3, max_actions=2, max_horizon=3), alphas)
    def test_dp_equals_brute_force_over_markov_policies(self, mdp, alpha):
        sol = icvar_backward_induction(mdp, alpha)
        assert isinstance(sol, ICVaRSolution) and isinstance(sol, Solution)
        best = np.full((mdp.H, mdp.S), -np.inf)
        if mdp.A ** (mdp.H * mdp.S) <= 4096:
            for pi in all_policies(mdp):
                best = np.maximum(best, icvar_value(mdp, pi, alpha)[:-1])
            # The DP's policy is optimal from every stage and state at once.
            assert np.allclose(sol.values, best, rtol=0, atol=1e-12)
        assert np.allclose(
            sol.policy_values, icvar_value(mdp, sol.policy, alpha)[:-1], rtol=0, atol=1e-12
        )
        assert np.allclose(sol.values, sol.policy_values, rtol=0, atol=1e-12)

    @PROPERTY
    @given(episodic_mdps(max_states=3, max_actions=2, max_horizon=3), alphas)
    def test_max_episode_regret_equals_brute_force(self, mdp, alpha):
        # The largest iterated-CVaR regret of an episode: best minus worst rho @ V^pi_1 over
        # every deterministic Markov policy, each evaluated by the sup-form oracle.
        if mdp.A ** (mdp.H * mdp.S) > 4096:
            return
        starts = [float(mdp.initial @ icvar_value(mdp, pi, alpha)[0]) for pi in all_policies(mdp)]
        expected = max(starts) - min(starts)
        assert abs(icvar_max_episode_regret(mdp, alpha) - expected) <= 1e-12

    @PROPERTY
    @given(episodic_mdps(max_states=4, max_actions=3, max_horizon=4))
    def test_max_episode_regret_at_alpha_one_is_the_mean_range(self, mdp):
        from mdptheory.evaluation import max_episode_regret

        assert abs(icvar_max_episode_regret(mdp, 1.0) - max_episode_regret(mdp)) <= 1e-12

    def test_max_episode_regret_may_exceed_the_mean_range(self):
        # A sure road and a road that crashes with probability eps: the mean range is eps, the
        # CVaR range eps / alpha (alpha >= eps), so the mean range does not bound the CVaR one.
        from mdptheory.evaluation import max_episode_regret

        eps, alpha = 0.05, 0.25
        P = np.zeros((3, 2, 3))
        P[0, 0, 1], P[0, 1, 1], P[0, 1, 2] = 1.0, 1.0 - eps, eps
        P[1:, :, 1:] = np.eye(2)[:, None, :]
        R = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
        mdp = EpisodicMDP(P, R, H=3, initial=[1, 0, 0])
        assert max_episode_regret(mdp) == pytest.approx(2 * eps, abs=1e-12)
        assert icvar_max_episode_regret(mdp, alpha) == pytest.approx(2 * eps / alpha, abs=1e-12)

    @PROPERTY
    @given(episodic_mdps(max_states=4, max_actions=3, max_horizon=4), st.integers(0, 10**6), alphas)
    def test_evaluate_matches_oracle(self, mdp, seed, alpha):
        policy = np.random.default_rng(seed).integers(0, mdp.A, size=(mdp.H, mdp.S))
        assert np.allclose(
            icvar_evaluate(mdp, policy, alpha),
            icvar_value(mdp, policy, alpha)[:-1],
            rtol=0,
            atol=1e-12,
        )
        assert np.array_equal(worst_path_evaluate(mdp, policy), worst_value(mdp, policy)[:-1])

    @PROPERTY
    @given(episodic_mdps(max_states=4, max_actions=3, max_horizon=4))
    def test_limits(self, mdp):
        mean = backward_induction(mdp).values
        assert np.allclose(icvar_backward_induction(mdp, 1.0).values, mean, rtol=0, atol=1e-12)
        P = mdp.dense_P()
        p_min = float(P[P > 0].min())
        worst = worst_path_backward_induction(mdp)
        assert worst.alpha == 0.0 and worst.objective == "worst-path"
        assert np.array_equal(icvar_backward_induction(mdp, p_min).values, worst.values)
        values = [
            mdp.initial @ icvar_backward_induction(mdp, a).values[0] for a in (p_min, 0.3, 0.6, 1.0)
        ]
        assert all(x <= y + 1e-12 for x, y in itertools.pairwise(values))

    def test_risk_averse_policy_differs_from_mean_optimal(self):
        from instances.risk import safe_vs_risky_route

        mdp = safe_vs_risky_route()
        assert icvar_backward_induction(mdp, 0.1).policy[0, 0] == 0  # safe road
        assert backward_induction(mdp).policy[0, 0] == 1  # risky road

    def test_bad_input(self):
        mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=2)
        with pytest.raises(ValueError, match="alpha must lie in"):
            icvar_backward_induction(mdp, 0.0)
        with pytest.raises(ValueError, match="deterministic policies"):
            icvar_evaluate(mdp, np.full((2, 2, 1), 1.0), 0.5)
        with pytest.raises(ValueError, match="shape"):
            icvar_evaluate(mdp, np.zeros((3, 2), dtype=int), 0.5)
        with pytest.raises(ValueError, match="EpisodicMDP"):
            icvar_backward_induction("not an mdp", 0.5)


# --------------------------------------------------------------------------------------------
# Static CVaR by augmentation
# --------------------------------------------------------------------------------------------


class TestStaticCVaR:
    @PROPERTY
    @given(episodic_mdps(max_states=2, max_actions=2, max_horizon=3), alphas)
    def test_equals_brute_force_over_history_dependent_policies(self, mdp, alpha):
        sol = static_cvar_optimum(mdp, alpha)
        brute, _ = brute_force_static_cvar(mdp, alpha)
        assert abs(sol.value - brute) <= 1e-12 * (1 + abs(brute))
        assert abs(sol.policy_value - sol.value) <= 1e-12 * (1 + abs(brute))

    @PROPERTY
    @given(episodic_mdps(max_states=3, max_actions=2, max_horizon=3))
    def test_alpha_one_is_risk_neutral(self, mdp):
        sol = static_cvar_optimum(mdp, 1.0)
        assert abs(sol.value - mdp.initial @ backward_induction(mdp).values[0]) <= 1e-12

    def test_augmentation_beats_markov_on_lucky_start(self):
        mdp = lucky_start_instance()
        sol = static_cvar_optimum(mdp, 0.6)
        assert sol.value == pytest.approx(0.75, abs=1e-12)
        assert sol.threshold == 1.5
        merge = 2
        assert sol.act(1, merge, 0.0) == 1  # unlucky start: gamble
        assert sol.act(1, merge, 1.0) == 0  # lucky start: play safe
        markov, _ = brute_force_static_cvar(mdp, 0.6, markov=True)
        assert markov == pytest.approx(2 / 3, abs=1e-12)

    def test_gaussian_rejected(self):
        mdp = EpisodicMDP(np.ones((1, 1, 1)), [[0.5]], H=2, noise=("gaussian", 0.1))
        with pytest.raises(ValueError, match="Gaussian"):
            static_cvar_optimum(mdp, 0.5)


# --------------------------------------------------------------------------------------------
# Registered checks at quick scale (the ICVaR-RM ones are in test_icvar_rm.py)
# --------------------------------------------------------------------------------------------

LEARNER_TAGS = {"regret", "optimism"}
CORE_CHECKS = [t.id for t in registered("risk") if not LEARNER_TAGS & set(t.tags)]


@pytest.mark.parametrize("check_id", CORE_CHECKS)
def test_registered_check_passes_at_quick_scale(check_id):
    result = run_check(check_id, "quick", seed=0, raise_errors=True)
    assert result.status == "pass", result.verdict.reason
    assert result.theorem.kind == "exact" and result.theorem.source and result.theorem.rule


def test_every_risk_check_declares_kind_and_source():
    for t in registered("risk"):
        assert t.kind is not None and t.source.strip() and t.rule.strip(), t.id


def test_brute_force_icvar_evaluation_is_independent_and_exact():
    from proofs_check.theorems.risk import icvar_evaluate_sup_form

    rng = np.random.default_rng(3)
    for _ in range(20):
        mdp = random_tiny_mdp(rng)
        alpha = float(rng.uniform(0.05, 1.0))
        pi = rng.integers(0, mdp.A, size=(mdp.H, mdp.S))
        np.testing.assert_allclose(
            icvar_evaluate_sup_form(mdp, pi, alpha),
            icvar_evaluate(mdp, pi, alpha),
            rtol=0,
            atol=1e-12,
        )
