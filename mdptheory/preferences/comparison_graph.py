"""The comparison graph of a preference dataset: Laplacian, components, strong components.

Vertices are the K actions. With win counts (or weights) ``W[i, j]`` ("``i`` beat ``j``"):

* the *comparison graph* joins ``i`` and ``j`` when ``C[i, j] = W[i, j] + W[j, i] > 0``; its
  weighted Laplacian ``L = diag(C 1) - C`` is the Hessian (up to a factor) of every pairwise
  least-squares loss ``sum W_ij (rho_i - rho_j - c)^2``, so the IPO minimiser is a Laplacian
  solve (:func:`~mdptheory.preferences.ipo_minimiser`);
* the *win graph* has an arc ``i -> j`` when ``W[i, j] > 0``. The Bradley–Terry likelihood (and
  the DPO loss) has a finite maximiser exactly when every connected component of the comparison
  graph is strongly connected in the win graph (Zermelo 1929; Ford 1957). Otherwise some action
  loses to another strong component and its probability must go to 0 at the infimum.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import connected_components

from mdptheory._validation import as_float_array

__all__ = ["components", "laplacian", "strong_components", "win_counts"]


def win_counts(data) -> np.ndarray:
    """``W`` (K, K) of a :class:`~mdptheory.preferences.PreferenceDataset` or of a weight
    matrix (non-negative, zero diagonal); the error names the offending entry."""
    if hasattr(data, "counts") and callable(data.counts):
        return data.counts()
    W = as_float_array(data, "counts", ndim=2)
    K = W.shape[0]
    if W.shape != (K, K):
        raise ValueError(f"counts must be square (K, K), got shape {W.shape}")
    negative = np.argwhere(W < 0)
    if negative.size:
        i, j = (int(v) for v in negative[0])
        raise ValueError(f"counts[{i}, {j}] is {float(W[i, j])!r}; counts are non-negative")
    diagonal = np.flatnonzero(np.diag(W))
    if diagonal.size:
        i = int(diagonal[0])
        raise ValueError(
            f"counts[{i}, {i}] is {float(W[i, i])!r}; an action is never compared with itself"
        )
    if not np.any(W > 0):
        raise ValueError("counts are all zero: no pair was compared")
    return W


def laplacian(W: np.ndarray) -> np.ndarray:
    """``L = diag(C 1) - C`` with ``C = W + W^T``.

    Examples
    --------
    >>> laplacian(np.array([[0.0, 2.0], [1.0, 0.0]])).tolist()
    [[3.0, -3.0], [-3.0, 3.0]]
    """
    C = W + W.T
    return np.diag(C.sum(axis=1)) - C


def components(W: np.ndarray) -> np.ndarray:
    """Label of the connected component of each action in the comparison graph."""
    return connected_components(W + W.T > 0, directed=False)[1]


def strong_components(W: np.ndarray) -> np.ndarray:
    """Label of the strongly connected component of each action in the win graph."""
    return connected_components(W > 0, directed=True, connection="strong")[1]
