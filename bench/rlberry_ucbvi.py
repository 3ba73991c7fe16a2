"""UCBVI with exact per-episode regret against rlberry 0.6.0's UCBVIAgent, alternated rounds.

Run: ``python bench/rlberry_ucbvi.py --rlberry-python /path/to/python``, where that interpreter
has ``rlberry==0.6.0``, ``gymnasium==0.29.1`` (rlberry 0.6.0 fails to import with gymnasium 1.x)
and ``numba`` (without it rlberry's planning loop runs in pure Python, about 25x slower).
rlberry is not a dependency of this project, so it lives in its own environment; this script
starts it once as a worker process and asks it for one timed ``fit`` per round.

What is printed
---------------
Both learners run ``K`` episodes (default 1000) of UCBVI with the Hoeffding bonus at the paper's
scale, H = 20, on an open 5x5 gridworld: rlberry's ``GridWorld(5, 5)`` (S = 25, A = 4) and
this project's ``gridworld`` of ``bench/tabular.py`` (S = 26 with the terminal state, slip 0.1),
which also evaluates the executed policy exactly every episode. Each round times one run of
each (rlberry's time is measured inside its process, so the pipe is not counted; each side
warms up first, so no compilation is timed). Printed: the median [min, max] seconds per K
episodes of each and of the per-round ratio rlberry / ours. Target: ratio >= 20.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
from _timing import Spread, command_line

BENCH = Path(__file__).resolve().parent

WORKER = textwrap.dedent(
    """
    import sys, time
    import rlberry.utils.logging as rl_logging
    rl_logging.set_level("WARNING")
    from rlberry.agents import UCBVIAgent
    from rlberry.envs import GridWorld
    env = GridWorld(nrows=5, ncols=5, walls=())
    def run(K):
        agent = UCBVIAgent(env, horizon=20, gamma=1.0, real_time_dp=False, bonus_scale_factor=1.0)
        start = time.perf_counter()
        agent.fit(budget=K)
        return time.perf_counter() - start
    run(50)  # compile rlberry's numba kernels
    for line in sys.stdin:
        print(run(int(line)), flush=True)
    """
)


def main(argv: list[str] | None = None) -> None:
    args = command_line(
        __doc__,
        "K = 200 episodes and 3 rounds",
        argv,
        rlberry_python={"required": True, "help": "interpreter with rlberry 0.6.0 and numba"},
        episodes={"type": int, "default": 1000, "help": "episodes per run"},
        rounds={"type": int, "default": 7, "help": "alternated rounds"},
    )
    K, rounds = (200, 3) if args.quick else (args.episodes, args.rounds)
    from algorithms.tabular import UCBVI
    from instances.tabular import gridworld

    tabular = runpy.run_path(str(BENCH / "tabular.py"))
    mdp = gridworld(tabular["OPEN_5X5"], slip=0.1, H=20, step_cost=0.0, trap_reward=0.0)
    learner = UCBVI(bonus="hoeffding")
    learner.run(mdp, 50, seed=0)  # compile or load the cached kernels

    worker = subprocess.Popen(
        [args.rlberry_python, "-c", WORKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    ours, theirs = [], []
    try:
        for r in range(rounds):
            # The order alternates so neither side is always first after a pause.
            for side in ("ours", "theirs") if r % 2 == 0 else ("theirs", "ours"):
                if side == "ours":
                    start = time.perf_counter()
                    learner.run(mdp, K, seed=r)  # the whole call: checks, oracle, loop, trace
                    ours.append(time.perf_counter() - start)
                else:
                    worker.stdin.write(f"{K}\n")
                    worker.stdin.flush()
                    theirs.append(float(worker.stdout.readline()))
    finally:
        worker.stdin.close()
        worker.wait()
    ratio = Spread.of(np.asarray(theirs) / np.asarray(ours))
    print(f"UCBVI-CH, open 5x5 gridworld, H = 20, K = {K} episodes, {rounds} alternated rounds")
    print(f"  rlberry 0.6.0 UCBVIAgent          {Spread.of(theirs).format(unit='s')}")
    print(f"  mdptheory UCBVI (exact regret)    {Spread.of(ours).format(unit='s')}")
    verdict = "met" if ratio.median >= 20 else "not met"
    print(f"  rlberry / mdptheory = {ratio.format()} (target >= 20: {verdict})")


if __name__ == "__main__":
    sys.exit(main())
