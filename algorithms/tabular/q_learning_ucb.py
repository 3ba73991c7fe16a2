r"""Q-learning with UCB exploration (UCB-Hoeffding and UCB-Bernstein).

Paper
-----
C. Jin, Z. Allen-Zhu, S. Bubeck, M. I. Jordan, *Is Q-learning Provably Efficient?*,
NeurIPS 2018, arXiv:1807.03765. Algorithm 1 (UCB-Hoeffding), Algorithm 2 (UCB-Bernstein),
the learning-rate weights of Section 4.1 and Lemma 4.1, Theorems 1 and 2.

Setting
-------
Episodic MDP, S states, A actions, horizon H, possibly **non-stationary** kernels P_h and
rewards r_h in [0, 1]; K episodes, T = KH steps, failure probability p, iota = log(S A T / p).
Stages are h = 1..H in the paper and ``h = 0..H-1`` here (``V[H] = 0`` is the paper's V_{H+1}).

Update
------
Initialise Q_h(x, a) = H, N_h(x, a) = 0, so V_h = H. In each episode, at step h in state x_h,
take a_h = argmax_a Q_h(x_h, a), observe r_h and x_{h+1}, then::

    t = N_h(x_h, a_h) <- N_h(x_h, a_h) + 1,        alpha_t = (H + 1) / (H + t)
    Q_h(x_h, a_h) <- (1 - alpha_t) Q_h(x_h, a_h) + alpha_t [ r_h + V_{h+1}(x_{h+1}) + b_t ]
    V_h(x_h) <- min{ H, max_a Q_h(x_h, a) }

* UCB-Hoeffding (Alg. 1):  b_t = c sqrt(H^3 iota / t).
* UCB-Bernstein (Alg. 2): with mu, sigma the running sum and sum of squares of
  V_{h+1}(x_{h+1}) over the t visits and W_t = sigma / t - (mu / t)^2 their empirical variance,
  beta_t = min{ c1 (sqrt(H (W_t + H) iota / t) + sqrt(H^7 S A) iota / t), c2 sqrt(H^3 iota / t) },
  beta_0 = 0, and b_t = (beta_t - (1 - alpha_t) beta_{t-1}) / (2 alpha_t), which makes
  sum_i alpha_t^i b_i = beta_t / 2.

The weights alpha_t^0 = prod_{j<=t} (1 - alpha_j) and alpha_t^i = alpha_i prod_{j=i+1}^t
(1 - alpha_j) unroll the update: Q after t visits is alpha_t^0 H + sum_i alpha_t^i target_i
(:func:`learning_rate_weights`, checked in the tests).

Which code implements which step
--------------------------------
* ``q_update`` : the learning-rate update ``(1 - alpha_t) Q + alpha_t target``.
* ``QLearningUCB._simulate``, step (1): exact Q*, V* (regret oracle); ``_start``: Q = V = H;
  ``_episodes``, per episode, step (2): the executed policy of episode k, greedy in Q at the
  start of the episode (see below), with its exact value (``evaluate_deterministic_reachable``,
  again only where it acts differently from the last evaluated policy); step (3): one episode
  of that policy (``act``) and its record (``record_episode``); step (4): the per-step
  updates above, in the order h = 0..H-1, with the Hoeffding or Bernstein bonus. An update
  changes only ``Q_h(x_h, .)``, so it also refreshes the greedy action there: the policy stays
  greedy in Q without a pass over every state.

Why the executed policy is greedy in the Q of the episode's start: an update at step h touches
only Q_h and V_h, and step h is visited once per episode, so the Q_{h'} that chooses the action
at a later step h' > h has not been changed within the episode; and the update at step h reads
V_{h+1}, which the episode changes only later, at step h + 1. Applying the H updates in order
after the rollout therefore reproduces the online algorithm exactly.

Constants
---------
The paper proves its theorems for "an absolute constant c" (c1, c2) without a number. The
defaults here are derived in this module, not taken from the paper:

* ``c = 2 sqrt(2)`` (UCB-H) is the constant that the Azuma-Hoeffding step of Lemma 4.3 gives
  with iota = log(S A T / p). The martingale differences ``alpha_t^i ((P̂ - P) V*)`` are bounded
  in absolute value by ``alpha_t^i H``; ``sum_i (alpha_t^i)^2 <= 2 H / t`` (Lemma 4.1(b));
  Azuma-Hoeffding and a union bound over the S A T tuples give a deviation at most
  ``2 sqrt(H^3 (iota + log 2) / t) <= 2 sqrt(2) sqrt(H^3 iota / t)`` when ``S A T / p >= 2``;
  and ``sum_i alpha_t^i b_i >= c sqrt(H^3 iota / t)`` (Lemma 4.1(a):
  ``sum_i alpha_t^i / sqrt(i) >= 1 / sqrt(t)``) covers it for ``c >= 2 sqrt(2)``. It is not
  the smallest valid value: each difference lies in an interval of length ``alpha_t^i H``, and
  Hoeffding's inequality in its range form gives the deviation
  ``sqrt(H^3 (iota + log 2) / t) <= sqrt(2) sqrt(H^3 iota / t)``, so ``c = sqrt(2)`` already
  suffices; the default keeps the absolute-bound form, a factor 2 more conservative.
* ``c2 = 4 sqrt(2)`` (UCB-B, Hoeffding branch) makes ``beta_t / 2 = sum_i alpha_t^i b_i`` cover
  the same deviation (``c2 / 2 = 2 sqrt(2)``).
* ``c1 = 4`` (UCB-B, Bernstein branch) is derived for the **leading Freedman term only**:
  ``beta_t / 2 >= 2 sqrt(H Var iota / t)`` with ``W`` in place of the variance. The derivation
  does not cover the lower-order terms of the Bernstein bonus (the ``+ H`` inside
  ``W + H`` and the ``sqrt(H^7 S A) iota / t`` term, which pay for using the empirical variance
  of the learner's ``V_{h+1}`` instead of the variance of ``V*_{h+1}``); their constant is the
  same c1 by the algorithm's form, not by a derivation.

Lemma 4.1 is quoted as (a) ``1/sqrt(t) <= sum_i alpha_t^i / sqrt(i) <= 2/sqrt(t)``, (b)
``max_i alpha_t^i <= 2H/t`` and ``sum_i (alpha_t^i)^2 <= 2H/t``, (c)
``sum_{t>=i} alpha_t^i = 1 + 1/H`` (from shared/references/theory.md section 2.2, where (a) and
(c) are checked numerically; the lemma's lettering is from memory of the paper, not re-read in
its text). Any other value of c, c1 or c2 is a tuned variant, recorded in the metadata
(``constants = "tuned"``). :func:`algorithms.tabular.burn_in` gives, for any constants, the
episodes until the bonus is below a level, and
:func:`algorithms.tabular.qlearning_bernstein_branch_visits` the visits after which the
Bernstein branch of ``beta_t`` is taken (tens of thousands with the defaults unless H, S, A are
small).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numba import njit

from algorithms._episodic import (
    Environment,
    EpisodeLog,
    EpisodicLearner,
    Simulation,
    act,
    check_budget,
    check_choice,
    check_episodic_model,
    check_open_unit,
    check_positive,
    record_episode,
    simulate,
    start_log,
)
from mdptheory._kernels import (
    ReachableEvaluation,
    evaluate_deterministic_reachable,
    first_difference,
    greedy_action,
)
from mdptheory.seeding import SeedLike, as_generator

BONUSES = ("hoeffding", "bernstein")
DEFAULT_C = 2.0 * math.sqrt(2.0)
"""Default UCB-Hoeffding constant c, derived from Azuma-Hoeffding with absolute bounds (the
range form gives sqrt(2); see the module docstring)."""
DEFAULT_C1 = 4.0
"""Default UCB-Bernstein constant c1: derived for the leading Freedman term only, not for the
lower-order terms of the Bernstein bonus (see the module docstring)."""
DEFAULT_C2 = 4.0 * math.sqrt(2.0)
"""Default UCB-Bernstein constant c2 (beta_t / 2 covers the Hoeffding deviation of c)."""


def learning_rate(t: int, H: int) -> float:
    """``alpha_t = (H + 1) / (H + t)`` (Jin et al. 2018, Section 4.1).

    Examples
    --------
    >>> learning_rate(1, 5)
    1.0
    """
    if t < 1 or H < 1:
        raise ValueError(f"learning_rate needs t >= 1 and H >= 1, got t={t!r}, H={H!r}")
    return (H + 1.0) / (H + t)


def learning_rate_weights(t: int, H: int) -> np.ndarray:
    """The weights ``[alpha_t^0, alpha_t^1, ..., alpha_t^t]`` (Jin et al. 2018, Section 4.1).

    ``alpha_t^0 = prod_{j=1}^t (1 - alpha_j)`` and ``alpha_t^i = alpha_i prod_{j=i+1}^t
    (1 - alpha_j)``; after t visits ``Q = alpha_t^0 H + sum_i alpha_t^i target_i``.
    By construction (Section 4.1, since alpha_1 = 1): for t >= 1 the ``alpha_t^i`` (i >= 1) sum
    to 1 and ``alpha_t^0 = 0``.

    Examples
    --------
    >>> w = learning_rate_weights(4, 3)
    >>> float(w[0]), round(float(w[1:].sum()), 12)
    (0.0, 1.0)
    """
    if t < 0 or H < 1:
        raise ValueError(f"learning_rate_weights needs t >= 0 and H >= 1, got t={t!r}, H={H!r}")
    alphas = (H + 1.0) / (H + np.arange(1, t + 1, dtype=np.float64))
    weights = np.empty(t + 1)
    weights[0] = float(np.prod(1.0 - alphas))
    for i in range(1, t + 1):
        weights[i] = alphas[i - 1] * float(np.prod(1.0 - alphas[i:]))
    return weights


@njit(cache=True)
def q_update(q: float, target: float, t: int, H: int) -> float:
    """``(1 - alpha_t) q + alpha_t target`` with ``alpha_t = (H + 1) / (H + t)``."""
    alpha = (H + 1.0) / (H + t)
    return (1.0 - alpha) * q + alpha * target


class _State(NamedTuple):
    """Q-learning's estimates and counts, carried from one episode to the next."""

    Q: np.ndarray  # (H, S, A)
    V: np.ndarray  # (H + 1, S): V_h = min(H, max_a Q_h), V[H] = 0
    N: np.ndarray  # (H, S, A) int64: visits t of each stage-pair
    value_sum: np.ndarray  # (H, S, A): mu in Alg. 2
    value_sq_sum: np.ndarray  # (H, S, A): sigma in Alg. 2
    beta: np.ndarray  # (H, S, A): beta_{t-1}, beta_0 = 0
    policy: np.ndarray  # (H, S): greedy in Q


def _start(H: int, S: int, A: int) -> _State:
    """The optimistic initialisation Q_h(x, a) = H, N = 0, hence V_h = H."""
    Hf = float(H)
    Q = np.full((H, S, A), Hf)
    V = np.zeros((H + 1, S))
    V[:H] = Hf  # V_h = min(H, max_a Q_h) = H
    return _State(
        Q,
        V,
        np.zeros((H, S, A), dtype=np.int64),
        np.zeros((H, S, A)),
        np.zeros((H, S, A)),
        np.zeros((H, S, A)),
        np.zeros((H, S), dtype=np.int64),
    )  # greedy in Q = H


@njit(cache=True)
def _episodes(
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    state: _State,
    start: int,
    stop: int,
    rng,
    bernstein: bool,
    c: float,
    c1: float,
    c2: float,
    iota: float,
) -> None:
    """Episodes ``start..stop-1`` of Algorithm 1 or 2: evaluate exactly, act, update."""
    H, S, A = env.R3.shape
    Hf = float(H)
    hoeffding_scale = math.sqrt(Hf**3 * iota)  # b_t = c * this / sqrt(t)
    lower_order = math.sqrt(Hf**7 * S * A) * iota  # Bernstein: sqrt(H^7 S A) iota
    P4, R3, initial = env.P4, env.R3, env.initial
    Q, V, N, policy = state.Q, state.V, state.N, state.policy
    value_sum, value_sq_sum, beta = state.value_sum, state.value_sq_sum, state.beta
    for k in range(start, stop):
        # (2) Executed policy: greedy in Q at the episode's start (kept so by step (4)); its
        # exact value, evaluated again only where it acts differently from the last evaluated.
        first = first_difference(policy, evaluation)
        if first < H:
            evaluate_deterministic_reachable(P4, R3, policy, initial, evaluation, first)
        # (3) Act.
        states, actions, rewards = act(env, policy, rng)
        record_episode(log, k, policy, Q, evaluation.value[0], states, rewards)
        # (4) Updates in step order (equivalent to the online order, see module docstring).
        for h in range(H):
            s = states[h]
            a = actions[h]
            v_next = V[h + 1, states[h + 1]]
            N[h, s, a] += 1
            t = N[h, s, a]
            if bernstein:
                value_sum[h, s, a] += v_next
                value_sq_sum[h, s, a] += v_next * v_next
                mean = value_sum[h, s, a] / t
                # Running sums can round a zero variance to a tiny negative number.
                W = max(value_sq_sum[h, s, a] / t - mean * mean, 0.0)
                beta_t = min(
                    c1 * (math.sqrt(Hf * (W + Hf) * iota / t) + lower_order / t),
                    c2 * hoeffding_scale / math.sqrt(t),
                )
                alpha = (Hf + 1.0) / (Hf + t)
                bonus = (beta_t - (1.0 - alpha) * beta[h, s, a]) / (2.0 * alpha)
                beta[h, s, a] = beta_t
            else:
                bonus = c * hoeffding_scale / math.sqrt(t)
            Q[h, s, a] = q_update(Q[h, s, a], rewards[h] + v_next + bonus, t, H)
            # Only Q_h(x_h, .) changed: its max gives V_h(x_h), its argmax the greedy action.
            best, policy[h, s] = greedy_action(Q[h], s)
            V[h, s] = min(Hf, best)


@dataclass(frozen=True)
class QLearningUCB(EpisodicLearner):
    r"""Q-learning with UCB-Hoeffding or UCB-Bernstein bonuses (Jin et al. 2018).

    Parameters
    ----------
    bonus : {"hoeffding", "bernstein"}
        Algorithm 1 (``b_t = c sqrt(H^3 iota / t)``) or Algorithm 2 (Bernstein beta_t).
    p : float
        Failure probability in ``iota = log(S A T / p)``, in (0, 1).
    c : float
        UCB-Hoeffding constant; default ``2 sqrt(2)`` (derived, see the module docstring).
    c1, c2 : float
        UCB-Bernstein constants; defaults 4 (derived for the leading Freedman term only) and
        ``4 sqrt(2)``.
    record_policies : bool
        Keep every executed policy in ``trace.extras["policies"]`` (K, H, S).

    Notes
    -----
    Extras of the trace: ``optimism_gap[k] = min_{h,x,a} Q^k_h(x, a) - Q*_h(x, a)`` with the Q
    at the start of episode k, and ``optimistic[k]`` (gap >= -1e-9 H), the event of Lemma 4.3.
    The update uses the sampled reward, so a model with reward noise is learned from samples.

    ``run(model, budget, seed)`` takes an :class:`~mdptheory.tabular.EpisodicMDP` with mean
    rewards in [0, 1], stationary or stage-dependent kernels (K fixes T = K H in iota); it
    raises ``ValueError`` for a non-episodic model, rewards outside [0, 1] or a bad budget.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> P = np.array([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]])
    >>> mdp = EpisodicMDP(P, np.array([[0.0, 0.2], [0.5, 1.0]]), H=3)
    >>> trace = QLearningUCB(c=0.1).run(mdp, budget=200, seed=1)
    >>> trace.metadata["constants"]
    'tuned'
    """

    bonus: Literal["hoeffding", "bernstein"] = "hoeffding"
    p: float = 0.05
    c: float = DEFAULT_C
    c1: float = DEFAULT_C1
    c2: float = DEFAULT_C2
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_choice(self.bonus, "bonus", BONUSES)
        check_open_unit(self.p, "p")
        check_positive("c", self.c)
        check_positive("c1", self.c1)
        check_positive("c2", self.c2)

    @property
    def constants(self) -> str:
        """``"derived default"`` (the module's defaults; for UCB-B, c1 is derived for the
        leading Freedman term only) or ``"tuned"`` (a named, opt-in choice of c or c1, c2)."""
        if self.bonus == "hoeffding":
            default = self.c == DEFAULT_C
        else:
            default = self.c1 == DEFAULT_C1 and self.c2 == DEFAULT_C2
        return "derived default" if default else "tuned"

    @property
    def label(self) -> str:
        """Short name for plots, e.g. ``Q-learning UCB-H`` or ``Q-learning UCB-H c=0.1``."""
        if self.bonus == "hoeffding":
            name = "Q-learning UCB-H"
            return name if self.constants != "tuned" else f"{name} c={self.c:g}"
        name = "Q-learning UCB-B"
        return name if self.constants != "tuned" else f"{name} c1={self.c1:g} c2={self.c2:g}"

    def _simulate(
        self, model, budget: int, seed: SeedLike, exact_regret: bool = True
    ) -> Simulation:
        """The run of :meth:`run` before it becomes a trace; ``exact_regret=False`` skips the
        exact evaluation (``pseudo`` is NaN), which ``bench/online.py`` times against it."""
        env = check_episodic_model(model, "Q-learning with UCB")
        K = check_budget(budget)
        H, S, A = env.R3.shape
        iota = math.log(S * A * K * float(H) / self.p)
        # (1) Regret oracle.
        log, evaluation = start_log(env, K, self.record_policies, exact_regret)
        state = _start(H, S, A)
        rng = as_generator(seed)
        bernstein = self.bonus == "bernstein"
        c, c1, c2 = float(self.c), float(self.c1), float(self.c2)
        simulate(
            log,
            lambda start, stop: _episodes(
                env, log, evaluation, state, start, stop, rng, bernstein, c, c1, c2, iota
            ),
        )
        return Simulation(
            model,
            log,
            {},
            dict(
                iota=iota,
                iota_formula="iota = log(S A T / p), T = K H",
                paper="Jin, Allen-Zhu, Bubeck, Jordan 2018, arXiv:1807.03765",
            ),
        )
