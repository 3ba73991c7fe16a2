"""Draw the figure of ``docs/offline.md`` (PNG in ``docs/figures/``) and print its numbers.

Usage::

    python docs/make_offline_figures.py

Figure ``offline_coverage.png``
-------------------------------
Left: the lure instance (``instances.linear.lure_linear_mdp``) with data that
cover pi* but never the lure at (stage 0, x0): exact sub-optimality against the number of
episodes n, mean and 95% band over 64 paired seeds (every learner fitted on the same log),
for PEVI with the tuned c = 0.05, PEVI with the paper's c = 1 and greedy least-squares VI; the
dashed line is greedy's exact limit ``rho(x0) (Q*(x0, safe) - Q*(x0, lure)) = 0.12``.
Right: the well-covered random family (``simplex_feature_linear_mdp(S=10, A=3, H=5, d=4)``,
one instance per seed, uniform data, 64 seeds), log-log: PEVI (c = 0.05), greedy LSVI, the
mean data-dependent bound of PEVI (c = 0.05) and a slope -1/2 guide.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from _figures import FIGURES, log_log, mean_band, save

from algorithms.offline import PEVI, TUNED_C, GreedyLSVI, coverage
from proofs_check.rates import fit_loglog_slope
from proofs_check.theorems.offline import (
    greedy_limit,
    lure_behaviour,
    lure_curves,
    well_covered_curves,
)

N_SEEDS = 64


def main() -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 4.8))

    learners = (PEVI(c=TUNED_C), GreedyLSVI(), PEVI())
    grid, sub, model = lure_curves(N_SEEDS, 10, 100_000, seed=0, learners=learners)
    limit = greedy_limit(model)
    cov = coverage(model, lure_behaviour(model))
    names = (f"PEVI, tuned c = {TUNED_C:g}", "greedy LSVI (control)", "PEVI, paper c = 1")
    for j, (learner, color) in enumerate(zip(learners, ("C0", "C3", "C2"), strict=True)):
        mean = mean_band(left, grid, sub[:, :, j], color, names[j])
        print(
            f"lure: {learner.label}: mean sub-optimality "
            + ", ".join(f"n={n}: {m:.4g}" for n, m in zip(grid, mean, strict=True))
        )
    left.axhline(
        limit,
        color="C3",
        ls="--",
        lw=1.0,
        label=f"greedy limit rho(x0)(Q*safe - Q*lure) = {limit:.2f}",
    )
    left.set_xscale("log")
    left.set_ylim(bottom=0.0)
    left.set_xlabel("episodes n in the data set")
    left.set_ylabel("exact sub-optimality V*_1(rho) - V^pi_hat_1(rho)")
    left.set_title(
        f"Partial coverage that covers pi* (C* = {cov.concentrability:.2f}), lure never taken",
        fontsize=10,
    )
    left.legend(fontsize=8)
    left.grid(alpha=0.3)

    wc_learners = (PEVI(c=TUNED_C), GreedyLSVI())
    grid, sub, bound = well_covered_curves(N_SEEDS, 30, 50_000, seed=0, learners=wc_learners)
    pevi_mean = mean_band(right, grid, sub[:, :, 0], "C0", f"PEVI, tuned c = {TUNED_C:g}")
    greedy = sub[:, :, 1]
    keep = greedy.mean(axis=0) > 0
    mean_band(right, grid[keep], greedy[:, keep], "C3", "greedy LSVI (control)")
    right.plot(
        grid,
        bound[:, :, 0].mean(axis=0),
        ":",
        color="C0",
        lw=1.4,
        label="bound 2 beta sum_h E_pi* ||phi||_(Lambda_h^-1) (c = 0.05, mean)",
    )
    fit = fit_loglog_slope(grid, sub[:, :, 0], tail=0.5, n_boot=2000, seed=0)
    bound_fit = fit_loglog_slope(grid, bound[:, :, 0], tail=0.5, n_boot=200, seed=0)
    x0 = grid[len(grid) // 2]
    guide = pevi_mean[len(grid) // 2] * (grid / x0) ** -0.5
    right.plot(grid, guide, "--", color="gray", lw=1.0, label="slope -1/2")
    log_log(
        right,
        "episodes n in the data set",
        "exact sub-optimality",
        f"Well-covered data (uniform behaviour): PEVI slope {fit.slope:.2f} "
        f"[{fit.ci_low:.2f}, {fit.ci_high:.2f}]",
        legend={"fontsize": 8, "loc": "lower left"},
    )
    right.set_ylim(1e-6, 30)
    right.grid(alpha=0.3, which="both")
    print(
        f"well covered: PEVI c={TUNED_C:g} slope {fit.slope:.3f} [{fit.ci_low:.3f}, "
        f"{fit.ci_high:.3f}] on n in [{fit.x_tail[0]:.0f}, {fit.x_tail[-1]:.0f}]; bound slope "
        f"{bound_fit.slope:.3f}; mean at n={grid[-1]}: PEVI {pevi_mean[-1]:.4g}, greedy "
        f"{greedy[:, -1].mean():.3g}, bound {bound[:, -1, 0].mean():.3g}"
    )

    path = FIGURES / "offline_coverage.png"
    save(fig, path, 120)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
