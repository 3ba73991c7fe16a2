"""Exact transport and the bisimulation metric: oracles, invariants, reproducibility, bad input
and the registered checks at quick scale."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import assert_quick_pass
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from instances.tabular import garnet
from mdptheory import FiniteMDP, evaluate, solve
from mdptheory.diagnostics import diagnose
from mdptheory.diagnostics.bisimulation import (
    bisimulation_metric,
    bisimulation_operator,
    pi_bisimulation_metric,
)
from mdptheory.diagnostics.transport import wasserstein, wasserstein_line
from proofs_check import harness
from proofs_check.strategies import finite_mdps

# ----------------------------------------------------------------- transport


@st.composite
def rational_problems(draw):
    """Two distributions with masses k / n on random points of the plane (n <= 12)."""
    n = draw(st.integers(1, 12))
    m_support = draw(st.integers(1, 5))
    n_support = draw(st.integers(1, 5))
    p_counts = draw(
        st.lists(st.integers(0, 4), min_size=m_support, max_size=m_support).filter(
            lambda c: sum(c) > 0
        )
    )
    q_counts = draw(
        st.lists(st.integers(0, 4), min_size=n_support, max_size=n_support).filter(
            lambda c: sum(c) > 0
        )
    )
    # integer counts over a common denominator, so the expanded assignment problem is exact
    lcm = np.lcm(sum(p_counts), sum(q_counts))
    p = np.array([Fraction(c * (lcm // sum(p_counts)), lcm) for c in p_counts])
    q = np.array([Fraction(c * (lcm // sum(q_counts)), lcm) for c in q_counts])
    seed = draw(st.integers(0, 2**31))
    points = np.random.default_rng(seed).random((m_support + n_support, 2))
    del n
    return p, q, points[:m_support], points[m_support:]


def _assignment_value(p, q, cost) -> float:
    """W_1 of rational masses by expanding each point into unit atoms and solving the
    assignment problem (Hungarian method; no code shared with either transport solver)."""
    denominator = int(np.lcm.reduce([f.denominator for f in (*p, *q)]))
    rows = np.repeat(np.arange(len(p)), [int(f * denominator) for f in p])
    cols = np.repeat(np.arange(len(q)), [int(f * denominator) for f in q])
    expanded = cost[np.ix_(rows, cols)]
    r, c = linear_sum_assignment(expanded)
    return float(expanded[r, c].sum() / denominator)


@settings(max_examples=60, deadline=None)
@given(rational_problems())
def test_transport_solvers_agree_with_the_assignment_oracle(problem):
    p, q, x, y = problem
    cost = np.linalg.norm(x[:, None] - y[None], axis=2)
    pf, qf = p.astype(float), q.astype(float)
    oracle = _assignment_value(p, q, cost)
    assert wasserstein(pf, qf, cost) == pytest.approx(oracle, abs=1e-12)
    assert wasserstein(pf, qf, cost, method="lp") == pytest.approx(oracle, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10), st.integers(1, 10), st.integers(0, 2**31))
def test_transport_on_a_line_is_the_cdf_formula(m, n, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.random(m), rng.random(n)
    p, q = rng.dirichlet(np.ones(m)), rng.dirichlet(np.ones(n))
    cost = np.abs(x[:, None] - y[None])
    assert wasserstein(p, q, cost) == pytest.approx(wasserstein_line(p, q, x, y), abs=1e-12)


def test_transport_is_symmetric_and_zero_on_equal_distributions():
    rng = np.random.default_rng(3)
    points = rng.random((6, 2))
    cost = np.linalg.norm(points[:, None] - points[None], axis=2)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    assert wasserstein(p, q, cost) == pytest.approx(wasserstein(q, p, cost.T), abs=1e-14)
    assert wasserstein(p, p, cost) == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(
    ("p", "q", "cost", "match"),
    [
        ([1.2, -0.2], [1.0], [[0.0], [1.0]], r"p\[1\] is -0.2"),
        ([0.5, 0.4], [1.0], [[0.0], [1.0]], "p sums to"),
        ([1.0], [1.0], [[0.0, 1.0]], "cost has shape"),
        ([1.0], [1.0], [[-1.0]], r"cost\[0, 0\] is -1.0"),
        ([1.0], [1.0], [[np.nan]], r"cost\[0, 0\] is nan"),
    ],
)
def test_transport_bad_input_names_the_offender(p, q, cost, match):
    with pytest.raises(ValueError, match=match):
        wasserstein(p, q, cost)


def test_transport_unknown_method():
    with pytest.raises(ValueError, match="method"):
        wasserstein([1.0], [1.0], [[0.0]], method="sinkhorn")


# ----------------------------------------------------------------- the metric


def test_hand_example():
    # states 0 and 1 are copies; d(0, 2) = c_R + c_T d(1, 2) / 2 with c_R = c_T = 1/2
    P = np.array([[[0.0, 0.5, 0.5]], [[0.0, 0.5, 0.5]], [[0.0, 0.0, 1.0]]])
    result = bisimulation_metric(FiniteMDP(P, [[1.0], [1.0], [0.0]], gamma=0.5), tol=1e-13)
    assert result.distance[0, 1] == 0.0
    assert result.distance[0, 2] == pytest.approx(2 / 3, abs=1e-13)
    assert result.classes().tolist() == [0, 0, 1]
    assert result.stop_reason == "tolerance" and result.bound <= 1e-13


@pytest.mark.parametrize("seed", range(3))
def test_fixed_point_of_the_lp_operator(seed):
    """The returned metric is a fixed point of F computed by HiGHS (no shared code), up to the
    contraction slack of the certificate."""
    mdp = garnet(S=8, A=3, branching=3, gamma=0.8, seed=seed)
    result = bisimulation_metric(mdp, tol=1e-11)
    lp = bisimulation_operator(mdp, result.distance, method="lp")
    assert np.abs(lp - result.distance).max() <= (1 + 0.8) * result.bound + 1e-9


@pytest.mark.parametrize("gamma", [0.5, 0.9, 0.99])
def test_strategy_iteration_agrees_with_plain_iteration(gamma):
    mdp = garnet(S=10, A=2, branching=3, gamma=gamma, seed=1)
    fast = bisimulation_metric(mdp, tol=1e-10)
    plain = bisimulation_metric(mdp, tol=1e-10, accelerate=False)
    assert np.abs(fast.distance - plain.distance).max() <= fast.bound + plain.bound
    assert fast.applications < plain.applications


def test_sparse_and_dense_kernels_agree():
    dense = garnet(S=12, A=3, seed=4)
    sparse = garnet(S=12, A=3, seed=4, sparse=True)
    np.testing.assert_allclose(
        bisimulation_metric(sparse).distance, bisimulation_metric(dense).distance, atol=1e-12
    )


@settings(max_examples=25, deadline=None)
@given(finite_mdps(min_states=2, max_states=6, max_actions=3))
def test_metric_is_a_pseudometric_bounding_value_differences(mdp):
    result = bisimulation_metric(mdp, tol=1e-11)
    d, bound = result.distance, result.bound
    np.testing.assert_array_equal(d, d.T)
    assert np.all(np.diag(d) == 0) and np.all(d >= 0)
    triangle = d[:, None, :] - d[:, :, None] - d[None, :, :].transpose(0, 2, 1)
    assert triangle.max() <= 3 * bound + 1e-12  # d(s,u) <= d(s,t) + d(t,u)
    V = solve(mdp).values
    gap = (1 - mdp.gamma) * np.abs(V[:, None] - V[None])  # c_R = 1 - gamma, c_T = gamma
    assert np.all(gap <= d + bound + 1e-9 * (1 + np.abs(V).max()))


@settings(max_examples=20, deadline=None)
@given(finite_mdps(min_states=2, max_states=5, max_actions=3), st.integers(0, 2**31))
def test_pi_bisimulation_bounds_policy_values(mdp, seed):
    policy = np.random.default_rng(seed).dirichlet(np.ones(mdp.A), size=mdp.S)
    result = pi_bisimulation_metric(mdp, policy, tol=1e-11)
    V = evaluate(mdp, policy)
    scale = 1e-9 * (1 + np.abs(V).max())
    assert np.all(np.abs(V[:, None] - V[None]) <= result.distance + result.bound + scale)


def test_pi_bisimulation_of_a_deterministic_policy_is_that_of_its_one_action_model():
    mdp = garnet(S=7, A=3, gamma=0.9, seed=2)
    policy = np.array([0, 1, 2, 0, 1, 2, 0])
    states = np.arange(mdp.S)
    restricted = FiniteMDP(
        mdp.P[states, policy][:, None, :], mdp.R[states, policy][:, None], gamma=0.9
    )
    a = pi_bisimulation_metric(mdp, policy, c_R=0.1, c_T=0.9)
    b = bisimulation_metric(restricted, c_R=0.1, c_T=0.9)
    np.testing.assert_allclose(a.distance, b.distance, atol=a.bound + b.bound)


def test_same_input_same_metric_bit_for_bit():
    mdp = garnet(S=15, A=3, seed=7)
    np.testing.assert_array_equal(
        bisimulation_metric(mdp).distance, bisimulation_metric(mdp).distance
    )


def test_operator_methods_agree_and_contract():
    mdp = garnet(S=7, A=2, seed=3, gamma=0.7)
    rng = np.random.default_rng(0)
    points = rng.random((7, 2))
    d1 = np.linalg.norm(points[:, None] - points[None], axis=2)
    d2 = d1 + 0.3 * (1 - np.eye(7))
    F1 = bisimulation_operator(mdp, d1)
    np.testing.assert_allclose(F1, bisimulation_operator(mdp, d1, method="lp"), atol=1e-9)
    assert np.abs(bisimulation_operator(mdp, d2) - F1).max() <= 0.7 * 0.3 + 1e-12


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"c_T": 1.0}, ValueError, "c_T"),
        ({"c_R": 0.0}, ValueError, "c_R"),
        ({"tol": -1.0}, ValueError, "tol"),
        ({"max_iter": 0}, ValueError, "max_iter"),
    ],
)
def test_bad_parameters(kwargs, error, match):
    with pytest.raises(error, match=match):
        bisimulation_metric(garnet(S=4, A=2, seed=0), **kwargs)


def test_bad_models_and_distances():
    with pytest.raises(ValueError, match="FiniteMDP"):
        bisimulation_metric(garnet(S=4, A=2, H=3, seed=0))
    mdp = garnet(S=3, A=2, seed=0)
    with pytest.raises(ValueError, match=r"d\[0, 1\] = 1.0 differs from d\[1, 0\]"):
        bisimulation_operator(mdp, np.array([[0, 1.0, 0], [0.5, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match=r"d\[1, 1\] is 1.0"):
        bisimulation_operator(mdp, np.diag([0.0, 1.0, 0.0]))
    with pytest.raises(ValueError, match="shape"):
        bisimulation_operator(mdp, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="policy"):
        pi_bisimulation_metric(mdp, np.array([0, 5, 0]))


def test_max_iter_is_reported():
    result = bisimulation_metric(garnet(S=6, A=2, seed=0), accelerate=False, max_iter=3)
    assert result.stop_reason == "max_iter" and result.applications == 3
    assert result.bound > 1e-9


def test_sparse_csr_input_with_explicit_zeros():
    P = sp.csr_array(np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]))
    P.data[0] = 0.5
    mdp = FiniteMDP(P, [[0.0], [1.0], [1.0]], gamma=0.5)
    assert bisimulation_metric(mdp).distance[1, 2] == 0.0


def test_diagnosis_of_a_discounted_model():
    found = {d.name: d for d in diagnose(garnet(S=6, A=2, seed=0))}
    assert "bisimulation metric" in found  # beside the feature diagnostics
    assert not {"effective horizon", "coverability"} & set(found)
    assert "Ferns" in found["bisimulation metric"].definition
    assert found["bisimulation metric"].values["c_T (contraction rate)"] == 0.9


@pytest.mark.parametrize(
    "check_id",
    [
        "ferns2004-bisimulation-contraction",
        "ferns2004-bisimulation-value-bound",
        "ferns2005-bisimulation-discretisation",
    ],
)
def test_registered_checks_pass_at_quick_scale(check_id):
    assert_quick_pass(check_id)
    assert not harness.get(check_id).verified
