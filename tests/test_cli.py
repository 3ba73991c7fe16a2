"""The mdptheory command."""

import subprocess
import sys

import numpy as np
from conftest import cli_argv

from mdptheory.cli import default_mdp, main


def test_solve_default_prints_values_policy_and_certificate(capsys):
    assert main(["solve", "--size", "5", "--gamma", "0.95", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "V*" in out and "optimal policy" in out and "certificate" in out


def test_solve_methods_agree(capsys):
    main(["solve", "--size", "4", "--method", "linear_program"])
    lp = capsys.readouterr().out
    main(["solve", "--size", "4", "--method", "policy_iteration"])
    pi = capsys.readouterr().out
    assert lp.split("V*(rho) = ")[1][:10] == pi.split("V*(rho) = ")[1][:10]


def test_default_mdp_is_seeded():
    a, b = default_mdp(7, seed=4), default_mdp(7, seed=4)
    np.testing.assert_array_equal(a.P, b.P)
    assert not np.array_equal(a.P, default_mdp(7, seed=5).P)


def test_bad_size_is_a_clear_error(capsys):
    assert main(["solve", "--size", "0"]) == 2
    assert "--size must be >= 1" in capsys.readouterr().err


def test_console_script_runs():
    result = subprocess.run(
        [sys.executable, "-m", "mdptheory.cli", "solve", "--size", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "certificate" in result.stdout


def test_solve_a_catalogue_instance(capsys):
    assert main(["solve", "river_swim", "--S", "5", "--H", "12"]) == 0
    out = capsys.readouterr().out
    assert "river_swim" in out and "V*_1(rho)" in out


def test_solve_rejects_unknown_instance_parameter(capsys):
    assert main(["solve", "river_swim", "--colour", "blue"]) == 2
    assert "colour" in capsys.readouterr().err


def test_check_writes_a_report(tmp_path, capsys):
    code = main(["check", "--only", "kakade-langford-2002-pdl", "--out", str(tmp_path)])
    assert code == 0
    assert (tmp_path / "report.md").exists() and (tmp_path / "results.json").exists()


def test_run_writes_traces_and_figure_and_resumes(tmp_path, capsys):
    command = "run ucbvi river_swim --S 4 --H 5 --budget 300 --seeds 2 --no-progress"
    argv = cli_argv(command, "--hp bonus=bernstein", out=tmp_path)
    assert main(argv) == 0
    out = capsys.readouterr().out
    folders = list(tmp_path.glob("ucbvi__river_swim__*"))
    assert len(folders) == 1
    assert (folders[0] / "curve.png").exists()
    assert len(list(folders[0].glob("seed_*"))) == 2
    first = out.split("final cumulative pseudo-regret: ")[1].split()[0]
    assert main(argv) == 0  # resumes from the saved traces
    again = capsys.readouterr().out.split("final cumulative pseudo-regret: ")[1].split()[0]
    assert first == again


def test_run_rejects_unknown_learner_and_hyperparameter(capsys):
    assert main(["run", "no-such-learner", "river_swim"]) == 2
    assert "registered" in capsys.readouterr().err
    assert main(["run", "ucbvi", "river_swim", "--hp", "colour=blue"]) == 2
    assert "accepted" in capsys.readouterr().err


def test_list_shows_checks_instances_and_learners(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "kakade-langford-2002-pdl" in out and "river_swim" in out and "ucbvi" in out


def test_solve_icvar_prints_both_policies(capsys):
    assert main(["solve", "safe_vs_risky_route", "--objective", "icvar", "--alpha", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "risk-averse policy" in out and "mean-optimal policy" in out and "differ" in out


def test_solve_static_cvar_and_a_discounted_model_is_refused(capsys):
    assert main(["solve", "safe_vs_risky_route", "--objective", "static-cvar"]) == 0
    assert "static CVaR_0.1" in capsys.readouterr().out
    assert main(["solve", "river_swim", "--objective", "icvar"]) == 2
    assert "needs an episodic model" in capsys.readouterr().err


def test_run_offline_learner_plots_the_control_beside_it(tmp_path, capsys):
    command = "run pevi lure_linear_mdp --budget 200 --seeds 2 --no-progress"
    assert main(cli_argv(command, "--hp c=0.05 --hp exclude=0,0,2", out=tmp_path)) == 0
    (folder,) = tmp_path.glob("pevi__lure_linear_mdp__*")
    assert (folder / "curve.png").stat().st_size > 10_000
    assert "final gap" in capsys.readouterr().out


def test_run_reports_the_burn_in_and_the_policy_changes(tmp_path, capsys):
    from mdptheory.cli import main

    code = main(
        cli_argv("run ucbvi river_swim --H 10 --budget 2000 --seeds 2 --no-progress", out=tmp_path)
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "policy changes per seed" in out
    assert "burn-in from the bonus formula" in out and "(bonus_scale = 1)" in out
    assert "this run ends inside the burn-in" in out and "--hp bonus_scale=0.1" in out
    code = main(
        cli_argv("run ucb1 bernoulli_bandit --budget 200 --seeds 2 --no-progress", out=tmp_path)
    )
    out = capsys.readouterr().out
    assert code == 0 and "burn-in" not in out  # no bonus formula to read it from
