"""The DPO loss, its population and finite-data optima, and when they do not exist.

Paper: R. Rafailov, A. Sharma, E. Mitchell, S. Ermon, C. D. Manning, C. Finn. "Direct
Preference Optimization". NeurIPS 2023 (loss, eq. 7, from memory; widely reproduced); the
pitfall is Azar et al. (AISTATS 2024, arXiv:2310.12036), Sec. 4.2.

    L_DPO(pi) = - sum_ij w_ij log sigma( beta (rho_i - rho_j) ),   rho = log pi - log pi_ref,

with ``w_ij = W_ij / n`` for a finite dataset (win counts ``W``) and ``w_ij = mu_i mu_j
p(i > j)`` for the population. It is the Bradley–Terry negative log-likelihood of the implicit
reward ``beta rho``.

**Existence.** The infimum is attained (a finite ``rho``) exactly when every connected
component of the comparison graph is strongly connected in the win graph (Zermelo 1929; Ford
1957; :mod:`~mdptheory.preferences.comparison_graph`). Then the minimiser is found by Newton's
method with a certificate (the gradient's max-norm).

**At the boundary.** Otherwise (e.g. deterministic preferences: every compared pair has one
winner) no finite minimiser exists. Between two strong components ``A -> B`` (someone in ``A``
beat someone in ``B``, never the reverse), the loss decreases strictly as ``rho_A - rho_B`` grows,
and pairs inside a strong component keep their own finite Bradley–Terry fit; so the infimum is
the sum of the strong components' own minima, and along **every** minimising sequence
``pi(y) / pi(y_w) -> 0`` for every action ``y`` that lost a comparison to an action ``y_w`` of
another strong component, **whatever beta**: the KL term stops regularising. When the
comparison graph is connected and exactly one strong component never loses to another (Azar et
al.'s D_1 = {(a, b), (b, c), (a, c)}: only ``a``), the limiting policy is ``pi_ref`` restricted
to that component, tilted by its own fit, and 0 elsewhere (``pi(a) = 1`` on D_1). The limit is
not determined by the loss when several components remain (:attr:`DPOSolution.limit_policy` is
then None).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve
from scipy.special import log_expit, softmax

from mdptheory._validation import as_float_array, check_probability_vector, check_real
from mdptheory.preferences.comparison_graph import components, strong_components, win_counts
from mdptheory.preferences.kl_optimum import check_reference

__all__ = ["DPOSolution", "dpo_finite_optimum", "dpo_loss", "dpo_optimum", "dpo_population_optimum"]

NEWTON_TOL = 1e-13
"""Newton stops when the gradient's max-norm is below this times the total weight."""


def dpo_loss(policy, weights, reference, beta: float) -> float:
    """``- sum_ij w_ij log sigma(beta (rho_i - rho_j))`` with ``rho = log pi - log pi_ref``.

    ``weights``: a dataset (normalised to ``W / n``) or a weight matrix used as given. A
    policy with a zero entry gives ``+inf`` when that action won a pair, and its limit (0 term)
    when it only lost.

    Examples
    --------
    >>> round(dpo_loss([0.5, 0.5], [[0.0, 1.0], [0.0, 0.0]], [0.5, 0.5], beta=1.0), 6)
    0.693147
    """
    w = _weights(weights)
    beta = check_real(beta, "beta", 0.0, low_open=True)
    K = w.shape[0]
    pi = check_probability_vector(policy, "policy", K)
    ref = check_probability_vector(reference, "reference", K)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = np.log(pi) - np.log(ref)
        h = rho[:, None] - rho[None, :]
        terms = -w * log_expit(beta * h)
    mask = w > 0
    terms = np.where(mask & np.isnan(h), 0.0, terms)  # both probabilities 0: no mass there
    return float(np.sum(terms[mask]))


def _weights(data) -> np.ndarray:
    W = win_counts(data)
    if hasattr(data, "counts"):
        return W / W.sum()
    return W


@dataclass(frozen=True)
class DPOSolution:
    """The DPO optimum, or the boundary it tends to.

    Attributes
    ----------
    attained : bool
        True when a finite minimiser exists.
    policy : ndarray or None
        The minimising policy (reached from ``pi_ref`` by gradient descent) when attained.
    limit_policy : ndarray or None
        The minimiser when attained; at the boundary, the limit of every minimising sequence
        when the loss determines it (connected comparison graph, one unbeaten strong
        component), else None.
    log_ratio : ndarray, shape (K,)
        When attained, ``rho`` with zero mean per component. At the boundary, the finite fit
        inside each strong component (zero mean there), the part that stays finite.
    vanishing : ndarray of bool, shape (K,)
        Actions that lost a comparison to another strong component: their probability relative
        to that winner tends to 0 at the infimum, for every beta.
    infimum : float
        The infimum of the loss (its minimum when attained).
    gradient_norm : float
        Max-norm of the gradient at the returned fit (the Newton certificate).
    beta : float
    """

    attained: bool
    policy: np.ndarray | None
    limit_policy: np.ndarray | None
    log_ratio: np.ndarray
    vanishing: np.ndarray
    infimum: float
    gradient_norm: float
    beta: float


def _gradient_hessian(w: np.ndarray, rho: np.ndarray, beta: float):
    h = beta * (rho[:, None] - rho[None, :])
    s = np.exp(log_expit(-h))  # sigma(-h): the pull on each pair
    pull = beta * w * s
    grad = -pull.sum(axis=1) + pull.sum(axis=0)
    curvature = beta**2 * w * s * np.exp(log_expit(h))
    C = curvature + curvature.T
    hessian = np.diag(C.sum(axis=1)) - C
    value = float(-np.sum(w[w > 0] * log_expit(h[w > 0])))
    return value, grad, hessian


def _newton(w: np.ndarray, members: np.ndarray, beta: float) -> tuple[np.ndarray, float]:
    """Bradley–Terry fit of ``beta rho`` on the actions ``members`` (strongly connected),
    last member grounded; damped Newton with Armijo backtracking. Returns ``rho`` with zero
    mean on ``members`` and the final gradient max-norm."""
    sub = w[np.ix_(members, members)]
    rho = np.zeros(members.size)
    if members.size < 2:
        return rho, 0.0
    tol = NEWTON_TOL * max(sub.sum(), 1e-300)
    value, grad, hess = _gradient_hessian(sub, rho, beta)
    for _ in range(200):
        if np.max(np.abs(grad)) <= tol:
            break
        step = np.zeros(members.size)
        step[:-1] = -solve(hess[:-1, :-1], grad[:-1], assume_a="pos")
        t = 1.0
        while True:
            trial = rho + t * step
            trial_value = _gradient_hessian(sub, trial, beta)[0]
            # the last term absorbs rounding in the value once Newton is converging
            slack = 1e-14 * abs(value)
            if trial_value <= value + 1e-4 * t * float(grad @ step) + slack or t < 1e-12:
                break
            t *= 0.5
        rho = trial
        value, grad, hess = _gradient_hessian(sub, rho, beta)
    return rho - rho.mean(), float(np.max(np.abs(grad)))


def dpo_optimum(weights, reference, beta: float) -> DPOSolution:
    """The minimiser of ``- sum w_ij log sigma(beta (rho_i - rho_j))``, or its boundary.

    Parameters
    ----------
    weights : PreferenceDataset or array_like (K, K)
        A dataset (weights ``W / n``) or non-negative weights ``w_ij`` with zero diagonal.
    reference : array_like, shape (K,)
        ``pi_ref``, full support.
    beta : float
        > 0.

    Examples
    --------
    Azar et al.'s D_1: no finite optimum; every minimising sequence sends b and c to 0.

    >>> from mdptheory.preferences import PreferenceDataset
    >>> sol = dpo_optimum(PreferenceDataset([0, 1, 0], [1, 2, 2], 3), [1/3] * 3, beta=10.0)
    >>> sol.attained, sol.vanishing.tolist(), sol.limit_policy.tolist(), sol.infimum
    (False, [False, True, True], [1.0, 0.0, 0.0], 0.0)
    """
    w = _weights(weights)
    K = w.shape[0]
    ref = check_reference(reference, K)
    beta = check_real(beta, "beta", 0.0, low_open=True)
    weak = components(w)
    strong = strong_components(w)
    rho = np.zeros(K)
    gradient = 0.0
    infimum = 0.0
    for label in np.unique(strong):
        members = np.flatnonzero(strong == label)
        part, g = _newton(w, members, beta)
        rho[members] = part
        gradient = max(gradient, g)
        sub = w[np.ix_(members, members)]
        h = beta * (part[:, None] - part[None, :])
        infimum += float(-np.sum(sub[sub > 0] * log_expit(h[sub > 0])))
    cross = (w > 0) & (strong[:, None] != strong[None, :])
    vanishing = np.any(cross.T, axis=1)  # lost (column) to another strong component
    attained = not cross.any()
    if attained:
        # Strong components are the weak ones: centre per weak component (the gradient path).
        policy = softmax(np.log(ref) + rho)
        return DPOSolution(True, policy, policy, rho, vanishing, infimum, gradient, beta)
    unbeaten = ~np.isin(strong, strong[vanishing])
    limit = None
    if np.all(weak == weak[0]) and np.unique(strong[unbeaten]).size == 1:
        limit = np.where(unbeaten, ref * np.exp(rho), 0.0)
        limit = limit / limit.sum()
    return DPOSolution(False, None, limit, rho, vanishing, infimum, gradient, beta)


def dpo_finite_optimum(dataset, reference, beta: float) -> DPOSolution:
    """:func:`dpo_optimum` of a finite dataset (weights ``W / n``)."""
    if not hasattr(dataset, "counts"):
        raise ValueError(f"dataset must be a PreferenceDataset, got {type(dataset).__name__}")
    return dpo_optimum(dataset, reference, beta)


def dpo_population_optimum(bandit, beta: float) -> DPOSolution:
    """:func:`dpo_optimum` of the population loss, weights ``mu_i mu_j p(i > j)``.

    With Bradley–Terry preferences and a behaviour ``mu`` of full support it is the RLHF
    optimum ``pi_ref exp(r / beta)`` (Rafailov et al. 2023, Sec. 4); with deterministic
    preferences it lies on the boundary.

    Examples
    --------
    >>> from mdptheory.preferences import PreferenceBandit, rlhf_optimum
    >>> bandit = PreferenceBandit.bradley_terry([1.0, 0.0, -0.5])
    >>> sol = dpo_population_optimum(bandit, beta=0.5)
    >>> bool(np.allclose(sol.policy, rlhf_optimum(bandit.rewards, bandit.reference, 0.5)))
    True
    """
    P = as_float_array(bandit.preferences, "preferences", ndim=2)
    mu = np.asarray(bandit.behaviour, dtype=np.float64)
    w = np.outer(mu, mu) * P
    np.fill_diagonal(w, 0.0)
    return dpo_optimum(w, bandit.reference, beta)
