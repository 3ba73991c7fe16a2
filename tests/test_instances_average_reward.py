"""Average-reward instances: closed forms of D, rho* and sp(h*) against the exact solvers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from instances import make
from instances.average_reward import (
    average_gridworld,
    communicating_garnet,
    lower_bound_epsilon,
    lower_bound_layout,
    ucrl2_lower_bound,
)
from instances.tabular import river_swim
from mdptheory.average_reward import classify, diameter, optimal_gain_bias, summary


def hidden_pair(mdp, depth, delta=0.1):
    """(block, action) whose move from s0 exceeds delta; None if there is none."""
    internal = lower_bound_layout(mdp.A, depth)[0]
    s0 = np.arange(internal, mdp.S, 2)
    moves = mdp.P[s0, :, s0 + 1]  # (blocks, A)
    special = np.argwhere(moves > delta + 1e-12)
    assert len(special) <= 1
    return tuple(int(x) for x in special[0]) if len(special) else None


@pytest.mark.parametrize(("delta", "epsilon"), [(0.1, 0.05), (0.25, 0.0), (0.02, 0.01)])
def test_two_state_block_closed_forms(delta, epsilon):
    info = summary(ucrl2_lower_bound(A=3, depth=0, delta=delta, epsilon=epsilon, seed=5))
    assert info.gain == pytest.approx((delta + epsilon) / (2 * delta + epsilon), rel=1e-12)
    assert info.span == pytest.approx(1 / (2 * delta + epsilon), rel=1e-12)
    assert info.diameter.value == pytest.approx(1 / delta, rel=1e-12)


@pytest.mark.parametrize(("A", "depth", "seed"), [(2, 1, 0), (2, 2, 1), (3, 1, 4), (2, 3, 2)])
def test_composite_gain_and_diameter_closed_forms(A, depth, seed):
    delta, epsilon = 0.1, 0.05
    mdp = ucrl2_lower_bound(A=A, depth=depth, delta=delta, epsilon=epsilon, seed=seed)
    _, blocks, S = lower_bound_layout(A, depth)
    assert mdp.S == S
    L = depth
    rho = (1 / delta) / (L + 1 / (delta + epsilon) + 1 / delta)
    assert optimal_gain_bias(mdp).gain == pytest.approx(rho, rel=1e-12)
    assert hidden_pair(mdp, depth) is not None
    D = diameter(mdp).value
    assert 2 / delta + L - 1e-9 <= D <= 3 / delta + 2 * L - 1 + 1e-9
    if (A, depth) == (2, 1):  # two blocks, one holding the hidden pair
        assert D == pytest.approx(1 / (delta + epsilon) + 2 / delta + 1, rel=1e-12)
    if blocks >= 3 and depth == 1:  # from s0 of a plain block to s1 of another plain block
        assert D == pytest.approx(3 / delta + 1, rel=1e-12)
    assert classify(mdp).communicating


@pytest.mark.parametrize(("size", "slip"), [(2, 0.0), (3, 0.2), (5, 0.1), (6, 0.5)])
def test_gridworld_diameter_knob(size, slip):
    info = summary(average_gridworld(size=size, slip=slip))
    D = 2 * (size - 1) / (1 - slip)
    assert info.diameter.value == pytest.approx(D, rel=1e-12)
    assert info.gain == pytest.approx(1 / (1 + D), rel=1e-12)
    assert info.classification.communicating


def test_river_swim_values_quoted_in_the_module():
    info = summary(river_swim(S=6))
    assert round(info.gain, 4) == 0.4286
    assert round(info.span, 3) == 6.310
    assert round(info.diameter.value, 2) == 14.72


@settings(max_examples=20, deadline=None)
@given(
    S=st.integers(2, 8),
    A=st.integers(1, 3),
    branching=st.integers(1, 3),
    seed=st.integers(0, 10**6),
)
def test_communicating_garnet_is_communicating_and_reproducible(S, A, branching, seed):
    branching = min(branching, S)
    try:
        mdp = communicating_garnet(S=S, A=A, branching=branching, seed=seed, max_tries=200)
    except ValueError as error:
        assert "no communicating Garnet" in str(error)
        return
    assert classify(mdp).communicating
    again = communicating_garnet(S=S, A=A, branching=branching, seed=seed, max_tries=200)
    assert np.array_equal(mdp.P, again.P) and np.array_equal(mdp.R, again.R)
    assert np.isfinite(diameter(mdp).value)


def test_seeds_fix_the_hidden_pair_bit_for_bit():
    a = ucrl2_lower_bound(A=3, depth=1, seed=7)
    b = ucrl2_lower_bound(A=3, depth=1, seed=7)
    assert np.array_equal(a.P, b.P)
    assert len({hidden_pair(ucrl2_lower_bound(A=3, depth=1, seed=s), 1) for s in range(30)}) > 1


def test_registry_builds_the_families_from_strings():
    assert make("ucrl2_lower_bound", A="3", depth="1", seed="2").name == (
        "ucrl2_lower_bound(A=3,depth=1,delta=0.1,epsilon=0.05,seed=2)"
    )
    assert make("average_gridworld", size="4").S == 16
    assert make("communicating_garnet", S="5", A="2").S == 5


def test_lower_bound_epsilon_is_tuned_to_T():
    assert lower_bound_epsilon(0.1, 4, 10_000) == pytest.approx(np.sqrt(0.1 * 4 / 10_000))
    assert lower_bound_epsilon(0.1, 4, 1) == 0.1  # capped at delta


@pytest.mark.parametrize(
    ("builder", "params", "fragment"),
    [
        (ucrl2_lower_bound, {"A": 1}, "A must be an int >= 2"),
        (ucrl2_lower_bound, {"delta": 0.0}, "delta must be a finite number in (0.0, 1.0]"),
        (ucrl2_lower_bound, {"delta": 0.9, "epsilon": 0.2}, "delta + epsilon <= 1"),
        (ucrl2_lower_bound, {"depth": -1}, "depth must be an int >= 0"),
        (average_gridworld, {"size": 1}, "size must be an int >= 2"),
        (average_gridworld, {"slip": 1.0}, "slip must be a finite number in [0.0, 1.0)"),
        (communicating_garnet, {"branching": 9, "S": 4}, "branching must be an int in 1..4"),
        (
            communicating_garnet,
            {"S": 3, "A": 1, "branching": 1, "seed": 0, "max_tries": 1},
            "no communicating Garnet",
        ),
    ],
)
def test_bad_parameters_name_themselves(builder, params, fragment):
    with pytest.raises(ValueError) as info:
        builder(**params)
    assert fragment in str(info.value)
