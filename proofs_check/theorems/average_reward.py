"""Checks of average-reward theory: UCRL2 (Jaksch, Ortner, Auer 2010) and TSDE (Ouyang et al.
2017) against the exact gain, bias, span and diameter of :mod:`mdptheory.average_reward`.

Every run's regret is the exact gap regret ``sum_t gap(s_t, a_t)`` (per step, from the exact
``rho*`` and ``h*``); one run of T steps gives the whole cumulative curve, read off on a
geometric grid of T.

How the constants were fixed (before any run)
---------------------------------------------
* Radii: the paper's (``radius_scale = 1``) wherever its burn-in ends within
  :data:`BURN_IN_FRACTION` (10%) of T; otherwise the fixed grid :data:`RADIUS_GRID` =
  (1, 0.3, 0.1) of multipliers is used and **every** multiplier whose burn-in ends within 10%
  of T is judged, the others are reported ``vacuous`` with their burn-in, without a run.
* Burn-in (:func:`algorithms.average_reward.burn_in`, from the radius formulas alone): the
  visits of a pair until its optimism ``rad_r + (D/2) d`` is below the model's smallest
  positive Bellman gap for every data set, times ``S A`` pairs. Before that the plausible set
  can make a suboptimal action look optimal and regret may grow linearly. Revision 1 of the
  rule: the first quick run used the *largest* gap; on ucrl2_lower_bound(depth 1, delta 0.1)
  the ratio of the ratio check still grew for a decade after that burn-in (tail slope 0.155
  on the points after it), since the largest gap (1.89, a tree action) says nothing of the
  hidden pair's (0.19). The level was lowered to the smallest positive gap for every check
  at once, grids and tolerances unchanged, before any full-scale run; in the same revision
  the ratio check's fit was widened from the last half of the grid points after the burn-in
  (four points over 0.4 decades there) to all of them.
* Slope claims use :func:`proofs_check.rates.rate_shape_test`: tail fit on the last half of a
  16-point geometric grid from T/1000 to T, upper CI end <= 1/2 + :data:`SLOPE_TOL` (0.05), and
  every half-decade local slope from the burn-in on, upper CI end <= 1/2 + :data:`LOCAL_TOL`
  (0.1): the defaults of ``proofs_check.rates``; one-sided (an upper bound).
* Comparisons: the paired Student-t 95% interval of the difference of final regrets (paired
  seeds: repetition j of each learner gets the same child seed).
* Exact checks: tolerances fixed in code (1e-9 for the inner maximisation against cvxpy,
  rounding-level for the identities).

The sizes: T = 10^6 steps with 8 seeds (quick), 10^7 with 12 (full); the lower-bound check
runs its own family at T in {2e4, 1e5} with 8 seeds (quick), {1e4, 1e5, 1e6} with 16 (full).
"""

from __future__ import annotations

import itertools
import math
from functools import lru_cache

import numpy as np

from algorithms.average_reward import (
    TSDE,
    UCRL2,
    UCRL2B,
    CertaintyEquivalence,
    FixedPolicy,
    box_inner_max,
    burn_in,
    descending_order,
    extended_value_iteration,
    l1_inner_max,
    ucrl2_regret_bound,
)
from algorithms.average_reward.evi import L1
from instances.average_reward import (
    average_gridworld,
    communicating_garnet,
    lower_bound_epsilon,
    lower_bound_layout,
    ucrl2_lower_bound,
)
from instances.tabular import river_swim
from mdptheory.average_reward import (
    bellman_gaps,
    chain_gain_bias,
    diameter,
    optimal_gain_bias,
    span,
)
from mdptheory.experiment import run_seeds
from mdptheory.seeding import as_generator, spawn_seeds
from mdptheory.tabular import FiniteMDP
from proofs_check.axes import GAP_REGRET
from proofs_check.harness import (
    Control,
    Evidence,
    Line,
    Outcome,
    Series,
    Verdict,
    check_scale,
    theorem,
    vacuous_bound,
)
from proofs_check.intervals import interval_test, paired_difference_test, t_interval
from proofs_check.rates import fit_lines, geometric_grid, rate_test, sqrt_growth_shape_test

JAKSCH = "Jaksch, Ortner, Auer, Near-optimal regret bounds for RL, JMLR 11 (2010)"
JAKSCH_SOURCE = (
    "shared/references/theory-wave2.md section 1.2: the radii, EVI (Figure 2) and the episode "
    "rule tagged [S] (two independent implementations agree), Theorem 2's constant 34 quoted by "
    "a third-party text [S], theorem and proposition numbers [M]; the paper's own text was not "
    "read here"
)
OUYANG = "Ouyang, Gagrani, Nayyar, Jain, NeurIPS 2017 (TSDE)"

SLOPE_TOL = 0.05
"""Tolerance of the tail slope fit; the rates default."""
LOCAL_TOL = 0.1
"""Tolerance of each half-decade local slope after the burn-in; the rates default."""
RADIUS_GRID = (1.0, 0.3, 0.1)
"""Radius multipliers of UCRL2, fixed in code before any run (1 is the paper's)."""
BURN_IN_FRACTION = 0.1
"""A multiplier is judged when its burn-in ends within 10% of T."""
LP_TOL = 1e-9
"""Largest allowed |EVI inner maximum - cvxpy LP optimum| (values of order 1)."""
IDENTITY_TOL = 1e-9
"""Largest allowed rounding error of the gap-regret identity, per step of the cumulative sums."""

_PLAN = {"quick": (1_000_000, 8), "full": (10_000_000, 12)}

# Instances as hashable keys of the run cache.
_RIVER = ("river_swim", 6)
_GRID3 = ("gridworld", 3, 0.1)
_D_PLAN = (("gridworld", 3, 0.1), ("gridworld", 3, 0.3), ("gridworld", 3, 0.5))
_RATIO_PLAN = (
    ("lower_bound", 0, 0.2),
    ("lower_bound", 0, 0.1),
    ("lower_bound", 1, 0.2),
    ("lower_bound", 1, 0.1),
)


@lru_cache(maxsize=16)
def _model(key: tuple) -> FiniteMDP:
    if key[0] == "river_swim":
        return river_swim(S=key[1])
    if key[0] == "gridworld":
        return average_gridworld(size=key[1], slip=key[2])
    if key[0] == "lower_bound":
        _, depth, delta = key
        return ucrl2_lower_bound(A=2, depth=depth, delta=delta, epsilon=delta / 2, seed=0)
    raise ValueError(f"unknown instance key {key!r}")


@lru_cache(maxsize=16)
def _diameter(key: tuple) -> float:
    return diameter(_model(key)).value


def _grid(T: int) -> np.ndarray:
    """The geometric grid of T on which the checks read their curves (ends at T)."""
    return geometric_grid(T / 1000, T, 16, integer=True)


@lru_cache(maxsize=64)
def _runs(learner, key: tuple, T: int, n_seeds: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative gap regret on :func:`_grid` (n_seeds, 16) and the epochs of each run.

    Cached (grid values only), so the checks of this module share their runs.
    """
    traces = run_seeds(learner, _model(key), T, seeds=n_seeds, seed=seed, progress=False)
    grid = _grid(T)
    Y = np.stack([np.cumsum(t.pseudo_regret)[grid - 1] for t in traces])
    epochs = np.array([t.extras["epoch_start"].size for t in traces])
    return Y, epochs


# --------------------------------------------------------------------------------------------
# Extended value iteration: the inner maximisation and optimism (exact)
# --------------------------------------------------------------------------------------------


def _lp_inner_max(
    p_hat: np.ndarray,
    u: np.ndarray,
    d: float | None = None,
    width: np.ndarray | None = None,
    argmax: bool = False,
):
    """``max p . u`` over the simplex intersected with an L1 ball or a box, by cvxpy (Clarabel,
    tight tolerances): the oracle, sharing no code with the sorting procedures."""
    import cvxpy as cp

    p = cp.Variable(p_hat.size, nonneg=True)
    constraints = [cp.sum(p) == 1]
    if d is not None:
        constraints.append(cp.norm1(p - p_hat) <= d)
    else:
        constraints += [p >= np.maximum(0.0, p_hat - width), p <= np.minimum(1.0, p_hat + width)]
    problem = cp.Problem(cp.Maximize(u @ p), constraints)
    problem.solve(
        solver="CLARABEL",
        tol_gap_abs=1e-12,
        tol_gap_rel=1e-12,
        tol_feas=1e-12,
        tol_ktratio=1e-10,
        max_iter=500,
    )
    if argmax:
        return np.maximum(np.asarray(p.value, dtype=np.float64), 0.0)
    return float(problem.value)


def _doubled_top(p_hat: np.ndarray, d: float, u: np.ndarray) -> float:
    """The control: Figure 2 with ``d`` instead of ``d / 2`` added to the top state, then the
    same trimming (a plausible slip of a transcription)."""
    return l1_inner_max(p_hat, 2.0 * d, u, descending_order(u))


@theorem(
    id="jaksch2010-evi-inner-max-lp",
    paper=f"{JAKSCH}, Figure 2 (inner maximisation of extended value iteration)",
    tags=("average-reward", "ucrl2", "evi", "exact"),
    kind="exact",
    verified=False,
)
def evi_inner_max_lp(scale: str, seed: int) -> Outcome:
    """The sorting procedure of Figure 2 returns max {{p . u : p in the simplex, ||p - p_hat||_1 <=
    d}}, and the pour-by-order procedure of UCRL2-B returns the maximum over the simplex intersected
    with a box, both equal to the cvxpy LP optimum to 1e-9 on random rows (S in 2..8, p_hat with
    exact zeros, u in [-1, 1]^S, d in [0, 2.5], half-widths in [0, 0.5]); 60 rows of each at quick
    scale, 400 at full.

    Formula
    -------
    l1_inner_max(p_hat, d, u) = max_{{p in simplex, ||p - p_hat||_1 <= d}} p.u; box_inner_max(p_hat,
    w, u) = max_{{p in simplex, |p - p_hat| <= w}} p.u

    Source
    ------
    {JAKSCH_SOURCE}
    """
    n_rows = 60 if check_scale(scale) == "quick" else 400
    rng = as_generator(seed)
    errors = {"L1 ball (Figure 2)": [], "box (UCRL2-B)": []}
    control = []
    radii = []
    for _ in range(n_rows):
        S = int(rng.integers(2, 9))
        p_hat = rng.dirichlet(np.ones(S)) * (rng.random(S) > 0.3)
        if p_hat.sum() == 0:
            p_hat[0] = 1.0
        p_hat /= p_hat.sum()
        u = rng.uniform(-1.0, 1.0, S)
        d = float(rng.uniform(0.0, 2.5))
        width = rng.uniform(0.0, 0.5, S)
        order = descending_order(u)
        oracle = _lp_inner_max(p_hat, u, d=d)
        errors["L1 ball (Figure 2)"].append(abs(l1_inner_max(p_hat, d, u, order) - oracle))
        errors["box (UCRL2-B)"].append(
            abs(box_inner_max(p_hat, width, u, order) - _lp_inner_max(p_hat, u, width=width))
        )
        control.append(abs(_doubled_top(p_hat, d, u) - oracle))
        radii.append(d)
    arrays = {name: np.array(v) for name, v in errors.items()}
    worst = {name: float(v.max()) for name, v in arrays.items()}
    control_worst = float(max(control))
    x = np.array(radii)
    series = tuple(
        Series(name, x, np.maximum(v, 1e-17), style="points") for name, v in arrays.items()
    )
    evidence = Evidence(
        arrays={**arrays, "radius": x, "control_error": np.array(control)},
        fitted={
            **{f"max |error| {k}": v for k, v in worst.items()},
            "max |error| control (d instead of d/2)": control_worst,
        },
        series=series,
        lines=(
            Line(f"tolerance {LP_TOL:g}", np.array([0.0, 2.5]), np.full(2, LP_TOL), role="bound"),
        ),
        xlabel="L1 radius d",
        ylabel="|sorting - LP| (floored at 1e-17)",
        xscale="linear",
        title=f"EVI inner maximisation against cvxpy on {n_rows} random rows",
    )
    bad = {k: v for k, v in worst.items() if v > LP_TOL}
    if bad:
        name = max(bad, key=bad.get)
        verdict = Verdict.failed(f"{name}: |sorting - LP| = {bad[name]:.3g} > {LP_TOL:g}")
    else:
        verdict = Verdict.passed(
            f"{n_rows} rows each: |sorting - LP| at most {max(worst.values()):.2g} <= {LP_TOL:g} "
            "(L1 ball and box)"
        )
    text = (
        f"Figure 2 with d (not d/2) added to the top state: |error| up to "
        f"{control_worst:.3g} against {LP_TOL:g}"
    )
    control_verdict = Verdict.failed(text) if control_worst > LP_TOL else Verdict.passed(text)
    return Outcome(
        evidence,
        verdict,
        (
            Control(
                "inner max with d instead of d/2", control_verdict, {"max_error": control_worst}
            ),
        ),
    )


def _argmax_model(p_hat, radius, u):
    """The optimistic kernel w.r.t. ``u``: an LP maximiser for every row (the oracle)."""
    S, A, _ = p_hat.shape
    P = np.empty_like(p_hat)
    for s in range(S):
        for a in range(A):
            p = _lp_inner_max(p_hat[s, a], u, d=float(radius[s, a, 0]), argmax=True)
            P[s, a] = p / p.sum()
    return P


def _evi_case(p_hat, r_tilde, radius, epsilon):
    """Run EVI; return (high, min_s gain of (pi, P_tilde_i)) with P_tilde_i the LP maximiser
    w.r.t. the iterate u_i of the last sweep."""
    S = r_tilde.shape[0]
    u = np.zeros(S)
    policy = np.zeros(S, dtype=np.int64)
    n, low, high, ok = extended_value_iteration(
        p_hat, r_tilde, radius, L1, epsilon, 10**6, 0.0, u, policy
    )
    if not ok:
        raise ValueError("extended value iteration did not converge on a check instance")
    u_prev = np.zeros(S)
    if n > 1:
        extended_value_iteration(
            p_hat, r_tilde, radius, L1, epsilon, n - 1, 0.0, u_prev, np.zeros(S, dtype=np.int64)
        )
    P_tilde = _argmax_model(p_hat, radius, u_prev)
    states = np.arange(S)
    g, _, _ = chain_gain_bias(P_tilde[states, policy], r_tilde[states, policy])
    return high, float(g.min()), low


@theorem(
    id="jaksch2010-evi-optimism",
    paper=f"{JAKSCH}, section 3.1.2 and Theorem 7 (extended value iteration)",
    tags=("average-reward", "ucrl2", "evi", "exact", "optimism"),
    kind="exact",
    verified=False,
)
def evi_optimism(scale: str, seed: int) -> Outcome:
    """When the true model lies in the plausible set (every row within L1 distance d of p_hat, every
    mean reward within rad_r of r_hat), extended value iteration stopped by span(u_{{i+1}} - u_i) <
    epsilon returns an optimistic upper gain max(u_{{i+1}} - u_i) >= rho* and a policy whose gain in
    the optimistic model it chose (each row an LP maximiser of p . u_i, by cvxpy) is at least rho* -
    epsilon from every state. Random communicating Garnets (S in 3..6, A in 2..3), d in [0.05, 0.5],
    rad_r in [0, 0.2], epsilon = 1/sqrt(t_k) with t_k in [1e2, 1e6]; 8 models at quick scale, 40 at
    full; exact (rounding tolerance 1e-9).

    Formula
    -------
    M in M_k => max_s (u_{{i+1}} - u_i)(s) >= rho* and min_s rho(M~, pi~, s) >= rho* - 1/sqrt(t_k)

    Source
    ------
    {JAKSCH_SOURCE}
    """
    n_models = 8 if check_scale(scale) == "quick" else 40
    rng = as_generator(seed)
    upper_margin, gain_margin, control_margin, eps_list = [], [], [], []
    for _ in range(n_models):
        S, A = int(rng.integers(3, 7)), int(rng.integers(2, 4))
        mdp = communicating_garnet(S=S, A=A, branching=min(S, 3), seed=rng)
        P, R = np.array(mdp.P), np.array(mdp.R)
        rho = optimal_gain_bias(mdp).gain
        d = float(rng.uniform(0.05, 0.5))
        rad_r = float(rng.uniform(0.0, 0.2))
        epsilon = 1.0 / math.sqrt(float(10 ** rng.uniform(2, 6)))
        # p_hat = (1 - d/2) P + (d/2) q is within L1 distance d of P for any distribution q.
        q = rng.dirichlet(np.ones(S), size=(S, A))
        p_hat = (1 - d / 2) * P + (d / 2) * q
        r_hat = np.clip(R + rng.uniform(-rad_r, rad_r, R.shape), 0.0, 1.0)
        r_tilde = np.minimum(1.0, r_hat + rad_r)
        radius = np.full((S, A, 1), d)
        high, gain, _ = _evi_case(p_hat, r_tilde, radius, epsilon)
        upper_margin.append(high - rho)
        gain_margin.append(gain - (rho - epsilon))
        eps_list.append(epsilon)
        # Control: the true model outside the set: a pessimistic p_hat (a third of each row's
        # mass moved to the state of least bias) and rewards understated by 0.1, radius 0.
        worst = int(np.argmin(optimal_gain_bias(mdp).bias))
        bad = (2 / 3) * P
        bad[:, :, worst] += 1 / 3
        c_high, _, _ = _evi_case(bad, np.maximum(R - 0.1, 0.0), np.zeros((S, A, 1)), epsilon)
        control_margin.append(c_high - rho)
    up, gm, cm = (np.array(v) for v in (upper_margin, gain_margin, control_margin))
    idx = np.arange(n_models)
    evidence = Evidence(
        arrays={
            "upper_minus_rho": up,
            "gain_minus_rho_plus_eps": gm,
            "control": cm,
            "epsilon": np.array(eps_list),
        },
        fitted={
            "min (max(u_{i+1}-u_i) - rho*)": float(up.min()),
            "min (rho(M~, pi~) - rho* + epsilon)": float(gm.min()),
            "min control (upper - rho*)": float(cm.min()),
        },
        series=(
            Series("max(u_{i+1} - u_i) - rho*", idx, up, style="points"),
            Series("min_s rho(M~, pi~, s) - (rho* - epsilon)", idx, gm, style="points"),
            Series("control: pessimistic p_hat, radius 0", idx, cm, style="points"),
        ),
        lines=(Line("0", np.array([0.0, n_models - 1.0]), np.zeros(2), role="bound"),),
        xlabel="model",
        ylabel="margin (>= 0 is optimistic)",
        xscale="linear",
        yscale="linear",
        title="EVI optimism when the true model is plausible",
    )
    ok = up.min() >= -1e-9 and gm.min() >= -1e-9
    text = (
        f"{n_models} models: max(u_(i+1) - u_i) - rho* >= {up.min():.3g} and "
        f"min_s rho(M~, pi~, s) - (rho* - eps) >= {gm.min():.3g}"
    )
    verdict = Verdict.passed(text) if ok else Verdict.failed(text)
    c_text = (
        f"true model outside the set: max(u_(i+1) - u_i) - rho* down to {cm.min():.3g} "
        f"({int(np.sum(cm < -1e-9))} of {n_models} models below 0)"
    )
    control = Control(
        "true model outside the set (pessimistic p_hat, rewards - 0.1, radius 0)",
        Verdict.failed(c_text) if cm.min() < -1e-9 else Verdict.passed(c_text),
        {"min_upper_minus_rho": float(cm.min())},
    )
    return Outcome(evidence, verdict, (control,))


# --------------------------------------------------------------------------------------------
# UCRL2's planning step, replayed from its own data (exact)
# --------------------------------------------------------------------------------------------

PLANNER_TOL = 1e-9
"""Largest allowed |recorded - replayed| of the EVI gain bracket (values of order 1)."""
PLANNER_EPOCHS = 25
"""Epochs replayed per run (spread over the run), fixed in code."""


def _replay_inner_max(p_hat: np.ndarray, d: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Figure 2 for every row at once, written apart from the learner's kernel: the top state
    (by u) gains d/2 (capped at 1), then the excess over 1 is removed from the states of least
    u first. Rows of zeros (unvisited pairs) put all mass on the top state."""
    order = np.argsort(-u, kind="stable")
    top = order[0]
    p = p_hat.copy()
    p[..., top] = np.minimum(1.0, p_hat[..., top] + d / 2)
    for j in order[:0:-1]:
        excess = np.maximum(p.sum(axis=-1) - 1.0, 0.0)
        p[..., j] -= np.minimum(p[..., j], excess)
    value = p @ u
    unvisited = p_hat.sum(axis=-1) == 0.0
    return np.where(unvisited, u[top], value)


def _replay_plan(mdp: FiniteMDP, states, actions, upto: int, delta: float, reward_two=2.0):
    """Figure 1, lines (2)-(5), from the first ``upto`` steps of a run: estimates, the paper's
    radii at t_k = upto + 1, EVI to accuracy 1/sqrt(t_k). Returns (low, high, sweeps, policy,
    margin) with margin the gap between the best and second-best action of the last sweep.
    ``reward_two`` replaces the 2 under the reward radius's root (the control's slip)."""
    S, A = mdp.S, mdp.A
    s, a, x = states[:upto], actions[:upto], states[1 : upto + 1]
    counts = np.zeros((S, A, S))
    np.add.at(counts, (s, a, x), 1.0)
    N = counts.sum(axis=2)
    reward_sum = np.zeros((S, A))
    np.add.at(reward_sum, (s, a), mdp.R[s, a])  # deterministic rewards: r_t = r(s_t, a_t)
    n_plus = np.maximum(1.0, N)
    t_k = upto + 1
    p_hat = counts / n_plus[..., None]
    rad_r = np.sqrt(7.0 * math.log(2.0 * S * A * t_k / delta) / (reward_two * n_plus))
    d = np.sqrt(14.0 * S * math.log(2.0 * A * t_k / delta) / n_plus)
    r_tilde = np.minimum(1.0, reward_sum / n_plus + rad_r)
    u = np.zeros(S)
    for sweep in range(1, 10**6 + 1):
        q = r_tilde + _replay_inner_max(p_hat, d, u)
        new = q.max(axis=1)
        diff = new - u
        u = new - new.min()
        if diff.max() - diff.min() < 1.0 / math.sqrt(t_k):
            ranked = np.sort(q, axis=1)
            margin = ranked[:, -1] - ranked[:, -2]
            return diff.min(), diff.max(), sweep, q.argmax(axis=1), margin
    raise ValueError("the replayed extended value iteration did not converge")


def _planner_cases(scale: str):
    T = 20_000 if scale == "quick" else 200_000
    return T, (
        river_swim(S=6),
        communicating_garnet(S=6, A=2, branching=3, seed=0),
        average_gridworld(size=3, slip=0.1),
    )


@theorem(
    id="jaksch2010-ucrl2-planning-step",
    paper=f"{JAKSCH}, Figure 1 (lines 2-5) and Figure 2",
    tags=("average-reward", "ucrl2", "ucrl2-planner", "evi", "exact"),
    kind="exact",
    verified=False,
)
def ucrl2_planning_step(scale: str, seed: int) -> Outcome:
    """Every replayed epoch of UCRL2 (paper's radii, delta = 0.05) planned what Figure 1 prescribes
    from the data it had: recomputing the counts, the estimates, the radii sqrt(7 log(2 S A t_k /
    delta) / (2 N+)) and sqrt(14 S log(2 A t_k / delta) / N+) and extended value iteration to
    accuracy 1/sqrt(t_k) from the run's own trajectory, written apart from the learner, gives the
    recorded EVI gain bracket to 1e-9, the same number of sweeps and the same policy wherever the
    best action leads by more than 1e-9. river_swim(S=6), communicating_garnet(S=6, A=2,
    branching=3, seed=0) and average_gridworld(3, 0.1) (deterministic rewards); T = 2e4 (quick), 2e5
    (full); 25 epochs per run, spread over it. Control: the replay with the reward radius sqrt(7
    log(2 S A t_k / delta) / N+) (the 2 under the root forgotten) must disagree.

    Formula
    -------
    recorded (low, high, sweeps, pi_k) = EVI(p_hat_k, r_hat_k, rad_r, d; 1/sqrt(t_k)) replayed from
    (s_t, a_t, s_(t+1))_(t < t_k)

    Source
    ------
    {JAKSCH_SOURCE}
    """
    T, models = _planner_cases(check_scale(scale))
    worst_bracket, sweep_mismatch, policy_mismatch, replayed = 0.0, 0, 0, 0
    control_worst = 0.0
    fitted: dict[str, float] = {}
    for mdp in models:
        trace = UCRL2().run(mdp, T, seed, record_trajectory=True)
        states, actions = trace.extras["states"], trace.extras["actions"]
        starts = trace.extras["epoch_start"]
        picks = np.unique(np.linspace(0, starts.size - 1, PLANNER_EPOCHS).astype(np.int64))
        error = 0.0
        for k in picks:
            low, high, sweeps, policy, margin = _replay_plan(
                mdp, states, actions, int(starts[k]), 0.05
            )
            error = max(
                error,
                abs(low - trace.extras["evi_gain_low"][k]),
                abs(high - trace.extras["evi_gain_high"][k]),
            )
            sweep_mismatch += int(sweeps != trace.extras["evi_sweeps"][k])
            clear = margin > PLANNER_TOL
            policy_mismatch += int(np.any(policy[clear] != trace.extras["epoch_policy"][k][clear]))
            replayed += 1
        fitted[f"max |bracket error| [{mdp.name}]"] = error
        worst_bracket = max(worst_bracket, error)
        # Control: the replay with the reward radius lacking the 2 under its root.
        k = picks[len(picks) // 2]
        wrong = _replay_plan(mdp, states, actions, int(starts[k]), 0.05, reward_two=1.0)
        control_worst = max(
            control_worst,
            abs(wrong[0] - trace.extras["evi_gain_low"][k]),
            abs(wrong[1] - trace.extras["evi_gain_high"][k]),
        )
    fitted.update(
        {
            "epochs replayed": replayed,
            "epochs with another sweep count": sweep_mismatch,
            "epochs with another policy": policy_mismatch,
            "control: max |bracket error| with rad_r = sqrt(7 log(.) / N+)": control_worst,
        }
    )
    ok = worst_bracket <= PLANNER_TOL and sweep_mismatch == 0 and policy_mismatch == 0
    text = (
        f"{replayed} epochs of {len(models)} runs (T = {T}) replayed: gain bracket within "
        f"{worst_bracket:.2g} (allowed {PLANNER_TOL:g}), {sweep_mismatch} with another sweep "
        f"count, {policy_mismatch} with another policy"
    )
    c_text = (
        f"replay with rad_r = sqrt(7 log(2 S A t_k / delta) / N+): bracket off by "
        f"{control_worst:.3g}"
    )
    control = Control(
        "the reward radius without the 2 under its root",
        Verdict.failed(c_text) if control_worst > PLANNER_TOL else Verdict.passed(c_text),
        {"max_bracket_error": control_worst},
    )
    return Outcome(
        Evidence(fitted=fitted), Verdict.passed(text) if ok else Verdict.failed(text), (control,)
    )


# --------------------------------------------------------------------------------------------
# UCRL2's regret rate (slope) and scaling (ratio)
# --------------------------------------------------------------------------------------------


def _slope_controls(T: int, n_seeds: int, seed: int) -> tuple[list[Control], list[Series]]:
    grid = _grid(T)
    controls, series = [], []
    for learner in (FixedPolicy(), CertaintyEquivalence(epsilon=0.1)):
        Y, _ = _runs(learner, _RIVER, T, n_seeds, seed)
        verdict, fit, local = sqrt_growth_shape_test(
            grid, Y, None, seed, tol=SLOPE_TOL, local_tol=LOCAL_TOL
        )
        name = f"{learner.label} on {_model(_RIVER).name}"
        controls.append(
            Control(
                name,
                verdict,
                {**fit.numbers(), "max_local_slope": float(local.slopes.max())},
            )
        )
        series.append(Series(f"control: {name}", grid, Y))
    return controls, series


@theorem(
    id="jaksch2010-ucrl2-regret-slope",
    paper=f"{JAKSCH}, Theorem 2",
    tags=("average-reward", "ucrl2", "regret", "slope"),
    kind="slope",
    verified=False,
)
def ucrl2_regret_slope(scale: str, seed: int) -> Outcome:
    """UCRL2's regret grows as sqrt(T) up to log factors once its burn-in is over: the log-log slope
    of the cumulative gap regret in T is at most 1/2 on the tail and on every half-decade after the
    burn-in (from the radius formulas). The paper's radii and the multipliers 0.3 and 0.1; a
    multiplier is judged when its burn-in ends within 10% of T, else reported vacuous (the paper's
    radii need ~6e6 steps on river_swim(S=6), so they are vacuous at both scales). Instances:
    river_swim(S=6); average_gridworld(3, 0.1) added at full scale. T = 1e6 (quick), 1e7 (full).

    Formula
    -------
    T rho* - sum r_t <= 34 D S sqrt(A T log(T/delta)) => d log Regret / d log T <= 1/2 + 0.05 (tail)
    and <= 1/2 + 0.1 (each half-decade after the burn-in)

    Rule
    ----
    constants fixed in code before any run: the radius multipliers {{1 (the paper's), 0.3, 0.1}};
    every multiplier whose burn-in ends within 10% of T is run and judged, the others are reported
    vacuous without a run. Burn-in (algorithms.average_reward.burn_in, from the radius formulas
    alone, revision 1 as in the module notes): visits of a pair until rad_r + (D/2) d is below the
    smallest positive Bellman gap for every data set, times S A. Tail fit on the last half of a
    16-point geometric grid T/1000..T, upper CI end <= 1/2 + 0.05; every half-decade local slope
    from the burn-in on, upper CI end <= 1/2 + 0.1 (the defaults of proofs_check.rates). Controls: a
    frozen policy (action 0 everywhere: RiverSwim's small left reward) and certainty equivalence
    with epsilon-greedy exploration (epsilon = 0.1), on river_swim(S=6), same grid, seeds and
    criterion (every window judged). T = 1e6 steps with 8 seeds (quick), 1e7 with 12 (full);
    instances river_swim(S=6), plus average_gridworld(3, 0.1) at full scale.

    Source
    ------
    {JAKSCH_SOURCE}
    """
    T, n_seeds = _PLAN[check_scale(scale)]
    instances = (_RIVER,) if scale == "quick" else (_RIVER, _GRID3)
    grid = _grid(T)
    verdicts, series, lines, local_series = [], [], [], []
    fitted: dict[str, float] = {}
    burn: dict[str, float] = {}
    arrays: dict[str, np.ndarray] = {"T": grid}
    for key_mdp in instances:
        mdp = _model(key_mdp)
        for c in RADIUS_GRID:
            learner = UCRL2(radius_scale=c)
            key = f"{learner.label} on {mdp.name}"
            b = burn_in(learner, mdp, T)
            fitted[f"burn_in_steps[{key}]"] = b.steps
            if not b.within(T, BURN_IN_FRACTION):
                verdicts.append(
                    Verdict.vacuous(
                        f"{key}: burn-in {b.steps} steps ({b.visits} visits per pair until "
                        f"rad_r + (D/2) d <= {b.level:.3g}, the smallest positive gap, D = "
                        f"{b.diameter:.3g}) exceeds "
                        f"{BURN_IN_FRACTION:.0%} of T = {T}: not run, not judged"
                    )
                )
                continue
            burn[f"burn-in {key}"] = max(b.steps, 1)
            Y, _ = _runs(learner, key_mdp, T, n_seeds, seed)
            verdict, fit, local = sqrt_growth_shape_test(
                grid, Y, b.steps, seed, tol=SLOPE_TOL, local_tol=LOCAL_TOL
            )
            verdicts.append(verdict.about(f"{key} (burn-in {b.steps} steps)"))
            fitted[f"slope[{key}]"] = fit.slope
            fitted[f"slope_ci_high[{key}]"] = fit.ci_high
            judged = local.after(b.steps)
            if judged.any():
                fitted[f"max_local_slope_after_burn_in[{key}]"] = float(local.slopes[judged].max())
            arrays[f"regret[{key}]"] = Y
            series.append(Series(key, grid, Y))
            local_series.append(local.series(key))
            lines.extend(
                fit_lines(fit, reference_slope=0.5, label=key, reference_label=f"slope 1/2 ({key})")
            )
    if not any(v.status != "vacuous" for v in verdicts):
        verdicts.append(
            Verdict.vacuous(
                f"no multiplier has its burn-in within {BURN_IN_FRACTION:.0%} of T = {T}"
            )
        )
    controls, control_series = _slope_controls(T, n_seeds, seed)
    series.extend(control_series)
    evidence = Evidence(
        arrays=arrays,
        fitted=fitted,
        series=tuple(series),
        lines=tuple(lines),
        **GAP_REGRET.labels(),
        title="UCRL2: log-log slope in T",
        local_slopes=tuple(local_series),
        slope_references={"claim: slope 1/2": 0.5, "local bound 1/2 + 0.1": 0.5 + LOCAL_TOL},
        burn_in=burn,
    )
    return Outcome(evidence, Verdict.combine(verdicts), tuple(controls))


@theorem(
    id="jaksch2010-ucrl2-regret-ratio",
    paper=f"{JAKSCH}, Theorem 2",
    tags=("average-reward", "ucrl2", "regret", "ratio"),
    kind="ratio",
    verified=False,
)
def ucrl2_regret_ratio(scale: str, seed: int) -> Outcome:
    """UCRL2's regret is O(D S sqrt(A T log T)) across a (D, S) grid: at every point the ratio
    regret / (D S sqrt(A T log T)) does not grow with T after the burn-in (tail slope of the ratio
    <= 0 + 0.05), and where Theorem 2's explicit bound 34 D S sqrt(A T log(T/delta)) is below T the
    regret is below it; where it is not (every point at these T: S = A = 2 already needs T ~ 6e5 and
    D here is 5..31) that part is vacuous. Grid: the two-state blocks of the lower bound and their
    2-block tree (S in {{2, 5}}), delta in {{0.2, 0.1}}.

    Formula
    -------
    Regret(T) / (D S sqrt(A T log T)) = O(1) in T; Regret(T) <= 34 D S sqrt(A T log(T/delta))
    (vacuous when >= T)

    Rule
    ----
    grid fixed in code before any run: ucrl2_lower_bound(A=2, depth in {{0, 1}}, delta in {{0.2,
    0.1}}, epsilon = delta/2, seed 0), i.e. S in {{2, 5}} and D from 5 to ~28 (exact). At each point
    the largest radius multiplier of {{1, 0.3, 0.1}} whose burn-in ends within 10% of T is run
    (none: the point is vacuous; burn-in revision 1 as in the module notes). Criterion at each
    point: regret / (D S sqrt(A T log T)) does not grow in T from the burn-in on: rate_test with
    rate D S sqrt(A T log T) fitted on every grid point from the burn-in on (tail 1.0, revision 1),
    slope of the ratio, upper CI end <= 0 + 0.05 (one-sided). The explicit bound 34 D S sqrt(A T
    log(T/delta)) with delta = 0.05 is compared with the regret only where it is below T, else
    vacuous. Control: the frozen policy (action 0 everywhere) at the first point, same grid and
    criterion. T and seeds as the slope check.

    Source
    ------
    {JAKSCH_SOURCE}
    """
    T, n_seeds = _PLAN[check_scale(scale)]
    grid = _grid(T)
    verdicts, series, controls = [], [], []
    fitted: dict[str, float] = {}
    arrays: dict[str, np.ndarray] = {"T": grid}
    finals = []
    for index, key_mdp in enumerate(_RATIO_PLAN):
        mdp = _model(key_mdp)
        D, S, A = _diameter(key_mdp), mdp.S, mdp.A

        def rate(x, D=D, S=S, A=A):
            return D * S * np.sqrt(A * x * np.log(x))

        bound = ucrl2_regret_bound(D, S, A, T, 0.05)
        fitted[f"explicit_bound_over_T[{mdp.name}]"] = bound / T
        chosen = None
        for c in RADIUS_GRID:
            b = burn_in(UCRL2(radius_scale=c), mdp, T)
            if b.within(T, BURN_IN_FRACTION):
                chosen = (UCRL2(radius_scale=c), b)
                break
        explicit = vacuous_bound(bound, T, f"Theorem 2's bound at {mdp.name}, T = {T}")
        if explicit is not None:
            verdicts.append(explicit)
        else:
            # The explicit bound holds for every T > 1 with the paper's radii: no burn-in.
            Yp, _ = _runs(UCRL2(), key_mdp, T, n_seeds, seed)
            above = float(np.mean(Yp[:, -1] > bound))
            text = (
                f"UCRL2 on {mdp.name}: {above:.0%} of seeds above 34 D S sqrt(A T "
                f"log(T/delta)) (allowed delta = 0.05)"
            )
            verdicts.append(Verdict.passed(text) if above <= 0.05 else Verdict.failed(text))
        if chosen is None:
            verdicts.append(
                Verdict.vacuous(
                    f"{mdp.name} (D = {D:.3g}, S = {S}): no multiplier "
                    f"has its burn-in within 10% of T = {T}"
                )
            )
        else:
            learner, b = chosen
            key = f"{learner.label} on {mdp.name} (D = {D:.3g}, S = {S})"
            Y, _ = _runs(learner, key_mdp, T, n_seeds, seed)
            keep = grid >= b.steps
            check = rate_test(grid[keep], Y[:, keep], rate, tail=1.0, seed=seed)
            verdicts.append(
                Verdict(
                    check.verdict.status,
                    f"{key}, from the burn-in {b.steps}: {check.verdict.reason}",
                )
            )
            final_ratio = float(Y[:, -1].mean() / rate(T))
            finals.append(final_ratio)
            fitted[f"final_ratio[{key}]"] = final_ratio
            fitted[f"ratio_slope[{key}]"] = check.fit.slope
            arrays[f"ratio[{key}]"] = Y / rate(grid)
            series.append(Series(f"{key}", grid, Y / rate(grid)))
        if index == 0:
            frozen = FixedPolicy()
            Yc, _ = _runs(frozen, key_mdp, T, n_seeds, seed)
            check = rate_test(grid, Yc, rate, tail=1.0, seed=seed)
            controls.append(
                Control(
                    f"{frozen.label} on {mdp.name}", check.verdict, {"ratio_slope": check.fit.slope}
                )
            )
            series.append(Series(f"control: {frozen.label} on {mdp.name}", grid, Yc / rate(grid)))
    if finals:
        fitted["max_final_ratio_over_grid"] = max(finals)
    evidence = Evidence(
        arrays=arrays,
        fitted=fitted,
        series=tuple(series),
        xlabel="steps T",
        ylabel="regret / (D S sqrt(A T log T))",
        title="UCRL2: regret over D S sqrt(A T log T) on a (D, S) grid",
    )
    return Outcome(evidence, Verdict.combine(verdicts), tuple(controls))


# --------------------------------------------------------------------------------------------
# Comparisons: regret grows with D; TSDE below UCRL2
# --------------------------------------------------------------------------------------------


@theorem(
    id="jaksch2010-ucrl2-regret-grows-with-D",
    paper=f"{JAKSCH}, Theorems 2 and 5 (regret of order D S sqrt(A T) and at least sqrt(D S A T))",
    tags=("average-reward", "ucrl2", "regret", "comparison", "diameter"),
    kind="comparison",
    verified=False,
)
def ucrl2_regret_grows_with_D(scale: str, seed: int) -> Outcome:
    """At fixed S = 9, A = 4 and T, UCRL2's regret (paper's radii) grows with the diameter: on
    average_gridworld(size=3) with slip 0.1, 0.3, 0.5 (D = 4.44, 5.71, 8) the paired difference
    Regret(D') - Regret(D) of consecutive slips is positive (Student-t 95% interval over paired
    seeds).

    Formula
    -------
    D < D' at fixed S, A, T => E[Regret_UCRL2(D', T) - Regret_UCRL2(D, T)] > 0

    Rule
    ----
    instances and slips fixed in code before any run (average_gridworld(3, slip), slip in {{0.1,
    0.3, 0.5}}); criterion: the 95% paired Student-t interval of each consecutive difference of
    final regrets above 0 (pass), below 0 (fail), else inconclusive; control: the frozen policy
    (action 0, 'up', which never leaves the start row, so its regret T rho* = T / (1 + D) falls with
    D) through the same criterion. T and seeds as the slope check.

    Source
    ------
    {JAKSCH_SOURCE}
    """
    T, n_seeds = _PLAN[check_scale(scale)]
    grid = _grid(T)
    verdicts, controls, series = [], [], []
    fitted: dict[str, float] = {}
    finals = {}
    control_finals = {}
    for key_mdp in _D_PLAN:
        D = _diameter(key_mdp)
        Y, _ = _runs(UCRL2(), key_mdp, T, n_seeds, seed)
        Yc, _ = _runs(FixedPolicy(), key_mdp, T, n_seeds, seed)
        finals[key_mdp] = Y[:, -1]
        control_finals[key_mdp] = Yc[:, -1]
        fitted[f"mean_regret[D={D:.3g}]"] = float(Y[:, -1].mean())
        series.append(Series(f"UCRL2 on {_model(key_mdp).name} (D = {D:.3g})", grid, Y))
    for low_key, high_key in itertools.pairwise(_D_PLAN):
        what = f"D {_diameter(low_key):.3g} -> {_diameter(high_key):.3g}"
        verdict, numbers = paired_difference_test(
            finals[high_key], finals[low_key], f"UCRL2, {what}"
        )
        verdicts.append(verdict)
        fitted[f"mean_increase[{what}]"] = numbers["mean_difference"]
        c_verdict, c_numbers = paired_difference_test(
            control_finals[high_key], control_finals[low_key], f"frozen policy, {what}"
        )
        controls.append(
            Control(
                f"frozen policy (action 0), {what}",
                c_verdict,
                {"mean_difference": c_numbers["mean_difference"]},
            )
        )
    evidence = Evidence(
        fitted=fitted,
        series=tuple(series),
        **GAP_REGRET.labels(),
        title="UCRL2 on average_gridworld(3, slip): regret against D",
    )
    return Outcome(evidence, Verdict.combine(verdicts), tuple(controls))


@theorem(
    id="ouyang2017-tsde-below-ucrl2",
    paper=f"{OUYANG}, section 6 (experiments); Osband, Russo, Van Roy, NeurIPS 2013",
    tags=("average-reward", "tsde", "ucrl2", "regret", "comparison"),
    kind="comparison",
    verified=False,
)
def tsde_below_ucrl2(scale: str, seed: int) -> Outcome:
    """On river_swim(S=6), TSDE (Dirichlet(1) prior on each row) has lower regret than UCRL2 with
    the paper's radii at T: the paired difference Regret_UCRL2(T) - Regret_TSDE(T) is positive
    (Student-t 95% interval over paired seeds). An empirical comparison (the classical observation),
    not a theorem.

    Formula
    -------
    E[Regret_UCRL2(T) - Regret_TSDE(T)] > 0 on RiverSwim

    Rule
    ----
    instance, prior (alpha = 1) and radii (the paper's) fixed in code before any run; criterion: the
    95% paired Student-t interval of Regret_UCRL2(T) - Regret_TSDE(T) above 0 (pass), below 0
    (fail), else inconclusive; control: the frozen policy (action 0, RiverSwim's small left reward:
    linear regret) in TSDE's place, same criterion. T and seeds as the slope check.

    Source
    ------
    theory-wave2.md section 1.4: the two stopping criteria [S] (a review of the paper), their exact
    form and the theorem [M]; the comparison with UCRL2 on RiverSwim is the observation of Osband,
    Russo, Van Roy (NeurIPS 2013) and of the TSDE paper's experiments [S]
    """
    T, n_seeds = _PLAN[check_scale(scale)]
    grid = _grid(T)
    Y_ucrl2, _ = _runs(UCRL2(), _RIVER, T, n_seeds, seed)
    Y_tsde, _ = _runs(TSDE(), _RIVER, T, n_seeds, seed)
    Y_frozen, _ = _runs(FixedPolicy(), _RIVER, T, n_seeds, seed)
    verdict, numbers = paired_difference_test(
        Y_ucrl2[:, -1], Y_tsde[:, -1], f"UCRL2 - TSDE on river_swim(S=6) at T = {T}"
    )
    c_verdict, c_numbers = paired_difference_test(
        Y_ucrl2[:, -1], Y_frozen[:, -1], f"UCRL2 - frozen policy at T = {T}"
    )
    evidence = Evidence(
        arrays={"T": grid, "ucrl2": Y_ucrl2, "tsde": Y_tsde, "frozen": Y_frozen},
        fitted={
            "mean_regret_ucrl2": float(Y_ucrl2[:, -1].mean()),
            "mean_regret_tsde": float(Y_tsde[:, -1].mean()),
            **numbers,
        },
        series=(
            Series("UCRL2", grid, Y_ucrl2),
            Series("TSDE", grid, Y_tsde),
            Series("control: frozen policy (action 0)", grid, Y_frozen),
        ),
        **GAP_REGRET.labels(),
        title="TSDE against UCRL2 on RiverSwim",
    )
    control = Control(
        "frozen policy (action 0) in TSDE's place",
        c_verdict,
        {"mean_difference": c_numbers["mean_difference"]},
    )
    return Outcome(evidence, verdict, (control,))


# --------------------------------------------------------------------------------------------
# Lower bound: Omega(sqrt(D S A T)) on the hard family tuned to T
# --------------------------------------------------------------------------------------------

LOWER_BOUND_C = 0.015
"""Theorem 5's constant: E[Regret(T)] >= 0.015 sqrt(D S A T) (from memory, tag [M]; not verified
against the paper). Fixed in code before any run."""
LOWER_BOUND_A = 10
"""Actions of the lower-bound family: Theorem 5 needs S, A >= 10."""
LOWER_BOUND_DEPTH = 1
"""Tree depth: A blocks under one root, S = 1 + 2 A = 21 states."""
LOWER_BOUND_DELTA = 0.1
"""Return probability of the blocks: D = 31 (exact) >= 20 log_A S = 26.4, as Theorem 5 needs."""
_LOWER_PLAN = {"quick": ((20_000, 100_000), 8), "full": ((10_000, 100_000, 1_000_000), 16)}


def _lower_model(T: int, child: np.random.SeedSequence) -> FiniteMDP:
    """Repetition ``child``'s model at ``T``: the hidden pair drawn from ``child``."""
    _, blocks, _ = lower_bound_layout(LOWER_BOUND_A, LOWER_BOUND_DEPTH)
    epsilon = lower_bound_epsilon(LOWER_BOUND_DELTA, blocks * LOWER_BOUND_A, T)
    return ucrl2_lower_bound(
        A=LOWER_BOUND_A,
        depth=LOWER_BOUND_DEPTH,
        delta=LOWER_BOUND_DELTA,
        epsilon=epsilon,
        seed=child,
    )


@lru_cache(maxsize=8)
def _lower_runs(grid: tuple[int, ...], n_seeds: int, seed: int):
    """Regret(T) / sqrt(D_j S A T) per learner (n_seeds x len(grid)), the exact blind regrets
    and the diameters, on the lower-bound family."""
    names = ("UCRL2", "TSDE", "control: oracle told the hidden pair")
    ratios = {name: np.empty((n_seeds, len(grid))) for name in names}
    diameters = np.empty((n_seeds, len(grid)))
    blind = np.empty((n_seeds, len(grid)))
    flat = ucrl2_lower_bound(
        A=LOWER_BOUND_A, depth=LOWER_BOUND_DEPTH, delta=LOWER_BOUND_DELTA, epsilon=0.0
    )
    flat_gain = optimal_gain_bias(flat).gain  # every pair alike: what a blind learner gets
    for j, child in enumerate(spawn_seeds(seed, n_seeds)):
        instance_seed, learner_seed = child.spawn(2)
        for i, T in enumerate(grid):
            mdp = _lower_model(T, instance_seed)
            D = diameter(mdp).value
            solution = optimal_gain_bias(mdp)
            diameters[j, i] = D
            blind[j, i] = T * (solution.gain - flat_gain)
            scale = math.sqrt(D * mdp.S * mdp.A * T)
            oracle = FixedPolicy(tuple(int(a) for a in solution.policy))
            for name, learner in zip(names, (UCRL2(), TSDE(), oracle), strict=True):
                trace = learner.run(mdp, T, learner_seed)
                ratios[name][j, i] = trace.pseudo_regret.sum() / scale
    return ratios, blind, diameters


@theorem(
    id="jaksch2010-ucrl2-lower-bound",
    paper=f"{JAKSCH}, Theorem 5 (lower bound) and section 6 (the hard instance)",
    tags=("average-reward", "ucrl2", "tsde", "regret", "lower-bound"),
    kind="lower-bound",
    verified=False,
)
def ucrl2_lower_bound_check(scale: str, seed: int) -> Outcome:
    """On the lower bound's family with S, A >= 10 (ucrl2_lower_bound(A=10, depth=1, delta=0.1): S =
    21, D = 31, epsilon tuned to T, the hidden pair drawn per repetition), the expected regret of
    UCRL2 (paper's radii) and of TSDE at T stays above c sqrt(D S A T) with c = 0.015: the Student-t
    95% interval of Regret(T) / sqrt(D S A T) over repetitions lies at or above c at every T of the
    grid (2e4, 1e5 quick; 1e4, 1e5, 1e6 full). The oracle told the hidden pair (regret 0) is the
    control the same criterion rejects.

    Formula
    -------
    E[T rho* - sum r_t] >= 0.015 sqrt(D S A T) for S, A >= 10, D >= 20 log_A S, T >= D S A

    Rule
    ----
    fixed in code before any run: ucrl2_lower_bound(A=10, depth=1, delta=0.1) (S = 21, D = 31 >= 20
    log_A S = 26.4, T >= D S A = 6510: Theorem 5's conditions), with epsilon =
    lower_bound_epsilon(0.1, arms = 100 (block, action) pairs, T) = min(delta, sqrt(delta arms / T))
    tuned to each T of the grid {{2e4, 1e5}} (quick, 8 seeds) or {{1e4, 1e5, 1e6}} (full, 16 seeds);
    repetition j draws its hidden pair and the learner's stream from two children of the j-th
    spawned seed (the same for every learner: paired). Constant c = 0.015 (Theorem 5, from memory).
    Criterion at each T and learner: the Student-t 95% interval of the mean over repetitions of
    Regret(T) / sqrt(D_j S A T) (D_j the exact diameter of repetition j's model) lies at or above c
    (pass), entirely below c (fail), else inconclusive. Learners: UCRL2 (paper's radii) and TSDE
    (alpha = 1). Control: the oracle that is told the hidden pair (the optimal stationary policy of
    each repetition's model, gap regret 0), same grid, repetitions and criterion. Also exact, per T:
    the regret T (rho* - rho_blind) of a learner that never finds the hidden pair (rho_blind: the
    gain with epsilon = 0) must exceed c sqrt(D S A T), or the family cannot carry the bound at T.

    Source
    ------
    {JAKSCH_SOURCE}; Theorem 5's statement, constant 0.015 and conditions [M] (theory-wave2.md
    section 1.2); the tuning of epsilon to T is derived here [D]
    """
    grid, n_seeds = _LOWER_PLAN[check_scale(scale)]
    _, _, S = lower_bound_layout(LOWER_BOUND_A, LOWER_BOUND_DEPTH)
    ratios, blind, diameters = _lower_runs(tuple(grid), n_seeds, seed)
    x = np.asarray(grid, dtype=np.float64)
    if not (S >= 10 and LOWER_BOUND_A >= 10):
        raise ValueError(f"the lower-bound family has S = {S}, A = {LOWER_BOUND_A}: need >= 10")
    low_D = float(diameters.min())
    if low_D < 20 * math.log(S) / math.log(LOWER_BOUND_A) or min(grid) < low_D * S * LOWER_BOUND_A:
        raise ValueError(
            f"Theorem 5's conditions fail: D = {low_D:.3g}, S = {S}, A = {LOWER_BOUND_A}, "
            f"T from {min(grid)}"
        )
    verdicts, controls, series = [], [], []
    fitted: dict[str, float] = {"c": LOWER_BOUND_C, "min_D": low_D, "max_D": float(diameters.max())}

    def judged(name: str) -> Verdict:
        parts = []
        for i, T in enumerate(grid):
            mean, low, high = t_interval(ratios[name][:, i])
            fitted[f"mean_ratio[{name}, T={T}]"] = mean
            parts.append(
                interval_test(
                    low,
                    high,
                    f"{name} at T = {T}: Regret / sqrt(D S A T) = {mean:.4g} (95% CI [{low:.4g}, "
                    f"{high:.4g}], {n_seeds} hidden pairs) against c = {LOWER_BOUND_C}",
                    at_least=LOWER_BOUND_C,
                )
            )
        return Verdict.combine(parts)

    for name in ("UCRL2", "TSDE"):
        verdicts.append(judged(name))
        series.append(Series(name, x, ratios[name]))
    control_name = "control: oracle told the hidden pair"
    controls.append(
        Control(
            "the oracle told the hidden pair (optimal policy, gap regret 0)",
            judged(control_name),
            {"max_ratio": float(ratios[control_name].max())},
        )
    )
    # Drawn floored: the oracle's regret is 0, off a log axis.
    series.append(
        Series(f"{control_name} (floored at 1e-4)", x, np.maximum(ratios[control_name], 1e-4))
    )
    blind_ratio = blind / np.sqrt(diameters * S * LOWER_BOUND_A * x)
    fitted["min blind regret / sqrt(D S A T)"] = float(blind_ratio.min())
    text = (
        f"a learner that never finds the hidden pair has regret T (rho* - rho_blind) = "
        f"{float(blind_ratio.min()):.4g} to {float(blind_ratio.max()):.4g} x sqrt(D S A T)"
    )
    verdicts.append(
        Verdict.passed(f"{text}, above c: the family carries the bound")
        if blind_ratio.min() > LOWER_BOUND_C
        else Verdict.failed(f"{text}, not above c: the family cannot carry the bound at this T")
    )
    evidence = Evidence(
        arrays={"T": x, "blind_ratio": blind_ratio, "diameter": diameters}
        | {f"ratio[{name}]": r for name, r in ratios.items()},
        fitted=fitted,
        series=(*series, Series("never finds the hidden pair (exact)", x, blind_ratio)),
        lines=(
            Line(
                f"c = {LOWER_BOUND_C} (Theorem 5)", x, np.full(x.shape, LOWER_BOUND_C), role="bound"
            ),
        ),
        xlabel="steps T (epsilon tuned to each T)",
        ylabel="Regret(T) / sqrt(D S A T)",
        title="Lower bound: regret over sqrt(D S A T) on the hard family (S = 21, A = 10)",
    )
    return Outcome(evidence, Verdict.combine(verdicts), tuple(controls))


# --------------------------------------------------------------------------------------------
# Exact bookkeeping: epoch count, gap-regret identity
# --------------------------------------------------------------------------------------------


@theorem(
    id="jaksch2010-ucrl2-epoch-count",
    paper=f"{JAKSCH}, Figure 1 and the appendix proposition on the number of episodes",
    tags=("average-reward", "ucrl2", "exact", "epochs"),
    kind="exact",
    verified=False,
)
def ucrl2_epoch_count(scale: str, seed: int) -> Outcome:
    """UCRL2's doubling rule makes at most S A log2(8 T / (S A)) episodes in T >= S A steps, on
    every run: checked on the runs of the slope and comparison checks (paper's radii and multipliers
    0.3, 0.1 on river_swim(S=6); the paper's radii on the gridworlds; UCRL2-B on river_swim).

    Formula
    -------
    m(T) <= S A log2(8 T / (S A))

    Source
    ------
    {JAKSCH_SOURCE}
    """
    T, n_seeds = _PLAN[check_scale(scale)]
    cases = [(UCRL2(radius_scale=c), _RIVER) for c in RADIUS_GRID]
    cases += [(UCRL2B(), _RIVER)] + [(UCRL2(), key) for key in _D_PLAN]
    fitted: dict[str, float] = {}
    worst = 0.0
    labels, ratios = [], []
    for learner, key_mdp in cases:
        mdp = _model(key_mdp)
        _, epochs = _runs(learner, key_mdp, T, n_seeds, seed)
        bound = mdp.S * mdp.A * math.log2(8 * T / (mdp.S * mdp.A))
        ratio = float(epochs.max() / bound)
        fitted[f"max_epochs_over_bound[{learner.label} on {mdp.name}]"] = ratio
        worst = max(worst, ratio)
        labels.append(f"{learner.label} on {mdp.name}")
        ratios.append(ratio)
    _, tsde_epochs = _runs(TSDE(), _RIVER, T, n_seeds, seed)
    river = _model(_RIVER)
    tsde_ratio = float(
        tsde_epochs.max() / (river.S * river.A * math.log2(8 * T / (river.S * river.A)))
    )
    evidence = Evidence(
        arrays={"epochs_over_bound": np.array(ratios)},
        fitted={**fitted, "control TSDE epochs over the bound": tsde_ratio},
        series=(
            Series(
                "max epochs / S A log2(8T/(SA))",
                np.arange(len(ratios)),
                np.array(ratios),
                style="points",
            ),
        ),
        lines=(Line("bound", np.array([0.0, len(ratios) - 1.0]), np.ones(2), role="bound"),),
        xlabel="case",
        ylabel="epochs / bound",
        xscale="linear",
        yscale="linear",
        title="UCRL2 episodes against S A log2(8T/(SA))",
    )
    text = (
        f"{len(cases)} learner-instance pairs x {n_seeds} seeds: epochs at most {worst:.3g} x "
        "the bound"
    )
    verdict = Verdict.passed(text) if worst <= 1.0 else Verdict.failed(text)
    c_text = f"TSDE's epochs reach {tsde_ratio:.3g} x the bound"
    control = Control(
        "TSDE (another epoch rule) against the same bound",
        Verdict.failed(c_text) if tsde_ratio > 1.0 else Verdict.passed(c_text),
        {"epochs_over_bound": tsde_ratio},
    )
    return Outcome(evidence, verdict, (control,))


def _identity_residual(
    mdp: FiniteMDP, trace, h: np.ndarray, rho: float, gaps: np.ndarray
) -> tuple[float, float, float, float]:
    """Largest |lhs - rhs| / t of the identity over every step, the largest |h(s_{t+1}) -
    h(s_1)|, the largest |martingale| and the largest mismatch of the recorded gaps."""
    states, actions = trace.extras["states"], trace.extras["actions"]
    T = actions.size
    gap_error = float(np.abs(trace.pseudo_regret - gaps[states[:-1], actions]).max())
    rewards = rho - trace.realised_regret
    Ph = mdp.P @ h
    martingale = np.cumsum(Ph[states[:-1], actions] - h[states[1:]])
    noise = np.cumsum(mdp.R[states[:-1], actions] - rewards)
    boundary = h[states[1:]] - h[states[0]]
    lhs = np.cumsum(trace.realised_regret) - np.cumsum(trace.pseudo_regret)
    residual = np.abs(lhs - (boundary + martingale + noise)) / np.arange(1, T + 1)
    return (
        float(residual.max()),
        float(np.abs(boundary).max()),
        float(np.abs(martingale).max()),
        gap_error,
    )


@theorem(
    id="average-reward-gap-regret-identity",
    paper="Puterman (1994), eq. 8.4.1 (average-reward optimality equation); the regret "
    f"decomposition of {JAKSCH}, section 4",
    tags=("average-reward", "regret", "exact", "identity"),
    kind="exact",
    verified=False,
)
def gap_regret_identity(scale: str, seed: int) -> Outcome:
    """On every step of recorded runs, realised regret minus gap regret equals h*(s_(t+1)) - h*(s_1)
    (at most sp(h*) in size) plus the martingale sum_t [(P h*)(s_t, a_t) - h*(s_(t+1))] plus the
    reward noise sum_t [r(s_t, a_t) - r_t], to rounding (1e-9 per step), and each recorded gap is
    gap(s_t, a_t) of the exact solution. UCRL2, UCRL2-B and TSDE on river_swim(S=6) and
    communicating_garnet(S=6, A=2, branching=3, seed=0, Bernoulli rewards); T = 1e5 (quick), 1e6
    (full).

    Formula
    -------
    T rho* - sum r_t = sum gap(s_t, a_t) + h*(s_(T+1)) - h*(s_1) + sum_t [(P h*)(s_t, a_t) -
    h*(s_(t+1))] + sum_t [r(s_t, a_t) - r_t], on every path

    Source
    ------
    derived here from the optimality equation (tag [D]); the decomposition is the one UCRL2's
    analysis uses (theory-wave2.md section 1.2)
    """
    T = 100_000 if check_scale(scale) == "quick" else 1_000_000
    models = (
        river_swim(S=6),
        communicating_garnet(S=6, A=2, branching=3, seed=0, noise="bernoulli"),
    )
    fitted: dict[str, float] = {}
    worst = 0.0
    worst_gap = 0.0
    control_worst = 0.0
    for mdp in models:
        solution = optimal_gain_bias(mdp)
        h, rho = solution.bias, solution.gain
        gaps = bellman_gaps(mdp, solution)
        sp = span(h)
        # Control: the same identity with a bias off by a state-dependent amount (0.1 s).
        wrong_h = h + 0.1 * np.arange(mdp.S)
        for learner in (UCRL2(), UCRL2B(), TSDE()):
            trace = learner.run(mdp, T, seed, record_trajectory=True)
            residual, boundary, martingale, gap_error = _identity_residual(mdp, trace, h, rho, gaps)
            key = f"{learner.label} on {mdp.name}"
            fitted[f"max_residual_per_step[{key}]"] = residual
            fitted[f"max_boundary_over_span[{key}]"] = boundary / sp
            fitted[f"max_martingale_over_span_sqrtT[{key}]"] = martingale / (sp * math.sqrt(T))
            worst = max(worst, residual, boundary - sp)
            worst_gap = max(worst_gap, gap_error)
            control_worst = max(
                control_worst, _identity_residual(mdp, trace, wrong_h, rho, gaps)[0]
            )
    evidence = Evidence(
        fitted={
            **fitted,
            "max recorded-gap mismatch": worst_gap,
            "control: max residual per step with h* + 0.1 s": control_worst,
        }
    )
    ok = worst <= IDENTITY_TOL and worst_gap <= IDENTITY_TOL
    text = (
        f"{len(models)} instances x 3 learners x {T} steps: identity residual at most "
        f"{worst:.2g} per step, |h*(s_(t+1)) - h*(s_1)| <= sp(h*), recorded gaps exact to "
        f"{worst_gap:.2g}"
    )
    verdict = Verdict.passed(text) if ok else Verdict.failed(text)
    c_text = f"with h* + 0.1 s in place of h*: residual up to {control_worst:.3g} per step"
    control = Control(
        "a bias off by 0.1 s",
        Verdict.failed(c_text) if control_worst > IDENTITY_TOL else Verdict.passed(c_text),
        {"max_residual_per_step": control_worst},
    )
    return Outcome(evidence, verdict, (control,))
