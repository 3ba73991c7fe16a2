"""UCRL-VTR: a numpy transcription replays the compiled run, optimism, seeds, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import refusal_test
from hypothesis import given, settings
from hypothesis import strategies as st

from algorithms.mixture import UCRLVTR, GreedyVTR, burn_in, ucrl_vtr_radius
from algorithms.registry import make_learner
from instances.linear_mixture import random_linear_mixture_mdp, reward_free_hard_instance
from mdptheory.evaluation import policy_value_at_start
from mdptheory.planning import backward_induction


def _model(seed=0, **kwargs):
    params = dict(S=4, A=2, H=3, d=3, rewards="per_step", seed=seed)
    params.update(kwargs)
    return random_linear_mixture_mdp(**params)


def _reference(model, learner, states, actions):
    """UCRL-VTR transcribed with numpy from the module notes, replaying recorded trajectories:
    the Q of every episode (the policy is its argmax)."""
    H, S, A, d = model.H, model.S, model.A, model.d
    radii = learner.radii(model, states.shape[0])
    M, b = np.eye(d), np.zeros(d)
    Qs = []
    for k in range(states.shape[0]):
        theta = np.linalg.solve(M, b)
        M_inv = np.linalg.inv(M)
        V = np.zeros(S)
        Q = np.zeros((H, S, A))
        feats = []
        for h in range(H - 1, -1, -1):
            X = np.einsum("isat,t->sai", model.basis, V)
            feats.append(X)
            widths = np.sqrt(np.maximum(np.einsum("sai,ij,saj->sa", X, M_inv, X), 0.0))
            Q[h] = np.minimum(H, model.R[h] + X @ theta + radii[k] * widths)
            V = Q[h].max(axis=1)
        feats = feats[::-1]
        Qs.append(Q)
        values = [Q[h].max(axis=1) for h in range(H)] + [np.zeros(S)]
        for h in range(H):
            x = feats[h][states[k, h], actions[k, h]]
            M += np.outer(x, x)
            b += x * values[h + 1][states[k, h + 1]]
    return np.array(Qs)


@pytest.mark.parametrize("c", [1.0, 0.1, 0.0])
def test_numpy_transcription_replays_the_compiled_run(c):
    model = _model(seed=1)
    learner = UCRLVTR(c=c, record_policies=True)
    trace = learner.run(model, budget=40, seed=3)
    Q = _reference(model, learner, trace.extras["states"], trace.extras["actions"])
    # The executed policy is greedy in the reference Q (ties within rounding allowed).
    policies = trace.extras["policies"]
    chosen = np.take_along_axis(Q, policies[..., None], axis=3)[..., 0]
    np.testing.assert_allclose(chosen, Q.max(axis=3), atol=1e-9)
    if c == 0.0:
        np.testing.assert_array_equal(trace.extras["radius"], 0.0)


def test_recorded_pseudo_regret_is_the_exact_regret_of_the_executed_policies():
    model = _model(seed=2)
    trace = UCRLVTR(c=0.3, record_policies=True).run(model, budget=30, seed=0)
    twin = model.tabular()
    optimum = policy_value_at_start(twin, backward_induction(twin).policy)
    for k in (0, 7, 29):
        value = policy_value_at_start(twin, trace.extras["policies"][k])
        assert trace.pseudo_regret[k] == pytest.approx(optimum - value, abs=1e-12)


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**16), d=st.integers(1, 4), S=st.integers(2, 5))
def test_optimism_while_theta_is_in_the_confidence_set(seed, d, S):
    """Theorem 1's event implies Q_k >= Q*: on every episode where theta is in the ellipsoid,
    the optimism gap is non-negative, and Q never exceeds the clip H."""
    model = _model(seed=seed, d=d, S=S)
    trace = UCRLVTR(record_policies=True).run(model, budget=20, seed=seed)
    inside = trace.extras["in_confidence_set"]
    assert (trace.extras["optimism_gap"][inside] >= -1e-9 * model.H).all()
    assert (trace.pseudo_regret >= -1e-12).all()


def test_same_seed_same_trace_bit_for_bit():
    model = _model(seed=4)
    a = UCRLVTR(c=0.3).run(model, budget=50, seed=11)
    b = UCRLVTR(c=0.3).run(model, budget=50, seed=11)
    np.testing.assert_array_equal(a.pseudo_regret, b.pseudo_regret)
    np.testing.assert_array_equal(a.realised_regret, b.realised_regret)
    np.testing.assert_array_equal(a.extras["theta_hat"], b.extras["theta_hat"])


def test_radius_and_burn_in_formulas():
    r = ucrl_vtr_radius(4, 5, np.array([0.0, 100.0]), 0.05, B=1.0, L=10.0)
    expected = 2.5 * np.sqrt(2 * np.log(20) + 4 * np.log1p(np.array([0.0, 100.0]) * 100 / 4)) + 1
    np.testing.assert_allclose(r, expected, rtol=1e-14)
    assert burn_in(4, 5, 1000, 1.0, 10.0, c=0.0) == 0
    radius = ucrl_vtr_radius(4, 5, 5000.0, 0.05, 1.0, 10.0)
    assert burn_in(4, 5, 1000, 1.0, 10.0) == int(np.ceil(4 * (4 * radius**2 - 1) / 5))


def test_labels_constants_and_registry():
    assert UCRLVTR().constants == "paper (c = 1)"
    assert UCRLVTR(c=0.1).constants == "scaled (c = 0.1)"
    assert GreedyVTR().constants == "greedy (c = 0)"
    assert isinstance(make_learner("ucrl-vtr", c="0.5"), UCRLVTR)
    trace = make_learner("ucrl-vtr").run(reward_free_hard_instance(d=3, H=3), budget=5, seed=0)
    assert trace.metadata["constants"] == "paper (c = 1)"
    assert trace.metadata["radius_formula"].startswith("sqrt(beta_k)")


test_bad_hyperparameters = refusal_test(
    UCRLVTR,
    [
        ({"c": -1.0}, "c"),
        ({"delta": 1.5}, "delta"),
        ({"theta_bound": 0.0}, "theta_bound"),
        ({"refactor_every": 0}, "refactor_every"),
    ],
)


def test_bad_models_and_budget():
    from instances.tabular import river_swim
    from mdptheory.linear_mixture import LinearMixtureMDP

    with pytest.raises(ValueError, match="LinearMixtureMDP"):
        UCRLVTR().run(river_swim(S=3, H=3), budget=5, seed=0)
    basis = np.stack([np.eye(2)[:, None, :], np.eye(2)[::-1][:, None, :]])
    staged = LinearMixtureMDP(basis, [[1.0, 0.0], [0.0, 1.0]], np.zeros((2, 1)), H=2)
    with pytest.raises(ValueError, match="homogeneous"):
        UCRLVTR().run(staged, budget=5, seed=0)
    loud = LinearMixtureMDP(basis, [1.0, 0.0], np.full((2, 1), 2.0), H=2)
    with pytest.raises(ValueError, match=r"R\[0, 0, 0\] is 2\.0"):
        UCRLVTR().run(loud, budget=5, seed=0)
    with pytest.raises(ValueError, match="episodes"):
        UCRLVTR().run(_model(), budget=0, seed=0)
    with pytest.raises(ValueError, match="no bonus"):
        GreedyVTR(c=1.0)
