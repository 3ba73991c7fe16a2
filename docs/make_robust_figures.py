"""Figures of docs/robust.md: inner problems against their radius, and the safe-vs-fast route.

Run from the project root: ``python docs/make_robust_figures.py``. Writes
``docs/figures/robust_sets.png``:

* (a) the inner value ``inf_{q in U(p)} q.V`` of the TV, KL and chi-square balls on one row
  (6 states) against the radius, from ``p.V`` at radius 0 down to ``min V`` (TV over all
  states, radius >= 1) or the support's minimum (KL: radius >= -log p(argmin V));
* (b) on ``safe_vs_fast_route`` (defaults), the robust value at the start of the fast and the
  safe policies against the radius of a KL ball: the fast road wins below KL = 0.0207 and
  loses above it, where the robust optimum switches to the safe road.

Every number is exact (the duals solved by :mod:`mdptheory.robust`).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, save

from instances.robust import safe_vs_fast_route
from mdptheory.robust import UncertaintySet, inner_problem, robust_evaluate


def sets_panel(ax) -> None:
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(6))
    V = np.sort(rng.random(6) * 10)
    radii = np.linspace(0.0, 2.0, 201)
    for kind, label in (("tv", "TV ball"), ("kl", "KL ball"), ("chi2", "chi-square ball")):
        values = [inner_problem(UncertaintySet(kind, radius=r), p, V)[0] for r in radii]
        ax.plot(radii, values, label=label)
    ax.axhline(p @ V, color="grey", lw=0.8, ls="--", label="nominal p.V")
    ax.axhline(V.min(), color="black", lw=0.8, ls=":", label="min V")
    ax.set_xlabel("radius rho")
    ax.set_ylabel("inf over the ball of q.V")
    ax.set_title("(a) one row, three balls", fontsize=10)
    ax.legend(fontsize=8)


def route_panel(ax) -> None:
    mdp = safe_vs_fast_route()
    fast = np.zeros(mdp.S, dtype=np.int64)
    safe = np.ones(mdp.S, dtype=np.int64)
    radii = np.linspace(0.0, 0.1, 41)
    for policy, label in ((fast, "fast road"), (safe, "safe road")):
        values = [
            robust_evaluate(mdp, policy, UncertaintySet("kl", radius=r)).values[0] for r in radii
        ]
        ax.plot(radii, values, label=label)
    ax.axvline(0.0207, color="grey", lw=0.8, ls="--", label="KL(Bern(0.1) || Bern(0.05))")
    ax.set_xlabel("KL radius rho")
    ax.set_ylabel("robust value at the start")
    ax.set_title("(b) safe_vs_fast_route: the robust optimum switches", fontsize=10)
    ax.legend(fontsize=8)


def main() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    sets_panel(axes[0])
    route_panel(axes[1])
    save(fig, FIGURES / "robust_sets.png", dpi=110)


if __name__ == "__main__":
    main()
