r"""Async-Coop-LSVI-UCB: M agents, one linear MDP, asynchronous communication through a server.

Paper
-----
Y. Min, J. He, T. Wang, Q. Gu, *Cooperative Multi-Agent Reinforcement Learning: Asynchronous
Communication and Linear Function Approximation*, ICML 2023, arXiv:2305.06446. Claims read in
the abstract [V]: regret ``O~(d^{3/2} H^2 sqrt(K))`` with K the episodes of all agents
together, communication complexity ``O~(d H M^2)``, and ``Omega(d M)`` communication is
necessary for collaboration to help. The form of the trigger, ``alpha = 1/M^2`` and what the
local Q is computed from are recalled from memory [M] (``../shared/references/theory-wave2.md``
section 5.1): unverified against the printed algorithm.

Setting
-------
:mod:`mdptheory.multi_agent_linear`: the k-th episode of the system is played by agent
``m_k`` of a schedule the learner does not choose.

Algorithm (per stage h; lambda = 1)
-----------------------------------
* The **server** keeps ``Lambda^ser_h = lambda I + sum of every uploaded phi phi^T`` and the
  matching ``b_h``, ``M_h`` (LSVI-UCB's ridge statistics, :class:`RidgeStatistics`).
* Agent m keeps its last **downloaded** copy ``Lambda^ser_{m,h}`` and its un-uploaded data
  ``Delta Lambda^loc_{m,h}``; its local statistics are their sum.
* Episode k (agent ``m = m_k``): compute Q by LSVI-UCB (Jin et al. 2020, Algorithm 1, L3-L6)
  on the agent's data -- by default (``plan_on="local"``, the reference page's reading) the
  downloaded copy plus the local data, replanned every episode; with ``plan_on="download"``
  on the downloaded copy only, replanned at each download -- and act greedily in it; the
  episode's features enter ``Delta Lambda^loc_{m,h}``.
* **Trigger** (determinant ratio): if for some h::

      det(Lambda^ser_{m,h} + Delta Lambda^loc_{m,h}) > (1 + alpha) det(Lambda^ser_{m,h})

  the agent **uploads** its local data (the server adds it, episode by episode, to its
  statistics) and **downloads** the server's statistics, which become its new copy;
  ``Delta Lambda^loc_{m,h} = 0``. Both messages are counted. ``alpha = 1/M^2`` by default.
* ``beta = c d H sqrt(iota)``, ``iota = log(2 d T / p)``, ``T = K H`` as in LSVI-UCB (the
  paper's ``beta = O~(d H)``; its absolute constant is not known here): ``c = 1`` is the
  default, any other c the named variant ``"scaled (c = ...)"``.

Exact oracles and references
----------------------------
* ``alpha = 0`` synchronises after every episode: the acting agent uploads its episode and
  downloads everything the server holds. With M = 1 the run is LSVI-UCB's on the K episodes,
  bit for bit (the same random stream; the schedule is drawn from a stream of its own). With
  M > 1 an agent still acts on the data of the system up to its own previous episode, not on
  the episodes others played since.
* :class:`~algorithms.linear.LSVIUCB` run for the K episodes of the system is the pooled
  reference: one agent that sees every episode at once.
* ``alpha = inf`` never communicates: M independent LSVI-UCB learners
  (:class:`IndependentLSVIUCB`), the control of the cooperation claim.

Implementation
--------------
The ridge statistics, the Sherman-Morrison updates and the planning kernel are LSVI-UCB's
(:func:`~algorithms.linear.lsvi_ucb.start_statistics`,
:func:`~algorithms.linear.lsvi_ucb.absorb_episode`,
:func:`~algorithms.linear.lsvi_ucb.plan_optimistic`): agents hold them stacked along a leading
agent axis, the server holds one set. An upload replays the agent's pending episodes into the
server's statistics with ``absorb_episode`` (the server's inverse and widths stay exact); a
download copies the server's arrays. The regret of episode k is the exact value
gap of the greedy policy agent ``m_k`` executed (evaluated on the tabular twin).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numba import njit

from algorithms._constants import scale_constants
from algorithms._episodic import (
    Environment,
    EpisodeLog,
    Simulation,
    act,
    check_budget,
    check_choice,
    check_open_unit,
    episodic_trace,
    record_episode,
)
from algorithms._validation import check_positive, check_refactor_every
from algorithms.linear.episodic_run import start_linear_run, unwrap_misspecified
from algorithms.linear.lsvi_ucb import (
    LAMBDA,
    PAPER_C,
    RidgeStatistics,
    absorb_episode,
    lsvi_ucb_beta,
    lsvi_ucb_bonus_metadata,
    plan_optimistic,
    start_statistics,
)
from mdptheory._kernels import (
    ReachableEvaluation,
    evaluate_deterministic_reachable,
    first_difference,
)
from mdptheory._validation import check_int
from mdptheory.linear import LinearMDP
from mdptheory.multi_agent_linear import MultiAgentLinearMDP, async_schedule, check_schedule
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike

PAPER = "Min, He, Wang, Gu (ICML 2023), arXiv:2305.06446"
PLAN_ON = ("local", "download")


def paper_alpha(n_agents: int) -> float:
    """The trigger threshold ``alpha = 1 / M^2`` of the communication bound [M: unverified].

    Examples
    --------
    >>> paper_alpha(4)
    0.0625
    """
    M = check_int(n_agents, "n_agents", 1)
    return 1.0 / (M * M)


def communication_bound(d: int, H: int, M: int, K: int, alpha: float, lam: float = LAMBDA) -> float:
    r"""Upper bound on the synchronisations (upload + download) of a run of K episodes.

    ``H (1 + d log2(1 + K / (d lambda))) (M + 1 + 1 / log(1 + alpha))``; with
    ``alpha = 1/M^2`` it is ``O(d H M^2 log K)``, the order of the paper's communication
    complexity. Derived here for this trigger (not the paper's constant): charge each
    synchronisation to a stage h whose determinant ratio fired; split the run, for that stage,
    into epochs in which ``det Lambda^ser_h`` stays within a factor 2 (at most
    ``1 + d log2(1 + K / (d lambda))`` of them, since ``det Lambda^ser_h <= (lambda + K/d)^d``).
    In an epoch, every upload of an agent whose copy was downloaded in the same epoch has
    ``det(Lambda_s + Delta) > (1 + alpha) det Lambda_s`` for the server matrix ``Lambda_s``
    at the epoch's start (the ratio decreases as the base grows), hence ``tr(Lambda_s^{-1/2}
    Delta Lambda_s^{-1/2}) > log(1 + alpha)``, while these traces sum to less than 1 before the
    epoch's last upload (``det(I + Y) >= 1 + tr Y`` and the factor 2). So an epoch holds at most
    ``1 + 1/log(1 + alpha)`` such uploads, plus one first upload per agent.

    Examples
    --------
    >>> round(communication_bound(4, 5, 4, 20_000, 1 / 16), 1)
    5390.1
    >>> communication_bound(4, 5, 4, 1000, 0.0)
    inf
    """
    if alpha == 0.0:
        return math.inf
    epochs = 1.0 + d * math.log2(1.0 + K / (d * lam))
    per_epoch = M + 1.0 + (0.0 if math.isinf(alpha) else 1.0 / math.log1p(alpha))
    return H * epochs * per_epoch


# ---------------------------------------------------------------------------------------------
# Compiled kernels
# ---------------------------------------------------------------------------------------------


class AgentStatistics(NamedTuple):
    """Every agent's LSVI-UCB statistics (downloaded copy plus local data), stacked on axis 0,
    its plan, its pending (un-uploaded) episodes and the communication counts."""

    Lambda: np.ndarray  # (M, H, d, d)
    Lambda_inv: np.ndarray  # (M, H, d, d)
    width2: np.ndarray  # (M, H, S A)
    b: np.ndarray  # (M, H, d)
    Mnext: np.ndarray  # (M, H, S, d)
    log_det: np.ndarray  # (M, H): log det(Lambda^ser_{m,h} + Delta Lambda^loc_{m,h})
    n_updates: np.ndarray  # (M, H)
    log_det_download: np.ndarray  # (M, H): log det Lambda^ser_{m,h}, the downloaded copy
    Q: np.ndarray  # (M, H, S, A)
    V: np.ndarray  # (M, H + 1, S)
    w: np.ndarray  # (M, H, d)
    policy: np.ndarray  # (M, H, S)
    head: np.ndarray  # (M,): first pending episode of each agent, -1 if none
    tail: np.ndarray  # (M,): last pending episode, -1 if none
    following: np.ndarray  # (K,): next pending episode of the same agent, -1 at the end
    states: np.ndarray  # (K, H + 1): every episode's states (the data an upload carries)
    actions: np.ndarray  # (K, H)
    uploads: np.ndarray  # (M,) int64
    downloads: np.ndarray  # (M,) int64
    synced: np.ndarray  # (K,) bool: the agent of episode k synchronised after it
    trigger_stage: np.ndarray  # (K,) int64: first stage whose ratio fired, -1 if none


def _agent_statistics(server: RidgeStatistics, M: int, K: int) -> AgentStatistics:
    """Each agent starts with a download of the empty server (lambda I, no data)."""

    def stack(array: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.repeat(array[None], M, axis=0))

    H = server.Lambda.shape[0]
    return AgentStatistics(
        stack(server.Lambda),
        stack(server.Lambda_inv),
        stack(server.width2),
        stack(server.b),
        stack(server.M),
        stack(server.log_det),
        stack(server.n_updates),
        stack(server.log_det),
        stack(np.zeros_like(server.Q)),
        stack(server.V),
        stack(server.w),
        stack(server.policy),
        np.full(M, -1, dtype=np.int64),
        np.full(M, -1, dtype=np.int64),
        np.full(K, -1, dtype=np.int64),
        np.zeros((K, H + 1), dtype=np.int64),
        np.zeros((K, H), dtype=np.int64),
        np.zeros(M, dtype=np.int64),
        np.zeros(M, dtype=np.int64),
        np.zeros(K, dtype=np.bool_),
        np.full(K, -1, dtype=np.int64),
    )


@njit(cache=True)
def _plan_agent(
    features: np.ndarray,
    R3: np.ndarray,
    agents: AgentStatistics,
    m: int,
    server: RidgeStatistics,
    beta: float,
) -> None:
    """LSVI-UCB's L3-L6 on agent m's statistics (the server's arrays serve as workspace)."""
    plan_optimistic(
        features,
        R3,
        agents.b[m],
        agents.Mnext[m],
        agents.Lambda_inv[m],
        agents.width2[m],
        beta,
        agents.Q[m],
        agents.V[m],
        agents.policy[m],
        agents.w[m],
        server.target,
        server.means,
    )


@njit(cache=True)
def _synchronise(
    features: np.ndarray,
    R3: np.ndarray,
    agents: AgentStatistics,
    m: int,
    server: RidgeStatistics,
    refactor_every: int,
) -> None:
    """Upload agent m's pending episodes into the server, then download the server's data."""
    k = agents.head[m]
    while k >= 0:
        absorb_episode(
            features,
            R3,
            agents.states[k],
            agents.actions[k],
            server.Lambda,
            server.Lambda_inv,
            server.width2,
            server.b,
            server.M,
            server.log_det,
            server.n_updates,
            refactor_every,
            server.u,
            server.z,
            server.potential,
        )
        k = agents.following[k]
    agents.head[m] = -1
    agents.tail[m] = -1
    agents.uploads[m] += 1
    agents.Lambda[m][:] = server.Lambda
    agents.Lambda_inv[m][:] = server.Lambda_inv
    agents.width2[m][:] = server.width2
    agents.b[m][:] = server.b
    agents.Mnext[m][:] = server.M
    agents.log_det[m][:] = server.log_det
    agents.n_updates[m][:] = server.n_updates
    agents.log_det_download[m][:] = server.log_det
    agents.downloads[m] += 1


@njit(cache=True)
def _episodes(
    features: np.ndarray,
    env: Environment,
    log: EpisodeLog,
    evaluation: ReachableEvaluation,
    agents: AgentStatistics,
    server: RidgeStatistics,
    schedule: np.ndarray,
    start: int,
    stop: int,
    rng,
    beta: float,
    log_trigger: float,
    plan_local: bool,
    refactor_every: int,
) -> None:
    """Episodes ``start..stop-1``: plan, evaluate exactly, act, keep the data locally, and
    synchronise when the determinant ratio of some stage exceeds ``1 + alpha``."""
    H = env.R3.shape[0]
    for k in range(start, stop):
        m = schedule[k]
        if plan_local:
            _plan_agent(features, env.R3, agents, m, server, beta)
        policy = agents.policy[m]
        first = first_difference(policy, evaluation)
        if first < H:
            evaluate_deterministic_reachable(env.P4, env.R3, policy, env.initial, evaluation, first)
        states, actions, rewards = act(env, policy, rng)
        record_episode(log, k, policy, agents.Q[m], evaluation.value[0], states, rewards)
        agents.states[k] = states
        agents.actions[k] = actions
        if agents.tail[m] < 0:
            agents.head[m] = k
        else:
            agents.following[agents.tail[m]] = k
        agents.tail[m] = k
        # The episode's data join the agent's local statistics.
        absorb_episode(
            features,
            env.R3,
            states,
            actions,
            agents.Lambda[m],
            agents.Lambda_inv[m],
            agents.width2[m],
            agents.b[m],
            agents.Mnext[m],
            agents.log_det[m],
            agents.n_updates[m],
            refactor_every,
            server.u,
            server.z,
            server.potential,
        )
        # Determinant-ratio trigger, in logs: log det(copy + local) - log det(copy).
        for h in range(H):
            if agents.log_det[m, h] - agents.log_det_download[m, h] > log_trigger:
                agents.trigger_stage[k] = h
                break
        if agents.trigger_stage[k] >= 0:
            _synchronise(features, env.R3, agents, m, server, refactor_every)
            agents.synced[k] = True
            if not plan_local:
                _plan_agent(features, env.R3, agents, m, server, beta)


# ---------------------------------------------------------------------------------------------
# Learners
# ---------------------------------------------------------------------------------------------


def _schedule_generator(rng: np.random.Generator) -> np.random.Generator:
    """A stream for the schedule that leaves ``rng`` (the episodes' stream) untouched."""
    bit_generator = rng.bit_generator
    if hasattr(bit_generator, "jumped"):
        return np.random.Generator(bit_generator.jumped())
    return rng.spawn(1)[0]


@dataclass(frozen=True)
class AsyncCoopLSVIUCB:
    r"""Async-Coop-LSVI-UCB (Min, He, Wang, Gu 2023): M agents, determinant-ratio communication.

    Parameters
    ----------
    agents : int
        M >= 1.
    alpha : float or None
        Trigger threshold: synchronise when ``det(copy + local) > (1 + alpha) det(copy)`` for
        some stage. ``None`` is ``1 / M^2`` (the paper's choice for its communication bound
        [M]); ``0`` synchronises after every episode (with M = 1, LSVI-UCB exactly), ``inf``
        never (M independent learners).
    c : float
        Constant of ``beta = c d H sqrt(iota)`` (as in :class:`~algorithms.linear.LSVIUCB`);
        ``c = 1`` is recorded as the paper's, any other value as ``"scaled (c = ...)"``.
    p : float
        Failure probability in (0, 1), enters iota.
    skew : float
        >= 0: the schedule, when not given, is :func:`~mdptheory.multi_agent_linear.
        async_schedule` with this skew, drawn from a stream of its own derived from the seed.
    plan_on : {"local", "download"}
        What the acting Q is computed from: the downloaded copy plus the local data, every
        episode (default), or the downloaded copy only, at each download.
    refactor_every : int
        Exact refactorisation of every ``Lambda^{-1}`` after this many rank-one updates.
    record_policies : bool
        Keep the executed policies and the final statistics (``server_Lambda`` (H, d, d),
        ``agent_Lambda`` (M, H, d, d), ``agent_log_det_download`` (M, H), ``states``,
        ``actions``) in ``trace.extras``.

    Notes
    -----
    ``run`` returns a :class:`~mdptheory.regret.RegretTrace` over the K episodes of all agents
    in the order they were played: ``pseudo_regret[k] = V*_1(rho) - V^{pi_k}_1(rho)`` for the
    greedy policy agent ``m_k`` executed, exact; ``realised_regret`` beside it. Extras:
    ``agent`` (K,), ``synced`` (K,), ``trigger_stage`` (K,), ``communication_rounds`` (K,):
    synchronisations up to and including episode k, ``uploads`` and ``downloads`` (M,) per
    agent, ``episodes_per_agent`` (M,), ``optimism_gap`` and ``optimistic``.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> phi = np.eye(2).reshape(2, 1, 2)                  # one action, one-hot states
    >>> mu = np.tile(np.full((2, 2), 0.5), (3, 1, 1))     # uniform next state
    >>> theta = np.tile([0.0, 1.0], (3, 1))
    >>> trace = AsyncCoopLSVIUCB(agents=3, c=0.01).run(LinearMDP(phi, mu, theta), 30, seed=0)
    >>> trace.pseudo_regret.shape, int(trace.extras["uploads"].sum()) > 0
    ((30,), True)
    """

    agents: int = 4
    alpha: float | None = None
    c: float = PAPER_C
    p: float = 0.05
    skew: float = 0.0
    plan_on: Literal["local", "download"] = "local"
    refactor_every: int = 1000
    record_policies: bool = False

    def __post_init__(self) -> None:
        check_int(self.agents, "agents", 1)
        if self.alpha is not None:
            if isinstance(self.alpha, bool) or not isinstance(self.alpha, (int, float)):
                raise ValueError(f"alpha must be a number >= 0 or None, got {self.alpha!r}")
            if math.isnan(self.alpha) or self.alpha < 0:
                raise ValueError(f"alpha must be >= 0 (inf allowed), got {self.alpha!r}")
        check_positive("c", self.c, allow_zero=True)
        check_open_unit(self.p, "p")
        check_positive("skew", self.skew, allow_zero=True)
        check_choice(self.plan_on, "plan_on", PLAN_ON)
        check_refactor_every(self.refactor_every)

    @property
    def trigger_alpha(self) -> float:
        """The alpha in use: ``1 / M^2`` unless given."""
        return paper_alpha(self.agents) if self.alpha is None else float(self.alpha)

    @property
    def constants(self) -> str:
        """E.g. ``"paper (c = 1), alpha = 1/M^2"`` or ``"scaled (c = 0.1), alpha = 0"``."""
        base = scale_constants(self.c, "paper (c = 1)", "no bonus (c = 0)", PAPER_C)
        alpha = "alpha = 1/M^2" if self.alpha is None else f"alpha = {float(self.alpha):g}"
        return f"{base}, {alpha}"

    @property
    def label(self) -> str:
        """E.g. ``Async-Coop-LSVI-UCB M=4 c=0.1``."""
        name = f"Async-Coop-LSVI-UCB M={self.agents}"
        if self.alpha is not None:
            name += f" alpha={float(self.alpha):g}"
        if self.c != PAPER_C:
            name += f" c={self.c:g}"
        if self.plan_on != "local":
            name += f" (plan on {self.plan_on})"
        return name

    def beta(self, d: int, H: int, K: int) -> float:
        """``beta = c d H sqrt(log(2 d K H / p))``, K the episodes of all agents."""
        return lsvi_ucb_beta(d, H, K, self.p, self.c)

    def run(
        self,
        model: LinearMDP | MultiAgentLinearMDP,
        budget: int,
        seed: SeedLike,
        schedule: np.ndarray | None = None,
    ) -> RegretTrace:
        """Run ``budget`` episodes of the whole system and return the exact regret trace.

        Parameters
        ----------
        model : LinearMDP, a misspecified pair (``.linear``, ``.mdp``) or MultiAgentLinearMDP
            The model every agent faces; a :class:`~mdptheory.multi_agent_linear.
            MultiAgentLinearMDP` also brings its schedule (its ``n_agents`` must equal
            ``agents`` and it must hold at least ``budget`` episodes).
        budget : int
            K, the episodes of all agents together.
        seed : int, SeedSequence or Generator
        schedule : array_like of int, optional
            Agent of each episode (length >= ``budget``); drawn with ``skew`` otherwise.

        Raises
        ------
        ValueError
            For what LSVI-UCB refuses (not a linear model, ``||phi|| > 1``, rewards outside
            [0, 1], a bad budget), a schedule entry outside ``0..agents-1`` (naming its index
            and value), a schedule shorter than the budget or a mismatched number of agents.
        """
        return episodic_trace(self, seed, self._simulate(model, budget, seed, schedule))

    def _simulate(self, model, budget: int, seed: SeedLike, schedule=None) -> Simulation:
        M = int(self.agents)
        K = check_budget(budget)
        if isinstance(model, MultiAgentLinearMDP):
            if model.n_agents != M:
                raise ValueError(
                    f"the model has n_agents = {model.n_agents}, the learner agents = {M}"
                )
            if schedule is None:
                schedule = model.schedule
            model = model.linear
        model, true_mdp = unwrap_misspecified(model, None)
        run = start_linear_run(model, true_mdp, K, seed, type(self).__name__, self.record_policies)
        if schedule is None:
            schedule = async_schedule(M, K, self.skew, seed=_schedule_generator(run.rng))
        schedule = check_schedule(schedule, M)
        if schedule.shape[0] < K:
            raise ValueError(
                f"the schedule has {schedule.shape[0]} episodes, fewer than the budget {K}"
            )
        schedule = np.ascontiguousarray(schedule[:K])
        features, H, d = run.features, run.H, run.d
        beta = float(self.beta(d, H, K))
        alpha = self.trigger_alpha
        log_trigger = math.log1p(alpha)
        server, _ = start_statistics(features, H, run.S, run.A, 0, False)
        agents = _agent_statistics(server, M, K)
        plan_local = self.plan_on == "local"
        if not plan_local:
            for m in range(M):
                _plan_agent(features, run.env.R3, agents, m, server, beta)
        run.simulate(
            _episodes,
            (agents, server, schedule),
            (beta, log_trigger, plan_local, int(self.refactor_every)),
        )
        per_agent = np.bincount(schedule, minlength=M).astype(np.int64)
        rounds = int(agents.synced.sum())
        extras: dict[str, np.ndarray] = {
            "agent": schedule,
            "synced": agents.synced,
            "trigger_stage": agents.trigger_stage,
            "communication_rounds": np.cumsum(agents.synced).astype(np.int64),
            "uploads": agents.uploads,
            "downloads": agents.downloads,
            "episodes_per_agent": per_agent,
        }
        if self.record_policies:
            extras.update(
                server_Lambda=server.Lambda,
                server_log_det=server.log_det,
                agent_Lambda=agents.Lambda,
                agent_log_det=agents.log_det,
                agent_log_det_download=agents.log_det_download,
                states=agents.states,
                actions=agents.actions,
            )
        return run.simulation(
            extras,
            dict(
                n_agents=M,
                alpha=alpha,
                alpha_default="1/M^2",
                **lsvi_ucb_bonus_metadata(self.c, beta, d, H, K, self.p),
                plan_on=self.plan_on,
                skew=self.skew,
                communication_rounds=rounds,
                uploads=int(agents.uploads.sum()),
                downloads=int(agents.downloads.sum()),
                communication_bound=communication_bound(d, H, M, K, alpha),
                **run.environment_metadata(),
                paper=f"{PAPER}, Algorithm 1 (trigger form and alpha recalled, unverified)",
            ),
        )


@dataclass(frozen=True)
class IndependentLSVIUCB(AsyncCoopLSVIUCB):
    """M independent LSVI-UCB learners (``alpha = inf``: no communication), the control.

    Examples
    --------
    >>> IndependentLSVIUCB(agents=3).label
    'Async-Coop-LSVI-UCB M=3 alpha=inf'
    """

    alpha: float | None = math.inf

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.alpha != math.inf:
            raise ValueError(
                f"independent learners never communicate (alpha = inf), got {self.alpha!r}"
            )


@dataclass(frozen=True)
class SyncEveryEpisodeLSVIUCB(AsyncCoopLSVIUCB):
    """Synchronisation after every episode (``alpha = 0``), the control that communicates most.

    With one agent it is LSVI-UCB bit for bit; with M agents it makes K synchronisations.

    Examples
    --------
    >>> SyncEveryEpisodeLSVIUCB(agents=2).constants
    'paper (c = 1), alpha = 0'
    """

    alpha: float | None = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.alpha != 0.0:
            raise ValueError(f"synchronisation every episode has alpha = 0, got {self.alpha!r}")
