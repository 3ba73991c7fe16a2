"""Finite-armed bandits: :class:`Bandit`, :class:`LinearBandit` and :class:`FeatureBandit`.

A bandit is a vector of arm means plus a reward-noise model (:class:`mdptheory.RewardNoise`):
``deterministic``, ``bernoulli`` (means in [0, 1]) or ``("gaussian", sigma)``. Everything the
theory measures is exact: the optimal arm, the gaps ``Delta_i = mu* - mu_i`` and the per-round
pseudo-regret ``Delta_{A_t}`` of the arms actually pulled, whose expected sum is the regret
(Lattimore and Szepesvári, *Bandit Algorithms*, 2020, Lemma 4.5, regret decomposition).

:class:`FeatureBandit` pairs a bandit with the feature matrix of a log-linear policy class
``pi_theta = softmax(X theta)`` (Mei, Dai, Agarwal, Ghavamzadeh, Szepesvári, Schuurmans,
NeurIPS 2023, arXiv:2504.02130); the convergence conditions on ``(X, r)`` are in
:mod:`mdptheory.policy_conditions`.
"""

from __future__ import annotations

import numpy as np

from mdptheory._validation import as_float_array, check_probability_vector, check_real
from mdptheory.policy_conditions import projected_rewards
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import RewardNoise

__all__ = ["Bandit", "FeatureBandit", "LinearBandit"]


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _arm_indices(arms, n_arms: int, name: str = "arms") -> np.ndarray:
    """Integer arm indices in ``0..n_arms-1`` (any shape); the error names the first bad one."""
    array = np.asarray(arms)
    if array.size == 0:
        return np.zeros(array.shape, dtype=np.int64)
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer arm indices in 0..{n_arms - 1}, got dtype {array.dtype}"
        )
    bad = (array < 0) | (array >= n_arms)
    if bad.any():
        if array.ndim == 0:
            raise ValueError(f"arm {int(array)} is outside 0..{n_arms - 1}")
        index = np.unravel_index(int(np.flatnonzero(bad)[0]), array.shape)
        inner = ", ".join(map(str, index))
        raise ValueError(f"{name}[{inner}] is {int(array[index])}, outside 0..{n_arms - 1}")
    return array.astype(np.int64)


class Bandit:
    """A K-armed stochastic bandit with known means (the exact ground truth).

    Parameters
    ----------
    means : array_like, shape (K,)
        Mean reward of each arm (finite reals; in [0, 1] for Bernoulli noise).
    noise : RewardNoise, str or tuple
        ``"bernoulli"`` (default), ``"deterministic"`` or ``("gaussian", sigma)``, as read by
        :meth:`mdptheory.RewardNoise.parse`.
    name : str, optional
        A label carried into results and reports.

    Attributes
    ----------
    K : int
        Number of arms.
    means : ndarray, shape (K,)
        Read-only float64 means.
    optimal_arm : int
        ``argmax_i means[i]``, the smallest index on ties.
    optimal_mean : float
    gaps : ndarray, shape (K,)
        ``optimal_mean - means`` (read-only, >= 0, zero at every optimal arm).

    Raises
    ------
    ValueError
        On an empty or non-finite ``means`` or, for Bernoulli noise, a mean outside [0, 1]; the
        message names the index and value.

    Notes
    -----
    The pseudo-regret of a run is ``sum_t gaps[A_t]`` (Lattimore and Szepesvári 2020, Lemma 4.5
    in expectation); :meth:`pseudo_regret` returns its per-round terms exactly.

    Examples
    --------
    >>> bandit = Bandit([0.2, 0.5, 0.5])
    >>> bandit.optimal_arm, bandit.gaps.tolist()
    (1, [0.3, 0.0, 0.0])
    >>> bandit.pseudo_regret([0, 1, 0]).tolist()
    [0.3, 0.0, 0.3]
    """

    def __init__(self, means, noise="bernoulli", name: str | None = None) -> None:
        self._set_means(means, noise, name)

    def _set_means(self, means, noise, name: str | None) -> None:
        array = as_float_array(means, "means", ndim=1)
        if array.shape[0] == 0:
            raise ValueError("means is empty: a bandit needs at least one arm")
        self.noise = RewardNoise.parse(noise)
        self.noise.check_means(array, "means")
        self.K = int(array.shape[0])
        self.name = name
        self.means = _read_only(array)
        # argmax returns the first maximiser: the smallest index on ties, as documented.
        self.optimal_arm = int(np.argmax(array))
        self.optimal_mean = float(array[self.optimal_arm])
        with np.errstate(over="ignore"):
            gaps = self.optimal_mean - array
        if not np.all(np.isfinite(gaps)):
            k = int(np.flatnonzero(~np.isfinite(gaps))[0])
            raise ValueError(
                f"means[{k}] = {float(array[k])!r} lies {float(gaps[k])!r} below "
                f"the best mean {self.optimal_mean!r}: the gap overflows float64"
            )
        self.gaps = _read_only(gaps)

    def pseudo_regret(self, arms) -> np.ndarray:
        """Per-round pseudo-regret ``gaps[arms[t]]`` of a sequence of pulled arms.

        Parameters
        ----------
        arms : array_like of int, shape (n,)
            The arms pulled in rounds ``1..n``.

        Returns
        -------
        ndarray, shape (n,)
            Exact gap of each pulled arm; its cumulative sum is the pseudo-regret curve.
        """
        return self.gaps[_arm_indices(arms, self.K)]

    def sample(self, arm_or_arms, seed: SeedLike):
        """Draw one reward per requested arm.

        Parameters
        ----------
        arm_or_arms : int or array_like of int
            One arm (returns a float) or an array of arms (returns an array of the same shape).
        seed : int, SeedSequence or Generator
            Randomness, read by :func:`mdptheory.seeding.as_generator`.

        Notes
        -----
        Bernoulli samples are ``1.0 if U < mean else 0.0`` with ``U`` uniform, as in the compiled
        kernels of :mod:`mdptheory._kernels`, so the same uniforms give the same rewards there.
        """
        rng = as_generator(seed)
        arms = _arm_indices(arm_or_arms, self.K)
        mean = self.means[arms]
        if self.noise.kind == "deterministic":
            out = np.array(mean, dtype=np.float64)
        elif self.noise.kind == "bernoulli":
            out = (rng.random(arms.shape) < mean).astype(np.float64)
        else:
            out = mean + self.noise.sigma * rng.standard_normal(arms.shape)
        return float(out) if arms.ndim == 0 else out

    def value(self, policy) -> float:
        """Expected reward ``pi . means`` of a distribution ``policy`` over the arms."""
        pi = check_probability_vector(policy, "policy", self.K)
        return float(pi @ self.means)

    def suboptimality(self, policy) -> float:
        """``optimal_mean - pi . means`` (>= 0): the expected one-round regret of ``policy``."""
        pi = check_probability_vector(policy, "policy", self.K)
        return float(pi @ self.gaps)

    def __repr__(self) -> str:
        label = f"{self.name!r}, " if self.name else ""
        return (
            f"{type(self).__name__}({label}K={self.K}, optimal_arm={self.optimal_arm}, "
            f"noise={self.noise.kind})"
        )


class LinearBandit(Bandit):
    """A finite-armed linear bandit: arm ``i`` has mean ``<x_i, theta>`` and Gaussian noise.

    The model of Abbasi-Yadkori, Pál and Szepesvári (NeurIPS 2011), ``Y_t = <X_t, theta*> +
    eta_t``, with a finite action set and ``eta_t ~ N(0, noise_std^2)``.

    Parameters
    ----------
    arms : array_like, shape (K, d)
        Feature vector of each arm.
    theta : array_like, shape (d,)
        The unknown parameter ``theta*``.
    noise_std : float
        Standard deviation of the Gaussian noise, >= 0 (0 means noiseless rewards).
    name : str, optional

    Attributes
    ----------
    K, d : int
    arms : ndarray, shape (K, d)
    theta : ndarray, shape (d,)
    means : ndarray, shape (K,)
        ``arms @ theta``.
    noise_std : float
    optimal_arm, optimal_mean, gaps
        As for :class:`Bandit`.

    Examples
    --------
    >>> bandit = LinearBandit([[1.0, 0.0], [0.0, 1.0]], [0.1, 0.3])
    >>> bandit.means.tolist(), bandit.optimal_arm
    ([0.1, 0.3], 1)
    """

    def __init__(self, arms, theta, noise_std: float = 1.0, name: str | None = None) -> None:
        arms_array = as_float_array(arms, "arms", ndim=2)
        n_arms, dim = arms_array.shape
        if n_arms == 0 or dim == 0:
            raise ValueError(
                f"arms has shape {arms_array.shape}: need at least one arm and one feature"
            )
        theta_array = as_float_array(theta, "theta", ndim=1)
        if theta_array.shape != (dim,):
            raise ValueError(f"theta has shape {theta_array.shape}, expected (d,) = ({dim},)")
        noise_std = check_real(noise_std, "noise_std", 0.0)
        noise = ("gaussian", noise_std) if noise_std > 0 else "deterministic"
        with np.errstate(over="ignore", invalid="ignore"):
            means = arms_array @ theta_array
        bad = ~np.isfinite(means)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"the mean of arm {k}, arms[{k}] . theta, is {float(means[k])!r}: "
                "the product of arms and theta overflows float64"
            )
        best = int(np.argmax(means))
        with np.errstate(over="ignore"):
            gaps = means[best] - means
        if not np.all(np.isfinite(gaps)):
            k = int(np.flatnonzero(~np.isfinite(gaps))[0])
            raise ValueError(
                f"the mean of arm {k}, arms[{k}] . theta = {float(means[k])!r}, lies "
                f"{float(gaps[k])!r} below that of arm {best}, arms[{best}] . theta = "
                f"{float(means[best])!r}: the gap overflows float64"
            )
        self._set_means(means, noise, name)
        self.d = int(dim)
        self.arms = _read_only(arms_array)
        self.theta = _read_only(theta_array)
        self.noise_std = noise_std

    def as_bandit(self) -> Bandit:
        """The same means as a plain :class:`Bandit` (Gaussian noise with ``sigma = noise_std``;
        deterministic when ``noise_std == 0``)."""
        return Bandit(self.means, noise=self.noise, name=self.name)


class FeatureBandit(Bandit):
    """A K-armed bandit paired with the feature matrix of a log-linear policy class.

    The setting of Mei et al. (NeurIPS 2023, arXiv:2504.02130) and Lin et al. (2025,
    arXiv:2505.03155): policies ``pi_theta = softmax(X theta)`` with ``X`` of shape (K, d) and full
    column rank. The means ``r`` need not lie in the span of ``X`` (no reward realizability).

    Parameters
    ----------
    features : array_like, shape (K, d)
        The policy features ``X`` (full column rank, ``d <= K``).
    means : array_like, shape (K,)
        True mean rewards ``r`` (K >= 2).
    noise : RewardNoise, str or tuple
        ``"deterministic"`` by default (exact policy-gradient methods only use the means); pass
        ``("gaussian", sigma)`` for stochastic runs.
    name : str, optional

    Attributes
    ----------
    features : ndarray, shape (K, d)
    d : int
    projected_means : ndarray, shape (K,)
        Least-squares projection ``X (X^T X)^{-1} X^T r``
        (:func:`mdptheory.policy_conditions.projected_rewards`).
    approximation_error : float
        ``||r - projected_means||_2``.

    Examples
    --------
    >>> bandit = FeatureBandit([[1.0, 0.0], [1.0, 1.0], [1.0, 0.0]], [3.0, 2.0, 1.0])
    >>> bandit.projected_means.round(6).tolist()
    [2.0, 2.0, 2.0]
    """

    def __init__(self, features, means, noise="deterministic", name: str | None = None) -> None:
        self._set_means(means, noise, name)
        if self.K < 2:
            raise ValueError(f"means has {self.K} arm; a feature bandit needs K >= 2")
        X = _check_features(features, self.K)
        self.features = _read_only(X)
        self.d = int(X.shape[1])
        self.projected_means = _read_only(projected_rewards(X, self.means))
        residual = self.means - self.projected_means
        largest = float(np.max(np.abs(residual)))
        if largest > 1e150:
            # The plain 2-norm squares entries and would overflow to inf: scale first.
            self.approximation_error = largest * float(np.linalg.norm(residual / largest))
        else:
            self.approximation_error = float(np.linalg.norm(residual))

    def policy(self, theta) -> np.ndarray:
        """``softmax(X theta)``, computed stably (the largest logit is subtracted first)."""
        theta_array = as_float_array(theta, "theta", ndim=1)
        if theta_array.shape != (self.d,):
            raise ValueError(f"theta has shape {theta_array.shape}, expected ({self.d},)")
        logits = self.features @ theta_array
        weights = np.exp(logits - logits.max())
        return weights / weights.sum()


def _check_features(features, n_arms: int) -> np.ndarray:
    X = as_float_array(features, "features", ndim=2)
    if X.shape[0] != n_arms or X.shape[1] == 0:
        raise ValueError(
            f"features has shape {X.shape}, expected (K, d) with K = {n_arms} "
            "(one row per arm) and d >= 1"
        )
    rank = int(np.linalg.matrix_rank(X))
    if rank < X.shape[1]:
        raise ValueError(
            f"features of shape {X.shape} has rank {rank} < d = {X.shape[1]}: the "
            "papers assume full column rank (drop redundant features)"
        )
    return X
