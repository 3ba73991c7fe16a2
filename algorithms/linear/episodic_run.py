"""What the online linear-MDP learners share around their compiled loops: the checks of a linear
model and of the environment it acts in, the set-up of a run, and ``run`` itself.

Every learner of this package (and the cooperative one of :mod:`algorithms.multi_agent`) runs
the same steps before and after its own compiled episodes:

* :func:`check_linear_models` takes the features (``||phi|| <= 1``, Assumption A of Jin et al.
  2020) and the environment, the model's exact tabular twin or a given ``true_mdp``
  (:func:`unwrap_misspecified` reads a misspecified pair);
* :func:`start_linear_run` adds the budget, the regret oracle with its empty log and the random
  stream, in one :class:`LinearRun` whose :meth:`LinearRun.simulate` runs a compiled loop over
  chunks of episodes with the arguments every such loop takes first;
* :class:`LinearEpisodicLearner` gives the learners their ``run``: the
  :func:`~algorithms._episodic.episodic_trace` of the learner's ``_simulate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, NamedTuple

import numpy as np

from algorithms._episodic import (
    Environment,
    EpisodeLog,
    Simulation,
    check_budget,
    environment,
    episodic_trace,
    simulate,
    start_log,
)
from algorithms._validation import check_unit_rewards
from mdptheory._kernels import ReachableEvaluation
from mdptheory.linear import LinearMDP
from mdptheory.regret import RegretTrace
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP

FEATURE_NORM_TOL = 1e-9
"""Slack on ``||phi(x, a)|| <= 1``."""


def unwrap_misspecified(model: object, true_mdp: object) -> tuple[object, object]:
    """A misspecified pair (nominal features ``.linear``, true dynamics ``.mdp``), e.g. from the
    catalogue's misspecified_linear_mdp: learn with its features, act in its true MDP."""
    if (
        not isinstance(model, LinearMDP)
        and true_mdp is None
        and isinstance(getattr(model, "linear", None), LinearMDP)
        and isinstance(getattr(model, "mdp", None), EpisodicMDP)
    ):
        return model.linear, model.mdp
    return model, true_mdp


def check_linear_models(
    model: object, true_mdp: object, learner: str
) -> tuple[np.ndarray, Environment, EpisodicMDP]:
    """Features (S A, d), the environment's arrays and the environment, after checking what
    Theorem 3.1 assumes."""
    if not isinstance(model, LinearMDP):
        raise ValueError(
            f"{learner} needs a LinearMDP (features phi, mu, theta) or a pair "
            f"with .linear and .mdp, got {type(model).__name__}: {model!r}"
        )
    phi = np.ascontiguousarray(model.phi, dtype=np.float64)
    S, A, d = phi.shape
    norms = np.linalg.norm(phi, axis=2)
    if (norms > 1.0 + FEATURE_NORM_TOL).any():
        s, a = np.unravel_index(int(np.argmax(norms)), norms.shape)
        raise ValueError(
            f"||phi[{s}, {a}]|| is {float(norms[s, a])!r} > 1; Assumption A of "
            f"Jin et al. (2020) needs ||phi(x, a)|| <= 1"
        )
    if true_mdp is None:
        env = model.tabular()
    else:
        if not isinstance(true_mdp, EpisodicMDP):
            raise ValueError(
                f"true_mdp must be an EpisodicMDP, got {type(true_mdp).__name__}: {true_mdp!r}"
            )
        if (true_mdp.S, true_mdp.A, true_mdp.H) != (S, A, model.H):
            raise ValueError(
                f"true_mdp has (S, A, H) = {(true_mdp.S, true_mdp.A, true_mdp.H)}, "
                f"the features' model has {(S, A, model.H)}"
            )
        env = true_mdp
    check_unit_rewards(np.asarray(env.R, dtype=np.float64), learner, "clip at H and Theorem 3.1")
    features = np.ascontiguousarray(phi.reshape(S * A, d))
    return features, environment(env), env


def environment_metadata(true_mdp: object, env_model: EpisodicMDP) -> dict[str, str]:
    """Which environment a run acted in, for its metadata: ``environment`` (``"true_mdp"`` or
    ``"model.tabular()"``, see :func:`check_linear_models`) and its ``environment_repr``."""
    return dict(
        environment="true_mdp" if true_mdp is not None else "model.tabular()",
        environment_repr=repr(env_model),
    )


class LinearRun(NamedTuple):
    """A linear learner's run once its inputs are checked: the model it learns with, the
    features (S A, d), the environment (arrays and model), the sizes, the log with its regret
    oracle, the workspace of the exact evaluation and the random stream."""

    model: LinearMDP
    features: np.ndarray
    env: Environment
    env_model: EpisodicMDP
    true_mdp: EpisodicMDP | None
    K: int
    H: int
    S: int
    A: int
    d: int
    log: EpisodeLog
    evaluation: ReachableEvaluation
    rng: np.random.Generator

    def simulate(
        self, episodes: Callable[..., Any], state: tuple[Any, ...], constants: tuple[Any, ...]
    ) -> None:
        """Run the compiled loop ``episodes(features, env, log, evaluation, *state, start,
        stop, rng, *constants)`` over chunks of the K episodes
        (:func:`algorithms._episodic.simulate`)."""
        features, env, log, evaluation, rng = (
            self.features,
            self.env,
            self.log,
            self.evaluation,
            self.rng,
        )
        simulate(
            log,
            lambda start, stop: episodes(
                features, env, log, evaluation, *state, start, stop, rng, *constants
            ),
        )

    def environment_metadata(self) -> dict[str, str]:
        """:func:`environment_metadata` of this run."""
        return environment_metadata(self.true_mdp, self.env_model)

    def simulation(self, extras: dict[str, np.ndarray], metadata: dict[str, Any]) -> Simulation:
        """The finished run with the learner's own ``extras`` and ``metadata``."""
        return Simulation(self.model, self.log, extras, metadata)


def start_linear_run(
    model: object,
    true_mdp: object,
    budget: object,
    seed: SeedLike,
    learner: str,
    record_policies: bool,
    exact_regret: bool = True,
) -> LinearRun:
    """Check ``model`` (:func:`check_linear_models`) and ``budget``, then step (1) of every
    linear learner: the regret oracle on the environment and the empty log
    (:func:`algorithms._episodic.start_log`; ``exact_regret=False`` leaves the pseudo-regret
    NaN, for timing), with the random stream of ``seed``.

    Examples
    --------
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> run = start_linear_run(simplex_feature_linear_mdp(S=4, A=2, H=3, d=2), None, 5, 0,
    ...                        "LSVIUCB", False)
    >>> run.features.shape, (run.K, run.H, run.S, run.A, run.d), run.log.pseudo.shape
    ((8, 2), (5, 3, 4, 2, 2), (5,))
    """
    features, env, env_model = check_linear_models(model, true_mdp, learner)
    K = check_budget(budget)
    H, S, A = env.R3.shape
    log, evaluation = start_log(env, K, record_policies, exact_regret)
    return LinearRun(
        model,
        features,
        env,
        env_model,
        true_mdp,
        K,
        H,
        S,
        A,
        features.shape[1],
        log,
        evaluation,
        as_generator(seed),
    )


class LinearEpisodicLearner:
    """``run`` of an online linear learner: the exact regret trace of the :class:`LinearRun`
    its ``_learn(run)`` makes into a :class:`~algorithms._episodic.Simulation`."""

    accepts_misspecified_pair: ClassVar[bool] = False
    """Whether ``run`` reads a misspecified pair (:func:`unwrap_misspecified`)."""

    def run(
        self, model: LinearMDP, budget: int, seed: SeedLike, true_mdp: EpisodicMDP | None = None
    ) -> RegretTrace:
        """Run ``budget`` episodes and return the exact regret trace.

        Parameters
        ----------
        model : LinearMDP
            Features ``phi`` (``||phi|| <= 1`` required) and, unless ``true_mdp`` is given, the
            environment (its exact tabular twin). What more a learner takes or needs (a
            misspecified pair, a horizon-free model) is in its class notes.
        budget : int
            Number of episodes K (also enters the log factor of the radii).
        seed : int, SeedSequence or Generator
        true_mdp : EpisodicMDP, optional
            The environment when it differs from the linear model (misspecification
            experiments): transitions, known rewards r_h and the regret oracle come from it.
            Its (S, A, H) must match the model's.

        Raises
        ------
        ValueError
            For a model that is not a LinearMDP, a feature of norm > 1, rewards outside
            [0, 1], a model the learner's class notes exclude, a mismatched ``true_mdp`` or a
            budget that is not a positive int.
        """
        return episodic_trace(self, seed, self._simulate(model, budget, seed, true_mdp=true_mdp))

    def _simulate(
        self,
        model: object,
        budget: int,
        seed: SeedLike,
        exact_regret: bool = True,
        true_mdp: EpisodicMDP | None = None,
    ) -> Simulation:
        """The run of :meth:`run` before it becomes a trace; ``exact_regret=False`` skips the
        exact evaluation (``pseudo`` is NaN), which ``bench/online.py`` times against it."""
        if self.accepts_misspecified_pair:
            model, true_mdp = unwrap_misspecified(model, true_mdp)
        run = start_linear_run(
            model, true_mdp, budget, seed, type(self).__name__, self.record_policies, exact_regret
        )
        return self._learn(run)
