r"""Iterated-CVaR backups with linear features: the CVaR of a next-state value under a linear
kernel, by the Rockafellar-Uryasev sup form with CVaR-adapted features.

For a linear kernel ``P_h(s' | s, a) = phi_h(s, a) . mu_h(s')`` and a next-state value ``V``::

    CVaR^alpha_{s' ~ P_h(.|s, a)}(V(s')) = max_x { x - E_{s'}[(x - V(s'))^+] / alpha }
                                         = max_x { x - phi_h(s, a) . m_h(x) / alpha },
    m_h(x) = sum_{s'} mu_h(s') (x - V(s'))^+          (the CVaR-adapted weight, a d-vector)

(Chen, Du, Hu, Wang, Wu, Huang, ICLR 2024, arXiv:2307.02842: ridge regression on targets
``(x - V(s'))^+``, the "CVaR-adapted features"; the formula is the sup form of Rockafellar and
Uryasev 2000 and holds for any kernel). The maximiser is the VaR, an atom of ``V``; and for any
weights the objective is piecewise linear in ``x`` with kinks at the atoms of ``V``, so the
maximum over ``[0, H]`` is attained at an atom of ``V`` or at ``H``: the max over that finite set
is the exact limit of the paper's epsilon-net (no net error). On the finite-state twin this gives
the exact iterated-CVaR backup of :func:`mdptheory.risk.icvar_backward_induction`.

* :func:`sup_form_candidates`, :func:`sup_form_cvar`: the compiled pieces (shared with the
  ICVaR-L learner, which plugs in regression estimates of ``E[(x - V)^+]``).
* :func:`icvar_linear_backward_induction`: iterated-CVaR DP through the features.

Stages are ``h = 0..H-1`` here and ``1..H`` in the paper.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from mdptheory._kernels import backward_arrays
from mdptheory.risk.discretised import model_features
from mdptheory.risk.iterated import ICVaRSolution, icvar_evaluate
from mdptheory.risk.measures import check_alpha

__all__ = ["icvar_linear_backward_induction", "sup_form_candidates", "sup_form_cvar"]


@njit(cache=True)
def sup_form_candidates(V: np.ndarray, top: float) -> tuple:
    """The candidate thresholds (atoms of ``V`` and ``top``) and ``Pos[s', i] = (x_i - V(s'))^+``.

    Returns ``xs`` (n,) and ``Pos`` (S, n); ``n = S + 1`` (duplicates are harmless).
    """
    S = V.shape[0]
    xs = np.empty(S + 1)
    for i in range(S):
        xs[i] = V[i]
    xs[S] = top
    Pos = np.empty((S, S + 1))
    for s in range(S):
        for i in range(S + 1):
            gap = xs[i] - V[s]
            Pos[s, i] = gap if gap > 0.0 else 0.0
    return xs, Pos


@njit(cache=True)
def sup_form_cvar(
    E: np.ndarray, xs: np.ndarray, alpha: float, bonus: np.ndarray, out: np.ndarray
) -> None:
    """``out[n] = max_i { xs[i] - (E[n, i] - bonus[n]) / alpha }``.

    ``E[n, i]`` is (an estimate of) ``E_{s' ~ P(.|n)}[(xs[i] - V(s'))^+]``; ``bonus`` (zeros for
    exact planning) lowers it, which raises the CVaR by ``bonus / alpha``.
    """
    n_rows, n_x = E.shape
    for n in range(n_rows):
        best = -np.inf
        for i in range(n_x):
            value = xs[i] - (E[n, i] - bonus[n]) / alpha
            if value > best:
                best = value
        out[n] = best


@njit(cache=True)
def _icvar_linear_dp(features: np.ndarray, measures: np.ndarray, R3: np.ndarray, alpha: float):
    H, S, A = R3.shape
    Q, V, policy = backward_arrays(H, S, A)
    zero = np.zeros(S * A)
    backup = np.empty(S * A)
    for h in range(H - 1, -1, -1):
        xs, Pos = sup_form_candidates(V[h + 1], float(H))
        # m_h(x) = mu_h^T (x - V)^+ for every candidate x, then phi . m_h(x) for every pair.
        E = features[h] @ (np.ascontiguousarray(measures[h].T) @ Pos)
        sup_form_cvar(E, xs, alpha, zero, backup)
        for s in range(S):
            best = -np.inf
            for a in range(A):
                q = R3[h, s, a] + backup[s * A + a]
                Q[h, s, a] = q
                if q > best:
                    best = q
                    policy[h, s] = a
            V[h, s] = best
    return Q, V, policy


def icvar_linear_backward_induction(model, alpha: float) -> ICVaRSolution:
    r"""Iterated-CVaR backward induction with linear-feature backups (exact on the twin).

    ``Q_h(s, a) = r_h(s, a) + max_x { x - phi_h(s, a) . m_h(x) / alpha }`` with
    ``m_h(x) = mu_h^T (x - V_{h+1})^+`` over the atoms of ``V_{h+1}`` and ``H``;
    ``V_h = max_a Q_h`` (ties to the smallest action), ``V_H = 0``. Equal to
    :func:`mdptheory.risk.icvar_backward_induction` on the finite-state twin up to rounding
    (Du, Wang, Huang 2023, eq. (ii); Chen et al. 2024 for the feature form).

    Parameters
    ----------
    model : LinearMDP, LowRankMDP or EpisodicMDP (one-hot features)
    alpha : float
        Risk level in (0, 1].

    Returns
    -------
    ICVaRSolution
        ``policy_values`` is the exact iterated-CVaR value of the returned policy on the twin.

    Examples
    --------
    >>> from instances.linear import tabular_as_linear
    >>> from instances.risk import safe_vs_risky_route
    >>> from mdptheory.risk import icvar_backward_induction
    >>> mdp = safe_vs_risky_route(H=3)
    >>> lin = icvar_linear_backward_induction(tabular_as_linear(mdp), 0.1)
    >>> exact = icvar_backward_induction(mdp, 0.1)
    >>> bool(np.allclose(lin.values, exact.values, atol=1e-12)), int(lin.policy[0, 0])
    (True, 0)
    """
    alpha = check_alpha(alpha)
    features, measures, twin = model_features(model)
    R3 = np.ascontiguousarray(twin.R, dtype=np.float64)
    Q, V, policy = _icvar_linear_dp(features, measures, R3, alpha)
    return ICVaRSolution(
        values=V[:-1],
        q=Q,
        policy=policy,
        policy_values=icvar_evaluate(twin, policy, alpha),
        bound=0.0,
        iterations=twin.H,
        stop_reason="exact",
        method="icvar_linear_backward_induction",
        alpha=alpha,
    )
