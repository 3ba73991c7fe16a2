"""How the low-rank CVaR-UCB's regret depends on the risk level (Zhao et al., ICLR 2024).

Zhao, Zhan, Hu, Leung, Farnia, Sun, Lee (arXiv:2311.11965) give sample complexity
``O~(H^7 A^2 d^4 / (tau^2 eps^2))`` [V: abstract], that is regret ``O~(tau^-1 H^3 A d^2 sqrt K)``
[S: summary, ``docs/theory-wave2.md`` 8.2]: at a fixed K the regret may grow like ``1 / tau``
as the risk level falls, not faster. The check runs the learner with known features
(:class:`algorithms.risk.LowRankCVaRUCB`) at ``tau`` in {0.25, 0.5, 1} on the SVD-factorised
quarter garnet of the low-rank slope check, with the same seeds at every tau, and asserts that
``tau R(tau) / R(1)`` (per seed, then a Student-t interval over the seeds) stays at most
:data:`BOUND`. The control is the learner whose bonus is divided by ``tau`` once more
(``c / tau``: its optimism in CVaR units is then ``beta / tau^2``), which pays ``tau^-2`` during its
longer burn-in and must be rejected by the same criterion.
"""

from __future__ import annotations

import numpy as np

from algorithms.risk import LowRankCVaRUCB
from mdptheory.experiment import run_seeds
from proofs_check.findings import Findings
from proofs_check.harness import Outcome, Verdict, check_scale, theorem
from proofs_check.rates import ratio_band_test
from proofs_check.theorems.risk_beyond import STATIC_ETA, lowrank_burn_in, lowrank_garnet

ZHAO = "Zhao, Zhan, Hu, Leung, Farnia, Sun, Lee (ICLR 2024), arXiv:2311.11965"
TAUS = (0.25, 0.5, 1.0)
"""Risk levels (the last is the reference ``R(1)``)."""
C = 0.1
"""Bonus scale: the largest value of the low-rank slope check's grid (1, 0.3, 0.1, 0.03) whose
burn-in (:func:`proofs_check.theorems.risk_beyond.lowrank_burn_in`) at the smallest tau is at
most K / 10 at quick scale (756 of 10000; c = 0.3 needs 6,800)."""
BOUND = 1.25
"""Upper end of ``tau R(tau) / R(1)``: the paper's ``tau^-1`` with constant 1 (the ratio is 1 at
``tau = 1`` by construction) and a quarter more for the seeds."""
PLAN = {"quick": (10_000, 8), "full": (100_000, 16)}
"""Episodes and seeds (the same seeds at every tau, for the learner and the control)."""


def tau_regret(c_of_tau, K: int, n_seeds: int, seed: int) -> np.ndarray:
    """Final cumulative static-CVaR regret (seeds x tau) of :class:`LowRankCVaRUCB` with bonus
    scale ``c_of_tau(tau)`` on the factorised quarter garnet."""
    model = lowrank_garnet()
    columns = []
    for tau in TAUS:
        learner = LowRankCVaRUCB(alpha=tau, eta=STATIC_ETA, c=c_of_tau(tau))
        traces = run_seeds(learner, model, K, seeds=n_seeds, seed=seed, progress=False)
        columns.append([t.cumulative[-1] for t in traces])
    return np.array(columns).T


def tau_criterion(label: str, regret: np.ndarray):
    """``tau R_i(tau) / R_i(1)`` per seed ``i`` at each tau < 1, its mean's 95% Student-t
    interval within ``[0, BOUND]`` (:func:`proofs_check.rates.ratio_band_test`); vacuous when
    some seed has no regret at ``tau = 1``. Returns ``(verdict, numbers)``."""
    taus = np.array(TAUS)
    reference = regret[:, -1]
    if (reference <= 0).any():
        return Verdict.vacuous(f"{label}: a seed has no regret at tau = 1"), {}
    scaled = taus[:-1] * regret[:, :-1] / reference[:, None]
    verdict = ratio_band_test(scaled, 1.0, lo=0.0, hi=BOUND, grid=taus[:-1])
    means = scaled.mean(axis=0)
    return (
        Verdict(
            verdict.status,
            f"{label}: tau R(tau) / R(1) {np.round(means, 3).tolist()}; {verdict.reason}",
        ),
        {
            f"tau_ratio[{label}, tau={tau:g}]": float(m)
            for tau, m in zip(taus[:-1], means, strict=True)
        },
    )


@theorem(
    id="zhao2024-lowrank-cvar-tau-ratio",
    paper=f"{ZHAO}: sample complexity O~(H^7 A^2 d^4 / (tau^2 eps^2)), regret O~(tau^-1 sqrt K)",
    tags=("risk-beyond", "cvar", "lowrank", "regret", "ratio"),
    kind="ratio",
    verified=False,
)
def lowrank_cvar_tau_ratio(scale: str, seed: int) -> Outcome:
    """CVaR-UCB with known low-rank features (SVD of the quarter garnet, d = 4, c = 0.1, grid width
    1/4) has a regret that grows at most like 1 / tau: at fixed K, tau R(tau) / R(1) <= 1.25 at tau
    in {{0.25, 0.5}} (95% Student-t interval over seeds, paired: the same seeds at every tau).
    Control: the learner with bonus scale c / tau must be rejected by the same criterion.

    Formula
    -------
    Regret(K; tau) = O~(tau^-1 H^3 A d^2 sqrt K) => tau R(tau) / R(1) <= 1.25

    Rule
    ----
    Fixed in code before the criterion was run: instance (the low-rank slope check's), tau grid
    {{0.25, 0.5, 1}}, c = 0.1 (the largest of the slope check's c grid whose burn-in at tau = 0.25
    is <= K / 10 at quick scale), bound 1.25 (constant 1 of tau^-1 plus a quarter), K = 1e4 with 8
    seeds (quick) or 1e5 with 16 (full). One pilot at K = 1e4, 4 seeds, preceded the code (ratios
    0.32 and 0.55; control 1.95 and 1.66); nothing was changed after it.

    Source
    ------
    Sample complexity from the abstract (read); the regret form tau^-1 sqrt(K) from a summary
    (docs/theory-wave2.md 8.2, [S]); the paper's bonus constant was not read, the learner's radius
    is LSVI-UCB's.
    """
    K, n_seeds = PLAN[check_scale(scale)]
    taus = np.array(TAUS)
    model = lowrank_garnet()
    burn = [
        lowrank_burn_in(model, K, LowRankCVaRUCB(alpha=t, eta=STATIC_ETA, c=C))[0] for t in TAUS
    ]
    found = Findings(arrays={"tau": taus, "burn_in": np.array(burn)})
    found.fitted["K"] = float(K)
    label = f"CVaR-UCB c={C:g}"
    if max(burn) > K // 10:
        found.judge(Verdict.vacuous(f"{label}: burn-in {max(burn)} > K / 10 at K = {K}"))
    else:
        regret = tau_regret(lambda tau: C, K, n_seeds, seed)
        found.judge(*tau_criterion(label, regret))
        found.curve(label, taus, regret, array="regret", style="points")
    control = tau_regret(lambda tau: C / tau, K, n_seeds, seed)
    found.control("bonus scale c / tau", *tau_criterion(f"{label} / tau", control))
    found.curve("control: c / tau", taus, control, array="regret[control]", style="points")
    return found.outcome(
        xlabel="risk level tau",
        ylabel="static-CVaR regret R(K)",
        title="Low-rank CVaR-UCB: regret across tau",
    )
