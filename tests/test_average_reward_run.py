"""`mdptheory run` on the average-reward learners: the x axis is the step t, the policy
changes are counted from the policies the epochs planned, and the burn-in dispatcher reads
UCRL2's radii."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import cli_argv
from saved_figures import capture_saved_figures

from algorithms.average_reward import TSDE, UCRL2, UCRL2B, CertaintyEquivalence, FixedPolicy
from algorithms.average_reward import burn_in as ar_burn_in
from algorithms.burn_in import SCALE_GRID, WITHIN, learner_burn_in
from instances.tabular import river_swim
from mdptheory.cli import main, policy_changes
from mdptheory.experiment import load_trace


@pytest.mark.parametrize("learner", [UCRL2(), TSDE(), CertaintyEquivalence(epsilon=0.0)])
def test_epoch_policy_is_the_policy_executed_in_each_epoch(learner):
    mdp = river_swim(S=4)
    kwargs = {} if isinstance(learner, CertaintyEquivalence) else {"record_trajectory": True}
    trace = learner.run(mdp, 3000, 2, **kwargs)
    policies = trace.extras["epoch_policy"]
    starts = trace.extras["epoch_start"]
    assert policies.shape == (starts.size, mdp.S) and policies.dtype == np.int64
    if kwargs:
        states, actions = trace.extras["states"][:-1], trace.extras["actions"]
        epoch = np.searchsorted(starts, np.arange(actions.size), side="right") - 1
        np.testing.assert_array_equal(actions, policies[epoch, states])
    # The count: epochs whose policy differs from the previous one (an oracle loop).
    expected = sum(not np.array_equal(policies[k], policies[k - 1]) for k in range(1, starts.size))
    assert policy_changes(trace) == expected
    assert expected < starts.size  # the doubling rule replans more often than it changes


def test_fixed_policy_never_changes():
    trace = FixedPolicy((1, 1, 0, 0)).run(river_swim(S=4), 500, 0)
    np.testing.assert_array_equal(trace.extras["epoch_policy"], [[1, 1, 0, 0]])
    assert policy_changes(trace) == 0


def test_burn_in_dispatcher_reads_ucrl2_radii():
    mdp = river_swim(S=6)
    T = 10**7
    burn = learner_burn_in(UCRL2(), mdp, T)
    assert burn.episodes == ar_burn_in(UCRL2(), mdp, T).steps == 6605616
    assert burn.unit == "steps" and burn.scale_name == "radius_scale" and burn.scale == 1.0
    assert "smallest positive Bellman gap" in burn.rule
    # The suggestion is the largest scale of the grid whose burn-in ends by WITHIN * T.
    steps = {c: ar_burn_in(UCRL2(radius_scale=c), mdp, T).steps for c in SCALE_GRID}
    within = [c for c in SCALE_GRID if steps[c] <= WITHIN * T]
    assert burn.suggested_scale == within[0]
    assert burn.suggested_episodes == steps[within[0]]
    assert not burn.within(T) and steps[0.01] < steps[0.1] < steps[1.0]
    bernstein = learner_burn_in(UCRL2B(), mdp, T)
    assert bernstein.episodes == ar_burn_in(UCRL2B(), mdp, T).steps
    assert learner_burn_in(TSDE(), mdp, T) is None  # no radius to read it from


def test_run_ucrl2_plots_against_the_step_and_counts_epoch_policies(tmp_path, capsys, monkeypatch):
    saved = capture_saved_figures(monkeypatch)
    command = "run ucrl2 river_swim --S 4 --budget 3000 --seeds 2 --hp radius_scale=0.1"
    assert main(cli_argv(command, "--no-progress", out=tmp_path)) == 0
    out = capsys.readouterr().out
    assert [ax["xlabel"] for figure in saved for ax in figure] == ["step t"]
    (folder,) = tmp_path.glob("ucrl2__river_swim__*")
    counts = sorted(policy_changes(load_trace(p)) for p in sorted(folder.glob("seed_*")))
    line = next(x for x in out.splitlines() if x.startswith("policy changes per seed"))
    assert "epochs whose planned policy differs" in line
    assert line.endswith(f"min {counts[0]}, median {int(np.median(counts))}, max {counts[-1]}")
    assert "burn-in from the bonus formula" in out and "steps (radius_scale = 0.1)" in out
