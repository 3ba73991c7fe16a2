r"""RF-Express: reward-free exploration with 1/n bonuses (tabular baseline).

Paper
-----
P. Ménard, O. D. Domingues, A. Jonsson, E. Kaufmann, E. Leurent, M. Valko, *Fast Active
Learning for Pure Exploration in Reinforcement Learning*, ICML 2021, arXiv:2007.13442
(RF-Express). The update below is that of ``theory-wave2.md`` 7.1, read in the authors' group
library ([S]); the abstract ([V]) states the 1/n bonus.

Setting
-------
Episodic MDP with S states, A actions, horizon H and **stage-dependent** unknown transitions;
no reward is observed while exploring. Afterwards any reward is planned for on the empirical
model. Stages are h = 1..H in the paper and ``h = 0..H-1`` here.

Update (episode t)
------------------
With ``n = n^t_h(s, a)`` the visits of (s, a) at stage h before episode t::

    beta(n, delta) = log(3 S A H / delta) + S log(8 e (n + 1))
    W_h(s, a) = min{ H, 15 H^2 beta(n, delta) / n
                        + (1 + 1/H) sum_{s'} p_hat_h(s'|s, a) max_{a'} W_{h+1}(s', a') },
    W_{H+1} = 0,   W_h(s, a) = H when n = 0,

and the episode is played greedily in W. The stopping rule ``3 e sqrt(max_a W_1(s_1, a)) +
max_a W_1(s_1, a) <= eps / 2`` is recorded at each checkpoint (``stopping_statistic``, with
``s_1`` averaged over the start distribution); runs always use their whole budget so that the
sub-optimality curve can be read against the episodes.

Planning phase: backward induction for each battery reward on the empirical kernel
``p_hat_h(.|s, a)`` (uniform on the S states where ``n = 0``), judged exactly
(:mod:`algorithms.reward_free.battery`).

Complexity
----------
O(H S^2 A) per exploration episode (the W recursion), O(n H S^2 A) per checkpoint for the
n battery rewards.

Constants
---------
15, 3, 8e and the log terms as above (``constants = "paper (c = 1)"``); ``c`` multiplies the
bonus 15 H^2 beta / n as a named variant (``"scaled (c = ...)"``); ``c = 0`` keeps only the
``n = 0`` branch (every pair is tried once, then action 0 is played): the control.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import numpy as np
from numba import njit

from algorithms._episodic import act, environment
from algorithms.reward_free._phases import (
    ExplorationParameters,
    Phases,
    episodic_twin,
)
from mdptheory._kernels import greedy_backup
from mdptheory.seeding import SeedLike, as_generator


def rf_express_beta(n: float, S: int, A: int, H: int, delta: float) -> float:
    """``beta(n, delta) = log(3 S A H / delta) + S log(8 e (n + 1))``.

    Examples
    --------
    >>> expected = math.log(360) + 2 * math.log(8 * math.e)
    >>> round(rf_express_beta(0, 2, 2, 3, 0.1), 6) == round(expected, 6)
    True
    """
    return math.log(3.0 * S * A * H / delta) + S * math.log(8.0 * math.e * (n + 1.0))


class _State(NamedTuple):
    N_sas: np.ndarray  # (H, S, A, S)
    N_sa: np.ndarray  # (H, S, A)
    W: np.ndarray  # (H, S, A)
    maxW: np.ndarray  # (H + 1, S), maxW[H] = 0
    policy: np.ndarray  # (H, S)


@njit(cache=True)
def _plan_w(state, log_term: float, S: int, c: float) -> None:
    """The W recursion (module notes), greedy policy included."""
    N_sas, N_sa, W, maxW, policy = state.N_sas, state.N_sa, state.W, state.maxW, state.policy
    H, _, A = N_sa.shape
    Hf = float(H)
    for h in range(H - 1, -1, -1):
        for s in range(S):
            for a in range(A):
                n = N_sa[h, s, a]
                if n == 0.0:
                    W[h, s, a] = Hf
                    continue
                nxt = 0.0
                for t in range(S):
                    nxt += N_sas[h, s, a, t] * maxW[h + 1, t]
                nxt /= n
                beta = log_term + S * math.log(8.0 * math.e * (n + 1.0))
                W[h, s, a] = min(Hf, c * 15.0 * Hf * Hf * beta / n + (1.0 + 1.0 / Hf) * nxt)
        greedy_backup(W[h], maxW[h], policy[h])


@njit(cache=True)
def _explore(env, state, start: int, stop: int, rng, log_term: float, c: float) -> None:
    S = env.R3.shape[1]
    for _ in range(start, stop):
        _plan_w(state, log_term, S, c)
        states, actions, _ = act(env, state.policy, rng)
        for h in range(actions.shape[0]):
            state.N_sas[h, states[h], actions[h], states[h + 1]] += 1.0
            state.N_sa[h, states[h], actions[h]] += 1.0


def empirical_kernel(N_sas: np.ndarray, N_sa: np.ndarray) -> np.ndarray:
    """``p_hat_h(s'|s, a) = N / n``, uniform where ``n = 0`` (H, S, A, S)."""
    S = N_sas.shape[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        P = N_sas / N_sa[..., None]
    P[N_sa == 0] = 1.0 / S
    return P


@dataclass(frozen=True)
class RFExpress(ExplorationParameters):
    """RF-Express (Ménard et al., ICML 2021): reward-free exploration, then planning.

    Parameters
    ----------
    c : float
        Multiplier of the bonus ``15 H^2 beta / n``; 1 is the printed bonus, 0 the control.
    delta : float
        Confidence parameter in (0, 1).
    n_random_rewards : int
        Random rewards in the planning battery (with the model's reward and the H S
        stage-state indicators).
    battery_seed : int
        Seed of the random rewards (fixed, so that every run plans for the same battery).

    Notes
    -----
    ``run(model, budget, seed)`` explores ``budget`` episodes and returns a
    :class:`~mdptheory.regret.ConvergenceTrace` whose ``gap`` is the worst exact planning
    sub-optimality over the battery at each checkpoint (``extras["iteration"]``), with
    ``suboptimality`` per reward, ``adversarial`` (worst indicator) and
    ``stopping_statistic`` (``3 e sqrt(W_1) + W_1``).

    Examples
    --------
    >>> from instances.tabular import river_swim
    >>> trace = RFExpress().run(river_swim(S=3, H=3), budget=200, seed=0)
    >>> float(trace.extras["iteration"][-1]), bool(trace.gap[-1] <= trace.gap[0] + 1e-12)
    (200.0, True)
    """

    short_name: ClassVar[str] = "RF-Express"
    control_name: ClassVar[str] = "RF-Express (no bonus)"
    paper_constants: ClassVar[str] = "paper (c = 1)"
    control_constants: ClassVar[str] = "no bonus (c = 0)"

    def _phases(self, model, budget: int, seed: SeedLike) -> Phases:
        """The :class:`Phases` of RF-Express: bonus exploration, the empirical kernel."""
        twin = episodic_twin(model, type(self).__name__)
        env = environment(twin)
        H, S, A = env.R3.shape
        state = _State(
            np.zeros((H, S, A, S)),
            np.zeros((H, S, A)),
            np.zeros((H, S, A)),
            np.zeros((H + 1, S)),
            np.zeros((H, S), dtype=np.int64),
        )
        rng = as_generator(seed)
        log_term = math.log(3.0 * S * A * H / self.delta)
        c = float(self.c)

        def statistic() -> dict[str, float]:
            _plan_w(state, log_term, S, c)
            w1 = float(state.maxW[0] @ twin.initial)
            return {"stopping_statistic": 3.0 * math.e * math.sqrt(w1) + w1}

        return Phases(
            twin,
            lambda start, stop: _explore(env, state, start, stop, rng, log_term, c),
            lambda: empirical_kernel(state.N_sas, state.N_sa),
            None,
            statistic,
            dict(
                paper="Menard et al. (ICML 2021), arXiv:2007.13442, RF-Express",
                bonus_formula="15 H^2 beta(n, delta) / n, beta = log(3SAH/delta) + S log(8e(n+1))",
                stopping_rule="3 e sqrt(max_a W_1(s_1, a)) + max_a W_1(s_1, a) <= eps / 2",
            ),
        )
