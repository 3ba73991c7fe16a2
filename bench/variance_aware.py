"""Speed of LSVI-UCB++ with exact regret every episode, beside LSVI-UCB on the same instance.

Run: ``python bench/variance_aware.py`` (``--quick`` for K = 2 000).

What is printed
---------------
Instance: ``simplex_feature_linear_mdp(S=50, A=5, H=10, d=10, seed=0)``.

1. The compile (or cache-load) time of the first call.
2. Total time of K = 10 000 episodes of LSVI-UCB++ (paper constants and the named scaled
   variant) and of LSVI-UCB (c = 1 and c = 0.1), exact pseudo-regret of the executed policy
   in every episode included (target for LSVI-UCB++: under 10 s).
3. Per-episode time around k = 100 (episodes 50..249) and at the end (the last 200 episodes),
   and their ratio (target: within 1.5x; the fast path's cost does not depend on k). Each run
   is repeated 5 times; totals are the median [best, worst]; window times are the median over
   the 5 runs of each window's mean (episode times come from chunks of a few milliseconds, so a
   busy machine makes single windows noisy; the per-run minimum is printed too).
4. The number of replans (LSVI-UCB++ replans only when some det Sigma_h has doubled) and the
   burn-in from the weight and bonus formulas.
5. HF-LSVI (scaled, and its per-stage control) beside LSVI-UCB on the stationary horizon-free
   family ``horizon_free_stationary_simplex(S=50, A=5, H=10, d=10, seed=0)`` (HF-LSVI pools its
   estimators over the stages and needs a stationary kernel): the same totals and the
   per-episode time at k ~ 100 and k ~ K; then HF-LSVI at H = 100 on the same family with
   K = 2 000 (its cost grows with H, not with k).
"""

from __future__ import annotations

import time

import numpy as np

from algorithms.linear import LSVIUCB, LSVIUCBPP, PerStageHFLSVI, ScaledHFLSVI, ScaledLSVIUCBPP
from instances.linear import simplex_feature_linear_mdp
from instances.variance_aware import horizon_free_stationary_simplex

REPEATS = 5
"""Runs are repeated this many times; median, best and worst totals are printed."""


def main(argv: list[str] | None = None) -> None:
    from _timing import command_line

    args = command_line(__doc__, "K = 2000", argv, seed={"type": int, "default": 0})
    K = 2_000 if args.quick else 10_000
    model = simplex_feature_linear_mdp(S=50, A=5, H=10, d=10, seed=0)
    print(f"instance: {model!r}")
    start = time.perf_counter()
    LSVIUCBPP().run(model, 2, args.seed)
    LSVIUCB().run(model, 2, args.seed)
    print(f"compile / cache load (first calls, K = 2): {time.perf_counter() - start:.2f} s")
    for learner in (LSVIUCBPP(), ScaledLSVIUCBPP(), LSVIUCB(), LSVIUCB(c=0.1)):
        time_learner(learner, model, K, args.seed)
    stationary = horizon_free_stationary_simplex(S=50, A=5, H=10, d=10, seed=0)
    print(f"\ninstance: {stationary!r}")
    ScaledHFLSVI().run(stationary, 2, args.seed)
    for learner in (ScaledHFLSVI(), PerStageHFLSVI(), LSVIUCB()):
        time_learner(learner, stationary, K, args.seed)
    # a long horizon: the cost per episode grows as H L (S A d + d^2) + H^2 d, not with k
    long = horizon_free_stationary_simplex(S=50, A=5, H=100, d=10, seed=0)
    print(f"\ninstance: {long!r}")
    time_learner(ScaledHFLSVI(), long, min(K, 2_000), args.seed)


def time_learner(learner, model, K: int, seed: int) -> None:
    """Print the totals and per-episode windows of ``REPEATS`` runs of ``learner``."""
    runs = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        trace = learner.run(model, K, seed)
        runs.append((time.perf_counter() - start, trace))
    times = [r[0] for r in runs]
    trace = runs[0][1]
    per_run = np.array([r[1].episode_time for r in runs])
    early_runs, late_runs = per_run[:, 50:250].mean(axis=1), per_run[:, K - 200 :].mean(axis=1)
    early, late = float(np.median(early_runs)), float(np.median(late_runs))
    md = trace.metadata
    print(f"\n{learner.label} [{learner.constants}], K = {K}:")
    print(
        f"  total median {np.median(times):.3f} s [{min(times):.3f}, {max(times):.3f}] "
        f"with exact regret every episode; final regret {trace.cumulative[-1]:.4g}"
    )
    print(
        f"  per-episode time at k ~ 100: {early * 1e6:.1f} us, at k ~ {K}: "
        f"{late * 1e6:.1f} us, ratio late/early {late / early:.2f} (medians over runs; "
        f"minima {early_runs.min() * 1e6:.1f} and {late_runs.min() * 1e6:.1f} us)"
    )
    if "burn_in_regret" in md:
        print(
            f"  replans {md['n_replans']} (bound {md['max_replans']}); burn-in from the "
            f"formulas {md['burn_in_regret']:,} episodes (regret rule)"
        )
    elif "n_levels" in md:
        print(f"  levels {md['n_levels']}; burn-in from the bonus formula {md['burn_in']:,}")


if __name__ == "__main__":
    main()
