"""The axes of a check's figure, and those several checks share.

Checks that plot the same quantity against the same variable (regret against episodes,
sub-optimality against the size of the data set) label their figures from one :class:`Axes`
record, so the report's figures of one family read alike and a label is corrected in one place::

    return found.outcome(axes=ICVAR_REGRET, title="ICVaR-RM: regret in K")
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from proofs_check.harness import Evidence

Scale = Literal["linear", "log"]


@dataclass(frozen=True)
class Axes:
    """Labels and scales of a figure (the ``xlabel``, ``ylabel``, ``xscale``, ``yscale`` of
    :class:`~proofs_check.harness.Evidence`).

    Examples
    --------
    >>> Axes("episodes K", "regret", yscale="linear").labels()
    {'xlabel': 'episodes K', 'ylabel': 'regret', 'xscale': 'log', 'yscale': 'linear'}
    """

    xlabel: str
    ylabel: str
    xscale: Scale = "log"
    yscale: Scale = "log"

    def __post_init__(self) -> None:
        Evidence(**self.labels())  # checked now as the evidence will check them

    def labels(self) -> dict[str, str]:
        """The four fields as keyword arguments of :class:`~proofs_check.harness.Evidence`."""
        return asdict(self)


EPISODE_REGRET = Axes("episodes K", "cumulative exact pseudo-regret")
"""Online episodic learners: exact cumulative pseudo-regret against the episodes."""
ICVAR_REGRET = Axes("episodes K", "cumulative exact iterated-CVaR regret")
"""Risk-sensitive learners: exact iterated-CVaR regret against the episodes."""
ICVAR_LOWER_BOUND = Axes("episodes K (instance tuned to K)", "exact iterated-CVaR regret")
"""Iterated-CVaR lower bounds, on a hard instance built for each K."""
GAP_REGRET = Axes("steps T", "cumulative gap regret")
"""Average-reward learners: cumulative gap regret against the steps."""
DUELING_REGRET = Axes("rounds T", "cumulative pseudo-regret (Delta_i + Delta_j) / 2")
"""Dueling bandits: the average of the compared arms' gaps, summed over the rounds."""
OFFLINE_SUBOPTIMALITY = Axes("episodes n in the data set", "exact sub-optimality", yscale="linear")
"""Offline learners: exact sub-optimality of the returned policy against the data size."""
ROBUST_SUBOPTIMALITY = Axes(
    "episodes n in the data set", "exact robust sub-optimality V*_rob - V^pi_hat_rob"
)
"""Robust offline learners: exact robust sub-optimality against the data size."""
REWARD_FREE_ERROR = Axes("exploration episodes K", "max_r |V_hat*(rho; r) - V*(rho; r)|")
"""Reward-free exploration: the planner's worst value error over the rewards."""
JOINT_GAP = Axes("update k", "V*(rho) - V^{pi_k}(rho)")
"""Multi-agent policy updates: the gap of the joint policy after each update."""

__all__ = [
    "DUELING_REGRET",
    "EPISODE_REGRET",
    "GAP_REGRET",
    "ICVAR_LOWER_BOUND",
    "ICVAR_REGRET",
    "JOINT_GAP",
    "OFFLINE_SUBOPTIMALITY",
    "REWARD_FREE_ERROR",
    "ROBUST_SUBOPTIMALITY",
    "Axes",
]
