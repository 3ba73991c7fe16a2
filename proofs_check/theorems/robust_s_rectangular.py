"""The optimal policy under the s-rectangular TV set: randomised, and found by one LP.

* ``wiesemann2013-s-rectangular-randomised-policy``: on random small MDPs the policy of
  :func:`mdptheory.robust.s_rectangular_tv_policy` attains the optimal s-rectangular robust
  values (its own robust value, by the exact policy evaluation, equals them up to the
  certificates), and it is at least as good as every deterministic policy (brute force). Control:
  the best deterministic policy through the same criterion, which must fall short on some MDP
  (s-rectangular sets are where randomisation pays).

Statement: Wiesemann, Kuhn, Rustem (2013), Math. Oper. Res. 38(1), s-rectangular robust MDPs
(optimal policies may need randomisation; the robust Bellman operator is a contraction), as
restated in ``theory-wave2.md`` section 3.1 [M]; the paper's text was not read.
"""

from __future__ import annotations

import itertools

import numpy as np

from mdptheory.robust import s_rectangular_tv_evaluate, s_rectangular_tv_policy
from mdptheory.seeding import as_generator
from mdptheory.tabular import FiniteMDP
from proofs_check.findings import Findings
from proofs_check.harness import Outcome, Verdict, check_scale, theorem

PLAN = {"quick": 12, "full": 60}
"""Random MDPs (S in 2..3, A = 2, gamma 0.9, radius in [0.05, 0.6])."""
TOL = 1e-6
"""Tolerance on a value gap: the LP's accuracy (1e-7) plus the two certificates (1e-10)."""
RANDOMISATION_PAYS = 1e-3
"""A deterministic policy 'falls short' when its worst state is this far below V*."""


def _mdps(seed: int, n: int) -> list[tuple[FiniteMDP, float]]:
    rng = as_generator(seed)
    out = []
    for _ in range(n):
        S = int(rng.integers(2, 4))
        P = rng.dirichlet(np.full(S, 0.5), size=(S, 2))
        out.append((FiniteMDP(P, rng.random((S, 2)), gamma=0.9), float(rng.uniform(0.05, 0.6))))
    return out


def _best_deterministic(mdp: FiniteMDP, radius: float) -> np.ndarray:
    """The robust values of the deterministic policy with the largest total, by brute force."""
    best = None
    for actions in itertools.product(range(mdp.A), repeat=mdp.S):
        values = s_rectangular_tv_evaluate(mdp, np.array(actions), radius, tol=1e-10).values
        if best is None or values.sum() > best.sum():
            best = values
    return best


def _attains(label: str, shortfalls: np.ndarray, tol: float) -> tuple[Verdict, dict]:
    """The criterion of the LP policy and of the control: on every MDP, no state's robust value
    is more than ``tol`` below the optimal robust value."""
    worst = float(shortfalls.max())
    text = f"{label}: largest V*(s) - V^pi(s) over {shortfalls.size} MDPs {worst:.2e}"
    return Verdict.passed_if(worst <= tol, text), {"max_shortfall": worst}


@theorem(
    id="wiesemann2013-s-rectangular-randomised-policy",
    paper="Wiesemann, Kuhn, Rustem (2013), Math. Oper. Res. 38(1): s-rectangular robust MDPs",
    tags=("s-rectangular", "robust-policy", "exact"),
    kind="exact",
    verified=False,
)
def s_rectangular_randomised_policy(scale: str, seed: int) -> Outcome:
    """Under the s-rectangular TV set, the randomised policy solved from the max-min LP (cvxpy,
    Clarabel) on the converged robust values has robust value (exact evaluation to 1e-10) equal to
    the optimal robust value at every state, to 1e-6, on random MDPs (S in 2..3, A = 2, gamma = 0.9,
    radius in [0.05, 0.6]), and no deterministic policy (brute force) does better anywhere. Control:
    the best deterministic policy through the same criterion falls short on some MDP.

    Formula
    -------
    V^{{pi_LP}}(s) = V*(s) = max_pi min_{{q in U_s}} sum_a pi_a (R + gamma q_a . V*) >=
    V^{{pi_det}}(s)

    Rule
    ----
    MDPs and radii drawn from the seed; tolerance 1e-6 (the LP's 1e-7 accuracy and the
    certificates); the control (best deterministic policy by total value) through the same criterion
    at the same tolerance; vacuous if no MDP has a deterministic shortfall above 1e-3 (the control
    could then not be rejected).

    Source
    ------
    Wiesemann, Kuhn, Rustem (2013) as restated in theory-wave2.md 3.1 [M]; the LP is the dual of the
    inner problem, derived in mdptheory/robust/s_rectangular_policy.py.
    """
    cases = _mdps(seed, PLAN[check_scale(scale)])
    lp_short, det_short, beaten = [], [], []
    for mdp, radius in cases:
        result = s_rectangular_tv_policy(mdp, radius)
        optimal = result.values.values
        deterministic = _best_deterministic(mdp, radius)
        lp_short.append(float(np.max(optimal - result.policy_values)))
        det_short.append(float(np.max(optimal - deterministic)))
        beaten.append(float(np.max(deterministic - result.policy_values)))
    lp_short, det_short, beaten = map(np.array, (lp_short, det_short, beaten))
    found = Findings(
        arrays={"lp_shortfall": lp_short, "deterministic_shortfall": det_short},
        fitted={
            "max_deterministic_over_lp": float(beaten.max()),
            "mdps_where_randomisation_pays": float(np.sum(det_short > RANDOMISATION_PAYS)),
        },
    )
    if det_short.max() <= RANDOMISATION_PAYS:
        found.judge(Verdict.vacuous("no MDP where a deterministic policy falls short"))
    found.judge(*_attains("LP policy", lp_short, TOL))
    found.judge(
        Verdict.passed_if(
            beaten.max() <= TOL,
            f"largest excess of a deterministic policy over the LP policy {beaten.max():.2e}",
        )
    )
    found.control("best deterministic policy", *_attains("deterministic", det_short, TOL))
    # log scale: shortfalls below 1e-12 (rounding) are drawn at 1e-12
    found.curve(
        "best deterministic policy: V* - V^pi (max over states)",
        np.arange(len(cases)),
        np.maximum(det_short, 1e-12),
        style="points",
    )
    found.curve(
        "LP policy: V* - V^pi", np.arange(len(cases)), np.maximum(lp_short, 1e-12), style="points"
    )
    return found.outcome(
        xlabel="random MDP",
        ylabel="largest shortfall from V*",
        title="s-rectangular TV: randomised LP policy vs the best deterministic policy",
        xscale="linear",
        yscale="log",
    )
