"""`mdptheory diagnose`: every diagnosis that applies, with its definition."""

from __future__ import annotations

from mdptheory.cli import main


def test_episodic_instance(capsys):
    assert main(["diagnose", "effective_horizon_lure", "--H", "8", "--k_star", "3"]) == 0
    out = capsys.readouterr().out
    assert "effective horizon" in out and "k*: 3" in out and "Laidlaw" in out
    assert "coverability" in out and "Xie" in out
    assert "bisimulation" not in out


def test_discounted_instance(capsys):
    assert main(["diagnose", "garnet", "--S", "8", "--A", "2"]) == 0
    out = capsys.readouterr().out
    assert "bisimulation metric" in out and "Ferns" in out and "certified error" in out


def test_linear_instance_is_diagnosed_through_its_tabular_twin(capsys):
    assert main(["diagnose", "tabular_as_linear", "--S", "4", "--H", "3"]) == 0
    assert "(of the exact tabular twin)" in capsys.readouterr().out


def test_nothing_applies(capsys):
    assert main(["diagnose", "bernoulli_bandit"]) == 0
    assert "no registered diagnosis applies" in capsys.readouterr().out


def test_bad_input_is_one_line(capsys):
    assert main(["diagnose", "no_such_instance"]) == 2
    assert "unknown instance" in capsys.readouterr().err
    assert main(["diagnose", "river_swim", "--colour", "blue"]) == 2
    assert "colour" in capsys.readouterr().err
