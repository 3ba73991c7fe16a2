"""Exact policy evaluation: values, Q-values, advantages, occupancy measures.

Discounted models are evaluated by one linear solve, ``V^pi = (I - gamma P_pi)^{-1} r_pi``
(Puterman 1994, Thm 6.1.1); episodic ones by the backward recursion
``V_h = r_{pi,h} + P_{pi,h} V_{h+1}``, ``V_H = 0``. Nothing is estimated.

Policies: deterministic policies are integer arrays ``pi[s]`` (discounted) or ``pi[h, s]``
(episodic); stochastic ones are float arrays ``pi[s, a]`` or ``pi[h, s, a]`` whose rows are
distributions. The dtype decides which is meant.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg

from mdptheory._validation import (
    ParameterTypeError,
    as_float_array,
    check_distributions,
    check_finite,
    check_value_scale,
)
from mdptheory.tabular import EpisodicMDP, FiniteMDP

Model = FiniteMDP | EpisodicMDP


def check_policy(mdp: Model, policy) -> np.ndarray:
    """Validate ``policy`` for ``mdp`` and return it as int64 (deterministic) or float64.

    Raises
    ------
    ValueError
        On a wrong shape, an action outside ``0..A-1`` or a row that is not a distribution;
        the message names the first offending index.
    """
    if not isinstance(mdp, (FiniteMDP, EpisodicMDP)):
        raise ParameterTypeError(
            f"mdp must be a FiniteMDP or EpisodicMDP, got {type(mdp).__name__} {mdp!r:.60}"
        )
    if policy is None or isinstance(policy, (str, bytes)):
        raise ParameterTypeError(f"policy must be an integer or float array, got {policy!r:.60}")
    array = np.asarray(policy)
    episodic = isinstance(mdp, EpisodicMDP)
    lead = (mdp.H, mdp.S) if episodic else (mdp.S,)
    if np.issubdtype(array.dtype, np.integer):
        if array.shape != lead:
            raise ValueError(
                f"a deterministic policy for this model has shape {lead}, got {array.shape}"
            )
        bad = (array < 0) | (array >= mdp.A)
        if bad.any():
            index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
            inner = ", ".join(map(str, index))
            raise ValueError(
                f"policy[{inner}] is action {int(array[index])}, outside 0..{mdp.A - 1}"
            )
        return array.astype(np.int64, copy=False)
    if np.issubdtype(array.dtype, np.floating):
        if array.shape != (*lead, mdp.A):
            raise ValueError(
                f"a stochastic policy for this model has shape {(*lead, mdp.A)}, "
                f"got {array.shape} (deterministic policies must be integer "
                "arrays)"
            )
        array = array.astype(np.float64, copy=False)
        check_finite(array, "policy")
        check_distributions(array, "policy", mdp.tol)
        return array
    raise ParameterTypeError(
        f"policy must be an integer (deterministic) or float (stochastic) "
        f"array, got dtype {array.dtype}"
    )


def as_stochastic(mdp: Model, policy) -> np.ndarray:
    """The policy as probabilities ``pi[..., s, a]`` (one-hot for a deterministic policy)."""
    array = check_policy(mdp, policy)
    if np.issubdtype(array.dtype, np.integer):
        return np.eye(mdp.A)[array]
    return array


def _policy_kernel(mdp: FiniteMDP, pi: np.ndarray):
    """``P_pi`` (S, S) and ``r_pi`` (S,) of a validated discounted policy."""
    S, A = mdp.S, mdp.A
    states = np.arange(S)
    if np.issubdtype(pi.dtype, np.integer):
        r_pi = mdp.R[states, pi]
        if mdp.is_sparse:
            return mdp.P_matrix()[states * A + pi], r_pi
        return mdp.P[states, pi], r_pi
    r_pi = np.einsum("sa,sa->s", pi, mdp.R)
    if mdp.is_sparse:
        weights = sp.csr_array(
            (pi.ravel(), (np.repeat(states, A), np.arange(S * A))), shape=(S, S * A)
        )
        return (weights @ mdp.P_matrix()).tocsr(), r_pi
    return np.einsum("sa,sat->st", pi, mdp.P), r_pi


SPARSE_DIRECT_MAX_STATES = 2000
"""Sparse systems up to this size are solved by sparse LU; larger ones by GMRES first."""

KRYLOV_RTOL = 1e-13


def _solve_discounted(mdp: FiniteMDP, P_pi, rhs: np.ndarray, transpose: bool = False):
    """Solve ``(I - gamma P_pi) x = rhs`` (or its transpose).

    Dense: LU (LAPACK). Sparse: sparse LU up to :data:`SPARSE_DIRECT_MAX_STATES` states;
    beyond, random sparse kernels make LU fill in catastrophically, so GMRES runs to a relative
    residual of 1e-13 (a few dozen sparse products, since ``I - gamma P_pi`` is diagonally
    dominant) and sparse LU is used only if GMRES does not get there. Either way the solution's
    error is below ``residual / (1 - gamma)``, which the planners' certificates include.
    """
    gamma = mdp.gamma
    if sp.issparse(P_pi):
        system = sp.identity(mdp.S, format="csr") - gamma * sp.csr_array(P_pi)
        if transpose:
            system = system.T.tocsr()
        if mdp.S > SPARSE_DIRECT_MAX_STATES:
            x, info = scipy.sparse.linalg.gmres(
                system, rhs, rtol=KRYLOV_RTOL, atol=0.0, restart=60, maxiter=10 * mdp.S
            )
            if info == 0:
                return np.asarray(x, dtype=np.float64)
        return np.asarray(scipy.sparse.linalg.spsolve(system.tocsc(), rhs), dtype=np.float64)
    system = np.eye(mdp.S) - gamma * P_pi
    # numpy's LAPACK (one BLAS thread pool shared with the sweeps, which also run on numpy);
    # scipy.linalg.solve would start a second OpenBLAS pool competing for the same cores.
    return np.linalg.solve(system.T if transpose else system, rhs)


def evaluate(mdp: Model, policy) -> np.ndarray:
    """Exact value of ``policy``.

    Parameters
    ----------
    mdp : FiniteMDP or EpisodicMDP
    policy : array_like
        Deterministic (integer) or stochastic (float) policy.

    Returns
    -------
    ndarray
        ``V^pi`` of shape (S,) for a discounted model; ``V^pi_h`` of shape (H, S) for an
        episodic one (row ``h`` is stage ``h + 1`` of the papers).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[1.0, 0.0]], gamma=0.5)
    >>> evaluate(mdp, np.array([0]))
    array([2.])
    """
    pi = check_policy(mdp, policy)
    check_value_scale(mdp, "evaluate")
    if isinstance(mdp, FiniteMDP):
        P_pi, r_pi = _policy_kernel(mdp, pi)
        return _solve_discounted(mdp, P_pi, r_pi)
    return _episodic_values(mdp, pi)[0]


def _episodic_values(mdp: EpisodicMDP, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values (H, S) and Q-values (H, S, A) of a validated episodic policy."""
    H, S, A = mdp.H, mdp.S, mdp.A
    V = np.zeros((H + 1, S))
    Q = np.empty((H, S, A))
    deterministic = np.issubdtype(pi.dtype, np.integer)
    states = np.arange(S)
    for h in range(H - 1, -1, -1):
        Q[h] = mdp.R[h] + mdp.expect(V[h + 1], h)
        V[h] = Q[h][states, pi[h]] if deterministic else np.einsum("sa,sa->s", pi[h], Q[h])
    return V[:H], Q


def q_values(mdp: Model, policy) -> np.ndarray:
    """Exact ``Q^pi``: (S, A) discounted, ``Q = R + gamma P V^pi``; (H, S, A) episodic."""
    pi = check_policy(mdp, policy)
    check_value_scale(mdp, "q_values")
    if isinstance(mdp, FiniteMDP):
        return mdp.R + mdp.gamma * mdp.expect(evaluate(mdp, pi))
    return _episodic_values(mdp, pi)[1]


def advantages(mdp: Model, policy) -> np.ndarray:
    """Exact advantages ``A^pi = Q^pi - V^pi`` (same shape as :func:`q_values`)."""
    pi = check_policy(mdp, policy)
    check_value_scale(mdp, "advantages")
    if isinstance(mdp, FiniteMDP):
        V = evaluate(mdp, pi)
        return mdp.R + mdp.gamma * mdp.expect(V) - V[:, None]
    V, Q = _episodic_values(mdp, pi)
    return Q - V[:, :, None]


def _start_distribution(mdp: Model, initial) -> np.ndarray:
    if initial is None:
        return np.asarray(mdp.initial)
    rho = as_float_array(initial, "initial", ndim=1)
    if rho.shape != (mdp.S,):
        raise ValueError(f"initial has shape {rho.shape}, expected ({mdp.S},)")
    check_finite(rho, "initial")
    check_distributions(rho, "initial", mdp.tol)
    return rho


def occupancy(mdp: Model, policy, initial=None) -> np.ndarray:
    """Exact state-action occupancy measure of ``policy`` from ``initial`` (default rho).

    Discounted: ``d(s, a) = sum_t gamma^t Pr(s_t = s, a_t = a)``, shape (S, A), summing to
    ``1 / (1 - gamma)`` (the dual LP variable of Puterman 1994, section 6.9; multiply by
    ``1 - gamma`` for the normalised ``d^pi_rho``). Episodic: ``d_h(s, a) = Pr(s_h = s, a_h = a)``,
    shape (H, S, A), each stage summing to 1.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 1, 1)), [[1.0]], gamma=0.75)
    >>> occupancy(mdp, np.array([0]))
    array([[4.]])
    """
    pi = as_stochastic(mdp, policy)
    rho = _start_distribution(mdp, initial)
    if isinstance(mdp, FiniteMDP):
        P_pi, _ = _policy_kernel(mdp, pi)
        state_occupancy = _solve_discounted(mdp, P_pi, rho, transpose=True)
        return state_occupancy[:, None] * pi
    d = np.empty((mdp.H, mdp.S, mdp.A))
    state = rho
    for h in range(mdp.H):
        d[h] = state[:, None] * pi[h]
        if h + 1 < mdp.H:
            state = np.asarray(mdp.P_matrix(h).T @ d[h].ravel())
    return d


def policy_value_at_start(mdp: Model, policy, initial=None) -> float:
    """``V^pi(rho) = sum_s rho(s) V^pi(s)`` (``V^pi_1`` for an episodic model)."""
    rho = _start_distribution(mdp, initial)
    V = evaluate(mdp, policy)
    return float(rho @ (V if isinstance(mdp, FiniteMDP) else V[0]))


def performance_difference(mdp: Model, pi, pi_prime, initial=None) -> float:
    """``V^pi(rho) - V^{pi'}(rho)`` computed by the performance-difference lemma.

    Kakade & Langford (2002), Lemma 6.1: discounted,
    ``V^pi(rho) - V^{pi'}(rho) = sum_{s,a} d^pi_rho(s, a) A^{pi'}(s, a)`` with the unnormalised
    occupancy of :func:`occupancy` (the ``1/(1-gamma)`` factor is inside it); episodic,
    ``sum_h sum_{s,a} d^pi_h(s, a) A^{pi'}_h(s, a)``. The result is the right-hand side, so
    comparing it with the difference of :func:`policy_value_at_start` checks the identity.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> mdp = FiniteMDP(np.ones((1, 2, 1)), [[1.0, 0.0]], gamma=0.5)
    >>> performance_difference(mdp, np.array([0]), np.array([1]))
    2.0
    """
    d = occupancy(mdp, pi, initial)
    adv = advantages(mdp, pi_prime)
    return float(np.sum(d * adv))


def max_episode_regret(mdp: EpisodicMDP) -> float:
    """The largest regret one episode can have: ``V*_1(rho) - min_pi V^pi_1(rho)``.

    Exact, by two backward inductions on the mean rewards, one with ``max`` over actions
    (``V*``) and one with ``min`` (the worst policy's value; by monotonicity of the Bellman
    backup it is below every policy's value in every state, so it is the minimum over all
    policies, deterministic or not). Every episode's pseudo-regret ``V*_1(rho) - V^pi_1(rho)``
    lies in ``[0, max_episode_regret(mdp)]``, which is at most ``H`` times the reward range.
    The tabular regret checks use it as the level the H per-stage bonuses of an episode must
    sum below before a rate claim is judged (:mod:`proofs_check.theorems.tabular`). The
    iterated-CVaR analogue is :func:`mdptheory.risk.icvar_max_episode_regret`.

    Parameters
    ----------
    mdp : EpisodicMDP

    Returns
    -------
    float

    Examples
    --------
    One state, two actions with rewards 1 and 0, horizon 3: the worst policy loses 3.

    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.ones((1, 2, 1)), [[1.0, 0.0]], H=3, initial=[1.0])
    >>> max_episode_regret(mdp)
    3.0
    """
    if not isinstance(mdp, EpisodicMDP):
        raise ValueError(f"max_episode_regret needs an EpisodicMDP, got {type(mdp).__name__}")
    high = np.zeros(mdp.S)
    low = np.zeros(mdp.S)
    for h in range(mdp.H - 1, -1, -1):
        R = np.asarray(mdp.R[h], dtype=np.float64)
        high = (R + mdp.expect(high, h)).max(axis=1)
        low = (R + mdp.expect(low, h)).min(axis=1)
    return float(np.asarray(mdp.initial) @ (high - low))
