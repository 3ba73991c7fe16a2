"""Tests of the seeded, resumable, parallel runner."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from mdptheory.experiment import load_trace, run_seeds, seed_folder, summarise
from mdptheory.regret import ConvergenceTrace, RegretTrace, trace_metadata
from mdptheory.seeding import as_generator, spawn_seeds


@dataclass(frozen=True)
class NoisyLearner:
    """Draws its regret from the generator, so any seed mix-up changes the numbers."""

    scale: float = 1.0
    log_file: str | None = None

    def run(self, model, budget, seed):
        if self.log_file is not None:
            # One line per call, appended, so calls from worker processes are counted too.
            with open(self.log_file, "a") as handle:
                handle.write(f"{list(seed.spawn_key)}\n")
        rng = as_generator(seed)
        pseudo = self.scale * rng.random(budget) / np.sqrt(np.arange(1, budget + 1))
        realised = pseudo + rng.normal(size=budget)
        return RegretTrace(
            pseudo, realised, np.zeros(budget), trace_metadata(self, model, seed, budget)
        )


@dataclass(frozen=True)
class GapLearner:
    def run(self, model, budget, seed):
        return ConvergenceTrace(as_generator(seed).random(budget) * 0.5 ** np.arange(budget))


@dataclass(frozen=True)
class WrongReturn:
    def run(self, model, budget, seed):
        return np.zeros(budget)


def _same(a: list[RegretTrace], b: list[RegretTrace]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x.pseudo_regret, y.pseudo_regret)
        np.testing.assert_array_equal(x.realised_regret, y.realised_regret)
        assert x.metadata == y.metadata


def test_metadata_repr_has_no_memory_address():
    meta = trace_metadata(NoisyLearner(), object(), 0, 3)
    assert meta["instance_repr"] == "<object object>"


@pytest.mark.parametrize(
    ("learner", "instance"),
    [("ucb1", "bernoulli_bandit"), ("contextual-maxinp", "contextual_bt_bandit")],
)
def test_same_seed_writes_identical_trace_metadata(tmp_path, learner, instance):
    """Two runs with one seed, each on its own copy of the instance, write the same bytes to
    trace.json (no memory address or other per-process detail in the metadata)."""
    from algorithms.registry import make_learner
    from instances.registry import make

    written = []
    for run in ("first", "second"):
        out = tmp_path / run
        run_seeds(
            make_learner(learner), make(instance), 30, seeds=1, seed=4, out_dir=out, progress=False
        )
        written.append((out / "seed_0000" / "trace.json").read_bytes())
    assert written[0] == written[1]


def test_children_follow_spawn_seeds():
    traces = run_seeds(NoisyLearner(), "model", budget=5, seeds=3, seed=11, progress=False)
    for i, (trace, child) in enumerate(zip(traces, spawn_seeds(11, 3), strict=True)):
        expected = NoisyLearner().run("model", 5, child)
        np.testing.assert_array_equal(trace.pseudo_regret, expected.pseudo_regret)
        assert trace.metadata["repetition"] == i
    # different repetitions draw different numbers
    assert not np.array_equal(traces[0].pseudo_regret, traces[1].pseudo_regret)


def test_bit_identical_for_any_n_jobs():
    serial = run_seeds(
        NoisyLearner(), "model", budget=50, seeds=5, seed=3, n_jobs=1, progress=False
    )
    parallel = run_seeds(
        NoisyLearner(), "model", budget=50, seeds=5, seed=3, n_jobs=2, progress=False
    )
    _same(serial, parallel)


def test_more_seeds_extends_without_changing_the_first():
    few = run_seeds(NoisyLearner(), "m", budget=10, seeds=2, seed=5, progress=False)
    many = run_seeds(NoisyLearner(), "m", budget=10, seeds=4, seed=5, progress=False)
    _same(few, many[:2])


def test_saves_every_seed_and_resumes_without_redoing(tmp_path: Path):
    out = tmp_path / "run"
    log = tmp_path / "calls.txt"
    learner = NoisyLearner(log_file=str(log))
    first = run_seeds(learner, "model", budget=20, seeds=4, seed=9, out_dir=out, progress=False)
    assert len(log.read_text().splitlines()) == 4
    for i in range(4):
        assert (seed_folder(out, i) / "trace.npz").exists()
        assert (seed_folder(out, i) / "trace.json").exists()
    assert (out / "run.json").exists()

    # Simulate an interruption that lost seed 2 (and left a half-written folder for seed 3).
    shutil.rmtree(seed_folder(out, 2))
    (seed_folder(out, 3) / "trace.json").unlink()
    log.write_text("")
    resumed = run_seeds(
        learner, "model", budget=20, seeds=4, seed=9, out_dir=out, n_jobs=2, progress=False
    )
    calls = log.read_text().splitlines()
    assert sorted(calls) == ["[2]", "[3]"]
    _same(first, resumed)

    # A complete folder is loaded, nothing runs.
    log.write_text("")
    again = run_seeds(learner, "model", budget=20, seeds=4, seed=9, out_dir=out, progress=False)
    assert log.read_text() == ""
    _same(first, again)


def test_out_dir_of_another_experiment_is_refused(tmp_path: Path):
    run_seeds(NoisyLearner(), "model", budget=5, seeds=2, seed=1, out_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match="budget"):
        run_seeds(
            NoisyLearner(), "model", budget=6, seeds=2, seed=1, out_dir=tmp_path, progress=False
        )
    with pytest.raises(ValueError, match="root_seed"):
        run_seeds(
            NoisyLearner(), "model", budget=5, seeds=2, seed=2, out_dir=tmp_path, progress=False
        )
    with pytest.raises(ValueError, match="hyperparameters"):
        run_seeds(
            NoisyLearner(scale=2.0),
            "model",
            budget=5,
            seeds=2,
            seed=1,
            out_dir=tmp_path,
            progress=False,
        )


def test_convergence_traces_and_load(tmp_path: Path):
    traces = run_seeds(GapLearner(), None, budget=8, seeds=3, out_dir=tmp_path, progress=False)
    loaded = load_trace(seed_folder(tmp_path, 1))
    assert isinstance(loaded, ConvergenceTrace)
    np.testing.assert_array_equal(loaded.gap, traces[1].gap)
    summary = summarise(traces)
    assert summary.quantity == "gap"
    np.testing.assert_allclose(summary.mean, np.mean([t.gap for t in traces], axis=0))


def test_summarise_regret():
    # progress=True is silently off when stderr is not a terminal (as under pytest)
    traces = run_seeds(NoisyLearner(), None, budget=30, seeds=6, progress=True)
    summary = summarise(traces, ci=0.9)
    cumulative = np.stack([t.cumulative for t in traces])
    np.testing.assert_allclose(summary.mean, cumulative.mean(axis=0))
    assert np.all(summary.ci_low <= summary.mean) and np.all(summary.mean <= summary.ci_high)
    assert summary.n == 6 and summary.quantity == "cumulative pseudo-regret"
    single = summarise(traces[:1])
    assert np.all(np.isnan(single.ci_low))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"budget": 0}, "budget"),
        ({"seeds": -1}, "seeds"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"seed": -3}, "seed"),
        ({"budget": 2.5}, "budget"),
    ],
)
def test_bad_input(kwargs, match):
    args = {"budget": 3, "seeds": 2} | kwargs
    with pytest.raises(ValueError, match=match):
        run_seeds(NoisyLearner(), None, progress=False, **args)


def test_bad_learners():
    with pytest.raises(ValueError, match="run"):
        run_seeds(object(), None, 3, progress=False)
    with pytest.raises(ValueError, match=r"WrongReturn\.run returned ndarray"):
        run_seeds(WrongReturn(), None, 3, seeds=1, progress=False)
    with pytest.raises(ValueError, match="RegretTrace or all ConvergenceTrace"):
        summarise([GapLearner().run(None, 3, 0), NoisyLearner().run(None, 3, spawn_seeds(0, 1)[0])])
    with pytest.raises(ValueError, match="different lengths"):
        summarise([GapLearner().run(None, 3, 0), GapLearner().run(None, 4, 0)])
