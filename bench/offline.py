"""Speed of PEVI's fit and plan on a large log, against a plain per-sample transcription.

Run: ``python bench/offline.py`` (``--quick`` for a smaller log).

What is printed
---------------
Instance: ``simplex_feature_linear_mdp(S=100, A=5, H=20, d=20, seed=0)``; data: 5 000 uniform
episodes, i.e. n = 10^5 transitions (``--quick``: 1 000 episodes).

1. Collection time of the log (compiled rollouts), for information.
2. ``PEVI(c=0.05).fit`` on the whole log, median of 5 calls, split into aggregation
   (counts, ``O(n)``), fit and plan (Gram matrices, widths, backward induction with the
   penalty; ``O(H S A d^2 + H d^3)``), and the exact extras (evaluation of the output policy,
   pi*'s occupancy and the bound). Target: fit and plan of the whole log in under 2 s.
3. The ratio against ``reference_pevi`` of ``tests/pevi_reference.py`` (also the tests' oracle):
   Algorithm 2 transcribed with a Python loop over samples (one rank-one update and one target
   term per transition) and over (s, a) pairs, numpy only for the small linear algebra. It runs
   in the same process on the first ``--reference-episodes`` episodes (500 by default,
   n = 10^4) and then on the whole log (skipped with ``--quick``); the two Q tables must agree
   (printed).
4. One compiled pass of ``pevi_curves`` over a 12-point grid of prefixes of the whole log (PEVI
   and the greedy control on the same data), for information.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from _timing import command_line, repeat_timed, timed

from algorithms.offline import (
    PEVI,
    TUNED_C,
    GreedyLSVI,
    collect,
    pevi_curves,
    uniform_behaviour,
)
from algorithms.offline.pevi.backup import _backward, _linear_estimates
from algorithms.offline.pevi.result import _finish
from instances.linear import simplex_feature_linear_mdp
from proofs_check.rates import geometric_grid

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from pevi_reference import reference_pevi


def _median_time(function, repeats: int) -> tuple[float, object]:
    """Median wall time of ``repeats`` calls and the result of the last."""
    spread, result = repeat_timed(function, repeats)
    return spread.median, result


def main(argv: list[str] | None = None) -> None:
    args = command_line(
        __doc__,
        "1 000 episodes instead of 5 000",
        argv,
        reference_episodes={"type": int, "default": 500},
        seed={"type": int, "default": 0},
    )
    episodes = 1_000 if args.quick else 5_000

    model = simplex_feature_linear_mdp(S=100, A=5, H=20, d=20, seed=0)
    print(f"instance: {model!r}")

    def first_calls():
        collect(model, "uniform", 2, args.seed)
        pevi_curves(model, collect(model, "uniform", 2, args.seed), [1, 2], (PEVI(),))

    _, first = timed(first_calls)
    print(f"compile / cache load (first calls): {first:.2f} s")

    data, seconds = timed(lambda: collect(model, uniform_behaviour(model), episodes, args.seed))
    print(f"collect {episodes} episodes = {len(data):,} transitions: {seconds:.3f} s")

    learner = PEVI(c=TUNED_C)
    total, result = _median_time(lambda: learner.fit(model, data), 5)
    # The same steps one by one, to show where the time goes.
    mdp = model.tabular()
    features = np.ascontiguousarray(model.phi.reshape(-1, model.d))
    t_aggregate, stats = _median_time(data.aggregate, 5)

    def fit_and_plan():
        gram, chol, widths2 = _linear_estimates(features, stats, learner.lam)
        return gram, _backward(stats, result.beta, learner.lam, features, chol, widths2)

    t_plan, (gram, (V, Q, estimate, widths, weights)) = _median_time(fit_and_plan, 5)
    t_exact, _ = _median_time(
        lambda: _finish(
            "PEVI",
            mdp,
            V,
            Q,
            estimate,
            widths,
            weights,
            gram,
            result.beta,
            learner.lam,
            learner.c,
            learner.xi,
            result.zeta,
            result.n_episodes,
            {},
        ),
        5,
    )
    print(
        f"\n{learner.label} (beta = {result.beta:.4g}) on n = {len(data):,} transitions, "
        f"d = {model.d}, H = {model.H}:"
    )
    print(f"  fit (median of 5): {total:.3f} s in all")
    print(
        f"    aggregation {t_aggregate * 1e3:.1f} ms, fit and plan {t_plan * 1e3:.1f} ms, "
        f"exact evaluation + bound {t_exact * 1e3:.1f} ms"
    )
    verdict = "within" if t_aggregate + t_plan < 2.0 else "OVER"
    print(f"  fit and plan {t_aggregate + t_plan:.3f} s: {verdict} the 2 s target")
    print(
        f"  sub-optimality {result.suboptimality:.4g}, bound {result.bound:.4g}, good event "
        f"{result.good_event}"
    )

    sizes = [args.reference_episodes] + ([] if args.quick else [episodes])
    for size in sizes:
        part = data.first_episodes(size)
        t_fast, fast = _median_time(lambda part=part: learner.fit(model, part), 3)
        (Q_ref, _), t_ref = timed(
            lambda part=part, fast=fast: reference_pevi(
                np.asarray(model.phi), part, fast.beta, learner.lam
            )
        )
        error = float(np.abs(Q_ref - fast.Q_hat).max())
        print(f"\nreference (per-sample Python loop) at n = {len(part):,} transitions:")
        print(
            f"  reference {t_ref:.3f} s, PEVI.fit {t_fast * 1e3:.1f} ms (exact extras "
            f"included): ratio {t_ref / t_fast:.0f}x; max |Q_ref - Q| = {error:.2e}"
        )

    grid = geometric_grid(episodes / 100, episodes, 12, integer=True)
    curves, elapsed = timed(lambda: pevi_curves(model, data, grid, (learner, GreedyLSVI())))
    print(
        f"\npevi_curves: {grid.size} prefixes x 2 learners in one pass: {elapsed:.2f} s; "
        f"sub-optimality at n = {grid[-1]} episodes: PEVI {curves.suboptimality[-1, 0]:.4g}, "
        f"greedy {curves.suboptimality[-1, 1]:.4g}"
    )


if __name__ == "__main__":
    main()
