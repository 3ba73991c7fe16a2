"""A generative model: next-state samples at chosen state-action pairs.

The planning algorithms with a generative model (MDVI and VWLS-MDVI on linear MDPs, the
model-based tabular planners) choose the pairs ``(s, a)`` and ask for ``n`` draws of
``s' ~ P_h(.|s, a)`` at each, typically as many as an optimal design prescribes
(:meth:`mdptheory.optimal_design.Design.sample_counts`). :func:`generative_samples` draws them
for any model of the library, dense or sparse, in one compiled pass: one inverse-CDF search
per draw over the successors of the pair.

Examples
--------
>>> from instances import garnet
>>> mdp = garnet(S=5, A=2, branching=2, gamma=0.9, seed=0)
>>> draws = generative_samples(mdp, states=[0, 3], actions=[1, 0], n=4, seed=1)
>>> draws.shape, bool((mdp.P[[0, 3], [1, 0]][np.arange(2)[:, None], draws] > 0).all())
((2, 4), True)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numba import njit

from mdptheory._kernels import sample_categorical
from mdptheory._validation import check_int
from mdptheory.linear import LinearMDP, LowRankMDP
from mdptheory.seeding import SeedLike, as_generator
from mdptheory.tabular import EpisodicMDP, FiniteMDP

__all__ = ["generative_samples"]


@njit(cache=True)
def _draw(indptr, indices, data, uniforms, out):
    for i in range(out.shape[0]):
        start, stop = indptr[i], indptr[i + 1]
        probabilities = data[start:stop]
        for j in range(out.shape[1]):
            out[i, j] = indices[start + sample_categorical(probabilities, uniforms[i, j])]


def _check_pairs(states, actions, S: int, A: int) -> tuple[np.ndarray, np.ndarray]:
    s = np.asarray(states)
    a = np.asarray(actions)
    for name, array, size in (("states", s, S), ("actions", a, A)):
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
            raise ValueError(
                f"{name} must be a one-dimensional integer array, got dtype {array.dtype} and "
                f"shape {array.shape}"
            )
        bad = (array < 0) | (array >= size)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name}[{i}] is {int(array[i])}, outside 0..{size - 1}")
    if s.shape != a.shape:
        raise ValueError(f"states and actions must have the same length, got {s.size} and {a.size}")
    return s.astype(np.int64), a.astype(np.int64)


def _kernel_rows(model, stage: int | None) -> tuple[sp.csr_array | np.ndarray, int, int]:
    """The kernel as (S A, S) rows, dense or CSR, for the stage asked."""
    if isinstance(model, FiniteMDP):
        if stage is not None:
            raise ValueError(f"a discounted FiniteMDP has no stages, got stage={stage}")
        return model.P_matrix(), model.S, model.A
    if isinstance(model, (EpisodicMDP, LinearMDP, LowRankMDP)):
        if stage is None:
            raise ValueError(f"stage is required for a finite-horizon model (0..{model.H - 1})")
        h = check_int(stage, "stage", 0, model.H - 1)
        episodic = model if isinstance(model, EpisodicMDP) else model.tabular()
        return episodic.P_matrix(h), model.S, model.A
    raise ValueError(
        f"model must be a FiniteMDP, EpisodicMDP, LinearMDP or LowRankMDP, got "
        f"{type(model).__name__}"
    )


def generative_samples(
    model, states, actions, n: int, seed: SeedLike, stage: int | None = None
) -> np.ndarray:
    """``n`` independent next states ``s' ~ P(.|s_i, a_i)`` at each pair, shape (m, n).

    Parameters
    ----------
    model : FiniteMDP, EpisodicMDP, LinearMDP or LowRankMDP
        The model; its kernel may be dense or sparse.
    states, actions : array_like of int, shape (m,)
        The pairs to sample at (repeats allowed: each row gets its own draws).
    n : int
        Draws per pair (``n >= 1``).
    seed : int, Generator or SeedSequence
        One uniform per draw, in row-major order: the same seed gives the same draws, bit for
        bit.
    stage : int, optional
        The stage ``h`` of a finite-horizon model (required there, refused for a discounted
        one).

    Returns
    -------
    ndarray of int64, shape (m, n)

    Raises
    ------
    ValueError
        On a pair outside the model (naming its index and value), ``n < 1`` or a missing or
        superfluous stage.
    """
    rows, S, A = _kernel_rows(model, stage)
    s, a = _check_pairs(states, actions, S, A)
    n = check_int(n, "n", 1)
    chosen = sp.csr_array(rows[s * A + a])  # zero-probability successors drop out
    chosen.sort_indices()
    uniforms = as_generator(seed).random((s.size, n))
    out = np.empty((s.size, n), dtype=np.int64)
    _draw(
        chosen.indptr.astype(np.int64),
        chosen.indices.astype(np.int64),
        chosen.data.astype(np.float64),
        uniforms,
        out,
    )
    return out
