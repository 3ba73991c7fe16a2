r"""The exact law of the total return of a policy in a finite-horizon MDP.

* :class:`ReturnDistribution`: sorted atoms and their probabilities, with the mean, VaR and
  CVaR of :mod:`mdptheory.risk.measures`.
* :func:`distributional_bellman`: the distributional Bellman evaluation operator at one stage
  (Bellemare, Dabney, Munos 2017, eq. (4), undiscounted finite horizon).
* :func:`return_distribution`: the law of ``sum_h R_h`` from the start distribution,
  categorical on the exact support, or on a grid (:func:`project_onto_grid`, Bellemare et al.
  2017, eq. (7)) with the mean kept exact.

Stages are ``h = 0..H-1`` here and ``1..H`` in the papers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdptheory._validation import ParameterTypeError, check_index
from mdptheory.evaluation import check_policy
from mdptheory.risk.iterated import _deterministic_policy
from mdptheory.risk.measures import _atoms, _distribution, cvar, var
from mdptheory.tabular import EpisodicMDP

__all__ = [
    "ATOM_DECIMALS",
    "GAUSS_HERMITE_NODES",
    "MAX_ATOMS",
    "ReturnDistribution",
    "distributional_bellman",
    "project_onto_grid",
    "return_distribution",
]


ATOM_DECIMALS = 12
"""Merge tolerance of exact supports: sorted returns closer than ``10^-12 max(1, |return|)``
are one atom (sums of the same rewards taken in different orders differ by a few ulps). The
static-CVaR augmentation keys accumulated rewards by rounding to this many decimals."""


MAX_ATOMS = 1_000_000
"""Largest exact support :func:`return_distribution` builds before asking for a grid."""


@dataclass(frozen=True)
class ReturnDistribution:
    """A categorical distribution of a return: sorted atoms and their probabilities.

    Attributes
    ----------
    atoms : ndarray, shape (n,)
        Strictly increasing. For an exact distribution, the achievable returns (returns closer
        than the tolerance of :data:`ATOM_DECIMALS` merged); for a grid, the grid points.
    probabilities : ndarray, shape (n,)
        Non-negative, summing to 1 (zero entries only on a grid).
    exact : bool
        True when ``atoms`` is the exact support; False for a grid projection.

    Examples
    --------
    >>> d = ReturnDistribution.from_atoms([1.0, 0.0, 1.0], [0.25, 0.5, 0.25])
    >>> d.atoms.tolist(), d.probabilities.tolist(), d.mean(), d.cvar(0.5)
    ([0.0, 1.0], [0.5, 0.5], 0.5, 0.0)
    """

    atoms: np.ndarray
    probabilities: np.ndarray
    exact: bool = True

    def __post_init__(self) -> None:
        v, p = _distribution(self.atoms, self.probabilities)
        if v.shape[0] > 1 and not np.all(np.diff(v) > 0):
            raise ValueError("atoms must be strictly increasing (use from_atoms to merge)")
        v.flags.writeable = False
        p.flags.writeable = False
        object.__setattr__(self, "atoms", v)
        object.__setattr__(self, "probabilities", p)

    @classmethod
    def from_atoms(cls, values, probabilities, exact: bool = True) -> ReturnDistribution:
        """Sort, merge equal atoms (after rounding) and drop zero-probability atoms."""
        v = np.asarray(values, dtype=np.float64).ravel()
        p = np.asarray(probabilities, dtype=np.float64).ravel()
        atoms, probs = _merge(v, p)
        return cls(atoms, probs, exact)

    @classmethod
    def point(cls, value: float = 0.0) -> ReturnDistribution:
        """The point mass at ``value``."""
        return cls(np.array([float(value)]), np.array([1.0]))

    def mean(self) -> float:
        return float(self.atoms @ self.probabilities)

    def cvar(self, alpha: float) -> float:
        """Lower-tail ``CVaR^alpha`` (see :func:`cvar`)."""
        return cvar(self.atoms, self.probabilities, alpha)

    def var(self, alpha: float) -> float:
        """``VaR^alpha`` (see :func:`var`)."""
        return var(self.atoms, self.probabilities, alpha)

    def cdf(self, x: float) -> float:
        """``Pr(return <= x)``."""
        return float(self.probabilities[self.atoms <= x].sum())

    @property
    def size(self) -> int:
        return int(self.atoms.shape[0])


def _merge(values: np.ndarray, probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort atoms and merge runs of atoms closer than the merge tolerance; drop zero mass.

    Consecutive sorted atoms whose gap is at most ``10^-ATOM_DECIMALS * max(1, max |v|)`` form
    one atom, placed at the group's probability-weighted mean (clipped to the group's range
    against rounding). Gaps rather than a rounding grid decide, so two sums that differ by a few
    ulps are never split by a rounding boundary, and keeping the group mean preserves the mean
    of the distribution through every stage of a backward pass.
    """
    keep = probabilities > 0
    v, p = values[keep], probabilities[keep]
    order = np.argsort(v, kind="stable")
    v, p = v[order], p[order]
    tol = 10.0**-ATOM_DECIMALS * max(1.0, float(np.abs(v).max(initial=0.0)))
    starts = np.concatenate([[True], np.diff(v) > tol])
    if starts.all():
        return v + 0.0, p  # + 0.0 turns -0.0 into 0.0
    ids = np.cumsum(starts) - 1
    n = int(ids[-1]) + 1
    probs = np.bincount(ids, weights=p, minlength=n)
    means = np.bincount(ids, weights=p * v, minlength=n) / probs
    first = v[starts]
    last = v[np.concatenate([starts[1:], [True]])]
    return np.clip(means, first, last) + 0.0, probs


GAUSS_HERMITE_NODES = 5
"""Gaussian reward noise is represented by this many Gauss-Hermite atoms on a grid (mean and
variance exact; moments up to order 9 exact)."""


def _reward_atoms(mdp: EpisodicMDP, mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Atoms and probabilities of one reward sample around ``mean`` under the noise model."""
    kind = mdp.noise.kind
    if kind == "deterministic":
        return np.array([mean]), np.array([1.0])
    if kind == "bernoulli":
        atoms = np.array([0.0, 1.0])
        probs = np.array([1.0 - mean, mean])
        keep = probs > 0
        return atoms[keep], probs[keep]
    nodes, weights = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE_NODES)
    return mean + mdp.noise.sigma * nodes, weights / weights.sum()


def _stochastic_policy(mdp: EpisodicMDP, policy) -> np.ndarray:
    """An (H, S, A) array of action probabilities for a deterministic or stochastic policy."""
    pi = np.asarray(policy)
    if np.issubdtype(pi.dtype, np.integer):
        pi = _deterministic_policy(mdp, pi)
        out = np.zeros((mdp.H, mdp.S, mdp.A))
        h, s = np.indices(pi.shape)
        out[h, s, pi] = 1.0
        return out
    # Shape, finiteness and rows summing to 1 (within the model's tolerance) as in evaluation.
    return check_policy(mdp, pi.astype(np.float64, copy=False))


def _check_grid(grid) -> np.ndarray:
    z = _atoms(grid, "grid")
    if z.ndim != 1 or z.shape[0] < 2:
        raise ValueError(
            f"grid must be one-dimensional with at least 2 points, got shape {z.shape}"
        )
    if not np.all(np.isfinite(z)):
        raise ValueError("grid holds a non-finite point")
    steps = np.diff(z)
    if (steps <= 0).any():
        j = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(
            f"grid must be strictly increasing, but grid[{j + 1}] = "
            f"{float(z[j + 1])!r} <= grid[{j}] = {float(z[j])!r}"
        )
    return z


def project_onto_grid(values, probabilities, grid) -> np.ndarray:
    """Categorical projection of atoms onto a grid (Bellemare, Dabney, Munos 2017, eq. (7)).

    An atom ``y`` between grid points ``z_j <= y <= z_{j+1}`` sends its mass to both in
    proportion to proximity; atoms outside ``[z_0, z_{n-1}]`` go to the nearest end. The mean is
    preserved exactly for atoms inside the grid's range.

    Examples
    --------
    >>> project_onto_grid([0.25], [1.0], [0.0, 1.0]).tolist()
    [0.75, 0.25]
    """
    z = _check_grid(grid)
    y, p = _distribution(values, probabilities)
    return _project(y, p, z)


def _project(values: np.ndarray, p: np.ndarray, z: np.ndarray) -> np.ndarray:
    """:func:`project_onto_grid` on validated inputs; ``p`` may be a sub-probability mass."""
    y = np.clip(values.ravel(), z[0], z[-1])
    p = p.ravel()
    upper = np.clip(np.searchsorted(z, y, side="right"), 1, z.shape[0] - 1)
    lower = upper - 1
    frac = (y - z[lower]) / (z[upper] - z[lower])
    n = z.shape[0]
    return np.bincount(lower, weights=p * (1.0 - frac), minlength=n) + np.bincount(
        upper, weights=p * frac, minlength=n
    )


def distributional_bellman(mdp: EpisodicMDP, policy, h: int, next_distributions, grid=None):
    r"""The distributional Bellman evaluation operator at stage ``h``.

    ``(T^pi Z)_h(s) = Law( R_h(s, A) + Z_{h+1}(S') )``, ``A ~ pi_h(.|s)``,
    ``S' ~ P_h(.|s, A)``, ``R_h`` the reward sample (Bellemare, Dabney, Munos 2017, eq. (4),
    undiscounted finite horizon): a mixture over actions, reward atoms and next states of
    shifted copies of the next-stage distributions.

    Parameters
    ----------
    mdp : EpisodicMDP
    policy : ndarray
        Deterministic ``int`` (H, S) or stochastic ``float`` (H, S, A).
    h : int
        Stage in ``0..H-1``.
    next_distributions : list of ReturnDistribution (exact) or ndarray (S, n) (grid)
        ``Z_{h+1}(s')`` for every state.
    grid : array_like, shape (n,), optional
        With a grid, distributions are arrays of probabilities on it and the result is
        projected with :func:`project_onto_grid`. Without, the result is exact.

    Returns
    -------
    list of ReturnDistribution, or ndarray of shape (S, n)

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=1)
    >>> Z = distributional_bellman(mdp, np.zeros((1, 2), dtype=int), 0,
    ...                            [ReturnDistribution.point(0.0)] * 2)
    >>> [d.atoms.tolist() for d in Z]
    [[0.0], [1.0]]
    """
    if not isinstance(mdp, EpisodicMDP):
        raise ParameterTypeError(
            f"distributional_bellman needs an EpisodicMDP as mdp, got {type(mdp).__name__}"
        )
    h = check_index(h, "stage h", mdp.H)
    pi = _stochastic_policy(mdp, policy)
    P = mdp.transition(h)
    if grid is None:
        if len(next_distributions) != mdp.S:
            raise ValueError(
                f"next_distributions has {len(next_distributions)} entries, expected S = {mdp.S}"
            )
        return [_exact_backup(mdp, pi, P, h, s, next_distributions) for s in range(mdp.S)]
    z = _check_grid(grid)
    Z = np.asarray(next_distributions, dtype=np.float64)
    if Z.shape != (mdp.S, z.shape[0]):
        raise ValueError(
            f"next_distributions has shape {Z.shape}, expected ({mdp.S}, {z.shape[0]}) on the grid"
        )
    out = np.zeros((mdp.S, z.shape[0]))
    for s in range(mdp.S):
        for a in np.flatnonzero(pi[h, s] > 0):
            mixture = pi[h, s, a] * (P[s, a] @ Z)
            r_atoms, r_probs = _reward_atoms(mdp, float(mdp.R[h, s, a]))
            for r, w in zip(r_atoms, r_probs, strict=True):
                out[s] += _project(z + r, w * mixture, z)
    return out


def _exact_backup(
    mdp: EpisodicMDP, pi: np.ndarray, P: np.ndarray, h: int, s: int, Z: list[ReturnDistribution]
) -> ReturnDistribution:
    values, weights = [], []
    for a in np.flatnonzero(pi[h, s] > 0):
        r_atoms, r_probs = _reward_atoms(mdp, float(mdp.R[h, s, a]))
        for s_next in np.flatnonzero(P[s, a] > 0):
            d = Z[s_next]
            for r, w in zip(r_atoms, r_probs, strict=True):
                values.append(d.atoms + r)
                weights.append(d.probabilities * (pi[h, s, a] * P[s, a, s_next] * w))
    atoms, probs = _merge(np.concatenate(values), np.concatenate(weights))
    if atoms.shape[0] > MAX_ATOMS:
        raise ValueError(
            f"the exact return distribution at stage {h}, state {s} has "
            f"{atoms.shape[0]} atoms (> {MAX_ATOMS}); pass a grid"
        )
    return ReturnDistribution(atoms, probs / probs.sum(), exact=True)


def return_distribution(
    mdp: EpisodicMDP,
    policy,
    grid: int | np.ndarray | None = None,
    initial=None,
    stage_distributions: bool = False,
):
    """The law of the total return ``sum_h R_h`` of a policy from the start distribution.

    Backward recursion with :func:`distributional_bellman` from ``Z_H = delta_0``, then the
    mixture over the start distribution.

    * ``grid=None`` (exact): categorical on the exact support of achievable returns. Needs
      finitely many reward values: deterministic or Bernoulli noise. Atoms that differ only by
      rounding are merged (:data:`ATOM_DECIMALS`), at their mean.
    * ``grid`` an array: probabilities on those points, every stage projected with
      :func:`project_onto_grid` (Bellemare et al. 2017, eq. (7)). The mean is preserved exactly
      when every shifted atom stays inside the grid: the range must hold every return-to-go
      (0 included) plus ``H + 1`` spacings on each side, since each projection can move mass by
      one spacing; mass beyond the ends is clipped to them. ``grid`` an int ``n > 2H + 3``: ``n``
      equally spaced points over exactly such a range, so the mean is exact. Gaussian reward
      samples are represented by :data:`GAUSS_HERMITE_NODES` Gauss-Hermite atoms (mean and
      variance exact).

    Parameters
    ----------
    mdp : EpisodicMDP
    policy : ndarray
        Deterministic ``int`` (H, S) or stochastic ``float`` (H, S, A).
    grid : None, int or array_like
    initial : array_like, shape (S,), optional
        Start distribution; ``mdp.initial`` by default.
    stage_distributions : bool
        Also return the per-stage, per-state distributions (a list over h of lists over s, or
        an (H, S, n) array on a grid).

    Returns
    -------
    ReturnDistribution, or (ReturnDistribution, per-stage distributions)

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import EpisodicMDP
    >>> mdp = EpisodicMDP(np.full((2, 1, 2), 0.5), [[0.0], [1.0]], H=2, initial=[1, 0])
    >>> d = return_distribution(mdp, np.zeros((2, 2), dtype=int))
    >>> d.atoms.tolist(), d.probabilities.tolist()
    ([0.0, 1.0], [0.5, 0.5])
    """
    if not isinstance(mdp, EpisodicMDP):
        raise ValueError(f"return_distribution needs an EpisodicMDP, got {type(mdp).__name__}")
    pi = _stochastic_policy(mdp, policy)
    rho = np.asarray(mdp.initial if initial is None else initial, dtype=np.float64)
    if rho.shape != (mdp.S,):
        raise ValueError(f"initial has shape {rho.shape}, expected ({mdp.S},)")
    _distribution(np.arange(mdp.S, dtype=np.float64), rho)
    if grid is None:
        if mdp.noise.kind == "gaussian":
            raise ValueError(
                "Gaussian reward noise has no finite exact support; pass grid=n "
                "(or an array of grid points)"
            )
        Z: list[ReturnDistribution] = [ReturnDistribution.point(0.0)] * mdp.S
        stages = []
        for h in range(mdp.H - 1, -1, -1):
            Z = distributional_bellman(mdp, pi, h, Z)
            stages.append(Z)
        values = np.concatenate([Z[s].atoms for s in range(mdp.S) if rho[s] > 0])
        weights = np.concatenate([Z[s].probabilities * rho[s] for s in range(mdp.S) if rho[s] > 0])
        atoms, probs = _merge(values, weights)
        result = ReturnDistribution(atoms, probs / probs.sum(), exact=True)
        return (result, stages[::-1]) if stage_distributions else result
    z = _default_grid(mdp, grid) if isinstance(grid, (int, np.integer)) else _check_grid(grid)
    Zg = np.zeros((mdp.S, z.shape[0]))
    Zg[:] = _project(np.zeros(1), np.ones(1), z)
    stages_g = np.zeros((mdp.H, mdp.S, z.shape[0]))
    for h in range(mdp.H - 1, -1, -1):
        Zg = distributional_bellman(mdp, pi, h, Zg, grid=z)
        stages_g[h] = Zg
    probs = rho @ Zg
    result = ReturnDistribution(z, probs / probs.sum(), exact=False)
    return (result, stages_g) if stage_distributions else result


def _default_grid(mdp: EpisodicMDP, n: int) -> np.ndarray:
    """``n`` equally spaced points holding every projected return-to-go.

    The returns-to-go lie in ``[lo, hi]`` (suffix sums of the smallest and largest reward
    atoms, and 0). Each projection moves mass by at most one spacing ``d``, and there are
    ``H + 1`` of them (the start ``delta_0`` included), so a margin of ``(H + 1) d`` on both
    sides keeps every shifted atom inside the grid and the mean exact:
    ``d = (hi - lo) / (n - 1 - 2 (H + 1))``.
    """
    H = mdp.H
    if isinstance(n, bool) or n <= 2 * H + 3:
        raise ValueError(
            f"grid={n!r}: an automatic grid needs more than 2 H + 3 = {2 * H + 3} "
            "points (a margin of H + 1 spacings on each side); pass more points "
            "or an explicit array"
        )
    lows, highs = np.zeros(H), np.zeros(H)
    for h in range(H):
        if mdp.noise.kind == "bernoulli":
            lows[h], highs[h] = 0.0, 1.0
        else:
            lows[h], highs[h] = mdp.R[h].min(), mdp.R[h].max()
    # Gaussian rewards: each sample is a Gauss-Hermite atom within 3 sigma of its mean.
    nodes = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE_NODES)[0]
    lows -= mdp.noise.sigma * float(np.abs(nodes).max())
    highs += mdp.noise.sigma * float(np.abs(nodes).max())
    lo = min(0.0, float(np.cumsum(lows[::-1]).min()))
    hi = max(0.0, float(np.cumsum(highs[::-1]).max()))
    d = (hi - lo) / (n - 1 - 2 * (H + 1))
    if not d > 64 * np.finfo(float).eps * max(abs(lo), abs(hi), np.finfo(float).tiny):
        # A (numerically) zero range, e.g. all rewards 0 or subnormal: any spacing keeps the
        # projection's mean exact, and points must stay distinct.
        hi = lo + 1.0
        d = (hi - lo) / (n - 1 - 2 * (H + 1))
    return np.linspace(lo - (H + 1) * d, hi + (H + 1) * d, int(n))
