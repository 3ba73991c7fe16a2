"""Speed of the tabular learners (UCBVI, Q-learning with UCB) with exact regret every episode.

Run: ``python bench/tabular.py`` (``--quick`` for fewer episodes).

What is printed
---------------
For each learner and instance: the compile (or cache-load) time of the first call, episodes
per second of the compiled run (exact pseudo-regret of the executed policy every episode
included), the same for a plain numpy implementation of the same algorithm run here on fewer
episodes, their ratio, whether both give the same regret on the shared prefix of episodes (same
seed, same random draws), and the per-episode cost in the first and last tenth of the run
(it must not grow with k; it rises a little early on, while
unvisited pairs still take the cheap ``Q = H`` branch, then stays flat).

Instances: ``garnet(S=10, A=3, branching=3, H=10)`` with K = 100 000 (the target is seconds),
and a 5x5 gridworld (S = 26 with the terminal state, A = 4, H = 20, slip 0.1) with K = 10 000.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
from _timing import command_line, timed

from algorithms.tabular import UCBVI, QLearningUCB
from instances.tabular import garnet, gridworld

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from episodic_oracles import optimal_q, policy_value, stage_kernel

OPEN_5X5 = "S....\n.....\n.....\n.....\n....G"


# --------------------------------------------------------------------------------------------
# Plain numpy baselines: vectorised over (state, action) where the algorithm allows, an
# interpreted loop over episodes and steps. They draw the same random numbers in the same
# order as the compiled runs (deterministic rewards), so the regrets must agree. The exact
# values are those of the tests' oracles (tests/episodic_oracles.py).
# --------------------------------------------------------------------------------------------


def _optimal_value(mdp) -> float:
    return float(mdp.initial @ optimal_q(mdp)[0].max(axis=1))


def _last_positive(P: np.ndarray) -> np.ndarray:
    """Index of the last positive entry of each row (where a draw past the rounded total lands)."""
    return P.shape[-1] - 1 - np.argmax((P > 0)[..., ::-1], axis=-1)


def _draw(cdf: np.ndarray, last: int, u: float) -> int:
    # Inverse-CDF rule of the compiled sampler: first index whose cumulative sum exceeds u.
    return min(int(np.searchsorted(cdf, u, side="right")), int(last))


def numpy_ucbvi(mdp, K: int, seed: int, bernstein: bool, delta: float = 0.05) -> np.ndarray:
    S, A, H = mdp.S, mdp.A, mdp.H
    rng = np.random.default_rng(seed)
    L = math.log(5 * S * A * K * H / delta)
    P = stage_kernel(mdp, 0)
    cdf, last = np.cumsum(P, axis=2), _last_positive(P)
    init_cdf, init_last = np.cumsum(mdp.initial), _last_positive(mdp.initial)
    counts = np.zeros((S, A, S))
    visits = np.zeros((H + 1, S))
    Q = np.full((H, S, A), float(H))
    v_star = _optimal_value(mdp)
    pseudo = np.empty(K)
    big = 1e4 * H**3 * S**2 * A * L**2
    for k in range(K):
        n = counts.sum(axis=2)
        safe = np.maximum(n, 1.0)
        p_hat = counts / safe[:, :, None]
        V = np.zeros(S)
        policy = np.empty((H, S), dtype=np.int64)
        for h in reversed(range(H)):
            mean = p_hat @ V
            if bernstein:
                var = np.einsum("sat,sat->sa", p_hat, (V[None, None, :] - mean[:, :, None]) ** 2)
                with np.errstate(divide="ignore"):
                    term = np.where(
                        visits[h + 1] == 0, H * H, np.minimum(big / visits[h + 1], H * H)
                    )
                b = (
                    np.sqrt(8 * L * var / safe)
                    + 14 * H * L / (3 * safe)
                    + np.sqrt(8 * (p_hat @ term) / safe)
                )
            else:
                b = 7 * H * L / np.sqrt(safe)
            q = np.minimum(np.minimum(Q[h], H), mdp.R[h] + mean + b)
            Q[h] = np.where(n == 0, float(H), q)
            V = Q[h].max(axis=1)
            policy[h] = Q[h].argmax(axis=1)
        pseudo[k] = v_star - policy_value(mdp, policy)
        x = _draw(init_cdf, init_last, rng.random())
        visits[0, x] += 1
        for h in range(H):
            a = policy[h, x]
            y = _draw(cdf[x, a], last[x, a], rng.random())
            counts[x, a, y] += 1
            visits[h + 1, y] += 1
            x = y
    return pseudo


def numpy_q_learning(mdp, K: int, seed: int, c: float, p: float = 0.05) -> np.ndarray:
    S, A, H = mdp.S, mdp.A, mdp.H
    rng = np.random.default_rng(seed)
    iota = math.log(S * A * K * H / p)
    cdfs = [np.cumsum(stage_kernel(mdp, h), axis=2) for h in range(H)]
    lasts = [_last_positive(stage_kernel(mdp, h)) for h in range(H)]
    init_cdf, init_last = np.cumsum(mdp.initial), _last_positive(mdp.initial)
    Q = np.full((H, S, A), float(H))
    V = np.zeros((H + 1, S))
    V[:H] = H
    N = np.zeros((H, S, A))
    v_star = _optimal_value(mdp)
    pseudo = np.empty(K)
    for k in range(K):
        policy = Q.argmax(axis=2)
        pseudo[k] = v_star - policy_value(mdp, policy)
        x = _draw(init_cdf, init_last, rng.random())
        for h in range(H):
            a = policy[h, x]
            y = _draw(cdfs[h][x, a], lasts[h][x, a], rng.random())
            N[h, x, a] += 1
            t = N[h, x, a]
            alpha = (H + 1) / (H + t)
            target = mdp.R[h, x, a] + V[h + 1, y] + c * math.sqrt(H**3 * iota / t)
            Q[h, x, a] = (1 - alpha) * Q[h, x, a] + alpha * target
            V[h, x] = min(H, Q[h, x].max())
            x = y
    return pseudo


# --------------------------------------------------------------------------------------------


def bench(learner, reference, mdp, K: int, K_reference: int) -> None:
    _, first_call = timed(lambda: learner.run(mdp, 2, seed=0))
    trace, compiled = timed(lambda: learner.run(mdp, K, seed=0))
    ref, plain = timed(lambda: reference(mdp, K_reference))
    # Same seed, same draws: the compiled run with budget K_reference must give the same
    # regret (the budget enters the log factor, so compare runs of equal budget).
    same = np.allclose(learner.run(mdp, K_reference, seed=0).pseudo_regret, ref, rtol=0, atol=1e-9)
    rate = K / compiled
    rate_plain = K_reference / plain
    tenth = max(1, K // 10)
    early = trace.episode_time[:tenth].mean() * 1e6
    middle = trace.episode_time[K // 2 - tenth // 2 : K // 2 + tenth // 2 + 1].mean() * 1e6
    late = trace.episode_time[-tenth:].mean() * 1e6
    print(
        f"  {learner.label:22s} first call {first_call:6.2f} s | compiled {rate:10,.0f} ep/s "
        f"({compiled:5.2f} s for K={K:,}) | numpy {rate_plain:8,.0f} ep/s | ratio "
        f"{rate / rate_plain:4.0f}x | same regret: {same} | us/episode first/middle/last "
        f"tenth {early:5.1f}/{middle:5.1f}/{late:5.1f} | Regret(K) {trace.cumulative[-1]:,.0f}"
    )


def main() -> None:
    args = command_line(__doc__, "fewer episodes")
    scale = 10 if args.quick else 1
    cases = [
        (garnet(S=10, A=3, branching=3, H=10, seed=0), 100_000 // scale, 300 // scale),
        (
            gridworld(OPEN_5X5, slip=0.1, H=20, step_cost=0.0, trap_reward=0.0),
            10_000 // scale,
            100 // scale,
        ),
    ]
    learners = [
        (UCBVI(bonus="hoeffding"), lambda m, K: numpy_ucbvi(m, K, 0, bernstein=False)),
        (UCBVI(bonus="bernstein"), lambda m, K: numpy_ucbvi(m, K, 0, bernstein=True)),
        (QLearningUCB(), lambda m, K: numpy_q_learning(m, K, 0, c=QLearningUCB().c)),
        (QLearningUCB(c=0.1), lambda m, K: numpy_q_learning(m, K, 0, c=0.1)),
    ]
    for mdp, K, K_reference in cases:
        print(f"{mdp.name}: S={mdp.S}, A={mdp.A}, H={mdp.H}")
        for learner, reference in learners:
            bench(learner, reference, mdp, K, K_reference)


if __name__ == "__main__":
    main()
