"""Speed of the structural diagnostics, measured against baselines run in the same process.

Run: ``python bench/diagnostics.py`` (``--quick`` for smaller sizes).

What is printed
---------------
* Transport: one exact W_1 between random distributions on k and k points, the compiled
  transportation simplex against HiGHS (``scipy.optimize.linprog``), alternated; median ratio.
* Bisimulation metric of a Garnet (S = 200, A = 4, 3 successors per pair; ``--quick``:
  S = 100) to a certified error of 1e-9: strategy iteration (the default) against plain
  fixed-point iteration from 0, with the applications of the operator each needed, at
  gamma = 0.9 (alternated, median ratio) and at gamma = 0.99 (strategy iteration alone; plain
  iteration would need about ten times the applications of gamma = 0.9).
* Effective horizon and coverability of a Garnet (S = 100, A = 4, H = 20): wall time.
"""

from __future__ import annotations

import numpy as np
from _timing import alternate, command_line, median_time, ratio

from instances.tabular import garnet
from mdptheory.diagnostics.bisimulation import bisimulation_metric
from mdptheory.diagnostics.coverability import coverability
from mdptheory.diagnostics.effective_horizon import effective_horizon
from mdptheory.diagnostics.transport import wasserstein


def bench_transport(k: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    p, q = rng.dirichlet(np.ones(k)), rng.dirichlet(np.ones(k))
    x, y = rng.random((k, 2)), rng.random((k, 2))
    cost = np.linalg.norm(x[:, None] - y[None], axis=2)
    times = alternate(
        {
            "simplex": lambda: wasserstein(p, q, cost),
            "highs": lambda: wasserstein(p, q, cost, method="lp"),
        },
        repeats=9,
    )
    print(f"transport k={k}: simplex / HiGHS time {ratio(times, 'simplex', 'highs').format()}")


def bench_bisimulation(S: int, gamma: float, compare: bool) -> None:
    mdp = garnet(S=S, A=4, branching=3, gamma=gamma, seed=1)
    fast = bisimulation_metric(mdp, tol=1e-9)
    line = (
        f"bisimulation S={S} gamma={gamma}: strategy iteration {fast.applications} "
        f"applications, {fast.evaluations} evaluations, bound {fast.bound:.2g}"
    )
    if compare:
        plain = bisimulation_metric(mdp, tol=1e-9, accelerate=False)
        times = alternate(
            {
                "fast": lambda: bisimulation_metric(mdp, tol=1e-9),
                "plain": lambda: bisimulation_metric(mdp, tol=1e-9, accelerate=False),
            },
            repeats=3,
            warmup=False,
        )
        print(
            f"{line}; plain iteration {plain.applications} applications; time "
            f"{np.median(times['fast']):.2f} s against {np.median(times['plain']):.2f} s, "
            f"ratio {ratio(times, 'fast', 'plain').format()}"
        )
    else:
        spread = median_time(lambda: bisimulation_metric(mdp, tol=1e-9), 3)
        print(f"{line}; time {spread.format(1.0, 's')}")


def bench_episodic(S: int, H: int) -> None:
    mdp = garnet(S=S, A=4, H=H, seed=2)
    horizon = median_time(lambda: effective_horizon(mdp), 3)
    cover = median_time(lambda: coverability(mdp), 3)
    print(
        f"effective horizon S={S} A=4 H={H}: {horizon.format(1.0, 's')}; coverability: "
        f"{cover.format(1.0, 's')}"
    )


def main() -> None:
    args = command_line(__doc__, "smaller sizes")
    bisimulation_metric(garnet(S=5, A=2, seed=0))  # compile once, outside the timings
    wasserstein([1.0], [1.0], [[0.0]])
    for k in (3, 10, 30):
        bench_transport(k)
    S = 100 if args.quick else 200
    bench_bisimulation(S, 0.9, compare=True)
    bench_bisimulation(S, 0.99, compare=False)
    bench_episodic(50 if args.quick else 100, 20)


if __name__ == "__main__":
    main()
