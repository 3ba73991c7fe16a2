r"""The PEVI learners: :class:`PEVI` (Jin, Yang, Wang, ICML 2021, Algorithm 2, linear MDPs) and
:class:`TabularPEVI` (one-hot features, count-based penalties).

Each is a frozen dataclass of hyperparameters: ``fit(model, data)`` returns a
:class:`~algorithms.offline.pevi.result.PEVIResult` with the exact sub-optimality and the
data-dependent bound, ``run(model, budget, seed)`` collects a log and fits every prefix
(:func:`~algorithms.offline.pevi.curves.pevi_curves`). The algorithm, its constants and which
code implements which step: :mod:`algorithms.offline.pevi`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from algorithms._constants import scale_constants
from algorithms._validation import check_budget, check_choice, check_open_unit, check_positive
from algorithms.offline.datasets import (
    Behaviour,
    OfflineDataset,
    TransitionCounts,
    collect,
    epsilon_optimal_behaviour,
    optimal_policy,
    partial_coverage_behaviour,
    tabular_twin,
    uniform_behaviour,
)
from algorithms.offline.pevi._validation import _check_linear_model, _check_rewards, _statistics
from algorithms.offline.pevi.backup import _backward, _linear_estimates
from algorithms.offline.pevi.curves import pevi_curves
from algorithms.offline.pevi.penalty import LAMBDA, PAPER_C, XI, pevi_beta, pevi_zeta
from algorithms.offline.pevi.result import PEVIResult, _finish
from mdptheory.evaluation import occupancy
from mdptheory.linear import LinearMDP
from mdptheory.regret import ConvergenceTrace, trace_metadata
from mdptheory.seeding import SeedLike

__all__ = ["BEHAVIOURS", "PEVI", "TabularPEVI"]

PAPER = "Jin, Yang, Wang (ICML 2021), arXiv:2012.15085"

BEHAVIOURS = ("uniform", "epsilon_optimal")


def offline_trace_metadata(
    learner: Any,
    model: Any,
    seed: SeedLike,
    budget: int,
    behaviour: Behaviour,
    quantity: str,
    **extra: Any,
) -> dict[str, Any]:
    """The metadata of an offline learner's run trace: :func:`mdptheory.regret.trace_metadata`
    with the learner's label, constants and paper, the collection ``behaviour``, the ``extra``
    entries and the ``quantity`` traced.

    Examples
    --------
    >>> from algorithms.offline.datasets import uniform_behaviour
    >>> from instances.linear import simplex_feature_linear_mdp
    >>> model = simplex_feature_linear_mdp(S=3, A=2, H=2, d=2, seed=0)
    >>> meta = offline_trace_metadata(PEVI(), model, 0, 10, uniform_behaviour(model), "gap")
    >>> meta["label"], meta["behaviour"], meta["quantity"]
    ('PEVI', 'uniform', 'gap')
    """
    return trace_metadata(
        learner,
        model,
        seed,
        budget,
        label=learner.label,
        constants=learner.constants,
        behaviour=behaviour.name,
        **extra,
        quantity=quantity,
        paper=learner.paper,
    )


@dataclass(frozen=True)
class PEVI:
    r"""PEVI for linear MDPs (Jin, Yang, Wang, ICML 2021, Algorithm 2).

    Parameters
    ----------
    c : float
        Constant in ``beta = c d H sqrt(zeta)``, ``zeta = log(2 d H K / xi)``. ``c = 1`` is the
        default (``"paper (c = 1)"``; the paper leaves its absolute constant open); any other
        value is the named scaling ``"scaled (c = ...)"``, e.g. :data:`TUNED_C`. ``c = 0`` is
        the greedy control (:class:`GreedyLSVI`).
    xi : float
        Confidence parameter in (0, 1).
    lam : float
        Ridge parameter lambda > 0 (the paper's is 1).
    behaviour : {"uniform", "epsilon_optimal"}
        Only used by :meth:`run`: the behaviour that collects its data set (uniform over
        actions by default; ``"epsilon_optimal"`` is ``(1 - epsilon) pi* + epsilon uniform``).
    epsilon : float
        Mixture weight of ``"epsilon_optimal"``.
    exclude : str
        Only used by :meth:`run`: ``(h, s, a)`` triples the behaviour never takes, written
        ``"h,s,a;h,s,a"`` (command line: ``--hp exclude=0,0,2``), giving partial coverage
        (:func:`~algorithms.offline.datasets.partial_coverage_behaviour`). Empty: full coverage.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory.linear import LinearMDP
    >>> from algorithms.offline.datasets import collect
    >>> phi = np.eye(2).reshape(1, 2, 2)                 # one state, two actions, d = 2
    >>> model = LinearMDP(phi, np.ones((2, 1, 2)), theta=[[0.2, 0.8], [0.2, 0.8]])
    >>> data = collect(model, "uniform", n_episodes=400, seed=0)
    >>> result = PEVI(c=0.05).fit(model, data)
    >>> result.policy.tolist(), result.suboptimality, result.good_event
    ([[1], [1]], 0.0, True)
    """

    c: float = PAPER_C
    xi: float = XI
    lam: float = LAMBDA
    behaviour: Literal["uniform", "epsilon_optimal"] = "uniform"
    epsilon: float = 0.5
    exclude: str = ""

    tabular = False
    name = "PEVI"
    control_name = "greedy LSVI"
    algorithm = "Algorithm 2"
    beta_formula = "beta = c d H sqrt(zeta), zeta = log(2 d H K / xi)"
    paper = PAPER
    paper_c = PAPER_C
    """The paper's constant c, for :attr:`constants` and :attr:`label`."""

    def __post_init__(self) -> None:
        check_positive("c", self.c, allow_zero=True)
        check_open_unit(self.xi, "xi")
        self._check_ridge()
        check_choice(self.behaviour, "behaviour", BEHAVIOURS)
        if not (0.0 <= float(self.epsilon) <= 1.0):
            raise ValueError(f"epsilon must lie in [0, 1], got {self.epsilon!r}")
        self.excluded_triples()

    def _check_ridge(self) -> None:
        check_positive("lam", self.lam)

    @property
    def constants(self) -> str:
        """``"paper (c = 1)"``, ``"none (greedy control)"`` or ``"scaled (c = ...)"``."""
        return scale_constants(self.c, "paper (c = 1)", "none (greedy control)", self.paper_c)

    @property
    def label(self) -> str:
        """Short name for plots: ``PEVI``, ``PEVI c=0.05`` or the control's name."""
        if self.c == 0.0:
            return self.control_name
        if self.c == self.paper_c:
            return self.name
        return f"{self.name} c={self.c:g}"

    def _beta(self, d: int, H: int, K: float) -> float:
        return pevi_beta(d, H, K, self.xi, self.c)

    def beta(self, model: LinearMDP, n_episodes: float) -> float:
        """``beta = c d H sqrt(log(2 d H K / xi))`` for this model and ``K = n_episodes``."""
        return self._beta(model.d, model.H, float(n_episodes))

    def fit(self, model: LinearMDP, data: OfflineDataset | TransitionCounts) -> PEVIResult:
        """Algorithm 2 on ``data``; exact sub-optimality and bound from the model's twin.

        Parameters
        ----------
        model : LinearMDP
            Supplies the features (``||phi|| <= 1`` required) and, through ``.tabular()``,
            the exact evaluation of the output policy. The fit never reads ``mu`` or
            ``theta``.
        data : OfflineDataset or TransitionCounts
            A log, or its (possibly population) counts. ``K = data.n_episodes`` enters zeta.

        Returns
        -------
        PEVIResult

        Raises
        ------
        ValueError
            For a model that is not a LinearMDP, a feature of norm > 1, a mean reward outside
            [0, 1], or data of another (S, A, H).
        """
        model, features = _check_linear_model(model, type(self).__name__)
        mdp = model.tabular()
        stats = _statistics(mdp, data)
        beta = self._beta(model.d, model.H, stats.n_episodes)
        gram, chol, widths2 = _linear_estimates(features, stats, self.lam)
        fitted = _backward(stats, beta, self.lam, features, chol, widths2)
        return self._result(mdp, stats, model.d, fitted, gram, beta)

    def _result(self, mdp, stats, d, fitted, gram, beta) -> PEVIResult:
        """A fit's result: the exact quantities on the twin (``_finish``) and the metadata."""
        K = stats.n_episodes
        metadata = {
            "paper": f"{PAPER}, {self.algorithm}",
            "constants": self.constants,
            "beta_formula": self.beta_formula,
            "clip": "[0, H - h + 1] (paper stages), [0, H - h] (code stages)",
        }
        zeta = pevi_zeta(d, mdp.H, K, self.xi)
        return _finish(
            self.label,
            mdp,
            *fitted,
            gram,
            beta,
            self.lam,
            float(self.c),
            float(self.xi),
            zeta,
            K,
            metadata,
        )

    def excluded_triples(self) -> list[tuple[int, int, int]]:
        """The ``(h, s, a)`` triples of :attr:`exclude`."""
        triples = []
        for part in filter(None, (p.strip() for p in self.exclude.split(";"))):
            fields = part.split(",")
            try:
                triple = tuple(int(f) for f in fields)
            except ValueError:
                triple = ()
            if len(triple) != 3:
                raise ValueError(
                    f"exclude entry {part!r} is not 'h,s,a' (three integers); "
                    "separate entries with ';'"
                )
            triples.append(triple)
        return triples

    def _collection_behaviour(self, model: Any) -> Behaviour:
        if self.behaviour == "uniform":
            base = uniform_behaviour(model)
        else:
            base = epsilon_optimal_behaviour(model, self.epsilon)
        excluded = self.excluded_triples()
        if excluded:
            return partial_coverage_behaviour(model, excluded, base=base)
        return base

    def _collect(
        self, model: Any, budget: int, seed: SeedLike
    ) -> tuple[int, Behaviour, OfflineDataset]:
        """What :meth:`run` fits on: the checked budget, the collection behaviour
        (:meth:`_collection_behaviour`) and ``budget`` episodes of it."""
        budget = check_budget(budget, "number of episodes")
        behaviour = self._collection_behaviour(model)
        return budget, behaviour, collect(model, behaviour, budget, seed)

    def _run_metadata(
        self, model: Any, seed: SeedLike, budget: int, behaviour: Behaviour
    ) -> dict[str, Any]:
        """The metadata of :meth:`run`'s trace: the learner, the collection ``behaviour`` and
        the quantity, the sub-optimality after each number of episodes up to ``budget``."""
        return offline_trace_metadata(
            self,
            model,
            seed,
            budget,
            behaviour,
            "sub-optimality V*_1(rho) - V^pi_hat_1(rho) after n = t episodes of data",
        )

    def expected_bound(self, model: Any, n_episodes) -> np.ndarray:
        """The bound at the expected Gram matrix of :meth:`run`'s behaviour, for each n given.

        ``2 beta(n) sum_h E_{pi*} ||phi(s_h, a_h)||_{(n Sigma_h + lambda I)^{-1}}`` with
        ``Sigma_h = E_mu[phi phi^T]`` at stage h (tabular: ``1 / sqrt(n d^mu_h(s, a) +
        lambda)``): the value the data-dependent bound concentrates around (a plug-in, not a
        bound on the expectation). Exact, from the occupancies of pi* and the behaviour.
        """
        n = np.atleast_1d(np.asarray(n_episodes, dtype=np.float64))
        if (n <= 0).any() or not np.isfinite(n).all():
            raise ValueError(f"n_episodes must be finite and > 0, got {n_episodes!r}")
        mdp = tabular_twin(model)
        d_star = occupancy(mdp, optimal_policy(mdp)).reshape(mdp.H, -1)
        d_mu = occupancy(mdp, self._collection_behaviour(model).policy).reshape(mdp.H, -1)
        if self.tabular:
            widths = 1.0 / np.sqrt(n[:, None, None] * d_mu[None] + self.lam)
            dim = mdp.S * mdp.A
        else:
            model, features = _check_linear_model(model, type(self).__name__)
            dim = model.d
            widths = np.empty((n.size, mdp.H, features.shape[0]))
            for h in range(mdp.H):
                # n Sigma_h + lam I = U (n D + lam) U^T, so every n costs one division.
                sigma = features.T @ (d_mu[h, :, None] * features)
                eigval, eigvec = np.linalg.eigh(0.5 * (sigma + sigma.T))
                coords = (features @ eigvec) ** 2
                widths[:, h] = np.sqrt(
                    coords @ (1.0 / (n[None, :] * np.maximum(eigval, 0.0)[:, None] + self.lam))
                ).T
        uncertainty = (widths * d_star[None]).sum(axis=(1, 2))
        betas = np.array([self._beta(dim, mdp.H, float(k)) for k in n])
        return 2.0 * betas * uncertainty

    def reference_curve(self, model: Any, budget: int) -> tuple[str, np.ndarray] | None:
        """``mdptheory run``'s theory line: :meth:`expected_bound` for n = 1..budget (None for
        the greedy control, which has no bound)."""
        if self.c == 0.0:
            return None
        return (
            f"bound at E[Lambda] ({self.constants})",
            self.expected_bound(model, np.arange(1, int(budget) + 1)),
        )

    def run(self, model: Any, budget: int, seed: SeedLike) -> ConvergenceTrace:
        """Collect ``budget`` episodes with the default behaviour and fit on every prefix.

        The learner protocol of ``mdptheory run``: the data set is ``budget`` episodes of
        :attr:`behaviour` (uniform by default), and ``gap[n - 1]`` is the exact
        sub-optimality of this learner fitted on the first ``n`` episodes, ``n = 1..budget``
        (one compiled pass, :func:`pevi_curves`). ``extras`` hold, on the same prefixes (paired
        data): ``greedy_gap`` (the greedy control), ``bound`` (``2 beta sum_h E_{pi*}||phi||``),
        ``beta``, ``estimated_value`` (``V_hat_1(rho)``), ``good_event``, ``pessimistic`` and
        ``n_episodes``. Cost: one fit per prefix, O(budget H (S A d^2 + d^3 + S^2 A)).

        Raises
        ------
        ValueError
            As :meth:`fit`, or for a budget that is not a positive int.
        """
        budget, behaviour, data = self._collect(model, budget, seed)
        control = type(self)(c=0.0, xi=self.xi, lam=self.lam)
        learners = (self,) if self.c == 0.0 else (self, control)
        grid = np.arange(1, budget + 1)
        curves = pevi_curves(model, data, grid, learners)
        extras = {
            "greedy_gap": curves.suboptimality[:, -1],
            "bound": curves.bound[:, 0],
            "beta": curves.betas[:, 0],
            "estimated_value": curves.estimated_value[:, 0],
            "good_event": curves.good_event[:, 0],
            "pessimistic": curves.pessimistic[:, 0],
            "n_episodes": grid,
        }
        return ConvergenceTrace(
            curves.suboptimality[:, 0], extras, self._run_metadata(model, seed, budget, behaviour)
        )


@dataclass(frozen=True)
class TabularPEVI(PEVI):
    r"""Tabular PEVI: Algorithm 2 with one-hot features and count-based penalties.

    ``Q_bar_h(s, a) = (R_h(s, a) + sum_s' N_h(s, a, s') V_hat_{h+1}(s')) / (N_h(s, a) +
    lambda) - beta / sqrt(N_h(s, a) + lambda)``, clipped to ``[0, H - h + 1]``, with
    ``beta = c S A H sqrt(log(2 S A H K / xi))`` (Jin et al.'s linear theorem with d = S A).
    Works on an :class:`EpisodicMDP` or on the twin of any model with ``.tabular()``.
    ``c = 0`` is greedy tabular value iteration on the empirical model (ridge-shrunk).

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> from algorithms.offline.datasets import collect
    >>> mdp = EpisodicMDP(np.full((1, 2, 1), 1.0), [[0.3, 0.7]], H=2)
    >>> result = TabularPEVI(c=0.05).fit(mdp, collect(mdp, "uniform", 200, seed=0))
    >>> result.policy.tolist(), result.good_event
    ([[1], [1]], True)
    """

    tabular = True
    name = "PEVI-tabular"
    control_name = "greedy VI (tabular)"
    algorithm = "Algorithm 2 with one-hot features (d = S A)"
    beta_formula = "beta = c S A H sqrt(zeta), zeta = log(2 S A H K / xi)"

    def beta(self, model: Any, n_episodes: float) -> float:
        """``beta = c S A H sqrt(log(2 S A H K / xi))``."""
        mdp = tabular_twin(model)
        return self._beta(mdp.S * mdp.A, mdp.H, float(n_episodes))

    def fit(self, model: Any, data: OfflineDataset | TransitionCounts) -> PEVIResult:
        """Tabular PEVI on ``data``; exact sub-optimality and bound from the twin.

        Raises
        ------
        ValueError
            For a model without an episodic twin, a mean reward outside [0, 1], or data of
            another (S, A, H).
        """
        mdp = tabular_twin(model)
        _check_rewards(mdp, type(self).__name__)
        stats = _statistics(mdp, data)
        d = mdp.S * mdp.A
        beta = self._beta(d, mdp.H, stats.n_episodes)
        widths2 = 1.0 / (stats.counts.reshape(mdp.H, -1) + self.lam)
        fitted = _backward(stats, beta, self.lam, None, None, widths2)
        return self._result(mdp, stats, d, fitted, None, beta)
