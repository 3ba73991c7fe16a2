"""The IPO loss of a finite dataset and its exact minimiser (Azar et al., AISTATS 2024).

Paper: M. G. Azar, Z. D. Guo, B. Piot, R. Munos, M. Rowland, M. Valko, D. Calandriello. "A
General Theoretical Paradigm to Understand Learning from Human Preferences". AISTATS 2024,
arXiv:2310.12036. Sampled IPO loss, eq. (17) and Algorithm 1 (as transcribed in five
independent sources; not read in the paper's own text):

    L(pi) = E_{(y_w, y_l) ~ D} [ ( h_pi(y_w, y_l) - 1 / (2 tau) )^2 ],
    h_pi(y, y') = log( pi(y) pi_ref(y') / (pi(y') pi_ref(y)) ).

**Exact minimiser.** With ``rho = log pi - log pi_ref`` (a vector; adding a constant to it does
not change ``pi`` once normalised), ``h = rho_w - rho_l`` is linear, and the loss is the
least-squares problem ``(1/n) sum_ij W_ij (rho_i - rho_j - c)^2`` with ``c = 1 / (2 tau)`` on
the comparison graph. Its normal equations are the Laplacian system

    L rho = c d,    d_i = (wins of i) - (losses of i),

solved exactly per connected component (ground one vertex, Cholesky, then centre). ``rho`` is
unique up to a constant per component. The gradient method of Algorithm 1, started at
``pi = pi_ref`` (``rho = 0``), never changes the sum of ``rho`` over a component (the gradient
of a pairwise loss sums to 0 on it) nor ``rho`` of an action never compared; so it converges
to the solution with **zero mean on every component and 0 on uncompared actions**, which is
what :func:`ipo_minimiser` returns. With a connected comparison graph the minimising policy is
unique.

**Distance from pi_ref.** ``rho = rho_1 / tau`` with ``rho_1`` the solution at ``tau = 1``, so
``|log pi(y) - log pi_ref(y)| <= 2 max|rho_1| / tau`` for every ``y``: the IPO solution stays at
a tau-controlled distance from ``pi_ref``, however deterministic the data (Azar et al. Sec. 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve
from scipy.special import softmax

from mdptheory._validation import check_probability_vector, check_real
from mdptheory.preferences.comparison_graph import components, laplacian, win_counts
from mdptheory.preferences.kl_optimum import check_reference

__all__ = ["IPOSolution", "ipo_loss", "ipo_minimiser"]


def _log_ratio(policy, reference) -> np.ndarray:
    pi = np.asarray(policy, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.log(pi) - np.log(ref)


def ipo_loss(policy, data, reference, tau: float) -> float:
    """``(1/n) sum_ij W_ij (h_pi(i, j) - 1/(2 tau))^2``, the sampled IPO loss (eq. 17).

    ``data`` is a :class:`~mdptheory.preferences.PreferenceDataset` or win counts ``W``.

    Examples
    --------
    >>> from mdptheory.preferences import PreferenceDataset
    >>> ipo_loss([0.5, 0.5], PreferenceDataset([0], [1], 2), [0.5, 0.5], tau=0.5)
    1.0
    """
    W = win_counts(data)
    tau = check_real(tau, "tau", 0.0, low_open=True)
    ref = check_probability_vector(reference, "reference", W.shape[0])
    rho = _log_ratio(check_probability_vector(policy, "policy", W.shape[0]), ref)
    h = rho[:, None] - rho[None, :]
    mask = W > 0
    return float(np.sum(W[mask] * (h[mask] - 0.5 / tau) ** 2) / W.sum())


@dataclass(frozen=True)
class IPOSolution:
    """The exact minimiser of the sampled IPO loss reached from ``pi_ref``.

    Attributes
    ----------
    policy : ndarray, shape (K,)
        ``pi ∝ pi_ref exp(log_ratio)``.
    log_ratio : ndarray, shape (K,)
        ``rho = log pi - log pi_ref`` up to the normalising constant: zero mean on every
        component of the comparison graph, 0 on uncompared actions.
    loss : float
        The minimum of the loss.
    unique : bool
        True when the comparison graph is connected (the minimising policy is then unique).
    residual : float
        ``max |L rho - c d|``: the certificate that the normal equations hold.
    tau : float
    reference : ndarray, shape (K,)
        ``pi_ref``.
    """

    policy: np.ndarray
    log_ratio: np.ndarray
    loss: float
    unique: bool
    residual: float
    tau: float
    reference: np.ndarray

    def distance_from_reference(self) -> float:
        """``max_y |log pi(y) - log pi_ref(y)|`` of the solution (at most ``2 max|rho|``)."""
        return float(np.max(np.abs(np.log(self.policy) - np.log(self.reference))))


def _centred_laplacian_solution(W: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """The solution of ``L x = rhs`` with zero mean on every component (0 on isolated
    vertices), by one Cholesky solve per component with its last vertex grounded."""
    L = laplacian(W)
    labels = components(W)
    x = np.zeros(W.shape[0])
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if members.size < 2:
            continue
        inner = members[:-1]
        part = np.zeros(members.size)
        part[:-1] = solve(L[np.ix_(inner, inner)], rhs[inner], assume_a="pos")
        x[members] = part - part.mean()
    return x


def ipo_minimiser(data, reference, tau: float) -> IPOSolution:
    """The exact minimiser of the sampled IPO loss that the gradient method reaches from
    ``pi_ref`` (derivation in the module docstring).

    Parameters
    ----------
    data : PreferenceDataset or array_like (K, K)
        The dataset, or its win counts ``W``.
    reference : array_like, shape (K,)
        ``pi_ref``, full support.
    tau : float
        Regularisation, > 0.

    Examples
    --------
    Azar et al.'s D_1 = {(a, b), (b, c), (a, c)} with a uniform ``pi_ref``: IPO ranks a > b > c
    and keeps every action's probability positive.

    >>> from mdptheory.preferences import PreferenceDataset
    >>> sol = ipo_minimiser(PreferenceDataset([0, 1, 0], [1, 2, 2], 3), [1/3] * 3, tau=1.0)
    >>> sol.policy.round(4).tolist(), sol.unique
    ([0.4484, 0.3213, 0.2302], True)
    """
    W = win_counts(data)
    K = W.shape[0]
    ref = check_reference(reference, K)
    tau = check_real(tau, "tau", 0.0, low_open=True)
    c = 0.5 / tau
    d = W.sum(axis=1) - W.sum(axis=0)
    rho = _centred_laplacian_solution(W, c * d)
    residual = float(np.max(np.abs(laplacian(W) @ rho - c * d)))
    policy = softmax(np.log(ref) + rho)
    h = rho[:, None] - rho[None, :]
    mask = W > 0
    loss = float(np.sum(W[mask] * (h[mask] - c) ** 2) / W.sum())
    labels = components(W)
    return IPOSolution(policy, rho, loss, bool(np.all(labels == labels[0])), residual, tau, ref)
