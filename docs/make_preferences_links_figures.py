"""Figure of the "Links, linear trajectory features and contextual MaxInP" section of
docs/preferences.md.

Run from the project root: ``python docs/make_preferences_links_figures.py``. Writes
``docs/figures/preferences_links.png``: (a) the miss rates of ``link-mle-wald-coverage`` at
quick scale (the true-link Wald region, the wrong-link control and the half-radius control,
for logistic and probit data) against n; (b) contextual MaxInP (c = 0.3) and the two controls
on ``contextual_bt_bandit()``, cumulative exact pseudo-regret against T, mean and range over 8
seeds (the runs of ``saha2021-contextual-maxinp-regret-slope`` at quick scale).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, range_band, save

from algorithms.preferences import ContextualMaxInP
from proofs_check.harness import discover, run_check
from proofs_check.theorems.preferences_links import (
    CONTEXTUAL_SCALE,
    WALD_DELTA,
    WALD_LINKS,
    WALD_PLAN,
    WALD_SLACK,
    _contextual_curves,
)

SEEDS = 8


def figure(path: Path) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    discover()
    fitted = run_check("link-mle-wald-coverage", "quick", 0, raise_errors=True).evidence.fitted
    grid = np.array(WALD_PLAN["quick"][0], dtype=float)
    styles = {"wald": "-o", "wrong link": "--s", "half radius": ":^"}
    for name, style in styles.items():
        for colour, link in zip(("C0", "C1"), WALD_LINKS, strict=True):
            rates = [fitted[f"miss_rate[{name}, {link}, n = {int(n)}]"] for n in grid]
            axes[0].plot(grid, rates, style, color=colour, label=f"{name}, {link} data")
    axes[0].axhline(WALD_DELTA + WALD_SLACK, color="k", lw=0.8, label="delta + slack")
    axes[0].axhline(WALD_DELTA, color="k", lw=0.8, ls="--", label="delta")
    axes[0].set_xscale("log")
    axes[0].set_ylim(0.0, 1.05)
    axes[0].set_xlabel("pairs n")
    axes[0].set_ylabel("miss rate P(theta* not in region)")
    axes[0].set_title("Wald region of the link MLE (200 seeds)", fontsize=10)
    axes[0].legend(fontsize=7)
    T = 10_000
    t = np.arange(1, T + 1)
    for learner, colour in (
        (ContextualMaxInP(c=CONTEXTUAL_SCALE), "C0"),
        (ContextualMaxInP(rule="uniform"), "C3"),
        (ContextualMaxInP(rule="greedy"), "C1"),
    ):
        Y = _contextual_curves(learner, T, SEEDS, 0)
        range_band(axes[1], t, Y, colour, learner.label, alpha=0.2)
    axes[1].plot(t, 3 * np.sqrt(t), "k--", lw=0.8, label="3 sqrt(T)")
    log_log(
        axes[1],
        "rounds T",
        "cumulative pseudo-regret",
        "Contextual MaxInP, 10 contexts of 5 arms in R^3",
        legend={"fontsize": 8},
    )
    save(fig, path, dpi=120)


def main() -> None:
    figure(FIGURES / "preferences_links.png")
    print(f"wrote {FIGURES / 'preferences_links.png'}")


if __name__ == "__main__":
    main()
