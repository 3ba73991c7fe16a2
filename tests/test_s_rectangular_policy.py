"""The optimal randomised policy under the s-rectangular TV set and its check."""

import itertools

import numpy as np
import pytest
from conftest import assert_quick_pass, property_settings, random_discounted_mdp
from hypothesis import given
from hypothesis import strategies as st

from mdptheory import FiniteMDP
from mdptheory.robust import (
    s_rectangular_tv_evaluate,
    s_rectangular_tv_policy,
    s_rectangular_tv_values,
)


def _two_loops() -> FiniteMDP:
    """State 0: two actions that both stay (reward 1); state 1: absorbing, reward 0. Nature's
    budget 0.5 moves half of one row to state 1: against a deterministic action it spends all of
    it on that row, against (1/2, 1/2) each unit is worth half as much."""
    P = np.zeros((2, 2, 2))
    P[0, :, 0] = 1.0
    P[1, :, 1] = 1.0
    return FiniteMDP(P, [[1.0, 1.0], [0.0, 0.0]], gamma=0.5)


def test_randomised_policy_is_optimal_and_beats_every_deterministic_one():
    mdp = _two_loops()
    result = s_rectangular_tv_policy(mdp, radius=0.5)
    np.testing.assert_allclose(result.policy[0], [0.5, 0.5], atol=1e-6)
    assert result.gap < 1e-6
    for action in (0, 1):
        deterministic = s_rectangular_tv_evaluate(mdp, np.array([action, 0]), 0.5, tol=1e-12)
        assert deterministic.values[0] < result.policy_values[0] - 0.05
    # Exact oracle: V(0) = 1 + 0.5 (1 - 0.25) V(0) with the budget spread over both rows.
    assert result.values.values[0] == pytest.approx(1.0 / (1.0 - 0.5 * 0.75), abs=1e-8)


def test_radius_zero_gives_the_nominal_optimum():
    mdp = random_discounted_mdp(3, S=3, A=2, gamma=0.8, concentration=1.0)
    result = s_rectangular_tv_policy(mdp, radius=0.0)
    nominal = s_rectangular_tv_values(mdp, 0.0, tol=1e-12).values
    np.testing.assert_allclose(result.policy_values, nominal, atol=1e-7)


@property_settings(15)
@given(seed=st.integers(0, 10_000), radius=st.floats(0.0, 1.5))
def test_lp_policy_attains_the_robust_values_and_no_deterministic_policy_beats_it(seed, radius):
    mdp = random_discounted_mdp(seed, S=2, A=2, gamma=0.9, concentration=0.5)
    result = s_rectangular_tv_policy(mdp, radius)
    assert result.gap < 1e-6
    assert np.all(result.policy >= 0) and np.allclose(result.policy.sum(axis=1), 1.0)
    for actions in itertools.product(range(2), repeat=2):
        values = s_rectangular_tv_evaluate(mdp, np.array(actions), radius, tol=1e-10).values
        assert np.all(values <= result.policy_values + 1e-6)


def test_same_inputs_same_policy():
    a = s_rectangular_tv_policy(_two_loops(), 0.3).policy
    b = s_rectangular_tv_policy(_two_loops(), 0.3).policy
    np.testing.assert_array_equal(a, b)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="radius"):
        s_rectangular_tv_policy(_two_loops(), -0.1)
    with pytest.raises(ValueError, match="FiniteMDP"):
        s_rectangular_tv_policy("not an MDP", 0.1)


def test_check_passes_at_quick_scale_and_rejects_its_control():
    result = assert_quick_pass("wiesemann2013-s-rectangular-randomised-policy")
    assert result.evidence.fitted["mdps_where_randomisation_pays"] >= 1
