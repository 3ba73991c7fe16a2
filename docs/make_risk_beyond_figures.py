"""Figures of the linear and discretised sections of docs/risk.md.

Run from the project root: ``python docs/make_risk_beyond_figures.py``. Writes

* ``docs/figures/risk_discretised_planner.png``: the discretised CVaR-LSVI planner's error
  ``CVaR* - value(eta)`` against the exact static CVaR optimum on 8 simplex-feature linear MDPs
  (S=4, A=2, H=3, d=3) at alpha = 0.3, with the bound ``(H + 1 - alpha) eta / alpha``, and the
  two controls: rounding the budget down (its error is negative, drawn as its absolute value)
  and a grid that stays at 0.1.
* ``docs/figures/risk_linear_learners.png``: (a) ICVaR-L's cumulative exact iterated-CVaR regret
  on the swapped safe/risky route (one-hot features, alpha = 0.1) beside the risk-neutral
  LSVI-UCB's; (b) CVaR-UCBVI's exact static-CVaR regret on the quarter garnet at alpha = 0.25
  beside the greedy learner on H8. Means over 6 seeds with their ranges.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _figures import FIGURES, log_log, range_band, save

from algorithms.risk import CVaRUCBVI, ICVaRL
from instances.linear import tabular_as_linear
from instances.risk import du2023_hard_instance
from mdptheory.experiment import run_seeds
from mdptheory.risk import discretisation_error_bound
from proofs_check.theorems.risk_beyond import (
    FIXED_ETA,
    PLANNER_ALPHA,
    STATIC_CONTROL_GRID,
    STATIC_CONTROL_H8,
    lsvi_ucb_icvar_curves,
    planner_errors,
    planner_instances,
    quarter_garnet,
    swapped_route,
)

K, SEEDS = 30_000, 6


def planner_figure() -> None:
    etas = np.geomspace(1e-3, 0.1, 9)
    models = planner_instances(0, 8)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for label, kwargs, colour in (
        ("rounding up (the planner)", {}, "C0"),
        ("control: rounding down, |error|", {"rounding": "down"}, "C3"),
        (f"control: grid fixed at {FIXED_ETA:g}", {"fixed": FIXED_ETA}, "C2"),
    ):
        E, _ = planner_errors(models, etas, PLANNER_ALPHA, **kwargs)
        E = np.abs(E)
        range_band(ax, etas, E, colour, label, "o-")
    bound = [discretisation_error_bound(models[0].H, PLANNER_ALPHA, eta) for eta in etas]
    ax.plot(etas, bound, "k:", label="(H + 1 - alpha) eta / alpha")
    log_log(
        ax,
        "grid width eta",
        "CVaR* - value(eta)",
        "Discretised CVaR-LSVI against the exact optimum",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "risk_discretised_planner.png", dpi=120)


def _band(ax, Y: np.ndarray, label: str, colour: str) -> None:
    range_band(ax, np.arange(1, Y.shape[1] + 1), Y, colour, label)


def learners_figure() -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    route = tabular_as_linear(swapped_route())
    for c, colour in ((0.003, "C0"), (0.001, "C1")):
        traces = run_seeds(ICVaRL(alpha=0.1, c=c), route, K, seeds=SEEDS, seed=0, progress=False)
        _band(left, np.stack([t.cumulative for t in traces]), f"ICVaR-L c={c:g}", colour)
    _band(left, lsvi_ucb_icvar_curves(K, SEEDS, 0), "LSVI-UCB c=0.003 (risk-neutral)", "C3")
    log_log(
        left,
        "episodes K",
        "cumulative iterated-CVaR regret",
        "(a) swapped safe/risky route, alpha = 0.1",
        legend={"fontsize": 8},
    )
    garnet = quarter_garnet()
    for c, colour in ((0.3, "C0"), (0.1, "C1")):
        traces = run_seeds(
            CVaRUCBVI(alpha=0.25, eta=0.25, bonus_scale=c),
            garnet,
            K,
            seeds=SEEDS,
            seed=0,
            progress=False,
        )
        _band(right, np.stack([t.cumulative for t in traces]), f"CVaR-UCBVI c={c:g}", colour)
    greedy = CVaRUCBVI(alpha=0.3, eta=STATIC_CONTROL_GRID, bonus_scale=0.0)
    traces = run_seeds(
        greedy, du2023_hard_instance(**STATIC_CONTROL_H8), K, seeds=SEEDS, seed=0, progress=False
    )
    _band(right, np.stack([t.cumulative for t in traces]), "greedy on H8 (control)", "C3")
    log_log(
        right,
        "episodes K",
        "cumulative static-CVaR regret",
        "(b) quarter garnet, alpha = 0.25",
        legend={"fontsize": 8},
    )
    save(fig, FIGURES / "risk_linear_learners.png", dpi=120)


if __name__ == "__main__":
    planner_figure()
    learners_figure()
