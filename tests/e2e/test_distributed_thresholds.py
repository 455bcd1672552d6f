"""Golden tests with rollout workers: sync Clipped PPO, Ape-X DQN and SAC, A3C and N-step Q
(asynchronous gradients) on 2 workers, from the CLI on a local Ray bound to 127.0.0.1, reach
their presets' thresholds in budget."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import ray  # noqa: F401 - the runs need Ray: the [ray] extra, installed with [test]

from coachrl.registry import load_preset

pytestmark = [pytest.mark.ray, pytest.mark.slow]

RUNS = {
    "CartPole_ClippedPPO": ("--workers", "2", "--envs-per-worker", "4"),  # 8 envs, as the preset
    "CartPole_DQN": ("--workers", "2", "--mode", "async"),
    "CartPole_A3C": ("--workers", "2", "--envs-per-worker", "4"),  # async gradients
    "Pendulum_SAC": ("--workers", "2", "--mode", "async"),  # Ape-X style, acting in numpy
    "CartPole_NStepQ": ("--workers", "2", "--mode", "async"),  # Mnih et al. 2016's async Q
}


@pytest.mark.parametrize("name", RUNS)
def test_distributed_run_reaches_the_presets_threshold(name: str, tmp_path: Path) -> None:
    validation = load_preset(name).validation
    env = {**os.environ, "RAY_NODE_IP_ADDRESS": "127.0.0.1"}
    done = subprocess.run([sys.executable, "-m", "coachrl", "train", name, *RUNS[name],
                           "--stop-at-threshold", "--quiet", "--experiment-dir", str(tmp_path)],
                          capture_output=True, text=True, timeout=1200, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = tmp_path.glob(f"{name}/*")
    with open(run_dir / "progress.csv", newline="") as handle:
        evaluations = [row for row in csv.DictReader(handle) if row["Evaluation Reward"]]
    reached = [(int(row["Total steps"]), float(row["Wall-Clock Time"])) for row in evaluations
               if float(row["Evaluation Reward"]) >= validation.min_reward]
    best = max(float(row["Evaluation Reward"]) for row in evaluations)
    assert reached, f"{name} with workers never reached {validation.min_reward} (best {best})"
    steps, seconds = reached[0]
    print(f"{name} {' '.join(RUNS[name])}: {validation.min_reward} at {steps} env steps, "
          f"{seconds:.0f} s")
    assert steps <= validation.max_env_steps
