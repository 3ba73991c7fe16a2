"""Figures of docs/multi_agent_linear.md.

Run from the project root: ``python docs/make_multi_agent_linear_figures.py``. Writes

* ``docs/figures/multi_agent_linear_regret.png``: cumulative exact pseudo-regret against the
  episodes of all agents K on ``simplex_feature_linear_mdp(S=10, A=3, H=5, d=4, seed=0)``,
  c = 0.1: one LSVI-UCB agent playing every episode, M = 8 cooperating agents (alpha = 1/M^2,
  asynchronous schedule with skew 1), the same agents synchronising after every episode, and
  M = 8 independent learners; the cooperating agents' realised regret dashed beside their
  pseudo-regret. Means over 6 seeds with their ranges.
* ``docs/figures/multi_agent_linear_communication.png``: (a) communication rounds against K
  for M = 2, 4, 8 with the explicit bound ``communication_bound`` of each M dotted; (b) rounds
  at K = 20,000 against M, with the bound and ``M^2`` for reference.

It prints the numbers quoted in the page.
"""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, range_band, save

from algorithms.linear import LSVIUCB
from algorithms.multi_agent import AsyncCoopLSVIUCB, communication_bound
from instances.linear import simplex_feature_linear_mdp
from mdptheory.experiment import run_seeds

K, SEEDS, C, SKEW = 20_000, 6, 0.1, 1.0
MODEL = simplex_feature_linear_mdp(S=10, A=3, H=5, d=4, seed=0)
H, D = 5, 4


def _traces(learner):
    return run_seeds(learner, MODEL, K, seeds=SEEDS, seed=0, progress=False)


def regret_figure() -> None:
    M = 8
    x = np.arange(1, K + 1)
    runs = {
        "one agent, all K episodes (LSVI-UCB)": (_traces(LSVIUCB(c=C)), "k"),
        f"M = {M} cooperating, alpha = 1/M^2": (
            _traces(AsyncCoopLSVIUCB(agents=M, c=C, skew=SKEW)),
            "C0",
        ),
        f"M = {M}, synchronising every episode": (
            _traces(AsyncCoopLSVIUCB(agents=M, c=C, skew=SKEW, alpha=0.0)),
            "C2",
        ),
        f"M = {M} independent (alpha = inf)": (
            _traces(AsyncCoopLSVIUCB(agents=M, c=C, skew=SKEW, alpha=math.inf)),
            "C3",
        ),
    }
    fig, ax = plt.subplots(figsize=(6, 4.2))
    single = None
    for label, (traces, colour) in runs.items():
        Y = np.stack([t.cumulative for t in traces])
        single = Y[:, -1].mean() if single is None else single
        range_band(ax, x, Y, colour, label)
        rounds = [
            int(t.extras["communication_rounds"][-1])
            for t in traces
            if "communication_rounds" in t.extras
        ]
        print(
            f"{label}: regret at K={K} {Y[:, -1].mean():.1f} "
            f"(ratio to one agent {Y[:, -1].mean() / single:.3f})"
            + (f", rounds {np.mean(rounds):.0f}" if rounds else "")
        )
    coop = runs[f"M = {M} cooperating, alpha = 1/M^2"][0]
    realised = np.stack([t.cumulative_realised for t in coop])
    mean = realised.mean(axis=0)
    # Realised regret is noisy and may be negative early; a log axis shows its positive part.
    ax.plot(x, np.where(mean > 0, mean, np.nan), "--", color="C0", lw=0.8,
            label=f"M = {M} cooperating: realised regret")  # fmt: skip
    print(f"M = {M} cooperating: realised regret at K={K} {mean[-1]:.1f}")
    log_log(
        ax,
        "episodes of all agents K",
        "cumulative regret",
        f"Async-Coop-LSVI-UCB, c = {C:g}, simplex(S=10, A=3, H=5, d=4)",
        legend={"fontsize": 7, "loc": "upper left"},
    )
    ax.set_xlim(10, K)
    save(fig, FIGURES / "multi_agent_linear_regret.png", 130)


def communication_figure() -> None:
    x = np.arange(1, K + 1)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 4))
    finals, agents = [], (2, 4, 8, 16)
    for M, colour in zip(agents, ("C0", "C1", "C2", "C4"), strict=True):
        traces = _traces(AsyncCoopLSVIUCB(agents=M, c=C, skew=SKEW))
        R = np.stack([t.extras["communication_rounds"] for t in traces]).astype(float)
        finals.append(R[:, -1])
        range_band(ax, x, R, colour, f"M = {M}")
        grid = np.geomspace(10, K, 30)
        bound = [communication_bound(D, H, M, int(k), 1 / M**2) for k in grid]
        ax.plot(grid, bound, ":", color=colour)
        print(
            f"M = {M}: rounds at K={K} {R[:, -1].mean():.0f} (range {R[:, -1].min():.0f}"
            f"-{R[:, -1].max():.0f}), bound {bound[-1]:.0f}"
        )
    ax.plot(x, x, color="0.5", lw=0.8, label="every episode (K)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("episodes of all agents K")
    ax.set_ylabel("communication rounds (upload + download)")
    ax.set_title("(a) rounds against K; dotted: the explicit bound", fontsize=10)
    ax.legend(fontsize=8)
    F = np.stack(finals, axis=1)
    Ms = np.array(agents, dtype=float)
    bx.errorbar(Ms, F.mean(axis=0), yerr=[F.mean(axis=0) - F.min(axis=0),
                F.max(axis=0) - F.mean(axis=0)], fmt="o-", label="measured")  # fmt: skip
    bx.plot(Ms, [communication_bound(D, H, int(M), K, 1 / M**2) for M in Ms], ":",
            label="bound O(d H M^2 log K)")  # fmt: skip
    bx.plot(Ms, F.mean(axis=0)[0] * (Ms / Ms[0]) ** 2, "--", color="0.5", label="M^2 (reference)")
    log_log(
        bx,
        "agents M",
        None,
        f"(b) rounds at K = {K:,} against M",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "multi_agent_linear_communication.png", 130)


if __name__ == "__main__":
    regret_figure()
    communication_figure()
