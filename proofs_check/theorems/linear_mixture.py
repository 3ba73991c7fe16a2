"""Checks of UCRL-VTR on linear mixture MDPs (Ayoub, Jia, Szepesvári, Wang, Yang, ICML 2020).

Every run is on an exact instance: each episode's pseudo-regret is the exact value gap of the
executed greedy policy on the tabular twin, so one run of K episodes gives the whole
cumulative-regret curve, read off on a geometric grid of K.

* Instance: ``random_linear_mixture_mdp(S=6, A=3, H=5, d=4, rewards="per_step", seed=0)``
  (quick), plus ``(S=8, A=3, H=6, d=5, seed=1)`` at full scale.
* The confidence radius is the one of :mod:`algorithms.mixture.ucrl_vtr` (c = 1: the paper's
  Theorem 1 instantiated through the self-normalised bound, lambda = 1, delta = 0.05). Only
  that radius is judged: a scaled radius has no guarantee.
* Pre-registration: the radius is judged when its burn-in from the formula alone
  (:func:`algorithms.mixture.burn_in`: ``ceil(d 4 beta_K / H)`` episodes) ends before
  :data:`BURN_IN_FRACTION` of K, else the verdict is ``vacuous``; local slopes on the
  half-decades after the burn-in are judged with the tail fit.
* Control: greedy value-targeted regression (c = 0) on river swim written as a linear mixture
  (:func:`instances.linear_mixture.tabular_as_mixture`, d = S A S), linear regret, through the
  same test at the same K and seeds.
* The confidence-set event of Theorem 1 (``||theta_k - theta||_{M_k} <= sqrt(beta_k)``) is
  checked on the same runs, with the greedy learner's estimate against a radius shrunk by 100
  as the control that the same frequency test rejects.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from algorithms.mixture import UCRLVTR, GreedyVTR, burn_in
from instances.linear_mixture import random_linear_mixture_mdp, tabular_as_mixture
from instances.tabular import river_swim
from mdptheory.experiment import run_seeds
from proofs_check.findings import Findings
from proofs_check.harness import Outcome, Verdict, check_scale, theorem
from proofs_check.intervals import event_frequency_test
from proofs_check.rates import geometric_grid, sqrt_growth_shape_test
from proofs_check.theorems.linear import regret_slope_outcome

AYOUB = "Ayoub, Jia, Szepesvari, Wang, Yang (ICML 2020), arXiv:2006.01107"
SOURCE = (
    "theory-wave2.md 7.4 [S: Alg. 1 skeleton; Eq. (6) not rendered]; the radius is the "
    "self-normalised bound of Abbasi-Yadkori et al. (2011) the paper's Theorem 1 instantiates, "
    "constants as recalled"
)
BURN_IN_FRACTION = 0.1
SLOPE_TOL = 0.05
LOCAL_TOL = 0.1
RIVER = (3, 10)
RIVER_NAME = f"river_swim(S={RIVER[0]}, H={RIVER[1]}) as a linear mixture (d = 18)"
_QUICK = (6, 3, 5, 4, 0)
_FULL = (8, 3, 6, 5, 1)
_PLAN = {"quick": (20_000, 6, (_QUICK,)), "full": (50_000, 16, (_QUICK, _FULL))}


def _instance(params: tuple[int, int, int, int, int]):
    S, A, H, d, seed = params
    return random_linear_mixture_mdp(S=S, A=A, H=H, d=d, rewards="per_step", seed=seed)


@lru_cache(maxsize=16)
def _traces(learner, params, K: int, n_seeds: int, seed: int):
    model = _instance(params) if params != "river" else _river()
    return tuple(run_seeds(learner, model, K, seeds=n_seeds, seed=seed, progress=False))


def _river():
    return tabular_as_mixture(river_swim(S=RIVER[0], H=RIVER[1]))


@theorem(
    id="ayoub2020-ucrl-vtr-regret-slope",
    paper=f"{AYOUB}, Theorem 1 and the regret bound O~(d sqrt(H^3 T))",
    tags=("linear-mixture", "regret", "ucrl-vtr", "slope"),
    kind="slope",
    verified=False,
)
def ucrl_vtr_regret_slope(scale: str, seed: int) -> Outcome:
    """UCRL-VTR's regret grows at most as sqrt(K) up to log factors: with the paper's radius (c =
    1), after its burn-in computed from the radius formula alone, the tail log-log slope of
    cumulative exact pseudo-regret in K is <= 1/2 + 0.05 and every half-decade local slope after the
    burn-in is <= 1/2 + 0.1. Instance: random_linear_mixture_mdp(S=6, A=3, H=5, d=4,
    rewards=per_step, seed=0), K = 20000, 6 seeds (plus S=8, H=6, d=5 at full scale). Control:
    greedy VTR (c = 0) on {RIVER_NAME}, linear regret, rejected by the same test.

    Formula
    -------
    Regret(K) = O~(d sqrt(H^3 T)), T = K H => d log Regret / d log K <= 1/2 + tol after the burn-in
    ceil(d 4 beta_K / H)

    Rule
    ----
    c = 1 (the radius of the module notes) is the only constant judged; judged when its burn-in
    ceil(d 4 beta_K / H) ends before {BURN_IN_FRACTION:g} K, vacuous otherwise; tail tolerance
    {SLOPE_TOL:g}, local tolerance {LOCAL_TOL:g} on half-decades after the burn-in; grid K/100..K
    (12 points); instances, K and seeds fixed in code before any run.

    Source
    ------
    {SOURCE}
    """
    K, n_seeds, plan = _PLAN[check_scale(scale)]
    grid = geometric_grid(K / 100, K, 12, integer=True)
    found = Findings(arrays={"K": grid}, fitted={"burn_in_fraction": BURN_IN_FRACTION})
    learner = UCRLVTR()
    for params in plan:
        model = _instance(params)
        key = model.name
        B, L = learner.radius_constants(model)
        b = burn_in(model.d, model.H, K, B, L, learner.delta, learner.c)
        found.fitted[f"burn_in[{key}]"] = b
        traces = _traces(learner, params, K, n_seeds, seed)
        Y = np.stack([t.cumulative for t in traces])[:, grid - 1]
        found.curve(key, grid, Y, array=f"regret[{key}]")
        if b > BURN_IN_FRACTION * K:
            found.judge(
                Verdict.vacuous(
                    f"{key}: burn-in {b:,} episodes > {BURN_IN_FRACTION:g} K = "
                    f"{BURN_IN_FRACTION * K:,.0f}"
                )
            )
            continue
        verdict, fit, local = sqrt_growth_shape_test(
            grid, Y, b, seed, tol=SLOPE_TOL, local_tol=LOCAL_TOL
        )
        found.judge(verdict.about(f"{key} (burn-in {b:,})"))
        found.rate_fit(key, fit, local, reference=0.5, reference_label=f"slope 1/2 ({key})")
        found.burn_in[f"burn-in {key}"] = max(b, 1)
    control = _traces(GreedyVTR(), "river", K, n_seeds, seed)
    Yc = np.stack([t.cumulative for t in control])[:, grid - 1]
    return regret_slope_outcome(
        found,
        sqrt_growth_shape_test(grid, Yc, 0, seed, tol=SLOPE_TOL, local_tol=LOCAL_TOL),
        f"greedy VTR (c = 0) on {RIVER_NAME}",
        f"control: greedy VTR on {RIVER_NAME}",
        Yc,
        "UCRL-VTR (paper radius): log-log slope in K",
    )


DELTA = 0.05
"""delta of Theorem 1 (the learner's default): the event may fail with probability delta."""


@theorem(
    id="ayoub2020-ucrl-vtr-confidence-set",
    paper=f"{AYOUB}, Theorem 1",
    tags=("linear-mixture", "ucrl-vtr", "event"),
    kind="event",
    verified=False,
)
def ucrl_vtr_confidence_set(scale: str, seed: int) -> Outcome:
    """With probability at least 1 - delta = 0.95 the true theta stays in every confidence
    ellipsoid: the fraction of seeds whose ||theta_k - theta||_{{M_k}} <= sqrt(beta_k) at every
    episode k is at least 0.95 (one-sided binomial test), on the runs of the regret check. Control:
    the greedy learner's estimates against the radius divided by 100, which the same test rejects.

    Formula
    -------
    P( for all k: ||theta_k - theta||_{{M_k}} <= sqrt(beta_k) ) >= 1 - delta

    Rule
    ----
    level 1 - delta with delta = 0.05 (the learner's default), the runs, instance and seeds of
    ayoub2020-ucrl-vtr-regret-slope; the control's radius factor 1/100 was fixed in code before any
    run

    Source
    ------
    {SOURCE}
    """
    K, n_seeds, plan = _PLAN[check_scale(scale)]
    found = Findings()
    learner = UCRLVTR()
    for params in plan:
        traces = _traces(learner, params, K, n_seeds, seed)
        held = np.array([bool(t.extras["in_confidence_set"].all()) for t in traces])
        key = _instance(params).name
        found.arrays[f"held[{key}]"] = held
        found.fitted[f"max_error_over_radius[{key}]"] = float(
            max(
                (t.extras["theta_error"] / learner.radii(_instance(params), K)).max()
                for t in traces
            )
        )
        found.judge(event_frequency_test(held, DELTA, what=key, event="confidence set"))
    greedy = _traces(GreedyVTR(), plan[0], K, n_seeds, seed)
    radius = learner.radii(_instance(plan[0]), K) / 100.0
    shrunk = np.array([bool((t.extras["theta_error"] <= radius).all()) for t in greedy])
    found.control(
        "greedy VTR estimates against sqrt(beta_k) / 100",
        event_frequency_test(shrunk, DELTA, what="radius / 100", event="confidence set"),
        {"frequency": float(shrunk.mean())},
    )
    return found.outcome(title="UCRL-VTR: theta stays in the confidence ellipsoid")
