"""Closed-form optima of KL-regularised preference objectives on a preference bandit.

* RLHF with a reward ``r`` (Rafailov et al., NeurIPS 2023, eq. 4; Azar et al. 2024, eq. 6):

      max_pi  E_{y~pi}[r(y)] - beta KL(pi || pi_ref)   =>   pi*(y) ∝ pi_ref(y) exp(r(y) / beta)

* PsiPO (Azar et al., AISTATS 2024, arXiv:2310.12036, eq. 8 and its closed form, Prop. 1 as
  transcribed in the project's references):

      max_pi  E_{y~pi, y'~mu}[Psi(p(y > y'))] - tau KL(pi || pi_ref)
      =>  pi*(y) ∝ pi_ref(y) exp( tau^{-1} E_{y'~mu} Psi(p(y > y')) )

  With ``Psi`` the identity this is the IPO optimum ``pi* ∝ pi_ref exp(p(y > mu) / tau)``; with
  ``Psi = logit`` and Bradley–Terry preferences it is the RLHF optimum with ``beta = tau``, up
  to the constant ``E_mu r``.

Both maximise ``<pi, v> - tau KL(pi || pi_ref)`` for a fixed vector ``v``, whose maximiser is the
Gibbs policy (the Donsker–Varadhan variational formula); :func:`gibbs_policy` computes it in a
numerically stable way.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logit, softmax

from mdptheory._validation import as_float_array, check_probability_vector, check_real

__all__ = ["check_reference", "gibbs_policy", "psipo_objective", "psipo_optimum", "rlhf_optimum"]


def check_reference(reference, K: int) -> np.ndarray:
    """``pi_ref`` as a float64 probability vector of size K with every entry > 0 (the
    log-ratios ``log pi / pi_ref`` need full support); the error names the first bad entry."""
    ref = check_probability_vector(reference, "reference", K)
    zero = np.flatnonzero(ref <= 0)
    if zero.size:
        i = int(zero[0])
        raise ValueError(f"reference[{i}] is {float(ref[i])!r}; pi_ref needs full support")
    return ref


def gibbs_policy(values, reference, temperature: float) -> np.ndarray:
    """``pi(y) ∝ pi_ref(y) exp(values(y) / temperature)``, computed as a stable softmax.

    Examples
    --------
    >>> gibbs_policy([0.0, np.log(3.0)], [0.5, 0.5], 1.0).round(6).tolist()
    [0.25, 0.75]
    """
    v = as_float_array(values, "values", ndim=1)
    ref = check_reference(reference, v.shape[0])
    t = check_real(temperature, "temperature", 0.0, low_open=True)
    return softmax(np.log(ref) + v / t)


def rlhf_optimum(rewards, reference, beta: float) -> np.ndarray:
    """The KL-regularised RLHF optimum ``pi*(y) ∝ pi_ref(y) exp(r(y) / beta)``.

    Parameters
    ----------
    rewards : array_like, shape (K,)
    reference : array_like, shape (K,)
        ``pi_ref``, full support.
    beta : float
        KL weight, > 0.

    Examples
    --------
    >>> rlhf_optimum([1.0, 0.0], [0.5, 0.5], beta=1.0).round(4).tolist()
    [0.7311, 0.2689]
    """
    return gibbs_policy(rewards, reference, check_real(beta, "beta", 0.0, low_open=True))


def _psi_values(preferences, behaviour, psi: str) -> np.ndarray:
    P = as_float_array(preferences, "preferences", ndim=2)
    K = P.shape[0]
    mu = check_probability_vector(behaviour, "behaviour", K)
    if psi == "identity":
        return P @ mu
    if psi == "logit":
        support = mu > 0
        bad = np.argwhere(((P == 0) | (P == 1)) & support[None, :])
        if bad.size:
            i, j = (int(v) for v in bad[0])
            raise ValueError(
                f"preferences[{i}, {j}] is {float(P[i, j])!r}: Psi = logit is infinite "
                "there, and the optimum sits on the boundary of the simplex (see "
                "mdptheory.preferences.dpo_population_optimum)"
            )
        return logit(P) @ mu
    raise ValueError(f"psi must be 'identity' or 'logit', got {psi!r}")


def psipo_optimum(
    preferences, behaviour, reference, tau: float, psi: str = "identity"
) -> np.ndarray:
    """The PsiPO optimum ``pi* ∝ pi_ref exp(E_{y'~mu} Psi(p(y > y')) / tau)``.

    Parameters
    ----------
    preferences : array_like, shape (K, K)
        ``p(y > y')``.
    behaviour : array_like, shape (K,)
        ``mu``.
    reference : array_like, shape (K,)
        ``pi_ref``, full support.
    tau : float
        KL weight, > 0.
    psi : {"identity", "logit"}
        ``"identity"``: IPO. ``"logit"``: RLHF / DPO under Bradley–Terry; raises on a
        deterministic preference against an action in the support of ``mu``.

    Examples
    --------
    >>> P = [[0.5, 1.0], [0.0, 0.5]]
    >>> psipo_optimum(P, [0.5, 0.5], [0.5, 0.5], tau=1.0).round(4).tolist()
    [0.6225, 0.3775]
    """
    tau = check_real(tau, "tau", 0.0, low_open=True)
    return gibbs_policy(_psi_values(preferences, behaviour, psi), reference, tau)


def psipo_objective(
    policy, preferences, behaviour, reference, tau: float, psi: str = "identity"
) -> float:
    """``E_{y~pi, y'~mu}[Psi(p(y > y'))] - tau KL(pi || pi_ref)`` (Azar et al. eq. 8)."""
    tau = check_real(tau, "tau", 0.0, low_open=True)
    v = _psi_values(preferences, behaviour, psi)
    pi = check_probability_vector(policy, "policy", v.shape[0])
    ref = check_probability_vector(reference, "reference", v.shape[0])
    positive = pi > 0
    kl = float(np.sum(pi[positive] * (np.log(pi[positive]) - np.log(ref[positive]))))
    return float(pi @ v) - tau * kl
