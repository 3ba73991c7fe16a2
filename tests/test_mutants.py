"""The mutation score: the catalogue of planted defects, their patches and the kill table."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from proofs_check import mutants
from proofs_check.harness import registered
from proofs_check.mutants import (
    CATALOGUE,
    Mutant,
    MutantError,
    Patch,
    judge,
    mutated_source,
    probe_changes,
    resolve,
)

ROOT = Path(__file__).resolve().parents[1]
PATCHES = [(m, p) for m in CATALOGUE for p in m.patches]


def test_catalogue_has_at_least_15_documented_mutants_with_distinct_targets():
    assert len(CATALOGUE) >= 15
    ids = [m.id for m in CATALOGUE]
    assert len(set(ids)) == len(ids)
    targets = {t for m in CATALOGUE for t in m.targets}
    assert len(targets) >= 15
    changes = [(p.target, p.replace) for _, p in PATCHES]
    assert len(set(changes)) == len(changes), "two mutants plant the same change"
    for m in CATALOGUE:
        assert len(m.description) > 40 and m.patches and m.tags


def test_every_mutant_is_relevant_to_some_registered_check():
    theorems = registered()
    for m in CATALOGUE:
        tagged = mutants.checks_for(m, theorems)
        assert tagged, f"{m.id}: no check carries {m.tags}"
        assert len(tagged) < len(theorems)
        assert mutants.checks_for(m, theorems, all_checks=True) == [t.id for t in theorems]


@pytest.mark.parametrize(
    "mutant, patch", PATCHES, ids=[f"{m.id}:{p.target.rsplit('.', 1)[1]}" for m, p in PATCHES]
)
def test_target_resolves_and_the_mutation_changes_its_output(mutant, patch):
    assert callable(resolve(patch.target, mutant.id))
    _, source = mutated_source(patch, mutant.id)
    for _, new in patch.replace:
        assert new in source
    changed, what = probe_changes(patch, mutant.id)
    assert changed, f"{mutant.id} leaves {patch.target} unchanged on its probe: {what}"


def test_a_renamed_target_or_edited_code_is_a_clear_error():
    with pytest.raises(MutantError, match="mutant X: target mdptheory.planning.nope not found"):
        resolve("mdptheory.planning.nope", "X")
    with pytest.raises(MutantError, match="target no_such_package.f not found"):
        resolve("no_such_package.f", "X")
    stale = Patch(
        "mdptheory.planning.bellman_optimality", (("gamma ** 7", "gamma"),), probe=lambda f: None
    )
    with pytest.raises(MutantError, match="occurs 0 times in mdptheory.planning"):
        mutated_source(stale, "Y")


def test_outputs_differ():
    a = [np.array([1.0, 2.0]), 3.0]
    assert not mutants.outputs_differ(a, [np.array([1.0, 2.0]), 3.0])
    assert mutants.outputs_differ(a, [np.array([1.0, 2.5]), 3.0])
    assert mutants.outputs_differ(a, [np.array([1.0, 2.0, 3.0]), 3.0])


def _record(**checks):
    return {
        "checks": {
            k: {
                "status": s,
                "raised": r,
                "error_type": e,
                "fingerprint": f,
                "reason": "r",
                "runtime": 0.1,
            }
            for k, (s, r, e, f) in checks.items()
        }
    }


def test_judge_kills_survivors_not_exercised_and_broken():
    m = CATALOGUE[0]
    base = _record(
        a=("pass", False, None, "1"), b=("pass", False, None, "2"), c=("fail", False, None, "3")
    )
    assert judge(
        m, _record(a=("fail", False, None, "9"), b=("pass", False, None, "2")), base, ["a", "b"]
    ).killed_by == ("a",)
    raised = judge(m, _record(a=("fail", True, "ValueError", "9")), base, ["a"])
    assert raised.outcome == "killed"
    # A check that was already failing does not kill.
    assert judge(m, _record(c=("fail", False, None, "8")), base, ["c"]).outcome == "survived"
    assert judge(m, _record(a=("pass", False, None, "1")), base, ["a"]).outcome == "not exercised"
    broken = judge(m, _record(a=("fail", True, "TypingError", "9")), base, ["a"])
    assert broken.outcome == "broken"
    assert judge(m, {"error": "mutant x: target y not found"}, base, ["a"]).outcome == "broken"


def test_markdown_and_score():
    m = CATALOGUE[0]
    results = [
        mutants.MutantResult(m, "killed", ("a",), ("a",), ("a",), "a failed", 1.0),
        mutants.MutantResult(CATALOGUE[1], "survived", (), ("a",), ("a",), "-", 1.0),
    ]
    assert mutants.score(results) == 0.5
    text = mutants.markdown(results, "mdptheory check --mutants", "quick", 0)
    assert "1 of 2 mutants killed: score 50%" in text
    assert f"`{m.id}`" in text and "regenerate it with `mdptheory check --mutants`" in text


def test_a_patched_compiled_callee_reaches_its_cached_caller():
    """The Thompson kernel is compiled (and cached) against ``beta_bernoulli_choice``; in the
    mutant's process it must be recompiled against the mutated callee."""
    from algorithms.bandits import ThompsonBernoulli
    from instances.bandits import bernoulli_bandit

    code = (
        "from algorithms.bandits import ThompsonBernoulli\n"
        "from instances.bandits import bernoulli_bandit\n"
        "from proofs_check.mutants import apply_mutant, get_mutant\n"
        "applied = apply_mutant(get_mutant('thompson-beta-swapped'))\n"
        "trace = ThompsonBernoulli().run(bernoulli_bandit(K=2, gap=0.4), 300, seed=0)\n"
        "print(float(trace.pseudo_regret.sum()))\n"
        "print(' '.join(applied.uncached))\n"
        "import algorithms.bandits.ucb1 as u\n"
        "assert u._ucb1_kernel._cache.save_overload.__name__ == '_no_save'\n"
        "assert applied.read_only > 10\n"
    )
    # Warm the on-disk cache of the unmutated kernel first.
    base = ThompsonBernoulli().run(bernoulli_bandit(K=2, gap=0.4), 300, seed=0)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    regret, uncached = done.stdout.strip().splitlines()[-2:]
    assert "algorithms.bandits.thompson._thompson_bernoulli_kernel" in uncached.split()
    assert float(regret) > 5 * float(base.pseudo_regret.sum()) + 10


def test_end_to_end_kill_table(tmp_path):
    args = argparse.Namespace(
        mutant=["cvar-alpha-complement", "value-iteration-certificate"],
        scale="quick",
        seed=0,
        jobs=2,
        out=str(tmp_path),
        command_line="mdptheory check --mutants",
    )
    theorems = [
        t
        for t in registered()
        if t.id
        in (
            "rockafellar2000-cvar-alpha-one-is-mean",
            "rockafellar2000-cvar-sort-equals-lp",
            "puterman-6.3.1-vi-contraction",
        )
    ]
    code = mutants.run_from_args(args, theorems, Console(file=open(tmp_path / "log", "w")))
    table = json.loads((tmp_path / "mutants.json").read_text())
    assert table["total"] == 2
    by_id = {m["id"]: m for m in table["mutants"]}
    assert by_id["cvar-alpha-complement"]["outcome"] == "killed"
    assert by_id["cvar-alpha-complement"]["killed_by"]
    assert set(by_id["cvar-alpha-complement"]["checks"]) == {
        "rockafellar2000-cvar-alpha-one-is-mean",
        "rockafellar2000-cvar-sort-equals-lp",
    }
    assert by_id["value-iteration-certificate"]["checks"] == ["puterman-6.3.1-vi-contraction"]
    assert "# Mutation score" in (tmp_path / "mutants.md").read_text()
    assert code == (0 if table["score"] >= mutants.TARGET_SCORE else 1)


def test_unknown_mutant_id_is_exit_code_2():
    from proofs_check.runner import main

    assert (
        main(["--mutants", "--mutant", "no-such-mutant", "--only", "kakade-langford-2002-pdl"]) == 2
    )


def test_mutant_dataclass_info_is_json_ready():
    m: Mutant = CATALOGUE[0]
    assert json.loads(json.dumps(m.info()))["id"] == m.id
