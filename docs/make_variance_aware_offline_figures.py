"""Draw the figure of ``docs/variance_aware_offline.md`` (PNG in ``docs/figures/``) and print
its numbers.

Usage::

    python docs/make_variance_aware_offline_figures.py

Figure ``variance_aware_offline.png``
-------------------------------------
Left: ``heteroscedastic_offline_mdp(D=6, H=5, noise=0.9, calm=0)`` (the optimal decision pairs
deterministic, the others with next-value variance 3.6), uniform data: exact sub-optimality
against the number of episodes n, mean and 95% band over 64 paired seeds (every learner on the
same log), for PEVI (c = 0.01), VW-PEVI (c = 0.01 sqrt(d)) and VW-PEVI with its weights
inverted (the control). Middle: the same on the homoscedastic twin (``calm = 0.9``). Right:
``heteroscedastic_offline_mdp(D=6, H=8, calm)`` for the calm grid of the check, n = 3000: mean
sub-optimality of VW-PEVI and of the inverted control against the mean variance-weighted
coverage ``sum_h E_pi* ||phi||_(Sigma*_h^-1)``.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, mean_band, save
from scipy import stats

from proofs_check.rates import geometric_grid
from proofs_check.theorems.variance_aware_offline import (
    CALM_GRID,
    coverage_runs,
    heteroscedastic_offline_mdp,
    matched_learners,
    paired_curves,
)

N_SEEDS = 64


def main() -> None:
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6))
    grid = geometric_grid(300, 30_000, 9, integer=True)
    names = ("PEVI, c = 0.01", "VW-PEVI, c = 0.01 sqrt(d)", "VW-PEVI, weights inverted")
    for ax, calm, title in (
        (axes[0], 0.0, "heteroscedastic: optimal pairs deterministic"),
        (axes[1], 0.9, "homoscedastic decision pairs"),
    ):
        model = heteroscedastic_offline_mdp(H=5, noise=0.9, calm=calm)
        sub = paired_curves(model, matched_learners(model), N_SEEDS, 0, grid)
        for j, color in enumerate(("C0", "C2", "C3")):
            mean = mean_band(ax, grid, sub[:, :, j], color, names[j], "-" if j < 2 else "--")
            print(
                f"calm={calm}: {names[j]}: "
                + ", ".join(f"n={n}: {m:.4f}" for n, m in zip(grid, mean, strict=True))
            )
        ax.set_xscale("log")
        ax.set_ylim(bottom=0.0)
        ax.set_xlabel("episodes n in the data set")
        ax.set_ylabel("exact sub-optimality")
        ax.set_title(f"{title} (calm = {calm})", fontsize=10)
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)

    sub, cov, inverted = coverage_runs(N_SEEDS, 0)
    right = axes[2]
    for Y, fmt, color, label in (
        (sub, "o-", "C2", "VW-PEVI"),
        (inverted, "s--", "C3", "VW-PEVI, weights inverted (control)"),
    ):
        half = 1.96 * Y.std(axis=1, ddof=1) / np.sqrt(N_SEEDS)
        right.errorbar(cov.mean(1), Y.mean(1), yerr=half, fmt=fmt, color=color, label=label)
    for x, y, calm in zip(cov.mean(1), sub.mean(1), CALM_GRID, strict=True):
        right.annotate(
            f"calm {calm:g}", (x, y), fontsize=7, xytext=(3, -10), textcoords="offset points"
        )
    rho = stats.spearmanr(sub.mean(1), cov.mean(1))[0]
    rho_inv = stats.spearmanr(inverted.mean(1), cov.mean(1))[0]
    print("calm grid", CALM_GRID)
    print("coverage", np.round(cov.mean(1), 4))
    print("VW-PEVI", np.round(sub.mean(1), 4), "Spearman", rho)
    print("inverted", np.round(inverted.mean(1), 4), "Spearman", rho_inv)
    right.set_xlabel("variance-weighted coverage sum_h E_pi* ||phi||_(Sigma*_h^-1)")
    right.set_ylabel("exact sub-optimality at n = 3000")
    right.set_title(f"H = 8: Spearman {rho:.2f} (control {rho_inv:.2f})", fontsize=10)
    right.legend(fontsize=8)
    right.grid(alpha=0.3)
    path = FIGURES / "variance_aware_offline.png"
    save(fig, path, 110)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
