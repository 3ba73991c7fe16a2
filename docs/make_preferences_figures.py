"""Figure of docs/preferences.md: DPO against IPO on Azar et al.'s deterministic dataset.

Run from the project root: ``python docs/make_preferences_figures.py``. Writes
``docs/figures/preferences_dpo_vs_ipo.png``: on ``azar_three_action_bandit()`` (actions a, b, c,
uniform ``pi_ref``, ``D_1 = {(a, b), (b, c), (a, c)}``),

* (a) the exact optima against the regularisation ``tau = beta`` (log grid 1e-2..1e2): the IPO
  minimiser's ``pi(a), pi(b), pi(c)`` (Laplacian solve) and the boundary every DPO minimising
  sequence tends to (``pi(a) = 1``, ``pi(b) = pi(c) = 0`` for every beta), with DPO's policy
  after 20000 exact-gradient steps (markers) on its way there;
* (b) the exact-gradient runs at ``tau = beta = 1``: ``pi_t(y)`` of IPO, which settles on the
  exact minimiser (dotted), and of DPO, whose ``pi_t(b)`` and ``pi_t(c)`` keep falling.

Nothing is sampled in that figure: the optima are exact and the runs use the exact gradient.

It also writes ``docs/figures/preferences_offline_pbrl.png``: FREEHAND (Zhan et al., ICLR
2024) on ``offline_preference_garnet`` with full and with partial coverage, the exact
sub-optimality ``J(pi_tar) - J(pi_hat)`` against the number of pairs, mean and range over 16
data seeds (the pairs are sampled; the sub-optimality is computed exactly).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, range_band, save

from algorithms.preferences import DPO, IPO, Freehand
from instances.preferences import azar_three_action_bandit, offline_preference_garnet
from mdptheory.preferences import dpo_finite_optimum, ipo_minimiser
from mdptheory.seeding import spawn_seeds

ACTIONS = ("a", "b", "c")
COLOURS = ("C0", "C1", "C2")
STEPS = 20_000


def optima_panel(ax, bandit) -> None:
    taus = np.geomspace(1e-2, 1e2, 41)
    ipo = np.stack([ipo_minimiser(bandit.dataset, bandit.reference, t).policy for t in taus])
    for k, name in enumerate(ACTIONS):
        ax.plot(taus, ipo[:, k], color=COLOURS[k], label=f"IPO pi({name})")
    limits = np.stack(
        [dpo_finite_optimum(bandit.dataset, bandit.reference, b).limit_policy for b in taus]
    )
    for k, name in enumerate(ACTIONS):
        ax.plot(
            taus, limits[:, k], color=COLOURS[k], ls="--", lw=1.2, label=f"DPO optimum pi({name})"
        )
    grid = np.array([0.01, 0.1, 1.0, 10.0, 100.0])
    dpo = policies(DPO(), bandit, grid)
    for k in range(3):
        ax.plot(
            grid,
            dpo[:, k],
            "o",
            color=COLOURS[k],
            ms=4,
            label="DPO after 2e4 steps" if k == 0 else None,
        )
    ax.set_xscale("log")
    ax.set_xlabel("tau (IPO) = beta (DPO)")
    ax.set_ylabel("probability")
    ax.set_ylim(-0.03, 1.03)
    ax.set_title("(a) exact optima on D_1", fontsize=10)
    ax.legend(fontsize=7, ncol=2)


def policies(learner, bandit, strengths: np.ndarray, steps: int = STEPS) -> np.ndarray:
    """``pi_T`` after ``steps`` exact-gradient steps, one row per strength (one vmapped run)."""
    batch = learner.run_batch(bandit, steps, strengths=strengths, record_every=steps)
    return batch.extras["policy"][:, -1]


def curves_panel(ax, bandit) -> None:
    for learner, style, name in ((IPO(tau=1.0), "-", "IPO"), (DPO(beta=1.0), "--", "DPO")):
        batch = learner.run(bandit, STEPS)  # geometric recording grid
        t = batch.extras["iteration"]
        for k, action in enumerate(ACTIONS):
            ax.plot(
                t,
                batch.extras["policy"][:, k],
                ls=style,
                color=COLOURS[k],
                label=f"{name} pi_t({action})",
            )
    exact = ipo_minimiser(bandit.dataset, bandit.reference, 1.0).policy
    for k in range(3):
        ax.axhline(exact[k], color=COLOURS[k], ls=":", lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("gradient steps t")
    ax.set_title("(b) exact-gradient runs, tau = beta = 1 (dotted: IPO minimiser)", fontsize=10)
    ax.legend(fontsize=7, ncol=2)


def offline_figure(path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for colour, coverage, label in (
        ("C0", "full", "uniform behaviour (C_r = 0.62)"),
        ("C3", "partial", "target's last action unseen (C_r = inf)"),
    ):
        problem = offline_preference_garnet(coverage)
        traces = [Freehand().run(problem, 10_000, child) for child in spawn_seeds(0, 16)]
        n = traces[0].extras["n"]
        gaps = np.stack([t.gap for t in traces])
        range_band(ax, n, gaps, colour, f"{label}, mean", alpha=0.2)
    ax.set_xscale("log")
    ax.set_xlabel("pairs n")
    ax.set_ylabel("J(pi_tar) - J(pi_hat)")
    ax.set_title("FREEHAND on offline_preference_garnet, 16 data seeds", fontsize=10)
    ax.legend(fontsize=8)
    save(fig, path, dpi=120)


def main() -> None:
    bandit = azar_three_action_bandit()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    optima_panel(axes[0], bandit)
    curves_panel(axes[1], bandit)
    save(fig, FIGURES / "preferences_dpo_vs_ipo.png", dpi=120)
    print(f"wrote {FIGURES / 'preferences_dpo_vs_ipo.png'}")
    offline_figure(FIGURES / "preferences_offline_pbrl.png")
    print(f"wrote {FIGURES / 'preferences_offline_pbrl.png'}")


if __name__ == "__main__":
    main()
