"""Speed of reward-free exploration on a linear mixture MDP at d = 10, H = 20, 10^4 episodes.

Run: ``python bench/reward_free.py`` (``--quick`` for 10^3 episodes).

What is printed
---------------
Instance: ``random_linear_mixture_mdp(S=20, A=5, H=20, d=10, seed=0)`` (total reward <= 1).

1. The compile (or cache-load) time of a first short run.
2. The exploration phase of :class:`algorithms.reward_free.HorizonFreeRFE` alone: K = 10 000
   episodes of the compiled loop (per episode O(d^3 + S A d^2 + H d S^2 A)), median of 3
   repetitions with their spread (target: under 30 s), and the per-episode time.
3. The whole run: exploration plus the planning phase at 12 checkpoints, each planning and
   judging exactly the 1 + 8 + H S = 409 rewards of the battery.
4. The tabular baseline :class:`algorithms.reward_free.RFExpress` (per episode O(H S^2 A)) on
   the same instance for scale, exploration plus planning.
5. The HOME-weighted learner :class:`algorithms.reward_free.HFUCRLRFE` (``hf-rfe``, scaled
   variant c = 1e-4): its exploration loop alone (per episode O(M d^3 + H (d S^2 A + S A d^2)
   + H (d^3 + d S) + H M (d S + d^2)), M = ceil(log2(4 K H)) = 20 moment orders at K = 10^4;
   the H (d^3 + d S) is the uncertainty-directed target of every step), median of 3, and the
   ratio of its per-episode time to the indicator-target learner's of item 2.
"""

from __future__ import annotations

import numpy as np
from _timing import command_line, median_time, timed

from algorithms.reward_free import HFUCRLRFE, HorizonFreeRFE, RFExpress
from algorithms.reward_free.hf_rfe import _explore, start_exploration
from algorithms.reward_free.hf_ucrl_rfe import _explore as _explore_weighted
from algorithms.reward_free.hf_ucrl_rfe import start_weighted
from instances.linear_mixture import random_linear_mixture_mdp


def exploration_only(model, K: int, seed: int = 0) -> None:
    """The compiled exploration loop of HorizonFreeRFE for K episodes, without planning."""
    env, basis2, G, radii, state = start_exploration(model, K, HorizonFreeRFE().delta)
    _explore(env, state, basis2, G, radii, 1.0, 0, K, np.random.default_rng(seed))


def weighted_exploration_only(model, K: int, c: float = 1e-4, seed: int = 0) -> None:
    """The compiled exploration loop of HFUCRLRFE for K episodes, without planning."""
    env, basis2, G, beta, alpha, gamma, home = start_weighted(model, K, HFUCRLRFE().delta)
    _explore_weighted(
        env, home, basis2, G, beta, c, alpha, gamma, 0, K, np.random.default_rng(seed)
    )


def main() -> None:
    args = command_line(__doc__, "10^3 episodes instead of 10^4")
    K = 1_000 if args.quick else 10_000
    model = random_linear_mixture_mdp(S=20, A=5, H=20, d=10, seed=0)
    print(f"instance {model.name}, K = {K:,}")
    _, first = timed(lambda: HorizonFreeRFE().run(model, 10, 0))
    print(f"compile or cache load (first short run): {first:.2f} s")
    spread = median_time(lambda: exploration_only(model, K), repeats=3)
    print(
        f"HF-RFE exploration, K = {K:,}: {spread.format(unit='s')} "
        f"({spread.median / K * 1e3:.3f} ms per episode; target under 30 s at K = 10^4)"
    )
    trace, total = timed(lambda: HorizonFreeRFE().run(model, K, 0))
    print(
        f"HF-RFE exploration + planning at {trace.gap.size} checkpoints "
        f"({trace.metadata['battery_size']} rewards each): {total:.2f} s; worst "
        f"sub-optimality at K: {trace.gap[-1]:.4g}"
    )
    HFUCRLRFE(c=1e-4).run(model, 10, 0)
    weighted = median_time(lambda: weighted_exploration_only(model, K), repeats=3)
    print(
        f"HF-UCRL-RFE x1e-4 exploration, K = {K:,}: {weighted.format(unit='s')} "
        f"({weighted.median / K * 1e3:.3f} ms per episode, "
        f"{weighted.median / spread.median:.2f}x the indicator-target learner)"
    )
    RFExpress(c=0.001).run(model, 10, 0)
    trace, total = timed(lambda: RFExpress(c=0.001).run(model, K, 0))
    print(
        f"RF-Express x0.001 exploration + planning: {total:.2f} s; worst sub-optimality at "
        f"K: {trace.gap[-1]:.4g}"
    )


if __name__ == "__main__":
    main()
