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
3. The ratio against ``reference_fit`` below: Algorithm 2 transcribed with a Python loop over
   samples (one rank-one update and one target term per transition) and over (s, a) pairs,
   numpy only for the small linear algebra. It runs in the same process on the first
   ``--reference-episodes`` episodes (500 by default, n = 10^4) and then on the whole log
   (skipped with ``--quick``); the two Q tables must agree (printed).
4. One compiled pass of ``pevi_curves`` over a 12-point grid of prefixes of the whole log (PEVI
   and the greedy control on the same data), for information.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from algorithms.offline import (
    PEVI,
    TUNED_C,
    GreedyLSVI,
    OfflineDataset,
    collect,
    pevi_curves,
    uniform_behaviour,
)
from algorithms.offline.pevi.backup import _backward, _linear_estimates
from algorithms.offline.pevi.result import _finish
from instances.linear import simplex_feature_linear_mdp
from proofs_check.rates import geometric_grid


def reference_fit(phi: np.ndarray, data: OfflineDataset, beta: float, lam: float) -> np.ndarray:
    """Algorithm 2 sample by sample: Lambda_h and the targets rebuilt from every transition."""
    S, A, d = phi.shape
    H = data.H
    V = np.zeros((H + 1, S))
    Q = np.zeros((H, S, A))
    rows_by_stage = [np.flatnonzero(data.stage == h) for h in range(H)]
    for h in range(H - 1, -1, -1):
        Lambda = lam * np.eye(d)
        target = np.zeros(d)
        for i in rows_by_stage[h]:
            x = phi[data.state[i], data.action[i]]
            Lambda += np.outer(x, x)
            target += x * (data.reward[i] + V[h + 1, data.next_state[i]])
        inv = np.linalg.inv(Lambda)
        w = inv @ target
        for s in range(S):
            for a in range(A):
                x = phi[s, a]
                q = x @ w - beta * np.sqrt(x @ inv @ x)
                Q[h, s, a] = min(max(q, 0.0), H - h)
            V[h, s] = Q[h, s].max()
    return Q


def _median_time(function, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 000 episodes instead of 5 000")
    parser.add_argument("--reference-episodes", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from _timing import blas_threads

    print(blas_threads())
    episodes = 1_000 if args.quick else 5_000

    model = simplex_feature_linear_mdp(S=100, A=5, H=20, d=20, seed=0)
    print(f"instance: {model!r}")
    start = time.perf_counter()
    collect(model, "uniform", 2, args.seed)
    pevi_curves(model, collect(model, "uniform", 2, args.seed), [1, 2], (PEVI(),))
    print(f"compile / cache load (first calls): {time.perf_counter() - start:.2f} s")

    start = time.perf_counter()
    data = collect(model, uniform_behaviour(model), episodes, args.seed)
    print(f"collect {episodes} episodes = {len(data):,} transitions: "
          f"{time.perf_counter() - start:.3f} s")

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
    t_exact, _ = _median_time(lambda: _finish("PEVI", mdp, V, Q, estimate, widths, weights,
                                              gram, result.beta, learner.lam, learner.c,
                                              learner.xi, result.zeta, result.n_episodes, {}),
                              5)
    print(f"\n{learner.label} (beta = {result.beta:.4g}) on n = {len(data):,} transitions, "
          f"d = {model.d}, H = {model.H}:")
    print(f"  fit (median of 5): {total:.3f} s in all")
    print(f"    aggregation {t_aggregate * 1e3:.1f} ms, fit and plan {t_plan * 1e3:.1f} ms, "
          f"exact evaluation + bound {t_exact * 1e3:.1f} ms")
    verdict = "within" if t_aggregate + t_plan < 2.0 else "OVER"
    print(f"  fit and plan {t_aggregate + t_plan:.3f} s: {verdict} the 2 s target")
    print(f"  sub-optimality {result.suboptimality:.4g}, bound {result.bound:.4g}, good event "
          f"{result.good_event}")

    sizes = [args.reference_episodes] + ([] if args.quick else [episodes])
    for size in sizes:
        part = data.first_episodes(size)
        t_fast, fast = _median_time(lambda part=part: learner.fit(model, part), 3)
        start = time.perf_counter()
        Q_ref = reference_fit(np.asarray(model.phi), part, fast.beta, learner.lam)
        t_ref = time.perf_counter() - start
        error = float(np.abs(Q_ref - fast.Q_hat).max())
        print(f"\nreference (per-sample Python loop) at n = {len(part):,} transitions:")
        print(f"  reference {t_ref:.3f} s, PEVI.fit {t_fast * 1e3:.1f} ms (exact extras "
              f"included): ratio {t_ref / t_fast:.0f}x; max |Q_ref - Q| = {error:.2e}")

    grid = geometric_grid(episodes / 100, episodes, 12, integer=True)
    start = time.perf_counter()
    curves = pevi_curves(model, data, grid, (learner, GreedyLSVI()))
    elapsed = time.perf_counter() - start
    print(f"\npevi_curves: {grid.size} prefixes x 2 learners in one pass: {elapsed:.2f} s; "
          f"sub-optimality at n = {grid[-1]} episodes: PEVI {curves.suboptimality[-1, 0]:.4g}, "
          f"greedy {curves.suboptimality[-1, 1]:.4g}")


if __name__ == "__main__":
    main()
