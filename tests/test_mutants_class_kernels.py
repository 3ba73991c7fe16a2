"""A mutant reaches a function that a learner class keeps as a ``staticmethod`` attribute."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_patched_kernel_held_by_a_class_is_rebound_there():
    """``SampledMAPPO.kernel = staticmethod(_sampled_kernel)`` holds the function itself, so
    rebinding the module's name alone would leave the learner calling the original."""
    code = (
        "from proofs_check.mutants import apply_mutant, get_mutant\n"
        "from algorithms.multi_agent.mappo_sampled import SampledMAPPO\n"
        "from algorithms.multi_agent import mappo_sampled\n"
        "applied = apply_mutant(get_mutant('sampled-mappo-return-one-step-late'))\n"
        "print(' '.join(applied.rebound))\n"
        "print(SampledMAPPO.kernel is mappo_sampled._sampled_kernel)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    rebound, same = done.stdout.strip().splitlines()[-2:]
    assert "algorithms.multi_agent.mappo_sampled.SampledMAPPO.kernel" in rebound.split()
    assert same == "True"
