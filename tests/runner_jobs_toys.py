"""Toy checks in a module of their own: for tests/test_runner_jobs.py a second module, so that a
registry spans two modules and `--jobs 2` sends one task per module; for tests/test_harness.py
and tests/test_runner_jobs.py the rate checks they both register."""

from __future__ import annotations

import numpy as np

from proofs_check.harness import Evidence, Line, Outcome, Series, Verdict
from proofs_check.rates import fit_loglog_slope, slope_test


def fast(scale: str, seed: int) -> Outcome:
    return Outcome(Evidence(fitted={"seed": seed}), Verdict.passed("fast"))


def seeded(scale: str, seed: int) -> Outcome:
    draws = np.random.default_rng([seed, 1]).random(4)
    return Outcome(
        Evidence(arrays={"draws": draws}, series=(Series("draws", np.arange(1.0, 5.0), draws),)),
        Verdict.passed(f"max {draws.max():.6f}"),
    )


def sqrt_rate(
    seed: int, points: int, n_seeds: int, n_boot: int, reference: bool = False
) -> Outcome:
    """A true claim: sqrt curves with a random level per seed, judged "slope <= 1/2"."""
    rng = np.random.default_rng(seed)
    x = np.geomspace(10, 1e4, points)
    Y = rng.uniform(0.5, 1.5, (n_seeds, 1)) * np.sqrt(x)
    fit = fit_loglog_slope(x, Y, n_boot=n_boot, seed=seed)
    lines = (Line("sqrt", x, np.sqrt(x)),) if reference else ()
    return Outcome(
        Evidence(
            arrays={"Y": Y}, fitted={"slope": fit.slope}, series=(Series("R_T", x, Y),), lines=lines
        ),
        slope_test(fit, max_slope=0.5),
    )


def planted(scale: str, seed: int) -> Outcome:
    """A planted wrong claim: an exact sqrt curve judged "slope <= 0"."""
    x = np.geomspace(10, 1e4, 8)
    fit = fit_loglog_slope(x, np.sqrt(x), n_boot=10)
    return Outcome(Evidence(fitted={"slope": fit.slope}), slope_test(fit, max_slope=0.0))


def register_planted(registry, check_id: str, claim: str) -> None:
    """Register :func:`planted` in ``registry`` as ``check_id`` with ``claim`` (tag "toy")."""
    registry.theorem(
        id=check_id, paper="Toy", claim=claim, formula="R_T = O(log T)", tags=("toy",)
    )(planted)
