r"""What MDVI, LS-MDVI and VWLS-MDVI share: the problem, the sampler, the MDVI recursion and the
trace.

The MDVI recursion (Kozuno et al. 2022, Algorithm 1; Kitamura et al. 2023, Algorithm 1, as
recalled in ``theory-wave2.md`` 7.6 [M]) with KL weight ``tau`` and entropy weight ``kappa``,
``alpha = tau / (tau + kappa)``, ``beta = 1 / (tau + kappa)``:

.. math::

    v_k = w_k - \alpha w_{k-1}, \quad
    q_{k+1} = r + \gamma \hat P_k v_k, \quad
    s_{k+1} = q_{k+1} + \alpha s_k, \quad
    w_{k+1}(s) = \tfrac1\beta \log \textstyle\sum_a e^{\beta s_{k+1}(s, a)},

with :math:`\pi_{k+1} \propto \exp(\beta s_{k+1})`; ``beta = inf`` is the limit the analyses
use (``w_k = max_a s_k``, greedy policies). :math:`\hat P_k v_k` is a sample mean at every pair
(tabular) or a (weighted) least-squares prediction from samples at the points of a design
(linear). With exact expectations the recursion is exact regularised value iteration: its
fixed point is ``s = q / (1 - alpha)`` where ``q`` is the entropy-regularised optimal Q with
temperature ``kappa = (1 - alpha) / beta``
(:math:`q = r + \gamma P [\kappa \log \sum_a e^{q / \kappa}]`), and ``q = Q*`` for
``beta = inf``.

The trace of every generative learner is a :class:`~mdptheory.regret.ConvergenceTrace`: entry
``k`` is the exact sub-optimality :math:`\|V^\star - V^{\pi_k}\|_\infty` of the policy after
iteration ``k`` and ``extras["iteration"]`` the generative samples spent so far (the x-axis);
``extras["value_error"]`` is :math:`\|V^\star - v_k\|_\infty`, the error of the value estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from numba import njit

from algorithms._validation import check_budget, check_unit_rewards
from mdptheory._kernels import sample_categorical
from mdptheory._validation import ParameterTypeError, check_int, check_real
from mdptheory.evaluation import evaluate
from mdptheory.optimal_design import Design, frank_wolfe_design
from mdptheory.planning import solve
from mdptheory.regret import ConvergenceTrace
from mdptheory.tabular import FiniteMDP

LINEARITY_TOL = 1e-8
"""Largest residual of the kernel and reward rows on the span of the features for a model to
count as a linear MDP."""

DESIGN_TOL = 1e-2
"""Frank–Wolfe stops at ``g <= (1 + DESIGN_TOL) d``."""


@dataclass(frozen=True)
class GenerativeProblem:
    """A discounted model with features, ready for the generative learners.

    Attributes
    ----------
    mdp : FiniteMDP
        The true model (sampled from, and evaluated exactly).
    phi : ndarray, shape (S * A, d) or None
        Features of the pairs, row ``s * A + a`` (``None`` for the tabular learner).
    r : ndarray, shape (S * A,)
        Mean rewards, row ``s * A + a``.
    v_star : ndarray, shape (S,)
        Exact optimal values.
    indptr, indices, data : ndarray
        The kernel as CSR rows ``s * A + a`` (zero-probability successors dropped).
    """

    mdp: FiniteMDP
    phi: np.ndarray | None
    r: np.ndarray
    v_star: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray

    @property
    def S(self) -> int:
        return self.mdp.S

    @property
    def A(self) -> int:
        return self.mdp.A

    @property
    def gamma(self) -> float:
        return float(self.mdp.gamma)

    @property
    def horizon(self) -> float:
        """The effective horizon ``1 / (1 - gamma)``."""
        return 1.0 / (1.0 - self.gamma)


def _split_model(model) -> tuple[FiniteMDP, np.ndarray | None]:
    if isinstance(model, FiniteMDP):
        return model, None
    mdp = getattr(model, "mdp", None)
    phi = getattr(model, "phi", None)
    if isinstance(mdp, FiniteMDP) and phi is not None:
        return mdp, np.asarray(phi, dtype=np.float64)
    raise ValueError(
        "model must be a discounted FiniteMDP or a discounted model with features (an object "
        f"with .mdp, a FiniteMDP, and .phi of shape (S, A, d)), got {type(model).__name__}"
    )


def _check_linear(mdp: FiniteMDP, phi: np.ndarray) -> None:
    """Refuse features on which the kernel or the rewards are not linear (to LINEARITY_TOL),
    naming the worst pair: least squares on them would be misspecified."""
    rows = mdp.P_matrix()
    dense = rows.toarray() if sp.issparse(rows) else np.asarray(rows)
    targets = np.hstack([dense, mdp.R.reshape(-1, 1)])
    coefficients, *_ = np.linalg.lstsq(phi, targets, rcond=None)
    residual = np.abs(phi @ coefficients - targets).max(axis=1)
    worst = int(np.argmax(residual))
    if residual[worst] > LINEARITY_TOL:
        s, a = divmod(worst, mdp.A)
        raise ValueError(
            f"the kernel and rewards are not linear in phi: the row of pair (s={s}, a={a}) is "
            f"{residual[worst]:.3g} away from the span of the features (tolerance "
            f"{LINEARITY_TOL:g}); the least-squares learners need a linear MDP"
        )


def generative_problem(model, name: str, features: bool) -> GenerativeProblem:
    """The problem of a learner ``name``; ``features`` asks for ``phi`` (one-hot on a plain
    FiniteMDP: the tabular case of a linear MDP, d = S A)."""
    mdp, phi = _split_model(model)
    check_unit_rewards(mdp.R[None], name, "sample sizes and value ranges")
    if features:
        if phi is None:
            phi = np.eye(mdp.S * mdp.A)
        else:
            if phi.ndim != 3 or phi.shape[:2] != (mdp.S, mdp.A) or phi.shape[2] < 1:
                raise ValueError(
                    f"phi has shape {phi.shape}, expected (S, A, d) = ({mdp.S}, {mdp.A}, d)"
                )
            phi = phi.reshape(mdp.S * mdp.A, -1)
            if not np.isfinite(phi).all():
                i = int(np.flatnonzero(~np.isfinite(phi).all(axis=1))[0])
                raise ValueError(f"phi[{i // mdp.A}, {i % mdp.A}] has a non-finite entry")
            _check_linear(mdp, phi)
        phi = np.ascontiguousarray(phi)
    else:
        phi = None
    rows = sp.csr_array(mdp.P_matrix())
    rows.eliminate_zeros()
    rows.sort_indices()
    return GenerativeProblem(
        mdp,
        phi,
        np.ascontiguousarray(mdp.R.reshape(-1), dtype=np.float64),
        solve(mdp).values,
        rows.indptr.astype(np.int64),
        rows.indices.astype(np.int64),
        rows.data.astype(np.float64),
    )


@njit(cache=True)
def _sampled_moments(indptr, indices, data, pairs, counts, v, uniforms, mean, mean_square):
    """Draw ``counts[i]`` next states at pair row ``pairs[i]`` (one uniform each, in order) and
    store the sample means of ``v`` and ``v**2``: O(sum counts * branching)."""
    used = 0
    for i in range(pairs.shape[0]):
        row = pairs[i]
        start, stop = indptr[row], indptr[row + 1]
        probabilities = data[start:stop]
        total = 0.0
        total_square = 0.0
        for _ in range(counts[i]):
            value = v[indices[start + sample_categorical(probabilities, uniforms[used])]]
            used += 1
            total += value
            total_square += value * value
        mean[i] = total / counts[i]
        mean_square[i] = total_square / counts[i]


def sample_moments(problem: GenerativeProblem, pairs, counts, v, rng) -> tuple[np.ndarray, ...]:
    """Sample means of ``v(s')`` and ``v(s')**2`` with ``counts[i]`` fresh draws at pair row
    ``pairs[i]``; the uniforms come from ``rng`` in row-major order."""
    uniforms = rng.random(int(counts.sum()))
    mean = np.empty(pairs.shape[0])
    mean_square = np.empty(pairs.shape[0])
    _sampled_moments(
        problem.indptr,
        problem.indices,
        problem.data,
        pairs,
        counts,
        v,
        uniforms,
        mean,
        mean_square,
    )
    return mean, mean_square


def soft_max(s: np.ndarray, beta: float) -> np.ndarray:
    """``w(s) = (1/beta) log sum_a exp(beta s(s, a))``, ``max_a s(s, a)`` for ``beta = inf``."""
    top = s.max(axis=1)
    if np.isinf(beta):
        return top
    return top + np.log(np.exp(beta * (s - top[:, None])).sum(axis=1)) / beta


def policy_of(s: np.ndarray, beta: float) -> np.ndarray:
    """``pi ∝ exp(beta s)``: greedy (int, first maximiser) for ``beta = inf``."""
    if np.isinf(beta):
        return np.argmax(s, axis=1).astype(np.int64)
    logits = beta * (s - s.max(axis=1, keepdims=True))
    weights = np.exp(logits)
    return weights / weights.sum(axis=1, keepdims=True)


def check_mdvi_parameters(alpha, beta, iterations) -> None:
    """The hyperparameters every MDVI learner shares, refused with their name and value."""
    if alpha is not None:
        check_real(alpha, "alpha", 0.0, 1.0, high_open=True)
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, (int, float, np.number)):
        raise ParameterTypeError(f"beta must be a number > 0 or inf, got {beta!r}")
    if np.isnan(beta) or beta <= 0:
        raise ValueError(f"beta must be a number > 0 or inf, got {beta!r}")
    if iterations is not None:
        check_int(iterations, "iterations", 1)


@dataclass(frozen=True)
class MDVIParameters:
    """What every MDVI learner is parameterised by (the learners extend it).

    Parameters
    ----------
    alpha : float or None
        ``tau / (tau + kappa)`` in [0, 1); ``None`` is ``gamma``.
    beta : float
        ``1 / (tau + kappa)``, > 0; ``inf`` (default) is the greedy limit of the analyses.
    iterations : int or None
        ``K``; ``None`` is ``ceil(log(H^2 sqrt(budget)) / (1 - alpha))``.
    """

    alpha: float | None = None
    beta: float = float("inf")
    iterations: int | None = None

    def __post_init__(self) -> None:
        check_mdvi_parameters(self.alpha, self.beta, self.iterations)

    def _start(self, model, budget, name: str, features: bool):
        """The checked budget, the problem, ``alpha`` and ``K`` of a run."""
        budget = check_budget(budget, "generative samples")
        problem = generative_problem(model, name, features)
        alpha = problem.gamma if self.alpha is None else float(self.alpha)
        K = self.iterations or default_iterations(alpha, problem.gamma, budget)
        return budget, problem, alpha, K


def default_iterations(alpha: float, gamma: float, budget: int) -> int:
    """``K = ceil(log(H^2 sqrt(N)) / (1 - alpha))`` for a budget of ``N`` samples, ``H = 1 / (1 -
    gamma)``: then ``alpha^K H <= 1 / (H sqrt(N))``, so the bias of ``K`` iterations stays below
    the sampling error, of order ``N^{-1/2}``, at every budget. The analyses take
    ``K = O~(1 / (1 - alpha))`` iterations with the log of ``H / eps`` (Kozuno et al. 2022,
    Theorem 1, recalled [M]); a budget-driven run reads ``eps`` from ``N``, and ``K`` grows only
    as ``log N``."""
    horizon = 1.0 / (1.0 - gamma)
    return max(1, int(np.ceil(np.log(horizon**2 * np.sqrt(budget)) / (1.0 - alpha))))


class Recorder:
    """The exact sub-optimality of each iteration's policy and the error of its value estimate,
    against the cumulative sample count (a policy equal to the last one is not re-evaluated)."""

    def __init__(self, problem: GenerativeProblem) -> None:
        self.problem = problem
        self.samples: list[int] = []
        self.gap: list[float] = []
        self.value_error: list[float] = []
        self.phase: list[int] = []
        self._last_policy: np.ndarray | None = None
        self._last_gap = 0.0

    def record(self, samples: int, policy: np.ndarray, v: np.ndarray, phase: int = 0) -> None:
        if self._last_policy is None or not np.array_equal(policy, self._last_policy):
            values = evaluate(self.problem.mdp, policy)
            self._last_gap = float(np.max(np.abs(self.problem.v_star - values)))
            self._last_policy = policy.copy()
        self.samples.append(int(samples))
        self.gap.append(self._last_gap)
        self.value_error.append(float(np.max(np.abs(self.problem.v_star - v))))
        self.phase.append(phase)

    def trace(self, metadata: dict, policy: np.ndarray, extras: dict | None = None):
        positions = np.asarray(self.samples, dtype=np.int64)
        keep = np.concatenate([positions[1:] > positions[:-1], [True]])  # one entry per count
        out = {
            "iteration": positions[keep].astype(np.float64),
            "value_error": np.asarray(self.value_error)[keep],
            "phase": np.asarray(self.phase, dtype=np.float64)[keep],
        }
        out.update(extras or {})
        metadata = {
            "quantity": "sub-optimality ||V* - V^pi||_inf against generative samples",
            "x": "generative samples",
            "final_policy": policy.tolist(),
            **metadata,
        }
        return ConvergenceTrace(np.asarray(self.gap)[keep], out, metadata)


@dataclass(frozen=True)
class Regression:
    """Weighted least squares on the support of a design: ``counts`` samples at each support
    row, weight ``counts / f**2``. ``solver = Lambda^{-1} Phi_C^T diag(c)`` (d x |C|) is formed
    once by one Cholesky factorisation, so a fit is ``theta = solver @ target`` (O(|C| d)) and
    the predictions ``phi @ theta`` (O(S A d)), both BLAS."""

    pairs: np.ndarray
    counts: np.ndarray
    solver: np.ndarray

    def predict(self, phi: np.ndarray, target: np.ndarray) -> np.ndarray:
        return phi @ (self.solver @ target)


def design_for(phi: np.ndarray, f: np.ndarray | None) -> Design:
    """The G-optimal design of ``phi / f`` (the weighted Kiefer–Wolfowitz design of Kitamura et
    al. 2023 [S: review]); ``f = None`` is the unweighted one."""
    points = phi if f is None else phi / f[:, None]
    return frank_wolfe_design(points, tol=DESIGN_TOL)


def apportion(design: Design, n: int, name: str) -> np.ndarray:
    """Exactly ``n`` samples on the support of ``design``: one per support point and the other
    ``n - |C|`` by largest remainders of ``rho (n - |C|)`` (ties to the lower index), so the
    count of every point is within one of ``1 + rho (n - |C|)`` and the spending of an iteration
    does not depend on the draws."""
    rho = design.weights[design.support]
    u = rho.size
    if n < u:
        raise ValueError(
            f"{name} has {n} samples per iteration, fewer than the {u} points of its design: "
            "raise the budget"
        )
    share = rho * (n - u)
    counts = np.floor(share).astype(np.int64)
    left = (n - u) - int(counts.sum())
    order = np.argsort(-(share - counts), kind="stable")
    counts[order[:left]] += 1
    return counts + 1


def regression_on(phi: np.ndarray, design: Design, f: np.ndarray | None, n: int, name: str):
    """The regression of ``n`` samples per iteration on the support of ``design``
    (:func:`apportion`), each sample of point ``y`` weighted ``1 / f(y)^2``."""
    pairs = design.support.astype(np.int64)
    counts = apportion(design, n, name)
    weights = counts.astype(np.float64)
    if f is not None:
        weights = weights / f[pairs] ** 2
    chosen = phi[pairs]
    weighted = chosen * weights[:, None]
    factor = scipy.linalg.cho_factor(chosen.T @ weighted, lower=True)
    return Regression(pairs, counts, scipy.linalg.cho_solve(factor, weighted.T))


def run_mdvi(
    problem: GenerativeProblem,
    regression: Regression | None,
    M: int | None,
    alpha: float,
    beta: float,
    iterations: int,
    rng,
    recorder: Recorder,
    spent: int = 0,
    phase: int = 0,
) -> tuple[np.ndarray, np.ndarray, int]:
    """``iterations`` steps of the MDVI recursion from ``s_0 = 0``, recording after each.

    Tabular (``regression is None``): ``M`` fresh samples at every pair per iteration,
    ``q_{k+1} = r + gamma * mean``. Linear: the design's samples, ``q_{k+1}`` the weighted
    least-squares prediction at every pair. Returns ``s_K``, ``v_K`` and the samples spent.
    """
    S, A = problem.S, problem.A
    if regression is None:
        pairs = np.arange(S * A, dtype=np.int64)
        counts = np.full(S * A, M, dtype=np.int64)
    else:
        pairs, counts = regression.pairs, regression.counts
    per_iteration = int(counts.sum())
    s = np.zeros((S, A))
    w = np.zeros(S)
    w_previous = np.zeros(S)
    gamma = problem.gamma
    for _ in range(iterations):
        v = w - alpha * w_previous
        mean, _ = sample_moments(problem, pairs, counts, v, rng)
        target = problem.r[pairs] + gamma * mean
        if regression is None:
            q = target.reshape(S, A)
        else:
            q = regression.predict(problem.phi, target).reshape(S, A)
        s = q + alpha * s
        w_previous, w = w, soft_max(s, beta)
        spent += per_iteration
        recorder.record(spent, policy_of(s, beta), w - alpha * w_previous, phase)
    return s, w - alpha * w_previous, spent
