r"""TD against Monte Carlo in batch policy evaluation: pooling and crossing times, exactly.

Paper
-----
D. Cheikhi, D. Russo, *On the Statistical Benefits of Temporal Difference Learning*, ICML 2023,
arXiv:2301.13289. Claims (abstract): on finite Markov reward processes with batch data, an
*inverse trajectory pooling coefficient* characterises the percentage reduction of TD's (LSTD's)
mean-squared error relative to Monte Carlo, and TD's error on a value difference
``V(s) - V(s')`` is bounded through the *trajectory crossing time*, which can be far below the
horizon. Only the abstract was read; the formulas below are derived here ([D]) for the
layered chains of an episodic model and are not checked against the paper's Sections 5-7.

Setting
-------
An :class:`~mdptheory.tabular.EpisodicMDP` and a policy ``pi`` define a Markov reward process
on the layered states ``(h, s)``, ``h = 0..H-1`` (``h + 1`` in papers), each visited at most
once per trajectory. The data are ``N`` i.i.d. trajectories from the initial distribution.

* **Monte Carlo**: ``V_mc[h, s]`` is the mean return-to-go of the trajectories at ``(h, s)``.
* **TD** (batch TD(0) to convergence, LSTD, certainty equivalence: the same estimator on a
  tabular layered chain): ``V_td[h] = r_hat[h] + P_hat[h] V_td[h + 1]`` with the empirical mean
  rewards and transition frequencies at each visited ``(h, s)``.

Asymptotics (N -> infinity, both estimators sqrt(N)-consistent) [D]
-------------------------------------------------------------------
With ``p[h, s]`` the probability that a trajectory visits ``(h, s)``, ``M_{h->h'}(s, x)`` the
probability of being at ``x`` at stage ``h'`` from ``s`` at ``h`` (``M_{h->h} = I``),
``sigma2[h, s] = Var(r_h + V_{h+1}(s_{h+1}) | s_h = s)`` (the TD error's variance: reward noise,
the policy's action draw and the next state) and ``W[h, s] = Var(G_h | s_h = s) =
sum_{h' >= h, x} M_{h->h'}(s, x) sigma2[h', x]`` (the TD errors along a trajectory are
martingale increments):

* (1) ``N MSE_mc[h, s] -> W[h, s] / p[h, s]``;
* (2) ``N MSE_td[h, s] -> sum_{h' >= h, x} M_{h->h'}(s, x)^2 sigma2[h', x] / p[h', x]``
  (``V_td - V = (I - P_hat)^{-1} e`` with ``e`` the mean TD error at each state, asymptotically
  independent across states with variance ``sigma2 / (N p)``);
* (3) the **inverse trajectory pooling coefficient**
  ``C[h, s] = MSE_td / MSE_mc = sum_{h', x} omega(x) q(s | x)`` with weights
  ``omega(x) proportional to M_{h->h'}(s, x) sigma2[h', x]`` and
  ``q(s | x) = p[h, s] M_{h->h'}(s, x) / p[h', x]``, the fraction of the trajectories through
  ``x`` that passed through ``s``: TD pools every trajectory through ``x``, Monte Carlo only
  those from ``s``. ``C <= 1``, and ``C = 1`` when every trajectory through a successor of
  ``s`` came through ``s`` (a tree, where batch TD equals Monte Carlo);
* (4) for two states at the same stage, ``N MSE_td(V(s) - V(s')) -> sum_{h', x}
  (M_{h->h'}(s, x) - M_{h->h'}(s', x))^2 sigma2[h', x] / p[h', x]`` and
  ``N MSE_mc(V(s) - V(s')) -> W[h, s] / p[h, s] + W[h, s'] / p[h, s']`` (no trajectory visits
  both, so the two means are asymptotically independent);
* (5) the **trajectory crossing time** ``tau(s, s') = E[min{t : X_{h+t} = Y_{h+t}}]`` of two
  independent copies started at ``s`` and ``s'`` at stage ``h`` (truncated at ``H - h``). By the
  coupling inequality ``sum_x |M_{h->h'}(s, x) - M_{h->h'}(s', x)| <= 2 P(tau > h' - h)``, so
  (4) gives ``N MSE_td(V(s) - V(s')) <= 2 tau(s, s') max_{h', x} sigma2[h', x] / p[h', x]``:
  the crossing time, not the horizon, while the Monte Carlo error grows with ``W``, the whole
  remaining horizon's variance.

Which code implements which step: :func:`td_vs_mc` computes (1)-(3) (``_reach_squares`` the
sum of (2)); :func:`difference_mse` computes (4); :func:`crossing_time` (5) by dynamic
programming on pairs; :func:`simulate_estimates` draws datasets in a numba kernel and returns
both estimates, so a check can compare (1)-(4) with Monte Carlo over datasets.

Cost: :func:`td_vs_mc` is O(H^2 S^3) (the products ``M_{h->h'}``), :func:`crossing_time`
O(H S^3), :func:`simulate_estimates` O(n_datasets (N H + H S^2)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from mdptheory._kernels import rollout_episode_stochastic
from mdptheory._validation import ParameterTypeError, check_index, check_int, check_memory
from mdptheory.diagnostics.registry import Diagnosis, diagnostic
from mdptheory.evaluation import as_stochastic, evaluate
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "SimulatedEstimates",
    "TDvsMC",
    "crossing_time",
    "difference_mse",
    "simulate_estimates",
    "td_vs_mc",
]


def _episodic(model, where: str) -> EpisodicMDP:
    """The episodic model itself, or the tabular twin of a linear or low-rank model."""
    if isinstance(model, EpisodicMDP):
        return model
    if hasattr(model, "tabular") and callable(model.tabular):
        twin = model.tabular()
        if isinstance(twin, EpisodicMDP):
            return twin
    raise ParameterTypeError(
        f"{where} needs an EpisodicMDP (or a model with a .tabular() twin), "
        f"got {type(model).__name__}"
    )


def _policy(mdp: EpisodicMDP, policy) -> np.ndarray:
    """The policy as probabilities (H, S, A); the uniform policy when ``None``."""
    if policy is None:
        return np.full((mdp.H, mdp.S, mdp.A), 1.0 / mdp.A)
    return np.ascontiguousarray(as_stochastic(mdp, policy), dtype=np.float64)


def _noise_variance(mdp: EpisodicMDP) -> np.ndarray:
    """Variance of one reward sample around its mean, (H, S, A)."""
    if mdp.noise.kind == "bernoulli":
        return mdp.R * (1.0 - mdp.R)
    if mdp.noise.kind == "gaussian":
        return np.full(mdp.R.shape, mdp.noise.sigma**2)
    return np.zeros(mdp.R.shape)


def _chain(mdp: EpisodicMDP, pi: np.ndarray):
    """Per-stage chain ``P_pi`` (H, S, S), values (H + 1, S), TD-error variances (H, S) and
    visit probabilities (H, S) of the layered chain of ``pi``."""
    H, S = mdp.H, mdp.S
    V = np.zeros((H + 1, S))
    V[:H] = evaluate(mdp, pi)
    P_pi = np.empty((H, S, S))
    sigma2 = np.empty((H, S))
    noise = _noise_variance(mdp)
    for h in range(H):
        P = mdp.transition(h)
        P_pi[h] = np.einsum("sa,sat->st", pi[h], P)
        mean_next = P @ V[h + 1]  # (S, A)
        var_next = P @ V[h + 1] ** 2 - mean_next**2  # Var of V_{h+1}(s') given (s, a)
        deviation = mdp.R[h] + mean_next - V[h][:, None]  # action draw around V_h(s)
        sigma2[h] = np.einsum(
            "sa,sa->s", pi[h], noise[h] + np.maximum(var_next, 0.0) + deviation**2
        )
    visit = np.empty((H, S))
    visit[0] = mdp.initial
    for h in range(1, H):
        visit[h] = visit[h - 1] @ P_pi[h - 1]
    return P_pi, V, sigma2, visit


def _reach_squares(P_pi: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """``out[h, s] = sum_{h' >= h, x} M_{h->h'}(s, x)^2 weight[h', x]``, (H, S); O(H^2 S^3)."""
    H, S = weight.shape
    out = np.zeros((H, S))
    for h in range(H):
        reach = np.eye(S)
        for later in range(h, H):
            out[h] += (reach**2) @ weight[later]
            if later + 1 < H:
                reach = reach @ P_pi[later]
    return out


@dataclass(frozen=True)
class TDvsMC:
    """Exact asymptotic mean-squared errors of batch TD and Monte Carlo on a layered chain.

    Every MSE is the limit of ``N * MSE`` for ``N`` trajectories (the error is about
    ``value / N``). Arrays have shape (H, S); entries of states no trajectory visits
    (``visit == 0``) are NaN.

    Attributes
    ----------
    values : ndarray
        ``V^pi[h, s]``.
    visit : ndarray
        ``p[h, s]``, the probability that a trajectory visits ``(h, s)``.
    td_error_variance : ndarray
        ``sigma2[h, s] = Var(r_h + V_{h+1}(s') | s_h = s)``.
    return_variance : ndarray
        ``W[h, s] = Var(G_h | s_h = s)``.
    mse_td, mse_mc : ndarray
        Equations (2) and (1) of the module notes.
    pooling : ndarray
        The inverse trajectory pooling coefficient ``C = mse_td / mse_mc`` (equation (3)), in
        ``(0, 1]``; ``1 - C`` is TD's relative reduction of the MSE.
    """

    values: np.ndarray
    visit: np.ndarray
    td_error_variance: np.ndarray
    return_variance: np.ndarray
    mse_td: np.ndarray
    mse_mc: np.ndarray
    pooling: np.ndarray


def td_vs_mc(mdp, policy=None) -> TDvsMC:
    """Exact asymptotic MSE of batch TD and of Monte Carlo, and the pooling coefficient.

    Cheikhi & Russo (ICML 2023): the inverse trajectory pooling coefficient characterises TD's
    reduction of the MSE. Formulas (1)-(3) of the module notes (derived here; the paper's own
    Sections 5-7 were not read). Cost O(H^2 S^3).

    Parameters
    ----------
    mdp : EpisodicMDP, or a linear or low-rank MDP (its tabular twin is used)
        The data are trajectories of ``policy`` from ``mdp.initial``, with rewards drawn by
        ``mdp.noise``.
    policy : array_like, optional
        Deterministic ``(H, S)`` ints or stochastic ``(H, S, A)`` probabilities; the uniform
        policy by default.

    Returns
    -------
    TDvsMC

    Raises
    ------
    ValueError
        For a model that is not episodic or a policy of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.full((2, 1, 2), 0.5)                        # two states mixing, one action
    >>> mdp = EpisodicMDP(P, np.zeros((2, 1)), H=2, noise=("gaussian", 1.0))
    >>> out = td_vs_mc(mdp)
    >>> out.mse_mc[0].tolist(), out.mse_td[0].tolist(), out.pooling[0].tolist()
    ([4.0, 4.0], [3.0, 3.0], [0.75, 0.75])
    """
    mdp = _episodic(mdp, "td_vs_mc")
    pi = _policy(mdp, policy)
    P_pi, V, sigma2, visit = _chain(mdp, pi)
    H, S = mdp.H, mdp.S
    W = np.zeros((H + 1, S))
    for h in range(H - 1, -1, -1):
        W[h] = sigma2[h] + P_pi[h] @ W[h + 1]
    reached = visit > 0
    weight = np.where(reached, sigma2 / np.where(reached, visit, 1.0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mse_mc = np.where(reached, W[:H] / np.where(reached, visit, 1.0), np.nan)
        mse_td = np.where(reached, _reach_squares(P_pi, weight), np.nan)
        pooling = np.where(
            reached & (mse_mc > 0), mse_td / np.where(mse_mc > 0, mse_mc, 1.0), np.nan
        )
    return TDvsMC(
        values=V[:H],
        visit=visit,
        td_error_variance=sigma2,
        return_variance=W[:H],
        mse_td=mse_td,
        mse_mc=mse_mc,
        pooling=pooling,
    )


def _pair(mdp: EpisodicMDP, s: int, s_prime: int, h: int) -> tuple[int, int, int]:
    h = check_index(h, "h (stage)", mdp.H)
    return (check_index(s, "s", mdp.S), check_index(s_prime, "s_prime", mdp.S), h)


def difference_mse(mdp, s: int, s_prime: int, h: int = 0, policy=None) -> tuple[float, float]:
    """Asymptotic ``N MSE`` of ``V_h(s) - V_h(s')`` for batch TD and for Monte Carlo.

    Equation (4) of the module notes: TD's error involves only the stages before the two
    trajectories' occupancies merge, Monte Carlo's the whole remaining horizon. Cost
    O(H S^3).

    Returns
    -------
    (float, float)
        ``(td, mc)``; NaN when ``(h, s)`` or ``(h, s')`` is never visited.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.zeros((4, 2, 1, 2)); P[:, :, 0, 0] = 1.0   # both states move to state 0
    >>> mdp = EpisodicMDP(P, np.zeros((2, 1)), H=4, noise=("gaussian", 1.0))
    >>> difference_mse(mdp, 0, 1)                # merged after one step: TD 2 / p, MC 2 H / p
    (4.0, 16.0)
    """
    mdp = _episodic(mdp, "difference_mse")
    s, s_prime, h = _pair(mdp, s, s_prime, h)
    pi = _policy(mdp, policy)
    P_pi, _, sigma2, visit = _chain(mdp, pi)
    if visit[h, s] <= 0 or visit[h, s_prime] <= 0:
        return float("nan"), float("nan")
    S = mdp.S
    reach = np.eye(S)[[s, s_prime]]
    td = 0.0
    W = np.zeros(S)
    for later in range(mdp.H - 1, h - 1, -1):
        W = sigma2[later] + P_pi[later] @ W
    for later in range(h, mdp.H):
        diff = reach[0] - reach[1]
        seen = visit[later] > 0
        td += float(np.sum(diff[seen] ** 2 * sigma2[later][seen] / visit[later][seen]))
        if later + 1 < mdp.H:
            reach = reach @ P_pi[later]
    mc = float(W[s] / visit[h, s] + W[s_prime] / visit[h, s_prime])
    return td, mc


def crossing_time(mdp, s: int, s_prime: int, h: int = 0, policy=None) -> float:
    """Trajectory crossing time: expected first time two independent trajectories meet.

    ``tau = E[min{t >= 0 : X_{h+t} = Y_{h+t}}]`` for independent copies of the chain of
    ``policy`` started at ``s`` and ``s'`` at stage ``h``, with ``tau = H - h`` when they do not
    meet within the horizon (equation (5) of the module notes; the meeting time of Levin, Peres
    & Wilmer's couplings). Exact by dynamic programming on pairs, O(H S^3).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.zeros((4, 2, 1, 2)); P[:, :, 0, 0] = 1.0
    >>> crossing_time(EpisodicMDP(P, np.zeros((2, 1)), H=4), 0, 1)
    1.0
    """
    mdp = _episodic(mdp, "crossing_time")
    s, s_prime, h = _pair(mdp, s, s_prime, h)
    pi = _policy(mdp, policy)
    P_pi = np.stack([np.einsum("sa,sat->st", pi[t], mdp.transition(t)) for t in range(mdp.H)])
    joint = np.zeros((mdp.S, mdp.S))
    joint[s, s_prime] = 1.0
    total = 0.0
    off_diagonal = ~np.eye(mdp.S, dtype=bool)
    for t in range(h, mdp.H):
        apart = np.where(off_diagonal, joint, 0.0)  # not met by stage t
        total += float(apart.sum())
        joint = P_pi[t].T @ apart @ P_pi[t]
    return total


# ---------------------------------------------------------------------------------------------
# Simulation
# ---------------------------------------------------------------------------------------------


@njit(cache=True)
def _simulate(P4, R3, noise_code, sigma, initial, policy, n_trajectories, n_datasets, rng):
    """TD and Monte Carlo estimates (n_datasets, H, S) and visit counts from fresh datasets."""
    H = R3.shape[0]
    S = R3.shape[1]
    td = np.full((n_datasets, H, S), np.nan)
    mc = np.full((n_datasets, H, S), np.nan)
    counts = np.zeros((n_datasets, H, S), dtype=np.int64)
    n = np.zeros((H, S))
    reward_sum = np.zeros((H, S))
    return_sum = np.zeros((H, S))
    moves = np.zeros((H, S, S))
    for k in range(n_datasets):
        n[:] = 0.0
        reward_sum[:] = 0.0
        return_sum[:] = 0.0
        moves[:] = 0.0
        for _ in range(n_trajectories):
            states, _, rewards = rollout_episode_stochastic(
                P4, R3, noise_code, sigma, initial, policy, rng
            )
            to_go = 0.0
            for h in range(H - 1, -1, -1):
                s = states[h]
                to_go += rewards[h]
                n[h, s] += 1.0
                reward_sum[h, s] += rewards[h]
                return_sum[h, s] += to_go
                if h + 1 < H:
                    moves[h, s, states[h + 1]] += 1.0
        # certainty-equivalence backward pass; a successor seen in the data was visited
        for h in range(H - 1, -1, -1):
            for s in range(S):
                if n[h, s] == 0.0:
                    continue
                counts[k, h, s] = np.int64(n[h, s])
                mc[k, h, s] = return_sum[h, s] / n[h, s]
                value = reward_sum[h, s] / n[h, s]
                if h + 1 < H:
                    for t in range(S):
                        if moves[h, s, t] > 0.0:
                            value += moves[h, s, t] / n[h, s] * td[k, h + 1, t]
                td[k, h, s] = value
    return td, mc, counts


@dataclass(frozen=True)
class SimulatedEstimates:
    """Batch TD and Monte Carlo estimates on independent datasets.

    Attributes
    ----------
    td, mc : ndarray, shape (n_datasets, H, S)
        The estimates of ``V^pi[h, s]`` from each dataset; NaN where the dataset has no
        trajectory through ``(h, s)``.
    counts : ndarray of int, shape (n_datasets, H, S)
        Trajectories through ``(h, s)`` in each dataset.
    values : ndarray, shape (H, S)
        The exact ``V^pi``.
    n_trajectories : int
        ``N``, trajectories per dataset.
    """

    td: np.ndarray
    mc: np.ndarray
    counts: np.ndarray
    values: np.ndarray
    n_trajectories: int

    def scaled_mse(self, estimator: str) -> np.ndarray:
        """``N`` times the empirical MSE over datasets, (H, S) (NaN where some dataset missed
        the state; compare with :class:`TDvsMC`'s asymptotic values)."""
        if estimator not in ("td", "mc"):
            raise ValueError(f"estimator must be 'td' or 'mc', got {estimator!r}")
        estimates = self.td if estimator == "td" else self.mc
        return self.n_trajectories * np.mean((estimates - self.values) ** 2, axis=0)


def simulate_estimates(
    mdp, n_trajectories: int, n_datasets: int, seed: SeedLike, policy=None
) -> SimulatedEstimates:
    """Draw ``n_datasets`` datasets of ``n_trajectories`` trajectories; estimate by TD and MC.

    Both estimators of the module notes run on each dataset inside one numba kernel (the
    trajectories come from :func:`mdptheory._kernels.rollout_episode_stochastic`). Cost
    O(n_datasets (N H + H S^2)).

    Parameters
    ----------
    mdp : EpisodicMDP, or a linear or low-rank MDP (its twin)
    n_trajectories, n_datasets : int
        Each >= 1.
    seed : int, SeedSequence or Generator
        The same seed gives the same estimates, bit for bit.
    policy : array_like, optional
        As for :func:`td_vs_mc` (uniform by default).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), np.zeros((2, 1)), H=2,
    ...                   noise=("gaussian", 1.0))
    >>> sim = simulate_estimates(mdp, n_trajectories=50, n_datasets=4000, seed=0)
    >>> ratio = sim.scaled_mse("td")[0] / sim.scaled_mse("mc")[0]   # td_vs_mc predicts 0.75
    >>> bool(np.all(np.abs(ratio - 0.75) < 0.1))
    True
    """
    mdp = _episodic(mdp, "simulate_estimates")
    n_trajectories = check_int(n_trajectories, "n_trajectories", 1)
    n_datasets = check_int(n_datasets, "n_datasets", 1)
    check_memory(
        3 * 8.0 * n_datasets * mdp.H * mdp.S,
        "simulate_estimates: three arrays of shape (n_datasets, H, S)",
        f"n_datasets={n_datasets}, H={mdp.H}, S={mdp.S}",
    )
    pi = _policy(mdp, policy)
    rng = as_generator(seed)
    td, mc, counts = _simulate(
        np.ascontiguousarray(mdp.dense_P()),
        np.ascontiguousarray(mdp.R),
        mdp.noise.code,
        float(mdp.noise.sigma),
        np.ascontiguousarray(mdp.initial),
        pi,
        n_trajectories,
        n_datasets,
        rng,
    )
    return SimulatedEstimates(
        td=td, mc=mc, counts=counts, values=evaluate(mdp, pi), n_trajectories=n_trajectories
    )


@diagnostic("td vs monte carlo")
def _diagnose(model) -> Diagnosis | None:
    """Pooling at the start states and the crossing time of the most distant pair, uniform
    policy."""
    try:
        mdp = _episodic(model, "td vs monte carlo")
    except ValueError:
        return None
    result = td_vs_mc(mdp)
    start = np.flatnonzero(mdp.initial > 0)
    pooling0 = result.pooling[0, start]
    values: dict[str, object] = {"policy": "uniform"}
    if np.isfinite(pooling0).any():
        values["pooling C at stage 0 (mean over start states)"] = float(
            np.mean(pooling0[np.isfinite(pooling0)])
        )
        values["smallest C over visited (h, s)"] = float(np.nanmin(result.pooling))
    else:
        values["pooling C"] = "undefined: returns have no variance (both estimators exact)"
    if start.size >= 2:
        V0 = result.values[0, start]
        s, s_prime = int(start[np.argmax(V0)]), int(start[np.argmin(V0)])
        values[f"crossing time of states {s} and {s_prime} at stage 0 (horizon {mdp.H})"] = (
            crossing_time(mdp, s, s_prime)
        )
    return Diagnosis(
        name="TD vs Monte Carlo",
        definition="Cheikhi & Russo (ICML 2023): C(s) = asymptotic MSE of batch TD over that "
        "of Monte Carlo, the inverse trajectory pooling coefficient (1 - C is TD's "
        "reduction); the crossing time bounds TD's error on V(s) - V(s').",
        values=values,
        complexity="O(H^2 S^3)",
    )
