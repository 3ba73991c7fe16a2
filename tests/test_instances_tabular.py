"""Tabular instance families: validity, seeding, parameter checks and closed-form optima."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest
from conftest import same_model
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from instances.tabular import (
    DEFAULT_MAP,
    chain,
    combination_lock,
    combination_lock_code,
    deep_sea,
    deep_sea_action_mapping,
    garnet,
    grid_shortest_path,
    gridworld,
    gridworld_layout,
    river_swim,
)
from mdptheory import EpisodicMDP, FiniteMDP
from mdptheory._kernels import backward_induction_kernel

FAST = settings(max_examples=25, deadline=None)
horizons = st.one_of(st.none(), st.integers(1, 8))
seeds = st.integers(0, 2**32 - 1)


# --- oracles that share no code with the library ---------------------------------------------


def solve_discounted(mdp: FiniteMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact policy iteration: (V*, Q*, policy); each evaluation is a linear solve."""
    P, R, gamma, S = mdp.dense_P(), mdp.R, mdp.gamma, mdp.S
    states = np.arange(S)
    policy = np.zeros(S, dtype=np.int64)
    for _ in range(10_000):
        V = np.linalg.solve(np.eye(S) - gamma * P[states, policy], R[states, policy])
        Q = R + gamma * P @ V
        improved = np.argmax(Q, axis=1)
        # keep the current action unless another is strictly better: guarantees termination
        keep = Q[states, policy] >= Q[states, improved] - 1e-12
        improved[keep] = policy[keep]
        if np.array_equal(improved, policy):
            return V, Q, policy
        policy = improved
    raise RuntimeError("policy iteration did not stabilise")


def solve_episodic(mdp: EpisodicMDP) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Q (H,S,A), V (H+1,S), policy (H,S)) by backward induction."""
    return backward_induction_kernel(mdp.dense_P(), mdp.R)


def evaluate_episodic(mdp: EpisodicMDP, policy: np.ndarray) -> np.ndarray:
    """V^pi (H+1, S) of a deterministic policy by backward recursion."""
    P = mdp.dense_P()
    states = np.arange(mdp.S)
    V = np.zeros((mdp.H + 1, mdp.S))
    for h in range(mdp.H - 1, -1, -1):
        Ph = P[h if P.shape[0] > 1 else 0]
        V[h] = mdp.R[h, states, policy[h]] + Ph[states, policy[h]] @ V[h + 1]
    return V


def check_model(mdp, expected_type=None) -> None:
    """Kernel rows are distributions, arrays are float64, the name is set."""
    P = mdp.dense_P()
    assert P.dtype == np.float64 and mdp.R.dtype == np.float64
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(mdp.initial.sum(), 1.0, atol=1e-12)
    assert isinstance(mdp.name, str) and mdp.name
    if expected_type is not None:
        assert isinstance(mdp, expected_type)


def kind(H):
    return FiniteMDP if H is None else EpisodicMDP


# --- Garnet ----------------------------------------------------------------------------------


@FAST
@given(S=st.integers(1, 12), A=st.integers(1, 4), data=st.data(), H=horizons, seed=seeds)
def test_garnet_structure(S, A, data, H, seed):
    branching = data.draw(st.integers(1, S), label="branching")
    mdp = garnet(S=S, A=A, branching=branching, H=H, seed=seed)
    check_model(mdp, kind(H))
    P = mdp.dense_P()
    assert P.shape[-3:] == (S, A, S)
    # b cut points of [0, 1] leave b gaps; a zero gap has probability 0 under continuous draws
    assert np.all((P > 0).sum(axis=-1) == branching)
    assert np.all((mdp.R >= 0) & (mdp.R <= 1))
    np.testing.assert_array_equal(mdp.initial, np.full(S, 1 / S))
    again = garnet(S=S, A=A, branching=branching, H=H, seed=seed)
    assert same_model(mdp, again)
    sparse = garnet(S=S, A=A, branching=branching, H=H, seed=seed, sparse=True)
    assert sparse.is_sparse
    np.testing.assert_array_equal(sparse.dense_P().reshape(P.shape), P)
    np.testing.assert_array_equal(sparse.R, mdp.R)


def test_garnet_successor_sets_are_uniform():
    mdp = garnet(S=5, A=4000, branching=2, seed=0)
    # each state is a successor of a pair with probability branching / S = 0.4
    frequency = (mdp.P > 0).mean(axis=(0, 1))
    assert np.all(np.abs(frequency - 0.4) < 5 * np.sqrt(0.24 / (5 * 4000)))


def test_large_sparse_garnet_stays_sparse():
    mdp = garnet(S=20_000, A=2, branching=2, seed=0, sparse=True)
    assert mdp.P_matrix().nnz == 20_000 * 2 * 2


def test_garnet_seeds_differ_and_generators_work():
    assert not np.array_equal(garnet(seed=0).P, garnet(seed=1).P)
    from_generator = garnet(seed=np.random.default_rng(5))
    from_sequence = garnet(seed=np.random.SeedSequence(5))
    np.testing.assert_array_equal(from_generator.P, from_sequence.P)
    np.testing.assert_array_equal(from_generator.P, garnet(seed=5).P)
    assert garnet(S=5, A=2, H=4, seed=3).name == "garnet(S=5,A=2,branching=3,H=4,seed=3)"


def test_garnet_bernoulli_noise():
    mdp = garnet(S=4, A=2, noise="bernoulli")
    assert mdp.noise.kind == "bernoulli" and "noise=bernoulli" in mdp.name


# --- RiverSwim -------------------------------------------------------------------------------


@FAST
@given(S=st.integers(2, 12), H=horizons)
def test_river_swim_structure(S, H):
    mdp = river_swim(S=S, H=H)
    check_model(mdp, kind(H))
    P = mdp.dense_P()[0] if H is not None else mdp.P
    # left is deterministic, floored at 0
    for s in range(S):
        assert P[s, 0, max(s - 1, 0)] == 1.0
    assert (P[0, 1, 0], P[0, 1, 1]) == (0.4, 0.6)
    assert (P[S - 1, 1, S - 2], P[S - 1, 1, S - 1]) == (0.4, 0.6)
    for s in range(1, S - 1):
        assert (P[s, 1, s - 1], P[s, 1, s], P[s, 1, s + 1]) == (0.05, 0.6, 0.35)
    R = mdp.R if H is None else mdp.R[0]
    expected = np.zeros((S, 2))
    expected[0, 0], expected[S - 1, 1] = 0.005, 1.0
    np.testing.assert_array_equal(R, expected)
    assert mdp.initial[0] == 1.0
    label = f"H={H}" if H is not None else "gamma=0.95"
    assert mdp.name == f"river_swim(S={S},{label})"


@pytest.mark.parametrize("H", [20, 40])
def test_river_swim_long_horizon_swims_right(H):
    _, V, policy = solve_episodic(river_swim(S=6, H=H))
    np.testing.assert_array_equal(policy[0], np.ones(6, dtype=np.int64))
    assert V[0, 0] > 0.005 * H  # beats staying at the left bank


@pytest.mark.parametrize("gamma", [0.95, 0.99])
def test_river_swim_patient_discount_swims_right(gamma):
    V, _, policy = solve_discounted(river_swim(S=6, gamma=gamma))
    np.testing.assert_array_equal(policy, np.ones(6, dtype=np.int64))
    assert V[0] > 0.005 / (1 - gamma)


def test_river_swim_myopic_stays_left():
    _, V, policy = solve_episodic(river_swim(S=6, H=1))
    assert policy[0, 0] == 0 and V[0, 0] == 0.005
    _, _, policy = solve_discounted(river_swim(S=6, gamma=0.5))
    assert policy[0] == 0


# --- combination lock and chain --------------------------------------------------------------


def lock_values_closed_form(S: int, H: int | None, gamma: float) -> np.ndarray:
    """V* of the lock: gamma**(S-2-i) discounted; [S-1-i <= H-h] episodic, per stage."""
    i = np.arange(S - 1)
    if H is None:
        return np.append(gamma ** (S - 2 - i), 0.0)
    h = np.arange(H)[:, None]
    return np.hstack([(S - 1 - i[None, :] <= H - h).astype(float), np.zeros((H, 1))])


@FAST
@given(
    S=st.integers(2, 10),
    A=st.integers(2, 4),
    H=horizons,
    seed=seeds,
    gamma=st.one_of(st.just(0.0), st.floats(0.3, 0.99)),
)
def test_combination_lock_optimum(S, A, H, seed, gamma):
    mdp = combination_lock(S=S, A=A, H=H, gamma=gamma, seed=seed)
    check_model(mdp, kind(H))
    code = combination_lock_code(S, A, seed)
    P = mdp.dense_P().reshape(-1, S, A, S)[0]
    for i in range(S - 1):
        for a in range(A):
            assert P[i, a, i + 1 if a == code[i] else 0] == 1.0
    expected = lock_values_closed_form(S, H, gamma)
    if H is None:
        V, _, policy = solve_discounted(mdp)
        np.testing.assert_allclose(V, expected, rtol=1e-12, atol=1e-14)
        if gamma > 0:  # (gamma in [0.3, 0.99] keeps gamma**(S-2) above the tie tolerance)
            np.testing.assert_array_equal(policy[:-1], code)
    else:
        _, V, policy = solve_episodic(mdp)
        np.testing.assert_array_equal(V[:H], expected)
        if H >= S - 1:
            # with no slack left, only the code opens the lock in time
            start = H - (S - 1)
            path = [policy[start + i, i] for i in range(S - 1)]
            np.testing.assert_array_equal(path, code)
    assert same_model(mdp, combination_lock(S=S, A=A, H=H, gamma=gamma, seed=seed))


def test_combination_lock_code_depends_on_seed():
    codes = {tuple(combination_lock_code(12, 3, seed)) for seed in range(5)}
    assert len(codes) > 1


@FAST
@given(S=st.integers(2, 12), H=horizons)
def test_chain_optimum(S, H):
    mdp = chain(S=S, H=H)
    check_model(mdp, kind(H))
    expected = lock_values_closed_form(S, H, 0.9)
    if H is None:
        V, _, _ = solve_discounted(mdp)
        np.testing.assert_allclose(V, expected, rtol=1e-12)
    else:
        _, V, _ = solve_episodic(mdp)
        np.testing.assert_array_equal(V[:H], expected)


# --- gridworld -------------------------------------------------------------------------------


def bfs_distance(lines: list[str]) -> int | None:
    """Moves from 'S' to the nearest 'G', never stepping through walls or traps."""
    cells = {(r, c): ch for r, line in enumerate(lines) for c, ch in enumerate(line)}
    start = next(cell for cell, ch in cells.items() if ch == "S")
    dist = {start: 0}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        if cells[cell] == "G":
            return dist[cell]
        if cells[cell] == "X":
            continue
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            nxt = (cell[0] + dr, cell[1] + dc)
            if cells.get(nxt, "#") != "#" and nxt not in dist:
                dist[nxt] = dist[cell] + 1
                queue.append(nxt)
    return None


@st.composite
def grid_maps(draw):
    rows, cols = draw(st.integers(1, 5)), draw(st.integers(2, 6))
    chars = draw(st.lists(st.sampled_from("...#X"), min_size=rows * cols, max_size=rows * cols))
    start, goal = draw(
        st.lists(st.integers(0, rows * cols - 1), min_size=2, max_size=2, unique=True)
    )
    chars[start], chars[goal] = "S", "G"
    return ["".join(chars[r * cols : (r + 1) * cols]) for r in range(rows)]


@FAST
@given(lines=grid_maps(), step_cost=st.floats(0.0, 0.05), extra=st.integers(0, 3))
def test_gridworld_deterministic_optimum_is_shortest_path(lines, step_cost, extra):
    distance = bfs_distance(lines)
    assume(distance is not None)
    text = "\n".join(lines)
    layout = gridworld_layout(text)
    assert grid_shortest_path(layout) == distance
    mdp = gridworld(text, slip=0.0, H=distance + 1 + extra, step_cost=step_cost)
    check_model(mdp, EpisodicMDP)
    _, V, _ = solve_episodic(mdp)
    assert V[0, layout.start] == pytest.approx(1.0 - step_cost * distance, abs=1e-12)
    # '/' separates rows just as newlines do
    assert same_model(
        mdp, gridworld("/".join(lines), slip=0.0, H=distance + 1 + extra, step_cost=step_cost)
    )


@FAST
@given(lines=grid_maps(), slip=st.floats(0.0, 1.0))
def test_gridworld_slip_kernel(lines, slip):
    layout = gridworld_layout("\n".join(lines))
    mdp = gridworld("\n".join(lines), slip=slip)
    check_model(mdp, FiniteMDP)
    assert mdp.S == layout.n_states and mdp.A == 4
    for s, (r, c) in enumerate(layout.cells):
        assert layout.state(r, c) == s and layout.cell(s) == (r, c)
    assert layout.cell(layout.terminal) is None
    assert mdp.initial[layout.start] == 1.0
    # on an open interior cell each direction gets 1 - slip or slip / 3
    for s, (r, c) in enumerate(layout.cells):
        if lines[r][c] not in ".S":
            continue
        neighbours = []
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            rr, cc = r + dr, c + dc
            ok = 0 <= rr < len(lines) and 0 <= cc < len(lines[0]) and lines[rr][cc] != "#"
            neighbours.append(layout.state(rr, cc) if ok else None)
        if None in neighbours:
            continue
        for a in range(4):
            for direction, target in enumerate(neighbours):
                want = 1 - slip if direction == a else slip / 3
                assert mdp.P[s, a, target] == pytest.approx(want, abs=1e-15)


def test_default_gridworld_values():
    layout = gridworld_layout(DEFAULT_MAP)
    assert grid_shortest_path(layout) == 7
    _, V, _ = solve_episodic(gridworld(slip=0.0, H=10))
    assert V[0, layout.start] == pytest.approx(1 - 0.01 * 7, abs=1e-12)
    gamma, d = 0.95, 7
    V, _, _ = solve_discounted(gridworld(slip=0.0, gamma=gamma))
    expected = -0.01 * (1 - gamma**d) / (1 - gamma) + gamma**d
    assert V[layout.start] == pytest.approx(expected, abs=1e-12)
    # slipping can only hurt
    _, V_slip, _ = solve_episodic(gridworld(slip=0.2, H=10))
    assert V_slip[0, layout.start] < 1 - 0.07


@pytest.mark.parametrize(
    ("text_map", "fragment"),
    [
        ("S.Q", "map character 'Q' at row 0, col 2"),
        ("..G", "exactly one 'S', found 0"),
        ("S.G/S..", "exactly one 'S', found 2"),
        ("S..", "at least one 'G'"),
        ("S.G/..", "row lengths [3, 2]"),
        ("", "empty"),
    ],
)
def test_gridworld_rejects_maps(text_map, fragment):
    with pytest.raises(ValueError) as info:
        gridworld(text_map)
    assert fragment in str(info.value)


def test_layout_lookup_errors():
    layout = gridworld_layout()
    with pytest.raises(ValueError, match="not a free cell"):
        layout.state(0, 0)
    with pytest.raises(ValueError, match="outside"):
        layout.cell(99)


# --- DeepSea ---------------------------------------------------------------------------------


@FAST
@given(
    N=st.integers(1, 9),
    cost=st.one_of(st.none(), st.floats(0.0, 0.3)),
    seed=seeds,
    stochastic=st.booleans(),
)
def test_deep_sea_optimum(N, cost, seed, stochastic):
    mdp = deep_sea(N=N, move_cost=cost, stochastic=stochastic, seed=seed)
    check_model(mdp, EpisodicMDP)
    assert mdp.H == N and mdp.S == N * N and mdp.initial[0] == 1.0
    c = 0.01 / N if cost is None else cost
    q = 1 - 1 / N if stochastic else 1.0
    # optimal: right along the diagonal; off it the reward is lost and right only costs
    expected = max(0.0, q ** (N - 1) - c * sum(q**k for k in range(N)))
    _, V, _ = solve_episodic(mdp)
    assert V[0, 0] == pytest.approx(expected, abs=1e-12)
    mapping = deep_sea_action_mapping(N, seed)
    # always-left returns 0; always-right pays 1 - N c (deterministic)
    rows_cols = np.divmod(np.arange(N * N), N)
    right_policy = np.tile(mapping[rows_cols], (N, 1))
    left_policy = 1 - right_policy
    assert evaluate_episodic(mdp, left_policy)[0, 0] == 0.0
    if not stochastic:
        assert evaluate_episodic(mdp, right_policy)[0, 0] == pytest.approx(1 - N * c, abs=1e-12)
    assert same_model(mdp, deep_sea(N=N, move_cost=cost, stochastic=stochastic, seed=seed))


def test_deep_sea_default_and_mapping():
    mdp = deep_sea()
    _, V, _ = solve_episodic(mdp)
    assert V[0, 0] == pytest.approx(0.99, abs=1e-12)
    assert mdp.name == "deep_sea(N=10,seed=0)"
    maps = [deep_sea_action_mapping(10, seed) for seed in range(3)]
    assert not np.array_equal(maps[0], maps[1])
    assert 0 < maps[0].mean() < 1  # both action indices mean 'right' somewhere


# --- bad parameters, every family ------------------------------------------------------------

REJECTED = [
    (garnet, {"S": 0}, "S must be an int >= 1, got 0"),
    (garnet, {"S": 2.5}, "got 2.5"),
    (garnet, {"S": True}, "got True"),
    (garnet, {"A": 0}, "A must be an int >= 1, got 0"),
    (garnet, {"S": 4, "branching": 5}, "branching must be an int in 1..4, got 5"),
    (garnet, {"branching": 0}, "branching"),
    (garnet, {"gamma": 1.0}, "gamma must be a finite number in [0.0, 1.0), got 1.0"),
    (garnet, {"gamma": float("nan")}, "gamma"),
    (garnet, {"H": 0}, "H must be an int >= 1, got 0"),
    (garnet, {"seed": -1}, "seed must be non-negative, got -1"),
    (garnet, {"noise": "poisson"}, "'poisson'"),
    (garnet, {"sparse": "yes"}, "sparse must be True or False"),
    (river_swim, {"S": 1}, "S must be an int >= 2, got 1"),
    (river_swim, {"small_reward": 2.0}, "small_reward < large_reward"),
    (
        river_swim,
        {"small_reward": -0.1},
        "small_reward must be a finite number in [0.0, inf], got -0.1",
    ),
    (river_swim, {"gamma": -0.5}, "got -0.5"),
    (river_swim, {"H": -3}, "H must be an int >= 1, got -3"),
    (combination_lock, {"A": 1}, "A must be an int >= 2, got 1"),
    (combination_lock, {"S": 1}, "S must be an int >= 2, got 1"),
    (chain, {"S": "10"}, "S must be an int >= 2, got '10'"),
    (chain, {"gamma": 1.5}, "got 1.5"),
    (gridworld, {"slip": 1.5}, "slip must be a finite number in [0.0, 1.0], got 1.5"),
    (gridworld, {"step_cost": -1.0}, "step_cost"),
    (gridworld, {"text_map": 3}, "text_map must be a str"),
    (deep_sea, {"N": 0}, "N must be an int >= 1, got 0"),
    (deep_sea, {"move_cost": -0.1}, "move_cost must be a finite number in [0.0, inf], got -0.1"),
    (deep_sea, {"stochastic": 1}, "stochastic must be True or False, got 1"),
]


@pytest.mark.parametrize(
    ("family", "params", "fragment"),
    REJECTED,
    ids=[f"{f.__name__}-{'-'.join(p)}" for f, p, _ in REJECTED],
)
def test_families_reject_bad_parameters(family, params, fragment):
    with pytest.raises(ValueError) as info:
        family(**params)
    assert fragment in str(info.value)
