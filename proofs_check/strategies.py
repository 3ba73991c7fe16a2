"""Public hypothesis strategies for small random MDPs and policies.

Use them to property-test your own code against the exact core::

    from hypothesis import given
    from proofs_check.strategies import finite_mdps

    @given(finite_mdps(max_states=4))
    def test_values_are_bounded(mdp):
        ...

Kernels are drawn with a controllable fraction of exact zeros (sparse supports, absorbing
states), rewards on a grid or from floats, so edge cases such as ties and unreachable states
are exercised.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from mdptheory.tabular import EpisodicMDP, FiniteMDP


def _normalise_rows(weights: np.ndarray) -> np.ndarray:
    # Guarantee one positive entry per row before normalising, so no row is all zero.
    weights = weights.copy()
    empty = weights.sum(axis=-1) == 0
    weights[empty, 0] = 1.0
    return weights / weights.sum(axis=-1, keepdims=True)


@st.composite
def kernels(
    draw, n_states: int, n_actions: int, n_stages: int | None = None, sparsity: float = 0.5
) -> np.ndarray:
    """A transition kernel of shape (S, A, S) (or (H, S, A, S)) with some exact zeros."""
    shape = (
        (n_states, n_actions, n_states)
        if n_stages is None
        else (n_stages, n_states, n_actions, n_states)
    )
    size = int(np.prod(shape))
    weights = draw(
        st.lists(st.floats(0.0, 1.0, allow_nan=False, width=64), min_size=size, max_size=size)
    )
    mask = draw(st.lists(st.floats(0.0, 1.0), min_size=size, max_size=size))
    weights = np.asarray(weights).reshape(shape)
    weights = np.where(np.asarray(mask).reshape(shape) < sparsity, 0.0, weights)
    return _normalise_rows(weights)


@st.composite
def rewards(
    draw, shape: tuple[int, ...], low: float = 0.0, high: float = 1.0, grid: bool | None = None
) -> np.ndarray:
    """Mean rewards in [low, high]; on a coarse grid (many ties) or continuous."""
    size = int(np.prod(shape))
    if grid is None:
        grid = draw(st.booleans())
    if grid:
        levels = draw(st.lists(st.integers(0, 4), min_size=size, max_size=size))
        return low + (high - low) * np.asarray(levels, dtype=np.float64).reshape(shape) / 4
    values = draw(
        st.lists(st.floats(low, high, allow_nan=False, width=64), min_size=size, max_size=size)
    )
    return np.asarray(values).reshape(shape)


@st.composite
def finite_mdps(
    draw,
    min_states: int = 1,
    max_states: int = 5,
    min_actions: int = 1,
    max_actions: int = 3,
    gammas=None,
) -> FiniteMDP:
    """A small discounted :class:`FiniteMDP` with rewards in [0, 1]."""
    S = draw(st.integers(min_states, max_states))
    A = draw(st.integers(min_actions, max_actions))
    gamma = draw(gammas if gammas is not None else st.sampled_from([0.0, 0.5, 0.9, 0.99]))
    P = draw(kernels(S, A))
    R = draw(rewards((S, A)))
    initial = _normalise_rows(
        np.asarray(draw(st.lists(st.floats(0.0, 1.0), min_size=S, max_size=S)))
    )
    return FiniteMDP(P, R, gamma, initial=initial)


@st.composite
def episodic_mdps(
    draw,
    min_states: int = 1,
    max_states: int = 5,
    min_actions: int = 1,
    max_actions: int = 3,
    max_horizon: int = 4,
    stationary: bool | None = None,
) -> EpisodicMDP:
    """A small :class:`EpisodicMDP` with rewards in [0, 1], stationary or not."""
    S = draw(st.integers(min_states, max_states))
    A = draw(st.integers(min_actions, max_actions))
    H = draw(st.integers(1, max_horizon))
    if stationary is None:
        stationary = draw(st.booleans())
    P = draw(kernels(S, A, None if stationary else H))
    R = draw(rewards((S, A) if stationary else (H, S, A)))
    initial = _normalise_rows(
        np.asarray(draw(st.lists(st.floats(0.0, 1.0), min_size=S, max_size=S)))
    )
    return EpisodicMDP(P, R, H, initial=initial)


@st.composite
def deterministic_policies(draw, mdp: FiniteMDP | EpisodicMDP) -> np.ndarray:
    """An integer policy ``pi[s]`` (discounted) or ``pi[h, s]`` (episodic) for ``mdp``."""
    shape = (mdp.H, mdp.S) if isinstance(mdp, EpisodicMDP) else (mdp.S,)
    size = int(np.prod(shape))
    actions = draw(st.lists(st.integers(0, mdp.A - 1), min_size=size, max_size=size))
    return np.asarray(actions, dtype=np.int64).reshape(shape)


@st.composite
def stochastic_policies(draw, mdp: FiniteMDP | EpisodicMDP) -> np.ndarray:
    """A float policy ``pi[s, a]`` or ``pi[h, s, a]`` (rows are distributions)."""
    shape = (mdp.H, mdp.S, mdp.A) if isinstance(mdp, EpisodicMDP) else (mdp.S, mdp.A)
    size = int(np.prod(shape))
    weights = draw(st.lists(st.floats(0.0, 1.0), min_size=size, max_size=size))
    return _normalise_rows(np.asarray(weights).reshape(shape))


def policies(mdp: FiniteMDP | EpisodicMDP) -> st.SearchStrategy[np.ndarray]:
    """Deterministic or stochastic policies for ``mdp``."""
    return st.one_of(deterministic_policies(mdp), stochastic_policies(mdp))
