"""Figures of docs/risk.md: where risk-averse and mean-optimal policies differ, ICVaR-RM regret.

Run from the project root: ``python docs/make_risk_figures.py``. Writes

* ``docs/figures/risk_safe_vs_risky.png``: on ``safe_vs_risky_route`` (H = 3), (a) the exact
  return distributions of the mean-optimal and the CVaR-optimal policies at alpha = 0.1, with
  their means and CVaRs; (b) over a grid of crash probability and alpha, which road each
  criterion takes at the fork: mean, iterated CVaR (Du, Wang, Huang 2023) and static CVaR of the
  return (state augmentation).
* ``docs/figures/risk_icvar_rm_regret.png``: ICVaR-RM's cumulative exact iterated-CVaR regret on
  ``garnet(S=5, A=2, branching=2, H=5, seed=0)`` at alpha = 0.3, paper bonus and x0.1, mean and
  range over 8 seeds.

Every number is exact (sorting CVaR, exact return distributions, DP optima); nothing is sampled
except the learner's episodes.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, range_band, save
from matplotlib.colors import ListedColormap

from algorithms.risk import ICVaRRM
from instances.risk import safe_vs_risky_route
from instances.tabular import garnet
from mdptheory import backward_induction
from mdptheory.experiment import run_seeds
from mdptheory.risk import (
    icvar_backward_induction,
    return_distribution,
    static_cvar_optimum,
)

ALPHA = 0.1
FORK, SAFE, RISKY = 0, 0, 1


def distributions_panel(ax) -> None:
    mdp = safe_vs_risky_route(H=3)
    mean_policy = backward_induction(mdp).policy
    icvar_policy = icvar_backward_induction(mdp, ALPHA).policy
    static = static_cvar_optimum(mdp, ALPHA)
    mean_d = return_distribution(mdp, mean_policy)
    risk_d = return_distribution(mdp, icvar_policy)
    assert abs(static.value - risk_d.cvar(ALPHA)) < 1e-12  # both take the safe road here
    width = 0.12
    for offset, d, label, colour in (
        (-width / 2, mean_d, "mean-optimal (risky road)", "C3"),
        (width / 2, risk_d, f"CVaR-optimal, alpha={ALPHA:g} (safe road)", "C0"),
    ):
        ax.bar(d.atoms + offset, d.probabilities, width=width, color=colour, alpha=0.8, label=label)
        ax.axvline(d.mean(), color=colour, linestyle="-", linewidth=1.2)
        ax.axvline(d.cvar(ALPHA), color=colour, linestyle=":", linewidth=1.8)
        left = colour == "C0"  # the safe road's lines sit on its bar: label leftwards
        ax.text(
            d.mean(),
            0.95,
            f" mean {d.mean():.2f} ",
            color=colour,
            fontsize=8,
            ha="right" if left else "left",
            transform=ax.get_xaxis_transform(),
        )
        ax.text(
            d.cvar(ALPHA),
            0.88,
            f" CVaR$_{{{ALPHA:g}}}$ {d.cvar(ALPHA):.2f} ",
            color=colour,
            fontsize=8,
            ha="right" if left else "left",
            transform=ax.get_xaxis_transform(),
        )
    ax.set_xlabel("total return")
    ax.set_ylabel("probability (exact)")
    ax.set_title("(a) safe_vs_risky_route(H=3, crash_prob=0.1)", fontsize=10)
    ax.legend(fontsize=8, loc="center left")
    ax.set_ylim(0, 1.05)


def regions_panel(ax) -> None:
    crash = np.linspace(0.02, 0.6, 59)
    alphas = np.linspace(0.02, 1.0, 50)
    icvar = np.zeros((alphas.size, crash.size), dtype=int)
    static = np.zeros_like(icvar)
    mean = np.zeros(crash.size, dtype=int)
    for j, p in enumerate(crash):
        mdp = safe_vs_risky_route(H=3, crash_prob=float(p))
        mean[j] = backward_induction(mdp).policy[0, FORK]
        for i, a in enumerate(alphas):
            icvar[i, j] = icvar_backward_induction(mdp, float(a)).policy[0, FORK]
            static[i, j] = static_cvar_optimum(mdp, float(a)).act(0, FORK, 0.0)
    # 0: all safe; 1: static risky only; 2: iterated risky only; 3: both risky.
    code = icvar * 2 + static
    cmap = ListedColormap(["#cfe2f3", "#fde9c9", "#d9ead3", "#f4cccc"])
    extent = (crash[0], crash[-1], alphas[0], alphas[-1])
    ax.imshow(
        code,
        origin="lower",
        aspect="auto",
        extent=extent,
        cmap=cmap,
        vmin=-0.5,
        vmax=3.5,
        interpolation="nearest",
    )
    ax.contour(crash, alphas, icvar, levels=[0.5], colors="C0", linewidths=1.8)
    ax.contour(crash, alphas, static, levels=[0.5], colors="C2", linewidths=1.8, linestyles="--")
    switch = crash[np.flatnonzero(mean == SAFE)[0]] if (mean == SAFE).any() else None
    if switch is not None:
        ax.axvline(switch, color="C3", linewidth=1.8)
    ax.plot(crash, crash, color="k", linewidth=0.8, linestyle=":")
    if switch is not None:
        ax.text(
            0.5 * (crash[0] + switch) + 0.06,
            0.12,
            "CVaR-optimal: safe road\nmean-optimal: risky road",
            fontsize=8,
            ha="center",
        )
        ax.text(
            0.5 * (switch + crash[-1]), 0.5, "every criterion:\nsafe road", fontsize=8, ha="center"
        )
    ax.set_xlabel("crash probability p")
    ax.set_ylabel("risk level alpha")
    ax.set_title("(b) road taken at the fork", fontsize=10)
    handles = [
        plt.Line2D([], [], color="C0", linewidth=1.8, label="iterated CVaR: boundary"),
        plt.Line2D(
            [], [], color="C2", linewidth=1.8, linestyle="--", label="static CVaR: boundary"
        ),
        plt.Line2D([], [], color="C3", linewidth=1.8, label="mean: switches to safe"),
        plt.Line2D([], [], color="k", linewidth=0.8, linestyle=":", label="alpha = p"),
        plt.Rectangle((0, 0), 1, 1, color="#cfe2f3", label="both CVaRs: safe"),
        plt.Rectangle((0, 0), 1, 1, color="#f4cccc", label="both CVaRs: risky"),
        plt.Rectangle((0, 0), 1, 1, color="#d9ead3", label="iterated risky, static safe"),
        plt.Rectangle((0, 0), 1, 1, color="#fde9c9", label="static risky, iterated safe"),
    ]
    present = [True] * 4 + [bool((code == c).any()) for c in (0, 3, 2, 1)]
    ax.legend(
        handles=[h for h, keep in zip(handles, present, strict=True) if keep],
        fontsize=7,
        loc="upper right",
        framealpha=0.9,
    )


def regret_figure(path: Path) -> None:
    mdp = garnet(S=5, A=2, branching=2, H=5, seed=0)
    K = 100_000
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    for learner, colour in (
        (ICVaRRM(alpha=0.3), "C3"),
        (ICVaRRM(alpha=0.3, bonus_scale=0.1), "C0"),
    ):
        traces = run_seeds(learner, mdp, K, seeds=8, seed=0, progress=False)
        Y = np.stack([t.cumulative for t in traces])
        k = np.unique(np.geomspace(1, K, 200).astype(int))
        range_band(ax, k, Y[:, k - 1], colour, learner.label, alpha=0.2)
    ref = np.geomspace(1e3, K, 20)
    ax.plot(ref, 40 * np.sqrt(ref), "k--", linewidth=1, label="slope 1/2")
    ax.plot(ref, 0.5 * ref, "k:", linewidth=1, label="slope 1")
    log_log(
        ax,
        "episodes K",
        "cumulative exact iterated-CVaR regret",
        "ICVaR-RM on garnet(S=5, A=2, H=5), alpha = 0.3 (8 seeds)",
        legend={"fontsize": 8},
    )
    save(fig, path, 130)


def main() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(12.0, 4.6))
    distributions_panel(axes[0])
    regions_panel(axes[1])
    save(fig, FIGURES / "risk_safe_vs_risky.png", 130)
    regret_figure(FIGURES / "risk_icvar_rm_regret.png")
    print(f"wrote {FIGURES / 'risk_safe_vs_risky.png'} and {FIGURES / 'risk_icvar_rm_regret.png'}")


if __name__ == "__main__":
    main()
