"""Speed of iterated-CVaR dynamic programming against an LP-per-state reference, same process.

Run: ``python bench/risk.py`` (``--quick`` for a smaller LP slice).

What is printed
---------------
* Iterated-CVaR backward induction (:func:`mdptheory.risk.icvar_backward_induction`) on a dense
  random stationary MDP with S=200, A=10, H=50 at alpha in {0.05, 0.5, 1}: the compiled DP
  sorts ``V_{h+1}`` once per stage and walks each distribution in that order until mass alpha
  is covered.
* A plain numpy reference run on the same model: one argsort per stage too, but every
  distribution's cumulative sums are formed densely (``np.cumsum`` over all S atoms), i.e. no
  early stop.
* The LP-per-state reference: what CVaR backups cost when each state's A CVaRs are computed by
  one cvxpy problem (the Rockafellar-Uryasev LP, A separable blocks, Clarabel). It is run on a
  slice (a few states of the last-but-one stage, with the DP's own ``V_{h+1}``), its Q-values
  are compared with the DP's on that slice, and its time per state is extrapolated to the
  S * H state-stage pairs of the full problem. The printed ratio is
  ``extrapolated LP time / DP time``.
"""

from __future__ import annotations

import numpy as np
from _timing import best_time, command_line, median_time, timed

from mdptheory import EpisodicMDP
from mdptheory.risk import icvar_backward_induction


def random_mdp(S: int, A: int, H: int, seed: int = 0) -> EpisodicMDP:
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S))
    P /= P.sum(axis=-1, keepdims=True)
    return EpisodicMDP(P, rng.random((S, A)), H, initial=np.full(S, 1.0 / S))


def numpy_icvar(mdp: EpisodicMDP, alpha: float) -> np.ndarray:
    """Plain numpy iterated-CVaR DP: one argsort per stage, dense cumulative sums, no early stop."""
    P = mdp.transition(0)
    V = np.zeros(mdp.S)
    values = np.zeros((mdp.H, mdp.S))
    for h in range(mdp.H - 1, -1, -1):
        order = np.argsort(V, kind="stable")
        sorted_v = V[order]
        F = np.cumsum(P[:, :, order], axis=-1)
        previous = np.concatenate([np.zeros((*F.shape[:-1], 1)), F[..., :-1]], axis=-1)
        weights = (np.minimum(F, alpha) - np.minimum(previous, alpha)) / alpha
        V = (mdp.R[h] + weights @ sorted_v).max(axis=1)
        values[h] = V
    return values


def lp_state_backup(P_s: np.ndarray, V: np.ndarray, alpha: float) -> np.ndarray:
    """The A CVaRs of one state by one cvxpy LP with A separable Rockafellar-Uryasev blocks."""
    import cvxpy as cp

    A, S = P_s.shape
    x = cp.Variable(A)
    z = cp.Variable((A, S), nonneg=True)
    constraints = [z >= x[:, None] - V[None, :]]
    blocks = x - cp.sum(cp.multiply(P_s, z), axis=1) / alpha
    problem = cp.Problem(cp.Maximize(cp.sum(blocks)), constraints)
    problem.solve(solver="CLARABEL", tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    return np.asarray(blocks.value, dtype=np.float64)


def bench(S: int, A: int, H: int, n_slice: int, alphas: tuple[float, ...]) -> None:
    mdp = random_mdp(S, A, H)
    print(f"Iterated-CVaR DP, dense random stationary MDP S={S} A={A} H={H}")
    icvar_backward_induction(mdp, 0.5)  # compile (or load the cache) first
    for alpha in alphas:
        runs = median_time(lambda a=alpha: icvar_backward_induction(mdp, a), repeats=5)
        dp = runs.median
        reference = best_time(lambda a=alpha: numpy_icvar(mdp, a), repeats=1)
        sol = icvar_backward_induction(mdp, alpha)
        agree = float(np.abs(numpy_icvar(mdp, alpha) - sol.values).max())
        print(
            f"  alpha={alpha:<5g} DP median {runs.format(1e3, 'ms')} "
            f"({dp / (S * H) * 1e6:.2f} us per state-stage); plain numpy "
            f"{reference * 1e3:8.1f} ms -> {reference / dp:.1f}x "
            f"faster; max |V_DP - V_numpy| = {agree:.1e}"
        )
        # LP per state on a slice: stage H - 2 with the DP's V_{H-1}.
        h = H - 2
        V_next = sol.values[h + 1]
        P = mdp.transition(h)
        lp_state_backup(P[0], V_next, alpha)  # warm cvxpy's caches
        q_lp, seconds = timed(
            lambda h=h, P=P, V_next=V_next, a=alpha: np.array(
                [mdp.R[h, s] + lp_state_backup(P[s], V_next, a) for s in range(n_slice)]
            )
        )
        per_state = seconds / n_slice
        error = float(np.abs(q_lp - sol.q[h, :n_slice]).max())
        full = per_state * S * H
        print(
            f"  alpha={alpha:<5g} LP per state: {per_state * 1e3:.1f} ms/state on a "
            f"{n_slice}-state slice (max |Q_LP - Q_DP| = {error:.1e}); extrapolated to "
            f"{S * H} state-stages {full:.1f} s -> LP / DP = {full / dp:.0f}"
        )


def main() -> None:
    args = command_line(__doc__, "smaller LP slice")
    bench(S=200, A=10, H=50, n_slice=4 if args.quick else 20, alphas=(0.05, 0.5, 1.0))


if __name__ == "__main__":
    main()
