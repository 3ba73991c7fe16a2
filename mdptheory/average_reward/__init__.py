"""Average-reward ground truth: classification, optimal gain and bias, span, diameter, gaps.

* :mod:`~mdptheory.average_reward.classification`: unichain / multichain, communicating,
  weakly communicating, from the supports of the kernel (``scipy.sparse.csgraph``).
* :mod:`~mdptheory.average_reward.gain_bias`: optimal gain ``rho*`` and bias ``h*`` by
  multichain policy iteration with a certificate; gain and bias of a policy by one linear
  solve; span; Bellman gaps ``rho* + h*(s) - r(s, a) - (P h*)(s, a)``.
* :mod:`~mdptheory.average_reward.diameter`: minimum expected hitting times by one
  stochastic-shortest-path solve per target, and the diameter ``D``.
* :mod:`~mdptheory.average_reward.lp`: the primal and occupancy-dual LPs (cvxpy), a
  cross-check.

Every function takes a :class:`~mdptheory.tabular.FiniteMDP` and ignores its ``gamma``.
:func:`summary` gathers ``rho*``, ``h*``, ``sp(h*)`` and ``D``.

Examples
--------
>>> import numpy as np
>>> from mdptheory import FiniteMDP
>>> P = np.array([[[0.9, 0.1], [0.85, 0.15]], [[0.1, 0.9], [0.1, 0.9]]])
>>> info = summary(FiniteMDP(P, [[0.0, 0.0], [1.0, 1.0]], gamma=0.9))
>>> round(info.gain, 12), info.bias.round(12).tolist(), round(info.span, 12)
(0.6, [0.0, 4.0], 4.0)
>>> round(info.diameter.value, 12)                # 1 / 0.1 steps from state 1 to state 0
10.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory.average_reward.classification import (
    Classification,
    classify,
    maximal_end_components,
)
from mdptheory.average_reward.diameter import (
    Diameter,
    HittingTimes,
    diameter,
    min_hitting_times,
)
from mdptheory.average_reward.gain_bias import (
    NORMALISATION,
    MultichainOptimum,
    PolicyGainBias,
    bellman_gaps,
    chain_gain_bias,
    multichain_policy_iteration,
    optimal_gain_bias,
    policy_gain_bias,
    recurrent_classes,
    span,
)
from mdptheory.average_reward.lp import AverageRewardLP, average_reward_lp
from mdptheory.planning import AverageRewardSolution
from mdptheory.tabular import FiniteMDP


@dataclass(frozen=True)
class AverageRewardSummary:
    """``rho*``, ``h*``, ``sp(h*)``, ``D``, the gaps and the classification of one model.

    Attributes
    ----------
    gain : float
        ``rho*``.
    bias : ndarray, shape (S,)
        ``h*`` with ``min_s h*(s) = 0``.
    span : float
        ``sp(h*)``.
    diameter : Diameter
    gaps : ndarray, shape (S, A)
        Bellman gaps.
    classification : Classification
    solution : AverageRewardSolution
        The policy-iteration result behind ``gain`` and ``bias``.
    """

    gain: float
    bias: np.ndarray
    span: float
    diameter: Diameter
    gaps: np.ndarray
    classification: Classification
    solution: AverageRewardSolution


def summary(mdp: FiniteMDP) -> AverageRewardSummary:
    """Everything exact about ``mdp`` under the average-reward criterion, in one call.

    Raises
    ------
    ValueError
        When the optimal gain depends on the start state (names two closed classes).
    """
    solution = optimal_gain_bias(mdp)
    return AverageRewardSummary(
        gain=solution.gain,
        bias=solution.bias,
        span=span(solution.bias),
        diameter=diameter(mdp),
        gaps=bellman_gaps(mdp, solution),
        classification=classify(mdp),
        solution=solution,
    )


__all__ = [
    "NORMALISATION",
    "AverageRewardLP",
    "AverageRewardSummary",
    "Classification",
    "Diameter",
    "HittingTimes",
    "MultichainOptimum",
    "PolicyGainBias",
    "average_reward_lp",
    "bellman_gaps",
    "chain_gain_bias",
    "classify",
    "diameter",
    "maximal_end_components",
    "min_hitting_times",
    "multichain_policy_iteration",
    "optimal_gain_bias",
    "policy_gain_bias",
    "recurrent_classes",
    "span",
    "summary",
]
