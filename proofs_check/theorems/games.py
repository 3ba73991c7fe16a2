"""Checks of multi-agent PPO on cooperative Markov games: Zhao, Yang, Wang, Lee (ICML 2023),
arXiv:2305.04819 (only the abstract was read; the formulas are recalled, theory-wave2.md 5.2).

* ``zhao2023-multi-agent-pdl``: the multi-agent performance-difference identity holds to 1e-10
  on random cooperative games, discounted and episodic, for product and sequential local
  policies. Control: the right-hand side weighted by the *old* policy's occupancy (the
  single-agent lemma's other order), the same tolerance.
* ``zhao2023-mappo-monotone``: exact MAPPO with sequential local updates never decreases the
  joint return, at every iteration, for every step of a fixed grid. Control: MAPPO ascending
  ``1 - r`` (the update's sign flipped), judged on ``r`` by the same criterion.
* ``zhao2023-mappo-global-optimality``: exact MAPPO's global sub-optimality on coordination games
  (climbing and penalty games over states) decays with every local log-log slope <= -1/2 after
  the burn-in and on the tail, down to the float64 floor. Control: independent per-agent softmax
  PG, which stalls at the safe joint action, judged by the same criterion.
* ``zhao2023-sampled-mappo-escapes-local-optimum``: sampled MAPPO (Monte Carlo localised
  values) ends the one-state climbing game far below the safe joint action's sub-optimality.
  Control: independent PG, the same criterion.

Every gap is exact (linear solves on the joint twin); only the sampled learner draws.
"""

from __future__ import annotations

import numpy as np

from algorithms.multi_agent import MAPPO, IndependentPG, SampledMAPPO
from instances.games import climbing_game, penalty_game, random_cooperative_game
from mdptheory.evaluation import occupancy
from mdptheory.games import (
    CooperativeGame,
    joint_policy,
    local_policies,
    localised_advantages,
    multi_agent_performance_difference,
    policies_value_at_start,
    solve_game,
)
from mdptheory.seeding import as_generator, spawn_seeds
from proofs_check.axes import JOINT_GAP
from proofs_check.findings import Findings, rejected_by_every_part
from proofs_check.harness import Outcome, Verdict, check_scale, theorem
from proofs_check.intervals import interval_test, t_interval
from proofs_check.rates import geometric_grid, rate_shape_test

ZHAO2023 = "Zhao, Yang, Wang, Lee (ICML 2023), arXiv:2305.04819"
TAGS = ("games", "mappo")
SOURCE = (
    "theory-wave2.md 5.2: the claim [V: abstract]; the localised Q, the multi-agent "
    "performance-difference lemma, the update and the rate [M], not read in the paper."
)


def _seed_int(seed: int, i: int) -> int:
    return int(spawn_seeds(seed, i + 1)[i].generate_state(1)[0])


def _random_policies(game: CooperativeGame, rng: np.random.Generator, sequential: bool):
    out = []
    for i in range(game.N):
        shape = (
            (*game.lead, *game.actions[: i + 1]) if sequential else (*game.lead, game.actions[i])
        )
        x = rng.dirichlet(np.ones(game.actions[i]), size=shape[:-1])
        out.append(x)
    return out


# ------------------------------------------------------------ (1) the identity, exactly

PDL_PLAN = {"quick": 24, "full": 200}
PDL_TOL = 1e-10


def _old_occupancy_rhs(game, old, new) -> float:
    """The control: ``sum_i sum_s d^{pi}(s) E_{a^{1:i} ~ pi'}[A^pi_i]`` (old occupancy)."""
    advantages = localised_advantages(game, old)
    new_local = local_policies(game, new)
    d = occupancy(game.joint, joint_policy(game, old)).sum(axis=-1)
    total, prefix = 0.0, np.ones(game.lead)
    for i in range(game.N):
        prefix = prefix[..., None] * new_local[i]
        axes = tuple(range(len(game.lead), prefix.ndim))
        total += float(np.sum(d * np.sum(prefix * advantages[i], axis=axes)))
    return total


def _identity_criterion(key: str, errors: np.ndarray) -> tuple[Verdict, dict[str, float]]:
    worst = float(np.max(errors))
    return Verdict.passed_if(
        worst <= PDL_TOL,
        f"{key}: max |J(pi') - J(pi) - rhs| = {worst:.3g} over {errors.size} pairs "
        f"(tolerance {PDL_TOL:g})",
    ), {f"max_error[{key}]": worst}


@theorem(
    id="zhao2023-multi-agent-pdl",
    paper=f"{ZHAO2023}, multi-agent performance-difference lemma",
    tags=(*TAGS, "exact"),
    kind="exact",
    verified=False,
)
def multi_agent_pdl(scale: str, seed: int) -> Outcome:
    """For any two joint policies pi, pi' given by local policies (product or sequential), J(pi') -
    J(pi) equals the sum over agents i of the pi'-occupancy-weighted expectation of the localised
    advantage A^pi_i(s, a^{{1:i}}) under a^{{1:i}} ~ pi'; to 1e-10 on 24 (full: 200) random
    cooperative games (S = 3, 1-3 agents, 1-3 actions each, Garnet kernels, gamma = 0.9 or H = 3),
    random Dirichlet local policies. Control: the same sum weighted by the old policy's occupancy
    d^pi, same tolerance.

    Formula
    -------
    J(pi') - J(pi) = sum_i E_{{s ~ d^{{pi'}}}} E_{{a^{{1:i}} ~ pi'}}[Q^pi_{{1:i}}(s, a^{{1:i}}) -
    Q^pi_{{1:i-1}}(s, a^{{1:i-1}})] (unnormalised d, i.e. 1/(1-gamma) times the normalised one)

    Rule
    ----
    Tolerance 1e-10, instance sizes and number of pairs fixed in code before any run.

    Source
    ------
    {SOURCE}
    """
    n_pairs = PDL_PLAN[check_scale(scale)]
    found = Findings()
    errors, control_errors = np.empty(n_pairs), np.empty(n_pairs)
    for k in range(n_pairs):
        rng = as_generator(_seed_int(seed, k))
        n_agents, n_actions = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        game = random_cooperative_game(
            S=3,
            n_agents=n_agents,
            n_actions=n_actions,
            H=3 if k % 2 else None,
            seed=_seed_int(seed, n_pairs + k),
        )
        old = _random_policies(game, rng, sequential=bool(k % 3))
        new = _random_policies(game, rng, sequential=bool(k % 4))
        exact = policies_value_at_start(game, new) - policies_value_at_start(game, old)
        rhs, _ = multi_agent_performance_difference(game, old, new)
        errors[k] = abs(exact - rhs)
        control_errors[k] = abs(exact - _old_occupancy_rhs(game, old, new))
    found.arrays.update({"error": errors, "control_error": control_errors})
    found.judge(*_identity_criterion("multi-agent PDL", errors))
    found.control("old occupancy d^pi", *_identity_criterion("old occupancy d^pi", control_errors))
    return found.outcome(title="Multi-agent performance difference: exact identity")


# ------------------------------------------------------ (2) monotone joint return, exactly

MONOTONE_PLAN = {"quick": (8, 200), "full": (40, 1000)}
MONOTONE_ETAS = (0.1, 1.0, 10.0)
MONOTONE_TOL = 1e-12


def _flipped(game: CooperativeGame) -> CooperativeGame:
    """The same game with rewards 1 - r: ascent on it is descent on ``game``."""
    return CooperativeGame(
        game.P, 1.0 - game.R, game.actions, gamma=game.gamma, initial=game.initial, name="1 - r"
    )


def _monotone_criterion(key: str, gaps: np.ndarray) -> tuple[Verdict, dict[str, float]]:
    """``gaps`` (runs x iterations, with the initial gap first): no increase beyond 1e-12."""
    rise = float(np.max(np.diff(gaps, axis=1)))
    return Verdict.passed_if(
        rise <= MONOTONE_TOL,
        f"{key}: largest increase of the global sub-optimality between consecutive iterations "
        f"{rise:.3g} over {gaps.shape[0]} runs x {gaps.shape[1] - 1} updates (allowed "
        f"{MONOTONE_TOL:g})",
    ), {f"max_increase[{key}]": rise}


@theorem(
    id="zhao2023-mappo-monotone",
    paper=f"{ZHAO2023}, multi-agent PPO update with the multi-agent performance-difference lemma",
    tags=(*TAGS, "exact"),
    kind="exact",
    verified=False,
)
def mappo_monotone(scale: str, seed: int) -> Outcome:
    """Exact MAPPO with sequential local updates pi^i <- pi^i exp(eta Q_{{1:i}}) never decreases the
    joint return: J(pi_{{k+1}}) >= J(pi_k) - 1e-12 at every update, for eta in {{0.1, 1, 10}}, on 8
    (full: 40) random cooperative games (S = 4, 2 agents x 3 actions, gamma = 0.9) and the climbing
    game, 200 (full: 1000) updates from the uniform policy. Control: MAPPO ascending 1 - r (the
    update's sign flipped), judged on r.

    Formula
    -------
    J(pi_{{k+1}}) - J(pi_k) = sum_i sum_s d^{{pi_{{k+1}}}}(s) E_{{a^{{1:i-1}} ~
    pi_{{k+1}}}}<pi^i_{{k+1}} - pi^i_k, Q^{{pi_k}}_{{1:i}}> >= 0

    Rule
    ----
    Tolerance 1e-12 (float64 evaluation), step grid, instances and budgets fixed in code before any
    run.

    Source
    ------
    {SOURCE} Monotonicity derived from the lemma (each agent's term is the gain of a
    multiplicative-weights step on a linear objective).
    """
    n_games, budget = MONOTONE_PLAN[check_scale(scale)]
    games = [
        random_cooperative_game(S=4, n_agents=2, n_actions=3, seed=_seed_int(seed, k))
        for k in range(n_games)
    ] + [climbing_game(S=4, seed=_seed_int(seed, n_games))]
    found = Findings()
    models = [g for g in games for _ in MONOTONE_ETAS]
    etas = np.tile(MONOTONE_ETAS, len(games))
    runs = MAPPO().run_batch(models, budget, etas=etas, record_every=1)
    gaps = np.column_stack([runs.initial_gap, runs.gap])
    found.judge(*_monotone_criterion("MAPPO", gaps))
    flipped = MAPPO().run_batch([_flipped(g) for g in models], budget, etas=etas, record_every=1)
    # J_r = 1/(1-gamma) - J_{1-r}: the flipped run's gap on r is V*_r - 1/(1-gamma) + J_{1-r}.
    v_star = np.array([g.joint.initial @ _v_star(g) for g in models])
    flipped_gap = np.column_stack([flipped.initial_gap, flipped.gap])
    v_star_flipped = np.array([g.joint.initial @ _v_star(_flipped(g)) for g in models])
    horizon = np.array([1.0 / (1.0 - g.gamma) for g in models])[:, None]
    control_gaps = v_star[:, None] - horizon + (v_star_flipped[:, None] - flipped_gap)
    found.control("update sign flipped", *_monotone_criterion("sign flipped", control_gaps))
    found.arrays.update({"gap": gaps, "control_gap": control_gaps, "eta": etas})
    t = np.arange(budget + 1, dtype=np.float64)
    for j, eta in enumerate(MONOTONE_ETAS):
        found.curve(f"MAPPO, eta={eta:g}", t[1:], gaps[j::3, 1:])
    found.curve("sign flipped (control), eta=1", t[1:], control_gaps[1::3, 1:])
    return found.outcome(
        axes=JOINT_GAP,
        title="Exact MAPPO: monotone joint return",
    )


def _v_star(game: CooperativeGame) -> np.ndarray:
    return solve_game(game, method="policy_iteration").values


# ------------------------------------------------ (3) global optimality, local log-log slopes

GLOBAL_PLAN = {
    "quick": (1000, ((3, -10.0), (3, -100.0))),
    "full": (5000, ((3, -10.0), (3, -100.0), (6, -10.0), (6, -100.0))),
}
GLOBAL_BURN_IN = 10
GLOBAL_FLOOR = 1e-8
GLOBAL_SLOPE = -0.5
CONTROL_ETAS = (None, 1.0, 10.0)


def _global_criterion(key: str, it: np.ndarray, gap: np.ndarray, seed: int):
    """Every local slope (half-decade windows from the burn-in) and the tail slope <= -1/2,
    on a geometric grid from the burn-in to the last iterate whose gap exceeds the float64
    floor 1e-8 (V is ~10: a thousand ulps)."""
    above = np.flatnonzero(gap > GLOBAL_FLOOR)
    last = float(it[above[-1]]) if above.size else float(it[0])
    numbers = {f"last iterate above the floor[{key}]": last, f"final gap[{key}]": float(gap[-1])}
    if last < 10 * GLOBAL_BURN_IN:
        return (
            Verdict.inconclusive(
                f"{key}: the gap falls below {GLOBAL_FLOOR:g} at iterate {last:g}, within a "
                f"decade of the burn-in {GLOBAL_BURN_IN}: no slope to judge"
            ),
            numbers,
            None,
        )
    grid = geometric_grid(GLOBAL_BURN_IN, last, 13, integer=True)
    index = np.unique(np.searchsorted(it, grid))
    verdict, fit, local = rate_shape_test(
        it[index], gap[index], max_slope=GLOBAL_SLOPE, start=GLOBAL_BURN_IN, n_boot=200, seed=seed
    )
    numbers.update(fit.numbers(key, "gap"))
    numbers[f"max local slope[{key}]"] = float(np.max(local.slopes))
    return verdict.about(key), numbers, local


def _run_by_shape(learner, games, budget: int, etas=None):
    """``learner``'s gap curves on ``games`` (one vmapped batch per state count), in order:
    ``(gaps, initial gaps, iterations)``."""
    gaps, initial, it = [None] * len(games), np.empty(len(games)), None
    for S in dict.fromkeys(g.S for g in games):
        index = [j for j, g in enumerate(games) if g.S == S]
        runs = learner.run_batch(
            [games[j] for j in index],
            budget,
            etas=None if etas is None else [etas[j] for j in index],
        )
        for row, j in enumerate(index):
            gaps[j], initial[j] = runs.gap[row], runs.initial_gap[row]
        it = runs.iterations.astype(np.float64)
    return np.stack(gaps), initial, it


@theorem(
    id="zhao2023-mappo-global-optimality",
    paper=f"{ZHAO2023}, main theorem (sublinear convergence to the global optimum)",
    tags=(*TAGS, "slope"),
    kind="slope",
    verified=False,
)
def mappo_global_optimality(scale: str, seed: int) -> Outcome:
    """Exact MAPPO (sequential local policies, exact localised Q, eta = (1-gamma) log|A|) from the
    uniform policy drives the global sub-optimality V*(rho) - V^{{pi_k}}(rho) to 0 on coordination
    games with local optima: the climbing game and the penalty game (k = -10 and k = -100) over S =
    3 states (full: also S = 6), gamma = 0.9, 1000 (full: 5000) updates; every half-decade local
    log-log slope after the burn-in (10 updates) and the tail slope are <= -1/2 (+0.1 local, +0.05
    tail), down to the float64 floor 1e-8. Control: independent per-agent softmax PG (eta in
    {{(1-gamma)^3/8, 1, 10}}), which stalls at the safe joint action, judged by the same criterion
    on the same grid.

    Formula
    -------
    V*(rho) - V^{{pi_k}}(rho) = O(k^{{-1/2}}) (paper: average gap O(N log|A| / ((1-gamma)^2
    sqrt(K))))

    Rule
    ----
    Slope -1/2 from the claimed rate; tolerances 0.05 (tail) and 0.1 (local) as the library's other
    slope checks; burn-in 10 updates, floor 1e-8, instances, budgets, the step and the control's
    step grid fixed in code before any run.

    Source
    ------
    {SOURCE}
    """
    budget, plan = GLOBAL_PLAN[check_scale(scale)]
    games = []
    for j, (S, k) in enumerate(plan):
        game_seed = _seed_int(seed, j)
        games.append(penalty_game(S=S, k=k, seed=game_seed))
        if k == plan[0][1]:
            games.append(climbing_game(S=S, seed=game_seed))
    found = Findings()
    gaps, initial, it = _run_by_shape(MAPPO(), games, budget)
    found.arrays["iteration"] = it
    control_games = [g for g in games for _ in CONTROL_ETAS]
    control_etas = [
        e if e is not None else (1.0 - g.gamma) ** 3 / 8.0 for g in games for e in CONTROL_ETAS
    ]
    control_gaps, _, _ = _run_by_shape(IndependentPG(), control_games, budget, control_etas)
    parts = []
    for j, game in enumerate(games):
        key = game.name
        verdict, numbers, local = _global_criterion(key, it, gaps[j], seed)
        found.judge(verdict, numbers)
        found.arrays[f"gap[{key}]"] = gaps[j]
        positive = gaps[j] > 0
        found.curve(f"MAPPO, {key}", it[positive], gaps[j][positive])
        if local is not None:
            found.local_slopes.append(local.series(f"local slope, {key}"))
        for m, eta in enumerate(control_etas[3 * j : 3 * j + 3]):
            ckey = f"independent PG eta={eta:.3g}, {key}"
            cverdict, cnumbers, _ = _global_criterion(ckey, it, control_gaps[3 * j + m], seed)
            parts.append(cverdict)
            found.fitted.update(cnumbers)
            if m == 1:
                found.curve(f"independent PG (control) eta=1, {key}", it, control_gaps[3 * j + m])
    found.control("independent softmax PG", rejected_by_every_part(parts))
    found.burn_in["burn-in"] = GLOBAL_BURN_IN
    found.line("slope -1/2", it, initial[0] * (it / it[0]) ** -0.5, "reference")
    return found.outcome(
        xlabel="update k",
        ylabel="global sub-optimality V*(rho) - V^{pi_k}(rho)",
        xscale="log",
        yscale="log",
        title="Exact MAPPO vs independent PG on coordination games",
        slope_references={"claim -1/2": GLOBAL_SLOPE},
    )


# ------------------------------------------- (4) sampled MAPPO leaves the stage game's trap

SAMPLED_PLAN = {"quick": (300, 4), "full": (1000, 16)}
SAMPLED_ETA = 0.2
SAMPLED_FRACTION = 0.1
SAMPLED_CONTROL_ETA = 1.0


def _escape_criterion(key: str, final: np.ndarray, trap_gap: float):
    """The Student-t interval of the mean final sub-optimality over runs against a tenth of the
    sub-optimality of the safe joint action (the local optimum of product policies)."""
    mean, low, high = t_interval(final)
    bound = SAMPLED_FRACTION * trap_gap
    verdict = interval_test(
        low,
        high,
        f"{key}: mean final gap {mean:.3g} (95% CI [{low:.3g}, {high:.3g}], {final.size} runs) "
        f"against {SAMPLED_FRACTION:g} x the safe joint action's gap {trap_gap:.3g}",
        at_most=bound,
    )
    return verdict, {f"mean final gap[{key}]": mean, f"ci_high[{key}]": high}


@theorem(
    id="zhao2023-sampled-mappo-escapes-local-optimum",
    paper=f"{ZHAO2023}, multi-agent PPO with estimated localised action values",
    tags=(*TAGS, "comparison"),
    kind="comparison",
    verified=False,
)
def sampled_mappo_escapes(scale: str, seed: int) -> Outcome:
    """Sampled MAPPO (Monte Carlo localised Q from 4 rollouts per state and joint action per update,
    eta = 0.2) on the one-state climbing game (gamma = 0.9) ends, after 300 (full: 1000) updates,
    with a mean global sub-optimality (Student-t 95% interval over 4 (full: 16) runs) below a tenth
    of that of the safe joint action (b, b), the local optimum of product policies. Control:
    independent softmax PG (exact gradient, eta = 1) judged by the same criterion.

    Formula
    -------
    E[V*(rho) - V^{{pi_K}}(rho)] <= 0.1 (V*(rho) - V^{{(b, b)}}(rho))

    Rule
    ----
    Fraction 0.1, eta, rollouts, budgets and run counts fixed in code before any run; the safe joint
    action (b, b) fixed by the printed payoff table.

    Source
    ------
    {SOURCE} The Monte Carlo estimator replaces the paper's estimator, which could not be read.
    """
    budget, n_runs = SAMPLED_PLAN[check_scale(scale)]
    game = climbing_game(S=1)
    safe = [np.eye(3)[[1]], np.eye(3)[[1]]]
    trap_gap = solve_game(game).value_at_start - policies_value_at_start(game, safe)
    found = Findings(fitted={"safe joint action gap": trap_gap})
    runs = SampledMAPPO(eta=SAMPLED_ETA).run_batch(game, budget, seed, n_runs=n_runs)
    found.judge(*_escape_criterion("sampled MAPPO", runs.gap[:, -1], trap_gap))
    control = IndependentPG(eta=SAMPLED_CONTROL_ETA).run_batch(game, budget)
    found.control(
        "independent PG", *_escape_criterion("independent PG", control.gap[:, -1], trap_gap)
    )
    it = runs.iterations.astype(np.float64)
    found.arrays.update({"iteration": it, "gap": runs.gap, "control_gap": control.gap})
    found.curve("sampled MAPPO", it, runs.gap)
    found.curve("independent PG (control)", it, control.gap[0])
    found.line("0.1 x safe joint action's gap", it, np.full(it.shape, 0.1 * trap_gap), "bound")
    return found.outcome(
        axes=JOINT_GAP,
        title="Sampled MAPPO against independent PG on the climbing game",
    )
