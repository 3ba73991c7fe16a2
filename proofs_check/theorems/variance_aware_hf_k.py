"""Check of the sqrt(K) part of horizon-free regret in linear MDPs (Zhang, Lee, Chen, Du, ICLR
2024, arXiv:2403.10738): at a fixed long horizon, HF-LSVI's regret grows at most as sqrt(K).

The learner is :class:`algorithms.linear.ScaledHFLSVI`, a reconstruction of the paper's
structure (``verified=False``, see :mod:`proofs_check.theorems.variance_aware_hf`).

Rule (revision 0, written before the runs of this check, after the runs of the check in H)
-------------------------------------------------------------------------------------------
* Instance: ``horizon_free_stationary_simplex(S=10, A=3, H=64, d=4, seed=0)``; K = 4 000
  (quick, 4 seeds) or 10 000 (full, 8 seeds); y = cumulative exact pseudo-regret on the
  geometric grid of 12 points from K/100 to K.
* Criterion: :func:`proofs_check.theorems.risk.slope_after_burn_in`, unchanged: log-log slope
  at most 1/2 (+0.05 on the upper end of the 95% bootstrap CI of the last decade's fit; every
  half-decade local slope from the burn-in on at most 1/2 + 0.1); ``vacuous`` when the burn-in
  :func:`algorithms.linear.hf_lsvi_burn_in` at H = 64 exceeds K/10 (the paper-form radius c = 1:
  reported, not run).
* Control (same instance, grid, K, seeds and criterion, judged from episode 0 like the greedy
  control of ``he2023-lsvi-ucb-pp-regret-slope``): the per-stage estimator
  :class:`~algorithms.linear.PerStageHFLSVI`, which at H = 64 sees K observations per
  estimator instead of K H and is still in its burn-in; it must be rejected.
* Not blind: the runs of ``zhang2024-hf-lsvi-flat-in-horizon`` (K = 2 000, H up to 128) had
  shown the scaled learner's regret at H = 64 paid within the first 1 000 episodes and the
  per-stage estimator's regret near-linear at K = 2 000; H = 64 and the K values were chosen
  knowing that.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from algorithms.linear import HFLSVI, PerStageHFLSVI, ScaledHFLSVI
from mdptheory.experiment import run_seeds
from proofs_check.axes import EPISODE_REGRET
from proofs_check.findings import Findings
from proofs_check.harness import Outcome, Verdict, check_scale, theorem
from proofs_check.rates import geometric_grid
from proofs_check.theorems.risk import (
    BURN_IN_FRACTION,
    control_after_burn_in,
    slope_after_burn_in,
)
from proofs_check.theorems.variance_aware_hf import (
    SOURCE,  # noqa: F401 (docstring placeholders)
    ZHANG,
    family,
)

HORIZON = 64
_PLAN = {"quick": (4_000, 4), "full": (10_000, 8)}
SCALED = ScaledHFLSVI()
PAPER = HFLSVI()
PER_STAGE = PerStageHFLSVI()


@lru_cache(maxsize=16)
def regret_curves(learner, K: int, n_seeds: int, seed: int) -> np.ndarray:
    """Cumulative exact pseudo-regret (n_seeds, K) of ``learner`` on :func:`family` (64)."""
    traces = run_seeds(learner, family(HORIZON), K, seeds=n_seeds, seed=seed, progress=False)
    return np.stack([t.cumulative for t in traces])


def _burn_text(learner: HFLSVI, b: int) -> str:
    return (
        f"its burn-in from the bonus formula (until the H per-stage bonuses of an episode sum "
        f"below the value range 1 at the level-0 weight), {b:,} episodes ({learner.constants}),"
    )


@theorem(
    id="zhang2024-hf-lsvi-sqrt-k",
    paper=f"{ZHANG}, main theorem (regret O~(poly(d) sqrt K), polylog in H)",
    tags=("linear", "regret", "hf-lsvi", "variance-aware", "horizon-free", "slope"),
    kind="slope",
    verified=False,
)
def hf_lsvi_sqrt_k(scale: str, seed: int) -> Outcome:
    """At a fixed long horizon the regret of the horizon-free weighted estimator (HF-LSVI,
    reconstruction, named scaled radii c = c_var = 0.03) grows at most as sqrt(K) once its burn-in
    is over: on horizon_free_stationary_simplex(S=10, A=3, H=64, d=4, seed=0) the log-log slope of
    the cumulative regret in K is <= 1/2 (+0.05 on the last decade, +0.1 on every half-decade after
    the burn-in), K = 4000 (quick), 10000 (full). The paper-form radius c = 1 is reported vacuous
    (burn-in beyond K/10). Control, same criterion: the per-stage (unpooled) estimator, rejected.

    Formula
    -------
    Regret(K) <= poly(d) sqrt(K) polylog(H) => d log Regret / d log K <= 1/2 at H = 64

    Rule
    ----
    Revision 0: criterion slope_after_burn_in (tolerances 0.05 tail, 0.1 local, vacuous when
    hf_lsvi_burn_in at H = 64 exceeds K/10), the instance, H = 64, K and seeds fixed before the runs
    of this check but after those of zhang2024-hf-lsvi-flat-in-horizon, which had shown the regret
    at H = 64 and the per-stage control's near-linear regret: not blind. The control is judged from
    episode 0.

    Source
    ------
    {SOURCE}
    """
    K, n_seeds = _PLAN[check_scale(scale)]
    grid = geometric_grid(K / 100, K, 12, integer=True)
    found = Findings(arrays={"K": grid}, fitted={"burn_in_fraction": BURN_IN_FRACTION, "H": 64})
    d = family(HORIZON).d
    paper_burn = PAPER.burn_in(d, HORIZON, K)
    found.fitted[f"burn_in[{PAPER.label}]"] = float(paper_burn)
    if paper_burn > BURN_IN_FRACTION * K:
        found.judge(
            Verdict.vacuous(
                f"{PAPER.label}: {_burn_text(PAPER, paper_burn)} exceeds "
                f"{BURN_IN_FRACTION:g} K = {BURN_IN_FRACTION * K:g}; not run"
            )
        )
    b = SCALED.burn_in(d, HORIZON, K)
    key = SCALED.label
    Y = regret_curves(SCALED, K, n_seeds, seed)[:, grid - 1]
    verdict, fit, local = slope_after_burn_in(
        key, grid, Y, b, K, seed, burn_text=_burn_text(SCALED, b)
    )
    found.judge(verdict)
    found.fitted[f"burn_in[{key}]"] = float(b)
    found.curve(key, grid, Y, array=f"regret[{key}]")
    found.rate_fit(key, fit, local, reference=0.5, reference_label="slope 1/2")
    if b <= BURN_IN_FRACTION * K:
        found.burn_in[f"burn-in {key}"] = max(b, 1)
    Yc = regret_curves(PER_STAGE, K, n_seeds, seed)[:, grid - 1]
    names = (
        "per-stage (unpooled) estimator, c = c_var = 0.03",
        f"control: {PER_STAGE.label}",
        "regret[control per-stage]",
    )
    label = f"control {PER_STAGE.label}"
    control_after_burn_in(found, names, label, grid, Yc, 0, K, seed, from_start=True)
    return found.outcome(
        axes=EPISODE_REGRET,
        title=f"HF-LSVI (scaled radii) at H = {HORIZON}: log-log slope in K after the burn-in",
        slope_references={"claim 1/2": 0.5},
    )
