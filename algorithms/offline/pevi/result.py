r"""What a PEVI fit returns: :class:`PEVIResult`, with the exact sub-optimality of the output
policy on the model's twin, the bound ``2 beta sum_h E_{pi*}[ ||phi(s_h, a_h)||_{Lambda_h^{-1}} ]``
from pi*'s exact occupancy and the good event, checked against the true model (``_finish``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mdptheory._kernels import backward_induction_kernel, evaluate_deterministic_kernel
from mdptheory.evaluation import occupancy
from mdptheory.tabular import EpisodicMDP

__all__ = ["EVENT_TOL", "PEVIResult"]


EVENT_TOL = 1e-9
"""Rounding allowance, times H, in the good-event and pessimism comparisons."""


@dataclass(frozen=True)
class PEVIResult:
    """What a PEVI (or greedy control) fit returns, with exact quantities from the twin.

    Attributes
    ----------
    method : str
        ``"PEVI"``, ``"PEVI c=..."``, ``"greedy LSVI"``, ``"PEVI-tabular"``, ...
    policy : ndarray of int64, shape (H, S)
        The output policy pi_hat (first maximiser of ``Q_hat``).
    V_hat : ndarray, shape (H, S)
        ``V_hat_h`` (code stage h = paper stage h + 1).
    Q_hat : ndarray, shape (H, S, A)
        The clipped pessimistic ``Q_hat_h`` of step (e).
    estimate : ndarray, shape (H, S, A)
        ``phi^T w_h``, the regression estimate of ``(B_h V_hat_{h+1})(s, a)`` before penalty
        and clip.
    penalty : ndarray, shape (H, S, A)
        ``Gamma_h(s, a) = beta ||phi(s, a)||_{Lambda_h^{-1}}``.
    widths : ndarray, shape (H, S, A)
        ``||phi(s, a)||_{Lambda_h^{-1}}`` (tabular: ``1 / sqrt(N_h(s, a) + lambda)``).
    weights : ndarray, shape (H, d), or None
        ``w_h`` (None for the tabular algorithm).
    gram : ndarray, shape (H, d, d), or None
        ``Lambda_h`` (None for the tabular algorithm, where it is ``diag(N_h + lambda)``).
    beta, lam, c, xi, zeta : float
        The penalty multiplier and the constants it came from.
    n_episodes : float
        K used in zeta.
    policy_values : ndarray, shape (H, S)
        Exact ``V^{pi_hat}_h`` on the twin.
    optimal_values : ndarray, shape (H, S)
        ``V*_h``.
    optimal_policy : ndarray of int64, shape (H, S)
        The pi* used by the bound (ties to the smallest action).
    value, optimal_value, estimated_value : float
        ``V^{pi_hat}_1(rho)``, ``V*_1(rho)`` and ``V_hat_1(rho)``.
    suboptimality : float
        ``V*_1(rho) - V^{pi_hat}_1(rho)``, exact.
    uncertainty : ndarray, shape (H,)
        ``E_{pi*}[ ||phi(s_h, a_h)||_{Lambda_h^{-1}} ]`` per stage, exact.
    bound : float
        ``2 beta sum_h uncertainty[h]`` (0 for the greedy control, which has no guarantee).
    event_margin : float
        ``min_{h,s,a} Gamma_h - |phi^T w_h - (r_h + P_h V_hat_{h+1})|``: the good event (the
        penalty is an uncertainty quantifier for this very data set) holds when it is >= 0
        (up to ``EVENT_TOL * H`` of rounding).
    good_event : bool
    pessimistic : bool
        ``V_hat_h(s) <= V^{pi_hat}_h(s)`` for every h and s (up to rounding). Implied by the
        good event (induction over h), whatever the data.
    """

    method: str
    policy: np.ndarray
    V_hat: np.ndarray
    Q_hat: np.ndarray
    estimate: np.ndarray
    penalty: np.ndarray
    widths: np.ndarray
    weights: np.ndarray | None
    gram: np.ndarray | None
    beta: float
    lam: float
    c: float
    xi: float
    zeta: float
    n_episodes: float
    policy_values: np.ndarray
    optimal_values: np.ndarray
    optimal_policy: np.ndarray
    value: float
    optimal_value: float
    estimated_value: float
    suboptimality: float
    uncertainty: np.ndarray
    bound: float
    event_margin: float
    good_event: bool
    pessimistic: bool
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in (
            "policy",
            "V_hat",
            "Q_hat",
            "estimate",
            "penalty",
            "widths",
            "weights",
            "gram",
            "policy_values",
            "optimal_values",
            "optimal_policy",
            "uncertainty",
        ):
            array = getattr(self, name)
            if array is not None:
                array.flags.writeable = False

    @property
    def below_bound(self) -> bool:
        """``suboptimality <= bound`` (the theorem's inequality for this data set)."""
        return self.suboptimality <= self.bound


def _finish(
    method: str,
    mdp: EpisodicMDP,
    V: np.ndarray,
    Q: np.ndarray,
    estimate: np.ndarray,
    widths: np.ndarray,
    weights,
    gram,
    beta: float,
    lam: float,
    c: float,
    xi: float,
    zeta: float,
    n_episodes: float,
    metadata: dict[str, Any],
) -> PEVIResult:
    """Exact evaluation on the twin, the bound from pi*'s occupancy, the good event."""
    H = mdp.H
    P4 = np.ascontiguousarray(mdp.dense_P())
    R3 = np.ascontiguousarray(mdp.R)
    rho = np.asarray(mdp.initial)
    policy = np.argmax(Q, axis=2).astype(np.int64)
    V_pi = evaluate_deterministic_kernel(P4, R3, policy)
    _, V_star, pi_star = backward_induction_kernel(P4, R3)
    d_star = occupancy(mdp, pi_star)
    uncertainty = (d_star * widths).sum(axis=(1, 2))
    bellman = np.stack([mdp.R[h] + mdp.expect(V[h + 1], h) for h in range(H)])
    penalty = beta * widths
    margin = float((penalty - np.abs(estimate - bellman)).min())
    tol = EVENT_TOL * H
    value = float(rho @ V_pi[0])
    optimal_value = float(rho @ V_star[0])
    return PEVIResult(
        method=method,
        policy=policy,
        V_hat=V[:H].copy(),
        Q_hat=Q,
        estimate=estimate,
        penalty=penalty,
        widths=widths,
        weights=weights,
        gram=gram,
        beta=beta,
        lam=lam,
        c=c,
        xi=xi,
        zeta=zeta,
        n_episodes=n_episodes,
        policy_values=V_pi[:H].copy(),
        optimal_values=V_star[:H].copy(),
        optimal_policy=pi_star,
        value=value,
        optimal_value=optimal_value,
        estimated_value=float(rho @ V[0]),
        suboptimality=optimal_value - value,
        uncertainty=uncertainty,
        bound=float(2.0 * beta * uncertainty.sum()),
        event_margin=margin,
        good_event=margin >= -tol,
        pessimistic=bool((V[:H] <= V_pi[:H] + tol).all()),
        metadata=metadata,
    )
