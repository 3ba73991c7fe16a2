"""Toy checks in a module of their own, for tests/test_runner_jobs.py (a second module, so that
a registry spans two modules and `--jobs 2` sends one task per module)."""

from __future__ import annotations

import numpy as np

from proofs_check.harness import Evidence, Outcome, Series, Verdict


def fast(scale: str, seed: int) -> Outcome:
    return Outcome(Evidence(fitted={"seed": seed}), Verdict.passed("fast"))


def seeded(scale: str, seed: int) -> Outcome:
    draws = np.random.default_rng([seed, 1]).random(4)
    return Outcome(Evidence(arrays={"draws": draws},
                            series=(Series("draws", np.arange(1.0, 5.0), draws),)),
                   Verdict.passed(f"max {draws.max():.6f}"))
