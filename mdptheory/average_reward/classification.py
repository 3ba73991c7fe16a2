"""Classification of a finite MDP for the average-reward criterion, from its kernel's graph.

Puterman (1994), section 8.3, classifies a finite MDP by the chains its deterministic stationary
policies induce:

* **unichain**: every deterministic stationary policy has a single recurrent class (plus
  possibly transient states);
* **multichain**: some deterministic stationary policy has two or more recurrent classes (the
  complement of unichain);
* **communicating**: every state reaches every other under some deterministic stationary
  policy;
* **weakly communicating**: the states split into one set in which every state reaches every
  other under some policy, and states that are transient under every policy.

Only the supports of ``P(. | s, a)`` matter. The computations use end components (de Alfaro
1997): a set ``C`` of states with, for each ``s`` in ``C``, a non-empty set of actions whose
successors stay in ``C``, such that the graph of those actions on ``C`` is strongly connected.
A recurrent class of a policy is an end component, and an end component is a recurrent class
of some policy, so:

* communicating  <=>  the union graph (``s -> s'`` when some action has ``P(s'|s, a) > 0``)
  is strongly connected (``scipy.sparse.csgraph``);
* weakly communicating  <=>  exactly one *maximal* end component (the states outside every end
  component are transient under every policy);
* unichain  <=>  no two disjoint *traps* (sets closed under some choice of actions): two
  disjoint traps are closed sets of one policy, hence two recurrent classes. Deciding this is
  NP-hard in general (Tsitsiklis 2007); here two maximal end components prove multichain, a
  state that every policy reaches from everywhere proves unichain, and otherwise every subset
  of at most :data:`UNICHAIN_EXACT_MAX_STATES` states is searched; beyond that size the answer
  is ``None`` (undecided) with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from mdptheory.planning import is_communicating
from mdptheory.tabular import FiniteMDP

UNICHAIN_EXACT_MAX_STATES = 14
"""Largest number of states for which the unichain property is decided by exhaustive search
when the two polynomial certificates (two end components, an unavoidable state) do not."""


@dataclass(frozen=True)
class Classification:
    """The chain structure of a finite MDP (Puterman 1994, section 8.3).

    Attributes
    ----------
    communicating : bool
        Every state reaches every other under some policy.
    weakly_communicating : bool
        Exactly one maximal end component; the other states are transient under every policy.
    unichain : bool or None
        Every deterministic stationary policy has one recurrent class; ``None`` when undecided
        (see the module notes and ``unichain_reason``).
    end_components : tuple of tuple of int
        The maximal end components, each sorted, in order of their smallest state. Each is
        closed under some policy.
    transient : tuple of int
        States in no end component: transient under every policy.
    unichain_reason : str
        How ``unichain`` was decided, naming two disjoint closed sets for a multichain model.
    closed_pair : tuple of two tuples of int, or None
        Two disjoint sets each closed under some choice of actions (two recurrent classes of
        one policy) when the model is multichain, else None.
    """

    communicating: bool
    weakly_communicating: bool
    unichain: bool | None
    end_components: tuple[tuple[int, ...], ...]
    transient: tuple[int, ...]
    unichain_reason: str
    closed_pair: tuple[tuple[int, ...], tuple[int, ...]] | None = None

    @property
    def multichain(self) -> bool | None:
        """Some deterministic stationary policy has two or more recurrent classes."""
        return None if self.unichain is None else not self.unichain

    @property
    def labels(self) -> tuple[str, ...]:
        """The classes the model belongs to, e.g. ``("unichain", "communicating",
        "weakly communicating")``."""
        labels = []
        if self.unichain is True:
            labels.append("unichain")
        elif self.unichain is False:
            labels.append("multichain")
        if self.communicating:
            labels.append("communicating")
        if self.weakly_communicating:
            labels.append("weakly communicating")
        return tuple(labels)


def supports(mdp: FiniteMDP) -> np.ndarray:
    """Boolean support ``P(s'|s, a) > 0`` of shape (S, A, S)."""
    if mdp.is_sparse:
        return (mdp.P_matrix().toarray() > 0).reshape(mdp.S, mdp.A, mdp.S)
    return mdp.P > 0


def _sccs(adjacency: np.ndarray) -> np.ndarray:
    """Labels of the strongly connected components of a boolean (n, n) adjacency matrix."""
    _, labels = connected_components(sp.csr_array(adjacency), directed=True, connection="strong")
    return labels


def maximal_end_components(support: np.ndarray) -> tuple[list[list[int]], np.ndarray]:
    """Maximal end components and the actions that keep each inside it.

    Repeatedly drops every action with a successor outside the strongly connected component of
    its state (in the graph of the remaining actions) and every state left without an action,
    until nothing changes (de Alfaro 1997; Chatterjee and Henzinger 2011, Alg. 1).

    Returns
    -------
    components : list of list of int
        Sorted by smallest state.
    allowed : ndarray of bool, shape (S, A)
        Actions that keep their state inside its end component.

    Examples
    --------
    >>> import numpy as np
    >>> stay = np.eye(2, dtype=bool)[:, None, :]          # each state loops on itself
    >>> maximal_end_components(stay)[0]
    [[0], [1]]
    """
    S = support.shape[0]
    allowed = np.ones(support.shape[:2], dtype=bool)
    while True:
        alive = allowed.any(axis=1)
        adjacency = (support & allowed[:, :, None]).any(axis=1) & alive[None, :]
        labels = _sccs(adjacency)
        labels = np.where(alive, labels, -1 - np.arange(S))  # dead states: own labels
        # An action stays allowed only if every successor is in its state's component.
        outside = support & (labels[None, None, :] != labels[:, None, None])
        keep = allowed & alive[:, None] & ~outside.any(axis=2)
        if np.array_equal(keep, allowed):
            break
        allowed = keep
    alive = allowed.any(axis=1)
    groups: dict[int, list[int]] = {}
    for s in np.flatnonzero(alive):
        groups.setdefault(int(labels[s]), []).append(int(s))
    components = sorted(groups.values(), key=lambda c: c[0])
    return components, allowed


def trap_core(support: np.ndarray, within: np.ndarray) -> np.ndarray:
    """The largest subset of ``within`` closed under some choice of actions (a trap).

    Greatest fixed point: drop states of ``within`` with no action whose successors all lie in
    the current set, until none is dropped. Returns a boolean mask (all False if no trap).
    """
    current = within.copy()
    while True:
        stays = ~(support & ~current[None, None, :]).any(axis=2)  # (S, A)
        keep = current & stays.any(axis=1)
        if np.array_equal(keep, current):
            return keep
        current = keep


def _unavoidable_state(support: np.ndarray, component: list[int]) -> int | None:
    """A state of ``component`` that every policy reaches from every state, or None."""
    S = support.shape[0]
    for x in component:
        within = np.ones(S, dtype=bool)
        within[x] = False
        if not trap_core(support, within).any():
            return x
    return None


def _disjoint_traps(support: np.ndarray) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """Two disjoint traps by exhaustive search over subsets (small S only), or None."""
    S = support.shape[0]
    everything = np.ones(S, dtype=bool)
    # One of two disjoint traps has at most S / 2 states.
    for size in range(1, S // 2 + 1):
        for subset in combinations(range(S), size):
            mask = np.zeros(S, dtype=bool)
            mask[list(subset)] = True
            if not np.array_equal(trap_core(support, mask), mask):
                continue
            other = trap_core(support, everything & ~mask)
            if other.any():
                return tuple(subset), tuple(int(s) for s in np.flatnonzero(other))
    return None


def format_states(states) -> str:
    """``{0, 3, 4}``, shortened after 8 states."""
    states = [int(s) for s in states]
    shown = ", ".join(map(str, states[:8]))
    more = f", ... ({len(states)} states)" if len(states) > 8 else ""
    return "{" + shown + more + "}"


def classify(mdp: FiniteMDP) -> Classification:
    """Classify ``mdp`` as unichain / multichain, communicating, weakly communicating.

    ``mdp.gamma`` is ignored: only the supports of the transition kernel are read.

    Examples
    --------
    >>> import numpy as np
    >>> from mdptheory import FiniteMDP
    >>> P = np.array([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])  # stay or move
    >>> c = classify(FiniteMDP(P, np.zeros((2, 2)), gamma=0.9))
    >>> c.labels
    ('multichain', 'communicating', 'weakly communicating')
    >>> c.closed_pair
    ((0,), (1,))
    """
    if not isinstance(mdp, FiniteMDP):
        raise ValueError(f"classify needs a FiniteMDP, got {type(mdp).__name__}")
    support = supports(mdp)
    components, _ = maximal_end_components(support)
    in_component = np.zeros(mdp.S, dtype=bool)
    for component in components:
        in_component[component] = True
    transient = tuple(int(s) for s in np.flatnonzero(~in_component))
    communicating = is_communicating(mdp)
    weakly = len(components) == 1
    pair = None
    if len(components) >= 2:
        pair = (tuple(components[0]), tuple(components[1]))
        unichain: bool | None = False
        reason = (
            f"two disjoint maximal end components {format_states(pair[0])} and "
            f"{format_states(pair[1])} are recurrent classes of one policy"
        )
    else:
        hub = _unavoidable_state(support, components[0])
        if hub is not None:
            unichain = True
            reason = f"every policy reaches state {hub} from every state"
        elif mdp.S <= UNICHAIN_EXACT_MAX_STATES:
            pair = _disjoint_traps(support)
            unichain = pair is None
            reason = (
                "no two disjoint sets are closed under a choice of actions (exhaustive search)"
                if pair is None
                else f"the disjoint sets {format_states(pair[0])} and "
                f"{format_states(pair[1])} are each closed under a choice of actions: "
                "recurrent classes of one policy"
            )
        else:
            unichain = None
            reason = (
                f"undecided: one maximal end component, no state reached by every "
                f"policy, and S = {mdp.S} > {UNICHAIN_EXACT_MAX_STATES} for the exhaustive "
                "search (deciding unichain is NP-hard, Tsitsiklis 2007)"
            )
    return Classification(
        communicating=communicating,
        weakly_communicating=weakly,
        unichain=unichain,
        end_components=tuple(tuple(c) for c in components),
        transient=transient,
        unichain_reason=reason,
        closed_pair=pair,
    )


__all__ = [
    "UNICHAIN_EXACT_MAX_STATES",
    "Classification",
    "classify",
    "format_states",
    "maximal_end_components",
    "supports",
    "trap_core",
]
