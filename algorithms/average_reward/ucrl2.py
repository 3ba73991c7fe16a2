r"""UCRL2 (Jaksch, Ortner, Auer 2010, Figure 1) and UCRL2-B (Fruit, Pirotta, Lazaric 2020).

Paper
-----
T. Jaksch, R. Ortner, P. Auer, *Near-optimal Regret Bounds for Reinforcement Learning*, JMLR 11
(2010) 1563-1600: Figure 1 (UCRL2), section 3.1.2 and Figure 2 (extended value iteration),
Theorem 2 (regret bound). UCRL2-B: R. Fruit, M. Pirotta, A. Lazaric, *Improved Analysis of
UCRL2 with Empirical Bernstein Inequality*, arXiv:2007.05456.

Setting
-------
A communicating MDP with S states, A actions, unknown rewards in [0, 1] with means r(s, a) and
unknown kernel p(. | s, a); no reset. Regret after T steps: ``T rho* - sum_t r_t``.

Figure 1, line by line (``t`` counts steps from 1; here ``i = t - 1`` indexes the arrays)
---------------------------------------------------------------------------------------
0. Input ``delta``; ``t = 1``; observe ``s_1`` (drawn from the model's initial distribution).
1. Episode ``k`` starts at ``t_k = t``.
2. ``v_k(s, a) = 0``; ``N_k(s, a)`` = visits before ``t_k`` (array ``N``).
3. ``r_hat_k = R_k / max{1, N_k}``, ``p_hat_k = P_k / max{1, N_k}`` from the reward sums and
   transition counts before ``t_k`` (arrays ``reward_sum``, ``counts``).
4. Plausible set ``M_k``, for every ``(s, a)``::

       |r_tilde - r_hat_k| <= sqrt( 7 log(2 S A t_k / delta) / (2 max{1, N_k}) )     (reward)
       ||p_tilde - p_hat_k||_1 <= sqrt( 14 S log(2 A t_k / delta) / max{1, N_k} )     (kernel)

5. Extended value iteration (:func:`algorithms.average_reward.evi.extended_value_iteration`)
   with accuracy ``1 / sqrt(t_k)`` gives the optimistic policy ``pi_k``.
6. While ``v_k(s_t, pi_k(s_t)) < max{1, N_k(s_t, pi_k(s_t))}``: play ``a_t = pi_k(s_t)``,
   observe ``r_t`` and ``s_{t+1}``, ``v_k(s_t, a_t) += 1``, ``t += 1``.
7. ``N_{k+1} = N_k + v_k``.

In :func:`_run` the comments ``# (1)`` ... ``# (7)`` mark these lines.

Theorem 2: with probability at least ``1 - delta``, for every ``T > 1``,
``T rho* - sum_t r_t <= 34 D S sqrt(A T log(T / delta))`` (:func:`ucrl2_regret_bound`).

UCRL2-B (``confidence="bernstein"``, the named variant ``constants = "ucrl2-b"``)
-----------------------------------------------------------------------------
Same epochs, EVI and stopping rule; the plausible set is a box per next state and a Bernstein
interval for the reward, with ``N+ = max{1, N_k}`` and ``L = log(6 S A N+ / delta)``::

    |p_tilde(s') - p_hat(s')| <= sqrt(2 p_hat(s') (1 - p_hat(s')) L / N+) + 7 L / (3 N+)
    |r_tilde - r_hat|        <= sqrt(2 var_hat(r) L / N+) + 7 L / (3 N+)

The form is that of the authors' code as restated in ``theory-wave2.md`` section 1.3 (tag
[S]); the log term ``L`` is from memory (tag [M]) and **not verified** against the paper.

Constants
---------
The paper's radii and ``delta`` are the default (``constants = "paper"``). ``radius_scale``
multiplies every radius: an opt-in, named variant (``constants = "scaled"``) without the
paper's guarantee. ``delta`` is never changed behind the user's back (some public codes use
``delta / (2 S A)`` or ``1 / sqrt(t)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numba import njit

from algorithms._constants import scaled_label
from algorithms._validation import check_choice
from algorithms.average_reward._common import (
    act,
    build_trace,
    check_positive,
    chunk_length,
    clock,
    initial_state,
    log_epoch,
    log_policy,
    outputs,
    prepare,
    record_step,
    tick,
)
from algorithms.average_reward.evi import BOX, L1, extended_value_iteration
from mdptheory._validation import check_int
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike

CONFIDENCES = ("hoeffding", "bernstein")


def ucrl2_regret_bound(D: float, S: int, A: int, T: int, delta: float) -> float:
    """Theorem 2 of Jaksch et al. (2010): ``34 D S sqrt(A T log(T / delta))``.

    Vacuous (above the trivial ``T``) until ``T > 34^2 D^2 S^2 A log(T / delta)``: about 6e5
    steps even for ``D = S = A = 2`` at ``delta = 0.05``.

    Examples
    --------
    >>> round(ucrl2_regret_bound(2, 2, 2, 10**6, 0.05) / 10**6, 3)
    0.789
    """
    return 34.0 * D * S * math.sqrt(A * T * math.log(T / delta))


@njit(cache=True)
def _plan(
    counts: np.ndarray,
    N: np.ndarray,
    reward_sum: np.ndarray,
    reward_square: np.ndarray,
    t_k: int,
    delta: float,
    bernstein: bool,
    scale: float,
    max_iter: int,
    p_hat: np.ndarray,
    r_tilde: np.ndarray,
    radius_l1: np.ndarray,
    radius_box: np.ndarray,
    u: np.ndarray,
    policy: np.ndarray,
):
    """Lines (3)-(5): estimates, radii, extended value iteration to accuracy 1/sqrt(t_k)."""
    S, A = N.shape
    log_r = math.log(2.0 * S * A * t_k / delta)
    log_p = math.log(2.0 * A * t_k / delta)
    for s in range(S):
        for a in range(A):
            n = N[s, a]
            n_plus = max(1.0, n)
            r_hat = reward_sum[s, a] / n_plus
            for x in range(S):
                p_hat[s, a, x] = counts[s, a, x] / n_plus
            if bernstein:
                L = math.log(6.0 * S * A * n_plus / delta)
                var_r = max(0.0, reward_square[s, a] / n_plus - r_hat * r_hat)
                rad_r = math.sqrt(2.0 * var_r * L / n_plus) + 7.0 * L / (3.0 * n_plus)
                for x in range(S):
                    q = p_hat[s, a, x]
                    radius_box[s, a, x] = scale * (
                        math.sqrt(2.0 * q * (1.0 - q) * L / n_plus) + 7.0 * L / (3.0 * n_plus)
                    )
            else:
                rad_r = math.sqrt(7.0 * log_r / (2.0 * n_plus))  # (4), reward
                radius_l1[s, a, 0] = scale * math.sqrt(14.0 * S * log_p / n_plus)  # (4), kernel
            r_tilde[s, a] = min(1.0, r_hat + scale * rad_r)
    epsilon = 1.0 / math.sqrt(t_k)  # (5)
    if bernstein:
        return extended_value_iteration(
            p_hat, r_tilde, radius_box, BOX, epsilon, max_iter, 0.0, u, policy
        )
    return extended_value_iteration(
        p_hat, r_tilde, radius_l1, L1, epsilon, max_iter, 0.0, u, policy
    )


@njit(cache=True)
def _run(env, gaps, T, delta, bernstein, scale, max_iter, record, chunk, rng):
    S, A = env[1].shape
    N = np.zeros((S, A))
    v = np.zeros((S, A))
    counts = np.zeros((S, A, S))
    reward_sum = np.zeros((S, A))
    reward_square = np.zeros((S, A))
    p_hat = np.zeros((S, A, S))
    r_tilde = np.zeros((S, A))
    radius_l1 = np.zeros((S, A, 1))
    radius_box = np.zeros((S, A, S))
    u = np.zeros(S)
    policy = np.zeros(S, dtype=np.int64)
    out = outputs(T, record)
    times, states = out[2], out[3]
    starts = np.zeros(64, dtype=np.int64)
    log = np.zeros((64, 3))  # EVI's gain bracket (low, high) and its sweeps, per epoch
    policies = np.zeros((64, S), dtype=np.int64)

    s = initial_state(env[2], rng.random())  # (0)
    if record:
        states[0] = s
    i = 0  # step index, t = i + 1
    k = 0
    chunk_start = 0
    t0 = clock()
    while i < T:
        t_k = i + 1  # (1)
        v[:] = 0.0  # (2)
        iterations, low, high, converged = _plan(  # (3)-(5)
            counts,
            N,
            reward_sum,
            reward_square,
            t_k,
            delta,
            bernstein,
            scale,
            max_iter,
            p_hat,
            r_tilde,
            radius_l1,
            radius_box,
            u,
            policy,
        )
        starts, log = log_epoch(starts, log, k, i, (low, high, float(iterations)))
        policies = log_policy(policies, k, policy)
        if not converged:
            return out, i, starts[: k + 1], log[: k + 1], policies[: k + 1], False
        while i < T:  # (6)
            a = policy[s]
            if v[s, a] >= max(1.0, N[s, a]):
                break
            r, s_next = act(env, s, a, rng)
            record_step(out, i, gaps[s, a], r, a, s_next, record)
            v[s, a] += 1.0
            counts[s, a, s_next] += 1.0
            reward_sum[s, a] += r
            reward_square[s, a] += r * r
            s = s_next
            i += 1
            chunk_start, t0 = tick(times, chunk_start, i, chunk, T, t0)
        N += v  # (7)
        k += 1
    return out, i, starts[:k], log[:k], policies[:k], True


@dataclass(frozen=True)
class UCRL2:
    r"""UCRL2 of Jaksch, Ortner and Auer (2010), Figure 1, or UCRL2-B (Fruit et al. 2020).

    Parameters
    ----------
    delta : float
        Confidence parameter in (0, 1) of the radii; Theorem 2 holds with probability
        ``1 - delta``.
    confidence : {"hoeffding", "bernstein"}
        ``"hoeffding"``: the paper's L1 set (default). ``"bernstein"``: UCRL2-B, per-coordinate
        empirical Bernstein intervals (log term unverified, see the module).
    radius_scale : float
        Multiplier of every radius; 1 is the paper's. Any other value is the named variant
        ``constants = "scaled"``, without the paper's guarantee.
    evi_max_iter : int
        Sweeps of extended value iteration before the run stops with a ``ValueError`` (EVI never
        stops silently).

    Notes
    -----
    ``run`` returns a :class:`~mdptheory.regret.RegretTrace` with one entry per step:
    ``pseudo_regret[t]`` is the exact gap regret ``gap(s_t, a_t)`` and ``realised_regret[t]``
    is ``rho* - r_t`` (see :mod:`algorithms.average_reward._common` for the identity that ties
    them). Extras, per epoch: ``epoch_start`` (0-based step), ``epoch_gap_regret``,
    ``epoch_realised_regret``, ``epoch_policy`` (the optimistic policy, epochs x S),
    ``evi_gain_low`` / ``evi_gain_high`` (the optimistic gain lies between), ``evi_sweeps``;
    with ``record_trajectory=True`` also ``states`` (T + 1) and ``actions`` (T).

    Examples
    --------
    >>> from instances.tabular import river_swim
    >>> trace = UCRL2().run(river_swim(S=6), budget=20_000, seed=0)
    >>> trace.n_episodes, bool(trace.pseudo_regret.min() >= 0.0)
    (20000, True)
    >>> trace.metadata["constants"], int(trace.extras["epoch_start"][0])
    ('paper', 0)
    """

    delta: float = 0.05
    confidence: Literal["hoeffding", "bernstein"] = "hoeffding"
    radius_scale: float = 1.0
    evi_max_iter: int = 1_000_000

    def __post_init__(self) -> None:
        check_choice(self.confidence, "confidence", CONFIDENCES)
        delta = check_positive("delta", self.delta)
        if not delta < 1.0:
            raise ValueError(f"delta must lie in (0, 1), got {self.delta!r}")
        check_positive("radius_scale", self.radius_scale)
        check_int(self.evi_max_iter, "evi_max_iter", 1)

    @property
    def constants(self) -> str:
        """``"paper"``, ``"ucrl2-b"`` (Bernstein radii), and ``" scaled"`` when the radii are
        multiplied."""
        name = "paper" if self.confidence == "hoeffding" else "ucrl2-b"
        return name if self.radius_scale == 1.0 else f"{name} scaled"

    @property
    def label(self) -> str:
        """E.g. ``UCRL2``, ``UCRL2-B`` or ``UCRL2 x0.1``."""
        name = "UCRL2" if self.confidence == "hoeffding" else "UCRL2-B"
        return scaled_label(name, self.radius_scale)

    def run(
        self, model, budget: int, seed: SeedLike, *, record_trajectory: bool = False
    ) -> RegretTrace:
        """Run ``budget`` steps of UCRL2 on ``model`` and return the exact regret trace.

        Raises
        ------
        ValueError
            For a model that is not a :class:`~mdptheory.FiniteMDP` with mean rewards in
            [0, 1], a model whose optimal gain depends on the start state, a bad budget, or an
            EVI that does not meet its stopping rule within ``evi_max_iter`` sweeps.
        """
        env, T, rho, gaps, rng = prepare(model, self.label, budget, seed, record_trajectory)
        out, done, starts, log, policies, ok = _run(
            env,
            gaps,
            T,
            float(self.delta),
            self.confidence == "bernstein",
            float(self.radius_scale),
            int(self.evi_max_iter),
            bool(record_trajectory),
            chunk_length(T),
            rng,
        )
        low, high, sweeps = log[:, 0], log[:, 1], log[:, 2].astype(np.int64)
        if not ok:
            raise ValueError(
                f"{self.label}: extended value iteration did not meet its stopping rule "
                f"(span of u_(i+1) - u_i below 1/sqrt(t_k)) within evi_max_iter = "
                f"{self.evi_max_iter} sweeps in epoch {starts.size} (t_k = {done + 1}; last "
                f"span {high[-1] - low[-1]:.3g})"
            )
        extras = {"evi_gain_low": low, "evi_gain_high": high, "evi_sweeps": sweeps}
        paper = "Jaksch, Ortner, Auer, JMLR 11 (2010), Figure 1"
        if self.confidence == "bernstein":
            paper += ", Bernstein radii of Fruit, Pirotta, Lazaric, arXiv:2007.05456"
        return build_trace(
            self, model, seed, out, rho, starts, extras, record_trajectory, policies, paper=paper
        )


@dataclass(frozen=True)
class UCRL2B(UCRL2):
    """UCRL2-B (Fruit, Pirotta, Lazaric 2020): UCRL2 with empirical Bernstein radii.

    :class:`UCRL2` with ``confidence="bernstein"``, registered as ``ucrl2-b`` for the command
    line; the log term of its radii is not verified against the paper (see
    :mod:`algorithms.average_reward.ucrl2`).
    """

    confidence: Literal["hoeffding", "bernstein"] = "bernstein"


__all__ = ["CONFIDENCES", "UCRL2", "UCRL2B", "ucrl2_regret_bound"]
