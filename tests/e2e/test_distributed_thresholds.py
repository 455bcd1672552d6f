"""Golden tests with rollout workers: sync Clipped PPO, Ape-X Rainbow and SAC, A3C and N-step Q
(asynchronous gradients) and IMPALA (asynchronous rollouts, V-trace) on 2 workers, from the CLI
on a local Ray bound to 127.0.0.1, reach their presets' thresholds in budget. The runs train in
the golden pool (tests/e2e/golden.py) beside the rest of the suite; these tests run last and
wait for them."""

from __future__ import annotations

import csv

import pytest
import ray  # noqa: F401 - the runs need Ray: the [ray] extra, installed with [test]

from coachrl.registry import load_preset
from tests.e2e.golden import DISTRIBUTED, Golden

pytestmark = [pytest.mark.ray, pytest.mark.slow]

RUN_LAST = True  # tests/conftest.py: after the rest of the suite, beside which the runs trained


@pytest.mark.parametrize("name", DISTRIBUTED)
def test_distributed_run_reaches_the_presets_threshold(name: str, golden_runs: Golden) -> None:
    validation = load_preset(name).validation
    run_dir = golden_runs.all_cpus().distributed_run_dir(name)  # asserts the run succeeded
    with open(run_dir / "progress.csv", newline="") as handle:
        evaluations = [row for row in csv.DictReader(handle) if row["Evaluation Reward"]]
    reached = [(int(row["Total steps"]), float(row["Wall-Clock Time"])) for row in evaluations
               if float(row["Evaluation Reward"]) >= validation.min_reward]
    best = max(float(row["Evaluation Reward"]) for row in evaluations)
    assert reached, f"{name} with workers never reached {validation.min_reward} (best {best})"
    steps, seconds = reached[0]
    print(f"{name} {' '.join(DISTRIBUTED[name])}: {validation.min_reward} at {steps} env steps, "
          f"{seconds:.0f} s")
    assert steps <= validation.max_env_steps
