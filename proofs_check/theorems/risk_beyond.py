"""Checks of risk-sensitive RL beyond the tabular iterated-CVaR learner.

* ``zhao2024-discretised-planner-error``: the discretised CVaR-LSVI planner (Zhao et al., ICLR
  2024) is within ``(H + 1 - alpha) eta / alpha`` of the exact static CVaR optimum, never above
  it, and its error falls with slope 1 in ``eta``; controls: the planner that rounds the budget
  the wrong way, and one whose grid does not refine with ``eta``.
* ``wang2023-cvar-ucbvi-regret-slope``: CVaR-UCBVI's exact static-CVaR regret grows as
  ``sqrt(K)`` after the burn-in of its bonus; control: the greedy learner on H8.
* ``chen2024-icvar-l-regret-slope``: ICVaR-L's exact iterated-CVaR regret grows as ``sqrt(K)``
  after the burn-in of its bonus on the safe/risky route (actions swapped, so ties do not pick
  the safe road); control: the risk-neutral LSVI-UCB, which converges to the mean-optimal
  (risky) road.

Every value is exact: the static CVaR optimum by the augmented DP
(:func:`mdptheory.risk.static_cvar_optimum`), iterated-CVaR values by their DP, regrets per
episode for the executed policy. Every constant, grid and tolerance below is fixed in code
before any run of its criterion; the burn-ins come from the bonus formulas alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np

from algorithms.linear import LSVIUCB
from algorithms.risk import CVaRUCBVI, ICVaRL, LowRankCVaRUCB, icvar_l_beta
from algorithms.risk.cvar_ucbvi import cvar_ucbvi_log_factor
from instances.linear import simplex_feature_linear_mdp, tabular_as_linear
from instances.risk import du2023_hard_instance, safe_vs_risky_route
from instances.tabular import garnet
from mdptheory.experiment import regret_curves, run_seeds
from mdptheory.linear import LowRankMDP
from mdptheory.risk import (
    budget_grid,
    discretisation_error_bound,
    discretised_cvar_lsvi,
    icvar_backward_induction,
    icvar_evaluate,
    icvar_max_episode_regret,
    return_distribution,
    static_cvar_optimum,
)
from mdptheory.seeding import as_generator
from mdptheory.tabular import EpisodicMDP
from proofs_check.axes import ICVAR_REGRET
from proofs_check.findings import Findings
from proofs_check.harness import Outcome, Verdict, check_scale, theorem
from proofs_check.rates import (
    burn_in_slope_numbers,
    fit_loglog_slope,
    geometric_grid,
    ratio_band_test,
    slope_test,
)
from proofs_check.theorems.risk import BURN_IN_FRACTION, slope_after_burn_in, slope_grid

ZHAO = "Zhao, Zhan, Hu, Leung, Farnia, Sun, Lee (ICLR 2024), arXiv:2311.11965"
WANG = "Wang, Kallus, Sun (ICML 2023), arXiv:2302.03201"
CHEN = "Chen, Du, Hu, Wang, Wu, Huang (ICLR 2024), arXiv:2307.02842"

# --------------------------------------------------------------------------------------------
# Discretised planner
# --------------------------------------------------------------------------------------------

PLANNER_ALPHA = 0.3
"""Risk level of the planner check."""
PLANNER_PLAN = {"quick": (8, 1e-3, 9), "full": (32, 1e-4, 13)}
"""Instances, smallest eta and grid points (eta from that value to 0.1, geometric)."""
PLANNER_SLOPE_TOL = 0.1
"""Tolerance of the slope: at least 1 - 0.1 over the whole eta grid."""
FIXED_ETA = 0.1
"""Control: a planner whose budget grid stays at this width whatever eta is asked for."""


def planner_instances(seed: int, n: int) -> list:
    """``n`` simplex-feature linear MDPs (S=4, A=2, H=3, d=3) with generic rewards in [0, 1]."""
    seeds = as_generator(seed).integers(0, 2**31 - 1, size=n)
    return [simplex_feature_linear_mdp(S=4, A=2, H=3, d=3, seed=int(s)) for s in seeds]


def planner_errors(
    models: list, etas: np.ndarray, alpha: float, rounding: str = "up", fixed: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``CVaR* - value(eta)`` (instances x grid) and the optima (instances,)."""
    optima = np.array([static_cvar_optimum(m.tabular(), alpha).value for m in models])
    E = np.array(
        [
            [
                optimum - discretised_cvar_lsvi(m, alpha, fixed or eta, rounding).value
                for eta in etas
            ]
            for m, optimum in zip(models, optima, strict=True)
        ]
    )
    return E, optima


def _planner_criterion(
    label: str, etas: np.ndarray, E: np.ndarray, optima: np.ndarray, H: int, alpha: float, seed: int
):
    """The planner claim, the same for the planner and its controls: (a) at every instance and
    eta, ``-1e-12 <= error`` and, where the bound is informative (below the optimum, the range
    of the error), ``error <= (H + 1 - alpha) eta / alpha``; (b) the mean error over the
    instances is positive and its log-log slope over the whole grid is at least 1 (tolerance
    :data:`PLANNER_SLOPE_TOL`, bootstrap over the instances)."""
    bound = np.array([discretisation_error_bound(H, alpha, eta) for eta in etas])
    informative = bound[None, :] < optima[:, None]
    below = E >= -1e-12
    within = (E <= bound[None, :] + 1e-12) | ~informative
    exact = Verdict.passed_if(
        bool(below.all() and within.all()),
        f"{label}: error >= 0 at {int(below.sum())}/{below.size} points, <= the bound at "
        f"{int((within & informative).sum())}/{int(informative.sum())} informative points "
        f"(min error {E.min():.3g})",
    )
    mean = E.mean(axis=0)
    if (mean <= 0.0).any():
        fit = None
        slope = Verdict.failed(
            f"{label}: the mean error is not positive at eta = "
            f"{etas[np.argmax(mean <= 0.0)]:.3g} (min {mean.min():.3g})"
        )
    else:
        fit = fit_loglog_slope(etas, E, tail=1.0, seed=seed)
        slope = slope_test(fit, min_slope=1.0, tol=PLANNER_SLOPE_TOL)
        slope = slope.about(label)
    measured = {
        "min_error": float(E.min()),
        "max_error_over_bound": float(np.max(np.where(informative, E / bound[None, :], -np.inf))),
    }
    if fit is not None:
        measured.update(fit.numbers())
    return Verdict.combine([exact, slope]), measured, fit


@theorem(
    id="zhao2024-discretised-planner-error",
    paper=f"{ZHAO}: the discretised LSVI planning oracle for the CVaR objective",
    tags=("risk-beyond", "static-cvar", "planner", "slope"),
    kind="slope",
    verified=False,
)
def discretised_planner_error(scale: str, seed: int) -> Outcome:
    """The discretised CVaR-LSVI planner (budget left rounded up on a grid of width eta, backups
    through the known features) returns a value within (H + 1 - alpha) eta / alpha of the exact
    static CVaR optimum and never above it, at every eta of the grid and every instance, and its
    mean error falls at least linearly in eta (log-log slope >= 1 - 0.1). Instances: 8 (quick) or 32
    (full) simplex-feature linear MDPs (S=4, A=2, H=3, d=3) with generic rewards; alpha = 0.3; eta
    from 1e-3 (quick) or 1e-4 (full) to 0.1. Controls, through the same criterion: the planner
    rounding the budget down (optimistic), and a planner whose grid stays at width 0.1.

    Formula
    -------
    0 <= CVaR* - value(eta) <= (H + 1 - alpha) eta / alpha;  d log E[error] / d log eta >= 1

    Rule
    ----
    Fixed in code before any run: alpha 0.3, the instance family and sizes, the eta grid (geometric,
    1e-3 or 1e-4 to 0.1), the bound (H + 1 - alpha) eta / alpha derived in
    mdptheory.risk.discretised from the rounding-up argument, the slope tolerance 0.1 on the whole
    grid with a 95% bootstrap over the instances, the tolerance 1e-12 on the sign; the bound is
    judged only where it is below the optimum (the error's range).

    Source
    ------
    The planner's existence and polynomial time: the paper's abstract (read). The grid, the rounding
    direction and the bound are derived here; docs/theory-wave2.md 8.2 records 'discretisation error
    <= grid width' from memory. The paper's own planner and constant were not read.
    """
    n, eta_min, points = PLANNER_PLAN[check_scale(scale)]
    etas = geometric_grid(eta_min, 0.1, points)
    models = planner_instances(seed, n)
    H, alpha = models[0].H, PLANNER_ALPHA
    found = Findings(arrays={"eta": etas})
    E, optima = planner_errors(models, etas, alpha)
    verdict, measured, fit = _planner_criterion(
        "planner (rounding up)", etas, E, optima, H, alpha, seed
    )
    found.judge(verdict, measured)
    found.arrays.update({"error": E, "optimum": optima})
    found.curve("CVaR* - value (rounding up)", etas, E)
    if fit is not None:
        found.rate_fit("planner", fit, reference=1.0, numbers=None)
    bound = np.array([discretisation_error_bound(H, alpha, eta) for eta in etas])
    found.line("(H + 1 - alpha) eta / alpha", etas, bound, role="bound")
    for name, kwargs in (
        ("rounding down", {"rounding": "down"}),
        (f"grid fixed at {FIXED_ETA:g}", {"fixed": FIXED_ETA}),
    ):
        E_c, _ = planner_errors(models, etas, alpha, **kwargs)
        c_verdict, c_measured, _ = _planner_criterion(name, etas, E_c, optima, H, alpha, seed)
        found.control(f"planner, {name}", c_verdict, c_measured)
        found.arrays[f"error[{name}]"] = E_c
        if (E_c.mean(axis=0) > 0).all():
            found.curve(f"control: {name}", etas, E_c)
    return found.outcome(
        xlabel="grid width eta",
        ylabel="CVaR* - value(eta)",
        title="Discretised CVaR-LSVI: error against the exact optimum",
    )


# --------------------------------------------------------------------------------------------
# Regret slopes of the learners
# --------------------------------------------------------------------------------------------


STATIC_ALPHA, STATIC_ETA = 0.25, 0.25
"""Risk level and budget grid of the CVaR-UCBVI check."""
STATIC_C_GRID = (1.0, 0.3, 0.1, 0.03)
"""Bonus scales of the CVaR-UCBVI check (1 is the Hoeffding bonus H sqrt(L/n))."""
STATIC_PLAN = {"quick": (30_000, 6), "full": (300_000, 8)}
STATIC_CONTROL_H8 = {"n": 2, "A": 2, "H": 10, "alpha": 0.3, "eta": 0.01}
"""H8 of the greedy control (as in the ICVaR-RM check); its rewards 1, 0.8, 0.2 lie on the
grid of width 0.2, its static CVaR is taken at level 0.3."""
STATIC_CONTROL_GRID = 0.2


def quarter_garnet() -> EpisodicMDP:
    """``garnet(S=4, A=2, branching=2, H=3, seed=0)`` with its rewards rounded to multiples of
    1/4, so that the budget grid of width 1/4 is exact."""
    g = garnet(S=4, A=2, branching=2, H=3, seed=0)
    R = np.round(np.asarray(g.R).reshape(-1, g.S, g.A)[0] * 4) / 4
    return EpisodicMDP(
        np.asarray(g.dense_P())[0],
        R,
        g.H,
        initial=g.initial,
        name="quarter_garnet(S=4, A=2, branching=2, H=3, seed=0)",
    )


def static_burn_in(mdp: EpisodicMDP, K: int, learner: CVaRUCBVI) -> tuple[int, float]:
    """CVaR-UCBVI's burn-in from its bonus formula: ``S A n*`` episodes, ``n*`` the visits of a
    pair until ``c H sqrt(L / n) < Delta / H``, ``Delta = CVaR*`` (the largest static-CVaR regret
    of an episode, returns being >= 0): ``n* = floor(c^2 H^4 L / Delta^2) + 1``. Returns
    ``(episodes, Delta)``.

    Examples
    --------
    >>> static_burn_in(quarter_garnet(), 30_000, CVaRUCBVI(alpha=0.25, eta=0.25))[0] > 0
    True
    """
    delta = static_cvar_optimum(mdp, learner.alpha).value
    n_grid = budget_grid(mdp.H, learner.eta).shape[0]
    L = cvar_ucbvi_log_factor(mdp.S, mdp.A, mdp.H, K, n_grid, learner.delta)
    c = float(learner.bonus_scale)
    n_star = math.floor(c * c * mdp.H**4 * L / (delta * delta)) + 1
    return mdp.S * mdp.A * n_star, delta


@lru_cache(maxsize=16)
def _static_curves(
    learner: CVaRUCBVI, instance: str, K: int, n_seeds: int, seed: int
) -> np.ndarray:
    model = quarter_garnet() if instance == "garnet" else du2023_hard_instance(**STATIC_CONTROL_H8)
    return regret_curves(learner, model, K, n_seeds, seed)


def _rate_criterion(label: str, grid: np.ndarray, Y: np.ndarray, burn: int, K: int, seed: int):
    """The rate criterion of both learner checks, the same for learners and controls: that of
    the ICVaR-RM slope check (:func:`~proofs_check.theorems.risk.slope_after_burn_in`)."""
    return slope_after_burn_in(
        label, grid, Y, burn, K, seed, f"burn-in from the bonus formula {burn} episodes"
    )


@dataclass(frozen=True)
class _SlopeJudge:
    """The learner slope checks' shared criterion over one budget ``K``: each bonus scale and
    the control are judged by :func:`_rate_criterion` on the same ``grid`` and ``seed``."""

    found: Findings
    K: int
    grid: np.ndarray
    seed: int

    def scale(self, key: str, label: str, burn: int, curves) -> None:
        """One bonus scale: vacuous and not run when its burn-in exceeds
        ``BURN_IN_FRACTION * K`` (the rule says so whatever the run), else ``curves()`` (seeds x
        K cumulative regret) judged and recorded."""
        found, grid = self.found, self.grid
        if burn > BURN_IN_FRACTION * self.K:
            found.judge(
                Verdict.vacuous(
                    f"{key}: burn-in from the bonus formula {burn} episodes "
                    f"exceeds {BURN_IN_FRACTION:g} K; not run"
                )
            )
            found.fitted[f"burn_in[{key}]"] = float(burn)
            return
        Y = curves()[:, grid - 1]
        verdict, fit, local = _rate_criterion(key, grid, Y, burn, self.K, self.seed)
        found.judge(verdict, burn_in_slope_numbers(fit, local, burn, key))
        found.arrays[f"regret[{key}]"] = Y
        found.curve(label, grid, Y)
        found.rate_fit(key, fit, local, numbers=None)
        found.burn_in[f"burn-in {key}"] = burn

    def control(self, name: str, short: str, curves: np.ndarray, burn: int) -> None:
        """The negative control (``curves``: seeds x K cumulative regret), same criterion."""
        Y = curves[:, self.grid - 1]
        verdict, fit, local = _rate_criterion(short, self.grid, Y, burn, self.K, self.seed)
        numbers = burn_in_slope_numbers(fit, local, burn)
        self.found.rate_control(name, verdict, numbers, local, f"control: {short}")
        self.found.curve(f"control: {short}", self.grid, Y, array=f"regret[{short}]")


@theorem(
    id="wang2023-cvar-ucbvi-regret-slope",
    paper=f"{WANG}: regret O~(sqrt(SAK/tau)) (continuity) or O~(tau^-1 sqrt(SAK))",
    tags=("risk-beyond", "static-cvar", "cvar-ucbvi", "regret", "slope"),
    kind="slope",
    verified=False,
)
def cvar_ucbvi_regret_slope(scale: str, seed: int) -> Outcome:
    """CVaR-UCBVI's exact static-CVaR regret grows at most as sqrt(K) once its burn-in is over: on
    the quarter garnet (garnet(S=4, A=2, branching=2, H=3, seed=0), rewards rounded to 1/4, budget
    grid 1/4) at alpha = 0.25, for every bonus scale c in {{1, 0.3, 0.1, 0.03}} (c = 1: the
    Hoeffding bonus H sqrt(L/n) on the augmented state; the paper's Bernstein bonus is not
    reproduced) whose burn-in from the bonus formula ends before K/10, the tail slope on the last
    decade and every half-decade local slope after the burn-in are at most 1/2. Control: the greedy
    learner (c = 0) on H8(n=2, A=2, H=10, alpha=0.3, eta=0.01) at static level 0.3 (grid 0.2) must
    be rejected by the same criterion. K = 3e4 (quick, 6 seeds) or 3e5 (full, 8 seeds).

    Formula
    -------
    Regret(K) = O~(sqrt(S A K / tau)) => d log Regret / d log K <= 1/2 (+ 0.05 tail, + 0.1 local)
    for K >= burn-in

    Rule
    ----
    Fixed in code before any run of this criterion: the instance, alpha, the grid, the bonus-scale
    grid {{1, 0.3, 0.1, 0.03}}, the burn-in rule (S A n* episodes, n* the visits until the per-stage
    bonus c H sqrt(L/n) is below Delta/H with Delta = CVaR*, the regret's range; the rule of the
    ICVaR-RM slope check), a scale judged when its burn-in ends before K/10, the tolerances 0.05
    (tail) and 0.1 (local) and the control of the ICVaR-RM check. Pilot runs of the learner at c = 1
    and 0.3 (one seed, K = 1e5) were seen before this rule was written.

    Source
    ------
    Rates from the paper's abstract (read); the algorithm's bonus and constants were not read: the
    learner is of the CVaR-UCBVI type with a Hoeffding bonus.
    """
    K, n_seeds = STATIC_PLAN[check_scale(scale)]
    grid = slope_grid(K)
    mdp = quarter_garnet()
    found = Findings(arrays={"K": grid})
    judge = _SlopeJudge(found, K, grid, seed)
    for c in STATIC_C_GRID:
        learner = CVaRUCBVI(alpha=STATIC_ALPHA, eta=STATIC_ETA, bonus_scale=c)
        burn, found.fitted["cvar_optimum"] = static_burn_in(mdp, K, learner)
        curves = partial(_static_curves, learner, "garnet", K, n_seeds, seed)
        judge.scale(f"c={c:g}", learner.label, burn, curves)
    greedy = CVaRUCBVI(alpha=STATIC_CONTROL_H8["alpha"], eta=STATIC_CONTROL_GRID, bonus_scale=0.0)
    burn, _ = static_burn_in(du2023_hard_instance(**STATIC_CONTROL_H8), K, greedy)
    judge.control(
        "greedy CVaR-UCBVI (c = 0) on H8(n=2, A=2, H=10, alpha=0.3, eta=0.01)",
        "greedy on H8",
        _static_curves(greedy, "h8", K, n_seeds, seed),
        burn,
    )
    return found.outcome(
        xlabel="episodes K",
        ylabel="cumulative exact static-CVaR regret",
        title="CVaR-UCBVI: regret in K over a grid of bonus scales",
        slope_references={"claim 1/2": 0.5, "linear": 1.0},
    )


ICVAR_L_ALPHA = 0.1
"""Risk level of the ICVaR-L check (the route's crash probability: CVaR sees the crash)."""
ICVAR_L_C_GRID = (1.0, 0.1, 0.01, 0.003, 0.001)
"""Bonus scales of the ICVaR-L check (1 is the default radius c d H sqrt(iota))."""
ICVAR_L_PLAN = {"quick": (30_000, 6), "full": (300_000, 8)}
ICVAR_L_CONTROL_C = 0.003
"""LSVI-UCB's constant in the control (the same scale as a judged ICVaR-L run)."""


def swapped_route(H: int = 4) -> EpisodicMDP:
    """:func:`instances.risk.safe_vs_risky_route` (crash probability 0.1) with the actions
    swapped, 0 = risky: ties to the smallest action then favour the mean-optimal road."""
    route = safe_vs_risky_route(H=H)
    P = np.asarray(route.dense_P())[0][:, ::-1]
    R = np.asarray(route.R).reshape(-1, route.S, route.A)[0][:, ::-1]
    return EpisodicMDP(
        np.ascontiguousarray(P),
        np.ascontiguousarray(R),
        H,
        initial=route.initial,
        name=f"swapped_route(H={H})",
    )


def icvar_l_burn_in(
    mdp: EpisodicMDP, K: int, c: float, alpha: float, p: float = 0.05
) -> tuple[int, float]:
    """ICVaR-L's burn-in from its bonus formula: ``d n*`` episodes, ``n*`` the observations of a
    feature direction until the per-stage bonus ``(beta / alpha) / sqrt(n)`` is below
    ``Delta / H``, ``Delta`` the largest iterated-CVaR regret of one episode (exact); ``d = S A``
    (one-hot features). Returns ``(episodes, Delta)``.

    Examples
    --------
    >>> icvar_l_burn_in(swapped_route(), 30_000, 0.003, 0.1)[0] < 3_000
    True
    """
    d = mdp.S * mdp.A
    delta = icvar_max_episode_regret(mdp, alpha)
    beta = icvar_l_beta(d, mdp.H, K, p, c)
    n_star = math.floor((beta * mdp.H / (alpha * delta)) ** 2) + 1
    return d * n_star, delta


@lru_cache(maxsize=16)
def _icvar_l_curves(c: float, K: int, n_seeds: int, seed: int) -> np.ndarray:
    model = tabular_as_linear(swapped_route())
    return regret_curves(ICVaRL(alpha=ICVAR_L_ALPHA, c=c), model, K, n_seeds, seed)


def lsvi_ucb_curves(K: int, n_seeds: int, seed: int, regret_of) -> np.ndarray:
    """Cumulative regret of the risk-neutral LSVI-UCB (c = :data:`ICVAR_L_CONTROL_C`) on the
    swapped route, ``regret_of(mdp, pi)`` being the exact regret of one executed policy (each
    distinct policy evaluated once)."""
    mdp = swapped_route()
    learner = LSVIUCB(c=ICVAR_L_CONTROL_C, record_policies=True)
    traces = run_seeds(learner, tabular_as_linear(mdp), K, seeds=n_seeds, seed=seed, progress=False)
    cache: dict[bytes, float] = {}
    curves = []
    for trace in traces:
        regret = np.empty(K)
        for k, pi in enumerate(trace.extras["policies"]):
            key = pi.tobytes()
            if key not in cache:
                cache[key] = regret_of(mdp, pi)
            regret[k] = cache[key]
        curves.append(np.cumsum(regret))
    return np.stack(curves)


def lsvi_ucb_icvar_curves(K: int, n_seeds: int, seed: int) -> np.ndarray:
    """Cumulative iterated-CVaR regret (level :data:`ICVAR_L_ALPHA`) of the risk-neutral
    LSVI-UCB's executed policies on the swapped route."""
    mdp = swapped_route()
    optimum = float(mdp.initial @ icvar_backward_induction(mdp, ICVAR_L_ALPHA).values[0])
    return lsvi_ucb_curves(
        K,
        n_seeds,
        seed,
        lambda m, pi: optimum - float(m.initial @ icvar_evaluate(m, pi, ICVAR_L_ALPHA)[0]),
    )


@theorem(
    id="chen2024-icvar-l-regret-slope",
    paper=f"{CHEN}: ICVaR-L, regret O~(sqrt(alpha^-(H+1) (d^2 H^4 + d H^6) K))",
    tags=("risk-beyond", "icvar", "icvar-l", "linear", "regret", "slope"),
    kind="slope",
    verified=False,
)
def icvar_l_regret_slope(scale: str, seed: int) -> Outcome:
    """ICVaR-L's exact iterated-CVaR regret grows at most as sqrt(K) once its burn-in is over: on
    the safe/risky route (H=4, crash probability 0.1, actions swapped so that 0 is risky) read as a
    linear MDP with one-hot features (d = 8), at alpha = 0.1, for every bonus scale c in {{1, 0.1,
    0.01, 0.003, 0.001}} (c = 1: beta = d H sqrt(iota)) whose burn-in from the bonus formula ends
    before K/10, the tail slope on the last decade and every half-decade local slope after it are at
    most 1/2. Control: the risk-neutral LSVI-UCB (c = 0.003), which converges to the mean-optimal
    risky road, measured in iterated-CVaR regret, must be rejected by the same criterion. K = 3e4
    (quick, 6 seeds) or 3e5 (full, 8 seeds).

    Formula
    -------
    Regret(K) = O~(sqrt(alpha^-(H+1) (d^2 H^4 + d H^6) K)) => d log Regret / d log K <= 1/2 (+ 0.05
    tail, + 0.1 local) for K >= burn-in

    Rule
    ----
    Fixed in code before any run of this criterion: the instance (actions swapped so that ties do
    not favour the safe road), alpha = the crash probability 0.1, the bonus-scale grid, the burn-in
    rule (d n* episodes, n* the observations until the per-stage bonus (beta/alpha)/sqrt(n) is below
    Delta/H, Delta the exact largest iterated-CVaR regret of an episode), judged when it ends before
    K/10, the tolerances 0.05 and 0.1, and the control's constant (the smallest judged scale's
    neighbour 0.003). Pilot runs at c in {{1, 0.1, 0.01, 0.003, 0.001}} (3 seeds, K <= 3e4) were
    seen before this rule was written.

    Source
    ------
    The rate is from the paper's abstract as recorded in docs/theory.md 6.4 (read); the algorithm is
    the reconstruction of theory.md 6.4, not the printed Algorithm 1, and its radius is LSVI-UCB's.
    """
    K, n_seeds = ICVAR_L_PLAN[check_scale(scale)]
    grid = slope_grid(K)
    mdp = swapped_route()
    found = Findings(arrays={"K": grid})
    judge = _SlopeJudge(found, K, grid, seed)
    for c in ICVAR_L_C_GRID:
        burn, found.fitted["max_episode_regret_icvar"] = icvar_l_burn_in(mdp, K, c, ICVAR_L_ALPHA)
        curves = partial(_icvar_l_curves, c, K, n_seeds, seed)
        judge.scale(f"c={c:g}", ICVaRL(alpha=ICVAR_L_ALPHA, c=c).label, burn, curves)
    burn, _ = icvar_l_burn_in(mdp, K, ICVAR_L_CONTROL_C, ICVAR_L_ALPHA)
    judge.control(
        f"risk-neutral LSVI-UCB (c = {ICVAR_L_CONTROL_C:g}) on the swapped route",
        "LSVI-UCB (risk-neutral)",
        lsvi_ucb_icvar_curves(K, n_seeds, seed),
        burn,
    )
    return found.outcome(
        axes=ICVAR_REGRET,
        title="ICVaR-L on the swapped safe/risky route",
        slope_references={"claim 1/2": 0.5, "linear": 1.0},
    )


# --------------------------------------------------------------------------------------------
# CVaR-UCBVI's regret against sqrt(S A K / tau) across tau
# --------------------------------------------------------------------------------------------

TAU_GRID = (0.6, 0.8, 1.0)
"""Risk levels of the ratio check (the gamble is the optimal first action at each of them)."""
TAU_PLAN = {"quick": (50_000, 12), "full": (500_000, 16)}
"""Episodes and seeds (the learner and the control run the same seeds)."""


def gamble_instance() -> EpisodicMDP:
    """A fork (H = 2) between a sure road worth 1/4 (action 1) and a gamble (action 0) worth 1
    with probability 0.6 and 0 otherwise; every reward is a multiple of 1/4. For tau >= 0.6 the
    gamble's static CVaR ``(tau - 0.4) / tau`` beats 1/4, so it is optimal; a greedy learner whose
    first gamble ends at 0 keeps the sure road for ever (states: fork, sure, good, bad)."""
    P = np.zeros((4, 2, 4))
    P[0, 0, 2], P[0, 0, 3], P[0, 1, 1] = 0.6, 0.4, 1.0
    for s in (1, 2, 3):
        P[s, :, s] = 1.0
    R = np.zeros((4, 2))
    R[1], R[2] = 0.25, 1.0
    return EpisodicMDP(P, R, 2, initial=[1.0, 0.0, 0.0, 0.0], name="gamble_instance")


@lru_cache(maxsize=8)
def _tau_regret(bonus_scale: float, K: int, n_seeds: int, seed: int) -> np.ndarray:
    """Final cumulative static-CVaR regret (seeds x tau) of CVaR-UCBVI on the gamble."""
    mdp = gamble_instance()
    columns = []
    for tau in TAU_GRID:
        learner = CVaRUCBVI(alpha=tau, eta=0.25, bonus_scale=bonus_scale)
        traces = run_seeds(learner, mdp, K, seeds=n_seeds, seed=seed, progress=False)
        columns.append([t.cumulative[-1] for t in traces])
    return np.array(columns).T


def _tau_criterion(label: str, regret: np.ndarray, predicted: np.ndarray, informative: np.ndarray):
    """``regret(K) / (H sqrt(S A K / tau))`` in ``[0, 1]`` (Student-t over the seeds) at every
    tau where the prediction is below the trivial ``K CVaR*_tau``; vacuous if there is none."""
    if not informative.any():
        return Verdict.vacuous(f"{label}: H sqrt(SAK/tau) >= K CVaR* at every tau"), {}
    taus = np.array(TAU_GRID)[informative]
    verdict = ratio_band_test(
        regret[:, informative], predicted[informative], lo=0.0, hi=1.0, grid=taus
    )
    ratios = regret.mean(axis=0) / predicted
    return (
        verdict.about(label),
        {f"ratio[tau={tau:g}]": float(r) for tau, r in zip(TAU_GRID, ratios, strict=True)},
    )


@theorem(
    id="wang2023-cvar-ucbvi-tau-ratio",
    paper=f"{WANG}: regret O~(sqrt(SAK/tau)) up to H and log factors",
    tags=("risk-beyond", "static-cvar", "cvar-ucbvi", "regret", "ratio"),
    kind="ratio",
    verified=False,
)
def cvar_ucbvi_tau_ratio(scale: str, seed: int) -> Outcome:
    """CVaR-UCBVI's (Hoeffding bonus, c = 1) exact static-CVaR regret after K episodes stays below H
    sqrt(S A K / tau) (the paper's order in unnormalised returns, constant 1, log factors dropped)
    at every tau in {{0.6, 0.8, 1}} on the gamble instance (S=4, A=2, H=2; Student-t interval over
    the seeds entirely within [0, 1]); points where that order is above the trivial K CVaR*_tau are
    vacuous. Control: the greedy learner (c = 0), which keeps the sure road after an unlucky first
    gamble, must be rejected by the same band. K = 5e4 (quick, 12 seeds) or 5e5 (full, 16 seeds).

    Formula
    -------
    Regret(K) <= H sqrt(S A K / tau) for every tau of the grid

    Rule
    ----
    Fixed in code before any run of this criterion: the instance, the tau grid (every tau at which
    the gamble is optimal), the band [0, 1] on regret over H sqrt(SAK/tau) (constant 1, logs
    dropped, H the conversion from normalised returns), the Student-t rule of ratio_band_test, the
    control and the budgets. One pilot (K = 1e5; learner ratios 0.40-0.49, greedy 1.2-3.9) was seen
    before the quick and full budgets were set.

    Source
    ------
    The order sqrt(SAK/tau) is from the paper's abstract (read); the algorithm's own bonus and
    constants were not read.
    """
    K, n_seeds = TAU_PLAN[check_scale(scale)]
    mdp = gamble_instance()
    taus = np.array(TAU_GRID)
    predicted = mdp.H * np.sqrt(mdp.S * mdp.A * K / taus)
    optima = np.array([static_cvar_optimum(mdp, tau).value for tau in TAU_GRID])
    informative = predicted < K * optima
    found = Findings(arrays={"tau": taus, "predicted": predicted, "optimum": optima})
    regret = _tau_regret(1.0, K, n_seeds, seed)
    found.judge(*_tau_criterion("CVaR-UCBVI", regret, predicted, informative))
    found.arrays["regret"] = regret
    found.curve("CVaR-UCBVI regret(K)", taus, regret, style="points")
    found.line("H sqrt(SAK/tau)", taus, predicted, role="bound")
    greedy = _tau_regret(0.0, K, n_seeds, seed)
    c_verdict, c_measured = _tau_criterion("greedy", greedy, predicted, informative)
    found.control("greedy CVaR-UCBVI (c = 0) on the gamble", c_verdict, c_measured)
    found.arrays["regret[greedy]"] = greedy
    found.curve("control: greedy", taus, greedy, style="points")
    return found.outcome(
        xlabel="risk level tau",
        ylabel="cumulative static-CVaR regret at K",
        title="CVaR-UCBVI against sqrt(SAK/tau)",
    )


# --------------------------------------------------------------------------------------------
# CVaR-UCB in low-rank MDPs with known features
# --------------------------------------------------------------------------------------------

LOWRANK_C_GRID = (1.0, 0.3, 0.1, 0.03)
"""Bonus scales of the low-rank check (1 is LSVI-UCB's radius c d H sqrt(iota))."""
LOWRANK_PLAN = {"quick": (30_000, 6), "full": (300_000, 8)}


def lowrank_garnet() -> LowRankMDP:
    """:func:`quarter_garnet` factorised by SVD (rank 4 < S A = 8): known features phi."""
    return LowRankMDP.from_tabular(quarter_garnet())


def lowrank_burn_in(model, K: int, learner: LowRankCVaRUCB) -> tuple[int, float]:
    """The burn-in from the bonus formula: ``d n*`` episodes, ``n*`` the observations of a
    feature direction until the per-stage bonus ``beta / sqrt(n)`` is below ``Delta / H``,
    ``Delta = CVaR*`` (the regret's range): ``n* = floor((beta H / Delta)^2) + 1``.

    Examples
    --------
    >>> lowrank_burn_in(lowrank_garnet(), 30_000, LowRankCVaRUCB(alpha=0.25, c=0.0))[0]
    4
    """
    delta = static_cvar_optimum(model.tabular(), learner.alpha).value
    beta = icvar_l_beta(model.d, model.H, K, learner.p, learner.c)
    return model.d * (math.floor((beta * model.H / delta) ** 2) + 1), delta


@lru_cache(maxsize=16)
def _lowrank_curves(learner: LowRankCVaRUCB, K: int, n_seeds: int, seed: int) -> np.ndarray:
    return regret_curves(learner, lowrank_garnet(), K, n_seeds, seed)


def lsvi_ucb_static_curves(K: int, n_seeds: int, seed: int) -> np.ndarray:
    """Cumulative static-CVaR regret (level :data:`STATIC_ALPHA`) of the risk-neutral LSVI-UCB
    on the swapped route: its Markov policies' exact return laws against the exact optimum."""
    optimum = static_cvar_optimum(swapped_route(), STATIC_ALPHA).value
    return lsvi_ucb_curves(
        K, n_seeds, seed, lambda m, pi: optimum - return_distribution(m, pi).cvar(STATIC_ALPHA)
    )


@theorem(
    id="zhao2024-lowrank-cvar-ucb-regret-slope",
    paper=f"{ZHAO}: sample complexity O~(H^7 A^2 d^4 / (tau^2 eps^2)), i.e. "
    "sub-optimality O~(n^-1/2)",
    tags=("risk-beyond", "static-cvar", "low-rank", "regret", "slope"),
    kind="slope",
    verified=False,
)
def lowrank_cvar_ucb_regret_slope(scale: str, seed: int) -> Outcome:
    """CVaR-UCB with known low-rank features (the MLE step replaced by the true features) has
    average sub-optimality over its first n episodes falling at least as n^-1/2, i.e. exact
    static-CVaR regret growing at most as sqrt(n), once its burn-in is over: on the quarter garnet
    factorised by SVD (d = 4 < S A = 8) at alpha = 0.25, grid 1/4, for every c in {{1, 0.3, 0.1,
    0.03}} whose burn-in from the bonus formula ends before K/10, the tail slope on the last decade
    and every half-decade local slope after the burn-in are at most 1/2. Control: the risk-neutral
    LSVI-UCB (c = 0.003) on the swapped safe/risky route (H=4), whose mean-optimal risky road loses
    static CVaR at level 0.25 every episode, through the same criterion. K = 3e4 (quick, 6 seeds) or
    3e5 (full, 8 seeds).

    Formula
    -------
    sub-optimality(n) = O~(sqrt(H^7 A^2 d^4 / (tau^2 n))) => d log Regret / d log n <= 1/2 (+ 0.05
    tail, + 0.1 local) after the burn-in

    Rule
    ----
    Fixed in code before any run of this criterion: the instance, alpha, grid, bonus-scale grid, the
    burn-in rule (d n* episodes, n* until beta/sqrt(n) < Delta/H, Delta = CVaR*), K/10, the
    tolerances and the control of the CVaR-UCBVI check. One pilot run (c in {{0.1, 0.01, 0}}, one
    seed, K = 2e4) was seen first. Revision 1 (the control only; learner, grid, burn-in and
    tolerances unchanged): the pre-registered control, the greedy learner (c = 0) on H8 factorised
    by SVD as in the CVaR-UCBVI check, was not rejected at quick scale (regret flat from K = 40 on:
    the ridge estimate shrinks the unseen shortfall towards 0, which explores, so this greedy
    learner does not lock in), and the check failed for lack of power. It was replaced by the
    risk-neutral LSVI-UCB on the swapped route, the control of the ICVaR-L check, measured in
    static-CVaR regret: a learner that violates the claim for a stated reason (it optimises the
    mean).

    Source
    ------
    The sample complexity is from the paper's abstract (read); the algorithm's bonus alpha_n, its
    MLE step and its planner's details were not read.
    """
    K, n_seeds = LOWRANK_PLAN[check_scale(scale)]
    grid = slope_grid(K)
    model = lowrank_garnet()
    found = Findings(arrays={"K": grid})
    judge = _SlopeJudge(found, K, grid, seed)
    for c in LOWRANK_C_GRID:
        learner = LowRankCVaRUCB(alpha=STATIC_ALPHA, eta=STATIC_ETA, c=c)
        burn, found.fitted["cvar_optimum"] = lowrank_burn_in(model, K, learner)
        judge.scale(
            f"c={c:g}", learner.label, burn, partial(_lowrank_curves, learner, K, n_seeds, seed)
        )
    control_learner = LowRankCVaRUCB(alpha=STATIC_ALPHA, c=ICVAR_L_CONTROL_C)
    burn, _ = lowrank_burn_in(tabular_as_linear(swapped_route()), K, control_learner)
    judge.control(
        f"risk-neutral LSVI-UCB (c = {ICVAR_L_CONTROL_C:g}) on the swapped "
        f"route, static CVaR at {STATIC_ALPHA:g}",
        "LSVI-UCB (risk-neutral)",
        lsvi_ucb_static_curves(K, n_seeds, seed),
        burn,
    )
    return found.outcome(
        xlabel="episodes n",
        ylabel="cumulative exact static-CVaR regret",
        title="CVaR-UCB (known low-rank features): regret in n",
        slope_references={"claim 1/2": 0.5, "linear": 1.0},
    )
