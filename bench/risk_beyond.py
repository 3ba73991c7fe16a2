"""Speed of the discretised CVaR-LSVI planner and of the linear / augmented CVaR learners.

Run: ``python bench/risk_beyond.py`` (``--quick`` for smaller sizes).

What is printed
---------------
* The discretised planner (:func:`mdptheory.risk.discretised_cvar_lsvi`, compiled grid backup)
  against a plain numpy reference run in the same process on the same linear MDP (the same
  feature products, then the minimum over actions by fancy indexing of the grid), for a few
  grid widths; the values must agree.
* Per-episode cost of CVaR-UCBVI, ICVaR-L and the low-rank CVaR-UCB early and late in a run
  (mean episode time over the first and the last 10% of the episodes): the statistics are
  aggregated by next state, so an episode costs the same at every k.
"""

from __future__ import annotations

import numpy as np
from _timing import best_time, command_line, median_time

from algorithms.risk import CVaRUCBVI, ICVaRL, LowRankCVaRUCB
from instances.linear import simplex_feature_linear_mdp, tabular_as_linear
from mdptheory.linear import LowRankMDP
from mdptheory.risk import discretised_cvar_lsvi
from mdptheory.risk.discretised import budget_grid, budget_steps, model_features
from proofs_check.theorems.risk_beyond import quarter_garnet, swapped_route


def numpy_planner(model, alpha: float, eta: float) -> float:
    """The same grid DP in plain numpy: feature products, then min over actions by indexing."""
    features, measures, twin = model_features(model)
    H, S, A = twin.H, twin.S, twin.A
    steps = budget_steps(np.asarray(twin.R), eta)
    grid = budget_grid(H, eta)
    n = grid.shape[0]
    W = np.tile(grid, (S, 1))
    j = np.arange(n)
    for h in range(H - 1, -1, -1):
        EW = features[h] @ (measures[h].T @ W)  # (S A, n)
        index = np.maximum(j[None, :] - steps[h].reshape(-1, 1), 0)  # (S A, n)
        Q = np.take_along_axis(EW, index, axis=1).reshape(S, A, n)
        W = np.maximum(Q.min(axis=1), 0.0)
    objective = grid - (twin.initial @ W) / alpha
    return float(objective.max())


def bench_planner(S: int, etas: tuple[float, ...]) -> None:
    model = simplex_feature_linear_mdp(S=S, A=4, H=5, d=6, seed=0)
    print(f"Discretised CVaR-LSVI, simplex-feature linear MDP S={S} A=4 H=5 d=6, alpha=0.3")
    discretised_cvar_lsvi(model, 0.3, 0.1)  # compile (or load the cache)
    for eta in etas:
        runs = median_time(lambda e=eta: discretised_cvar_lsvi(model, 0.3, e), repeats=5)
        reference = best_time(lambda e=eta: numpy_planner(model, 0.3, e), repeats=2)
        agree = abs(discretised_cvar_lsvi(model, 0.3, eta).value - numpy_planner(model, 0.3, eta))
        print(
            f"  eta={eta:<6g} compiled median {runs.format(1e3, 'ms')}; plain numpy "
            f"{reference * 1e3:8.1f} ms -> {reference / runs.median:.1f}x; "
            f"|value difference| = {agree:.1e}"
        )


def bench_learners(K: int) -> None:
    print(f"Per-episode cost early and late in a run of K={K} episodes (mean over 10%)")
    cases = (
        (
            "CVaR-UCBVI, quarter garnet",
            CVaRUCBVI(alpha=0.25, eta=0.25, bonus_scale=0.1),
            quarter_garnet(),
        ),
        (
            "ICVaR-L, swapped route (d=8)",
            ICVaRL(alpha=0.1, c=0.003),
            tabular_as_linear(swapped_route()),
        ),
        (
            "low-rank CVaR-UCB, garnet SVD (d=4)",
            LowRankCVaRUCB(alpha=0.25, eta=0.25, c=0.03),
            LowRankMDP.from_tabular(quarter_garnet()),
        ),
    )
    for name, learner, model in cases:
        learner.run(model, 10, 0)  # compile (or load the cache)
        times = learner.run(model, K, 0).episode_time
        tenth = max(1, K // 10)
        early, late = times[:tenth].mean(), times[-tenth:].mean()
        print(
            f"  {name:<38} early {early * 1e6:7.1f} us, late {late * 1e6:7.1f} us "
            f"(late / early {late / early:.2f})"
        )


def main() -> None:
    args = command_line(__doc__, "smaller sizes")
    bench_planner(
        S=20 if args.quick else 60, etas=(0.1, 0.01) if args.quick else (0.1, 0.01, 0.001)
    )
    bench_learners(K=2_000 if args.quick else 20_000)


if __name__ == "__main__":
    main()
