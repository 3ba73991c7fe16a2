r"""The effective horizon of an episodic MDP (Laidlaw, Russell, Dragan, NeurIPS 2023).

Definition (k-QVI-solvability)
------------------------------
Let :math:`Q^1 = Q^{\pi_{rand}}`, the Q-function of the uniformly random policy, and
:math:`Q^{i+1} = \mathcal{T} Q^i` with :math:`\mathcal{T}` the Bellman optimality operator
(:math:`(\mathcal{T}Q)_h = r_h + P_h \max_a Q_{h+1}`, :math:`(\mathcal{T}Q)_{H-1} = r_{H-1}`).
The MDP is *k-QVI-solvable* when every policy that is greedy with respect to :math:`Q^k` is
optimal, and

.. math::

    k^* = \min\{k \in \{1, \dots, H\} : \text{every greedy policy of } Q^k
    \text{ is optimal}\},

so :math:`Q^{k^*} = \mathcal{T}^{k^*-1} Q^{\pi_{rand}}` (``k* = 1``: acting greedily on the
random policy's Q-function is optimal). Since :math:`Q^H = Q^*`, :math:`k^* \le H`. As in the
authors' code, a greedy policy is judged where it can go: from the support of the initial
distribution, every action within ``atol`` of :math:`\max_a Q^k_h(s, \cdot)` is a greedy
action, its successors are reachable, and each greedy action at a reachable ``(h, s)`` must
satisfy :math:`Q^*_h(s, a) \ge V^*_h(s) - atol`.

Source: the indexing (:math:`Q^1 = Q^{\pi_{rand}}`, ``k`` from 1) and the reachability rule are
those of ``calculate_minimum_k`` in the authors' code (``cassidylaidlaw/effective-horizon``,
``EffectiveHorizon.jl/src/value_iteration.jl``), read there; the paper's own text was not
available (``references/theory-wave2.md`` section 6.2, [S]). The paper defines it for finite
horizons only, so discounted models have no effective horizon here.

The bound on the effective horizon
----------------------------------
For deterministic MDPs the effective horizon :math:`\mathrm{H}` (the exponent in GORP's sample
complexity :math:`\approx T^2 A^{\mathrm{H}}`) satisfies
:math:`\mathrm{H} \le \min_k \{k + \log_A m_k\}` over the ``k`` for which the MDP is
k-QVI-solvable, with

.. math::

    m_k = \max_{(h, s)} \Big\lceil \frac{16\, \sigma^2_{h,s}}{\Delta^2_{h,s}}
    \log(2 H A^k) \Big\rceil,

the maximum over the stages and states greedy policies of :math:`Q^k` reach,
:math:`\Delta_{h,s}` the gap between :math:`\max_a Q^k_h(s, a)` and the largest
:math:`Q^k_h(s, a)` of a suboptimal action, and :math:`\sigma^2_{h,s}` the largest, over
actions, of the variance bound :math:`(Q^{rand} - Q^{worst})(Q^* - Q^{worst})` propagated
``k - 1`` stages ahead by maxima. This is the "simple" effective horizon that the authors' code
computes (``compute_simple_effective_horizon``, same file); the constants 16 and
:math:`2 H A^k` are read in that code, **not verified against the paper's theorem**.

Cost: each ``k`` is one backward sweep and one forward reachability pass, each
:math:`O(H\, \mathrm{nnz}(P_h))` (:math:`\mathrm{nnz}(P_h) \le S^2 A`), so checking every
``k = 1..H`` costs :math:`O(H^2 S^2 A)` for a dense kernel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from mdptheory._validation import ParameterTypeError, check_real, check_value_scale
from mdptheory.diagnostics.registry import Diagnosis, diagnostic
from mdptheory.evaluation import q_values
from mdptheory.tabular import EpisodicMDP

BOUND_CONSTANT = 16.0
"""The 16 of ``m_k``, from the authors' code (not verified in the paper)."""


@dataclass(frozen=True)
class EffectiveHorizon:
    """Result of :func:`effective_horizon`.

    Attributes
    ----------
    k_star : int
        The smallest ``k`` in ``1..H`` for which every greedy policy of ``Q^k`` is optimal.
    H, A : int
        Horizon and number of actions.
    solvable : ndarray of bool, shape (H,)
        ``solvable[k - 1]``: whether the MDP is k-QVI-solvable, for ``k = 1..H``.
    bound : float or None
        ``min(H, min_k k + log_A m_k)`` for a deterministic MDP, else None.
    bound_k, bound_m : ndarray
        The ``k`` that are QVI-solvable and checked for the bound, and their ``m_k``.
    deterministic : bool
        Whether every row of the kernel is a point mass.
    atol : float
        Tolerance for ties and optimality.
    """

    k_star: int
    H: int
    A: int
    solvable: np.ndarray
    bound: float | None
    bound_k: np.ndarray
    bound_m: np.ndarray
    deterministic: bool
    atol: float


def _require(mdp, where: str) -> EpisodicMDP:
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(
            f"{where} needs an EpisodicMDP (finite horizon), got {type(mdp).__name__}"
        )
    check_value_scale(mdp, where)
    return mdp


def random_policy_q(mdp: EpisodicMDP) -> np.ndarray:
    r""":math:`Q^{\pi_{rand}}` (H, S, A) of the uniformly random policy, exactly."""
    _require(mdp, "random_policy_q")
    uniform = np.full((mdp.H, mdp.S, mdp.A), 1.0 / mdp.A)
    return q_values(mdp, uniform)


def _backup(mdp: EpisodicMDP, Q: np.ndarray, combine=np.max) -> np.ndarray:
    """``(T Q)_h = r_h + P_h combine_a Q_{h+1}``; ``(T Q)_{H-1} = r_{H-1}``."""
    out = np.empty_like(Q)
    out[mdp.H - 1] = mdp.R[mdp.H - 1]
    for h in range(mdp.H - 1):
        out[h] = mdp.R[h] + mdp.expect(combine(Q[h + 1], axis=1), h)
    return out


def qvi_iterates(mdp: EpisodicMDP, k: int) -> np.ndarray:
    r""":math:`Q^k = \mathcal{T}^{k-1} Q^{\pi_{rand}}`, shape (H, S, A), for ``k >= 1``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP, backward_induction
    >>> mdp = EpisodicMDP(np.full((2, 2, 2), 0.5), [[0.0, 1.0], [0.5, 0.0]], H=3)
    >>> bool(np.allclose(qvi_iterates(mdp, 3), backward_induction(mdp).q))
    True
    """
    _require(mdp, "qvi_iterates")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an int >= 1, got {k!r}")
    Q = random_policy_q(mdp)
    for _ in range(min(int(k), mdp.H) - 1):
        Q = _backup(mdp, Q)
    return Q


def _default_atol(mdp: EpisodicMDP) -> float:
    return 1e-9 * (1.0 + mdp.H * float(np.max(np.abs(mdp.R))))


def greedy_is_optimal(mdp: EpisodicMDP, Q: np.ndarray, Q_star: np.ndarray, atol: float) -> bool:
    """Whether every policy greedy with respect to ``Q`` is optimal where it can go.

    From the support of the initial distribution, every action within ``atol`` of the stage's
    maximum of ``Q`` is greedy; each greedy action at a reachable ``(h, s)`` must be within
    ``atol`` of ``V*_h(s)`` under ``Q_star``, and its successors are reachable at ``h + 1``.
    """
    reachable = np.asarray(mdp.initial) > 0
    for h in range(mdp.H):
        q = Q[h][reachable]
        greedy = q >= q.max(axis=1, keepdims=True) - atol
        optimal = Q_star[h][reachable] >= Q_star[h][reachable].max(axis=1, keepdims=True) - atol
        if np.any(greedy & ~optimal):
            return False
        if h + 1 < mdp.H:
            states = np.flatnonzero(reachable)
            rows = (states[:, None] * mdp.A + np.arange(mdp.A))[greedy]
            reachable = _successors_of(mdp.P_matrix(h), rows, mdp.S)
    return True


def _successors_of(P_matrix, rows: np.ndarray, S: int) -> np.ndarray:
    """States with positive probability after any of the (state, action) ``rows`` of an
    (S*A, S) kernel, dense or CSR, as a boolean mask."""
    out = np.zeros(S, dtype=bool)
    if sp.issparse(P_matrix):
        chosen = sp.csr_array(P_matrix)[rows]
        out[chosen.indices[chosen.data > 0]] = True
    else:
        out[np.any(P_matrix[rows] > 0, axis=0)] = True
    return out


def _successor_table(mdp: EpisodicMDP) -> np.ndarray | None:
    """The next state of every (stage, state, action), shape (1 or H, S, A), when every row of
    the kernel is a point mass; None otherwise."""
    stages = 1 if mdp.stationary else mdp.H
    table = np.empty((stages, mdp.S, mdp.A), dtype=np.int64)
    for h in range(stages):
        P = mdp.P_matrix(h)
        if sp.issparse(P):
            P = sp.csr_array(P, copy=True)
            P.eliminate_zeros()
            if np.any(np.diff(P.indptr) != 1) or np.any(P.data != 1.0):
                return None
            table[h] = P.indices.reshape(mdp.S, mdp.A)
        else:
            if np.any(P.max(axis=1) != 1.0):
                return None
            table[h] = np.argmax(P, axis=1).reshape(mdp.S, mdp.A)
    return table


def _largest_m(
    mdp: EpisodicMDP,
    Q: np.ndarray,
    variance: np.ndarray,
    suboptimal: np.ndarray,
    successor: np.ndarray,
    k: int,
) -> int | None:
    """``m_k`` over the stages and states greedy policies of ``Q`` reach, or None when some
    reachable state's largest ``Q`` is that of a suboptimal action (k does not work)."""
    H, A = mdp.H, mdp.A
    reachable = np.asarray(mdp.initial) > 0
    largest = 1
    log_term = math.log(2 * H * float(A) ** k)
    for h in range(H):
        states = np.flatnonzero(reachable)
        q = Q[h, states]  # (n, A)
        top = q.max(axis=1)
        top_sub = np.where(suboptimal[h, states], q, -np.inf).max(axis=1)
        if np.any(top <= top_sub):
            return None
        gapped = np.isfinite(top_sub)
        if gapped.any():
            sigma2 = variance[h, states[gapped]].max(axis=1)
            ms = np.ceil(BOUND_CONSTANT * sigma2 / (top - top_sub)[gapped] ** 2 * log_term)
            largest = max(largest, int(ms.max()))
        stage = successor[h if successor.shape[0] > 1 else 0]
        reachable = np.zeros(mdp.S, dtype=bool)
        reachable[stage[states][q > top_sub[:, None]]] = True
    return largest


def _bound(mdp: EpisodicMDP, atol: float):
    """``min(H, min_k k + log_A m_k)`` as in ``compute_simple_effective_horizon`` of the
    authors' code, for a deterministic model."""
    H, A = mdp.H, mdp.A
    Q_rand = random_policy_q(mdp)
    Q_star = _backup_to_optimum(mdp)
    Q_worst = _worst(mdp)
    variance = (Q_rand - Q_worst) * (Q_star - Q_worst)
    suboptimal = Q_star < Q_star.max(axis=2, keepdims=True) - atol
    successor = _successor_table(mdp)  # (1 or H, S, A)
    best = float(H)
    ks, ms = [], []
    Q = Q_rand
    k = 1
    while k < best and k <= H:
        m = _largest_m(mdp, Q, variance, suboptimal, successor, k)
        if m is not None:
            ks.append(k)
            ms.append(m)
            best = min(best, k + math.log(m) / math.log(A))
        # one backup of Q and of the variance bound (maxima, as in the authors' code)
        Q = _backup(mdp, Q)
        following = variance.copy()
        for h in range(H - 1):
            stage = successor[h if successor.shape[0] > 1 else 0]
            following[h] = variance[h + 1].max(axis=1)[stage]
        variance = following
        k += 1
    return best, np.asarray(ks, dtype=np.int64), np.asarray(ms, dtype=np.float64)


def _backup_to_optimum(mdp: EpisodicMDP) -> np.ndarray:
    Q = np.zeros((mdp.H, mdp.S, mdp.A))
    for _ in range(mdp.H):
        Q = _backup(mdp, Q)
    return Q


def _worst(mdp: EpisodicMDP) -> np.ndarray:
    Q = np.zeros((mdp.H, mdp.S, mdp.A))
    for _ in range(mdp.H):
        Q = _backup(mdp, Q, combine=np.min)
    return Q


def effective_horizon(
    mdp: EpisodicMDP, atol: float | None = None, bound: bool = True
) -> EffectiveHorizon:
    r"""``k*``, the smallest ``k`` for which greedy action on :math:`Q^k` is optimal, and the
    authors' bound on the effective horizon (deterministic models).

    Parameters
    ----------
    mdp : EpisodicMDP
    atol : float, optional
        Tolerance for ties in ``Q^k`` and for optimality; default
        ``1e-9 (1 + H max|R|)``.
    bound : bool
        Also compute the effective-horizon bound (only for deterministic kernels).

    Returns
    -------
    EffectiveHorizon

    Notes
    -----
    Every ``k = 1..H`` is checked (``solvable``), so the result also says whether
    solvability is monotone in ``k`` on this model (it need not be). Cost:
    :math:`O(H^2\, \mathrm{nnz}(P_h))` for all ``k``.

    Examples
    --------
    On the lure of :func:`instances.structure.effective_horizon_lure`, a lock of length
    ``k* - 1`` hides the better branch from the random policy's Q-function:

    >>> from instances.structure import effective_horizon_lure
    >>> result = effective_horizon(effective_horizon_lure(H=8, k_star=3))
    >>> result.k_star, result.solvable.tolist()[:4]
    (3, [False, False, True, True])
    """
    mdp = _require(mdp, "effective_horizon")
    atol = _default_atol(mdp) if atol is None else check_real(atol, "atol", 0.0)
    Q_star = _backup_to_optimum(mdp)
    Q = random_policy_q(mdp)
    solvable = np.zeros(mdp.H, dtype=bool)
    for k in range(1, mdp.H + 1):
        solvable[k - 1] = greedy_is_optimal(mdp, Q, Q_star, atol)
        if k < mdp.H:
            Q = _backup(mdp, Q)
    # Q^H = Q* in exact arithmetic, so k = H always qualifies
    solvable[mdp.H - 1] = True
    k_star = int(np.argmax(solvable)) + 1
    deterministic = _successor_table(mdp) is not None
    value, ks, ms = None, np.zeros(0, dtype=np.int64), np.zeros(0)
    if bound and deterministic and mdp.A >= 2:
        value, ks, ms = _bound(mdp, atol)
    return EffectiveHorizon(
        k_star=k_star,
        H=mdp.H,
        A=mdp.A,
        solvable=solvable,
        bound=value,
        bound_k=ks,
        bound_m=ms,
        deterministic=deterministic,
        atol=atol,
    )


def _ranges(values: np.ndarray) -> str:
    """``[1, 2, 3, 5]`` as ``"1-3, 5"``."""
    parts, start = [], None
    for i, v in enumerate(values):
        if start is None:
            start = v
        if i + 1 == len(values) or values[i + 1] != v + 1:
            parts.append(f"{start}" if start == v else f"{start}-{v}")
            start = None
    return ", ".join(parts)


_DEFINITION = (
    "k* = min{k : every greedy policy of Q^k is optimal}, Q^1 = Q^{pi_rand}, "
    "Q^{k+1} = T Q^k (k-QVI-solvability, Laidlaw, Russell, Dragan 2023); SQIRL "
    "needs about A^{k*} random rollouts per stage where it applies, not A^H. Bound: "
    "effective horizon <= min_k k + log_A m_k (deterministic models; constants from "
    "the authors' code, not verified in the paper)."
)


@diagnostic("effective horizon")
def diagnose_effective_horizon(model) -> Diagnosis | None:
    """The effective horizon of an episodic model (None for any other model)."""
    if not isinstance(model, EpisodicMDP):
        return None
    result = effective_horizon(model)
    values: dict[str, object] = {
        "k*": result.k_star,
        "H": result.H,
        "k-QVI-solvable for k in": _ranges(np.flatnonzero(result.solvable) + 1),
        "A^k* / A^H": f"{float(model.A) ** result.k_star:.4g} / {float(model.A) ** model.H:.4g}",
    }
    if result.bound is not None:
        values["effective horizon bound"] = result.bound
    else:
        values["effective horizon bound"] = "not computed: the bound is for deterministic kernels"
    return Diagnosis(
        name="effective horizon",
        definition=_DEFINITION,
        values=values,
        complexity="O(H^2 nnz(P_h)) <= O(H^2 S^2 A): one backward sweep and one reachability "
        "pass per k = 1..H",
    )


__all__ = [
    "EffectiveHorizon",
    "effective_horizon",
    "greedy_is_optimal",
    "qvi_iterates",
    "random_policy_q",
]
