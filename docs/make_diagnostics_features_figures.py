"""Figures of docs/diagnostics.md: inherent Bellman error, spectral features, TD vs Monte Carlo.

Run from the project root: ``python docs/make_diagnostics_features_figures.py``. Writes

* ``docs/figures/diagnostics_inherent_bellman_error.png``: (a) exact fitted Q iteration on
  ``tsitsiklis_van_roy`` for gamma in (0.8, 0.85, 0.9, 0.95) against the complete one-hot class;
  (b) the certified bounds on the inherent Bellman error of the nominal features of
  ``misspecified_linear_mdp(S=10, A=3, H=5, d=4, seed=0)`` as zeta grows.
* ``docs/figures/diagnostics_spectral.png``: (a) singular values of the kernel of
  ``random_low_rank_mdp(d=3)`` and of a Garnet MDP; (b) the distance of features estimated
  from n samples per (stage, s, a) to the exact ones on ``simplex_feature_linear_mdp``, mean
  and range over 8 seeds, with the n^(-1/2) reference.
* ``docs/figures/diagnostics_td_vs_mc.png``: (a) the pooling coefficient of
  ``layered_chain(W=4, H=5, seed=0)`` as its mixing grows, exact and measured (4000 datasets of
  200 trajectories); (b) the asymptotic N MSE of V(0) - V(1) on ``merging_chains(k, H)``
  against H, exact, with measured points (1000 datasets of 100 trajectories).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, save

from instances.feature_failures import tsitsiklis_van_roy
from instances.layered_chains import layered_chain, merging_chains
from instances.linear import (
    misspecified_linear_mdp,
    random_low_rank_mdp,
    simplex_feature_linear_mdp,
)
from instances.tabular import garnet
from mdptheory.diagnostics.inherent_bellman_error import (
    fitted_q_iteration,
    inherent_bellman_error,
)
from mdptheory.diagnostics.spectral import estimate_spectral_features, spectral_decomposition
from mdptheory.diagnostics.td_vs_mc import difference_mse, simulate_estimates, td_vs_mc
from mdptheory.seeding import spawn_seeds


def inherent_bellman_error_panels(left, right) -> None:
    for gamma in (0.8, 0.85, 0.9, 0.95):
        errors = fitted_q_iteration(tsitsiklis_van_roy(gamma), n_iter=60).errors
        ibe = inherent_bellman_error(tsitsiklis_van_roy(gamma)).value
        left.semilogy(errors, label=f"gamma={gamma:g}, I={ibe:.2f} (6 gamma/5={1.2 * gamma:.2f})")
    control = fitted_q_iteration(tsitsiklis_van_roy(0.9, one_hot=True), n_iter=60).errors
    left.semilogy(control, "k--", label="one-hot class, gamma=0.9 (I = 0)")
    left.set_xlabel("iteration k")
    left.set_ylabel("||Q_k - Q*||_inf")
    left.set_title("(a) exact FQI on tsitsiklis_van_roy (Q* realisable)", fontsize=10)
    left.legend(fontsize=8)
    zetas = np.linspace(0.0, 0.5, 11)
    bounds = np.array(
        [
            [
                (
                    r := inherent_bellman_error(
                        misspecified_linear_mdp(S=10, A=3, H=5, d=4, zeta=z, seed=0)
                    )
                ).lower,
                r.upper,
            ]
            for z in zetas
        ]
    )
    right.fill_between(zetas, bounds[:, 0], bounds[:, 1], alpha=0.3, label="certified bracket")
    right.plot(zetas, bounds[:, 0], "o-", label="lower bound (vertices of the ball)")
    right.plot(zetas, bounds[:, 1], "s-", label="upper bound (column distances)")
    right.set_xlabel("misspecification zeta")
    right.set_ylabel("inherent Bellman error, ||theta||_1 <= 1")
    right.set_title("(b) nominal features of misspecified_linear_mdp", fontsize=10)
    right.legend(fontsize=8)


def spectral_panels(left, right) -> None:
    for model, label in (
        (
            random_low_rank_mdp(S=20, A=3, H=1, d=3, seed=0).tabular(),
            "random_low_rank_mdp(S=20, A=3, d=3)",
        ),
        (garnet(S=20, A=3, branching=4, seed=0), "garnet(S=20, A=3, b=4)"),
    ):
        sigma = spectral_decomposition(model).singular_values[0]
        left.semilogy(np.arange(1, sigma.size + 1), np.maximum(sigma, 1e-17), "o-", label=label)
    left.set_xlabel("index i")
    left.set_ylabel("sigma_i of P as an SA x S matrix")
    left.set_title("(a) singular values: a rank cliff at d for a low-rank kernel", fontsize=10)
    left.legend(fontsize=8)
    model = simplex_feature_linear_mdp(S=10, A=3, H=5, d=4, seed=0)
    grid = np.unique(np.rint(np.geomspace(10, 1e5, 13)).astype(int))
    curves = np.array(
        [
            [
                estimate_spectral_features(model, 4, int(n), seed=child).distance
                for n, child in zip(grid, spawn_seeds(s, grid.size), strict=True)
            ]
            for s in range(8)
        ]
    )
    right.loglog(grid, curves.mean(axis=0), "o-", label="mean over 8 seeds")
    right.fill_between(grid, curves.min(axis=0), curves.max(axis=0), alpha=0.3, label="range")
    right.loglog(grid, curves.mean(axis=0)[0] * np.sqrt(grid[0] / grid), "k--", label="n^(-1/2)")
    right.set_xlabel("samples n per (stage, s, a)")
    right.set_ylabel("sin of the largest principal angle")
    right.set_title("(b) estimated features, simplex_feature_linear_mdp(d=4)", fontsize=10)
    right.legend(fontsize=8)


def td_vs_mc_panels(left, right) -> None:
    mixings = np.linspace(0.0, 1.0, 11)
    exact = np.array([td_vs_mc(layered_chain(mixing=m, seed=0)).pooling[0] for m in mixings])
    for s in range(exact.shape[1]):
        left.plot(mixings, exact[:, s], "-", color=f"C{s}", label=f"C(s={s}), exact")
    for m in (0.0, 0.25, 0.5, 1.0):
        sim = simulate_estimates(layered_chain(mixing=m, seed=0), 200, 4000, seed=1)
        ratio = sim.scaled_mse("td")[0] / sim.scaled_mse("mc")[0]
        for s, r in enumerate(ratio):
            left.plot(m, r, "x", color=f"C{s}")
    left.plot([], [], "kx", label="measured (4000 datasets), colour by s")
    left.set_xlabel("mixing of layered_chain(W=4, H=5)")
    left.set_ylabel("MSE_td / MSE_mc at stage 0")
    left.set_title("(a) inverse trajectory pooling coefficient", fontsize=10)
    left.legend(fontsize=8)
    horizons = np.array([4, 8, 16, 32, 64, 128])
    for k, marker in ((1, "o"), (4, "s")):
        exact_td = [difference_mse(merging_chains(k=k, H=H), 0, 1)[0] for H in horizons]
        right.loglog(horizons, exact_td, marker + "-", label=f"TD, crossing time k={k}")
    exact_mc = [difference_mse(merging_chains(k=1, H=H), 0, 1)[1] for H in horizons]
    right.loglog(horizons, exact_mc, "^-", label="Monte Carlo (any k)")
    for H in horizons[:-1]:
        sim = simulate_estimates(merging_chains(k=4, H=int(H)), 100, 1000, seed=int(H))
        truth = sim.values[0, 0] - sim.values[0, 1]
        for est, colour in ((sim.td, "C1"), (sim.mc, "C2")):
            err = 100 * np.mean((est[:, 0, 0] - est[:, 0, 1] - truth) ** 2)
            right.plot(H, err, "x", color=colour)
    right.plot([], [], "kx", label="measured (1000 datasets)")
    right.set_xlabel("horizon H")
    right.set_ylabel("N MSE of V_0(0) - V_0(1)")
    right.set_title("(b) merging_chains(k, H): TD follows k, Monte Carlo H", fontsize=10)
    right.legend(fontsize=8)


def main() -> None:
    for draw, name in (
        (inherent_bellman_error_panels, "diagnostics_inherent_bellman_error.png"),
        (spectral_panels, "diagnostics_spectral.png"),
        (td_vs_mc_panels, "diagnostics_td_vs_mc.png"),
    ):
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        draw(left, right)
        save(fig, FIGURES / name, 110)


if __name__ == "__main__":
    main()
