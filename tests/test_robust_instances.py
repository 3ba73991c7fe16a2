"""The safe-vs-fast-route instance: robust and nominal optima differ as its docstring says."""

import numpy as np
import pytest
from conftest import refusal_test

import mdptheory as mt
from instances.registry import make
from instances.robust import safe_vs_fast_route
from mdptheory.evaluation import evaluate
from mdptheory.planning import solve
from mdptheory.robust import UncertaintySet, robust_evaluate, robust_value_iteration

BALLS = [
    UncertaintySet("kl", radius=0.1),
    UncertaintySet("chi2", radius=0.1),
    UncertaintySet("tv", radius=0.1, support="nominal"),
]


def test_values_at_the_start_are_the_closed_forms():
    mdp = safe_vs_fast_route(safe_length=3, crash_prob=0.2, gamma=0.8)
    fast = evaluate(mdp, np.zeros(mdp.S, dtype=np.int64))[0]
    safe = evaluate(mdp, np.ones(mdp.S, dtype=np.int64))[0]
    assert fast == pytest.approx(0.8 * 0.8**2 / 0.2, abs=1e-12)
    assert safe == pytest.approx(0.8**4 / 0.2, abs=1e-12)


@pytest.mark.parametrize("ball", BALLS, ids=lambda b: b.label)
def test_robust_policy_beats_nominal_on_a_worst_kernel_and_loses_on_the_nominal(ball):
    mdp = safe_vs_fast_route()
    nominal = solve(mdp)
    robust = robust_value_iteration(mdp, ball, tol=1e-12)
    assert nominal.policy[0] == 0 and robust.policy[0] == 1
    # the worst kernel for the nominal policy is in the set; there the robust policy wins
    worst = robust_evaluate(mdp, nominal.policy, ball).worst_kernel
    for s in range(mdp.S):
        for a in range(mdp.A):
            assert ball.contains(mdp.P[s, a], worst[s, a])
    on_worst = mt.FiniteMDP(worst, mdp.R, mdp.gamma)
    assert evaluate(on_worst, robust.policy)[0] > evaluate(on_worst, nominal.policy)[0] + 0.1
    assert evaluate(mdp, nominal.policy)[0] > evaluate(mdp, robust.policy)[0] + 0.1


def test_a_small_ball_keeps_the_fast_road():
    mdp = safe_vs_fast_route()
    assert robust_value_iteration(mdp, UncertaintySet("kl", radius=0.01)).policy[0] == 0


def test_registry_builds_it_and_same_parameters_same_model():
    a, b = make("safe_vs_fast_route", crash_prob="0.1"), safe_vs_fast_route(crash_prob=0.1)
    np.testing.assert_array_equal(a.P, b.P)
    assert a.name == b.name


test_bad_parameters_are_refused = refusal_test(
    safe_vs_fast_route,
    [
        ({"safe_length": 0}, "safe_length must be an int >= 1"),
        ({"crash_prob": 1.0}, "crash_prob must"),
        ({"gamma": 1.0}, "gamma must"),
        ({"crash_prob": "x"}, "crash_prob must be a real number"),
    ],
)
