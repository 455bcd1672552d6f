"""An Atari game from the CLI for a few thousand steps: DQN on Pong through the DeepMind
pipeline, frames kept once in replay, uint8 end to end."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from coachrl.cli import main

pytestmark = pytest.mark.slow


def test_dqn_trains_on_pong_from_the_cli(tmp_path: Path) -> None:
    assert main(["train", "CartPole_DQN", "--env", "ALE/Pong-v5", "--quiet",
                 "--experiment-dir", str(tmp_path),
                 "--set", "env.preprocessing=atari", "--set", "agent.memory.store_frames_once=true",
                 "--set", "agent.memory.capacity=5000", "--set", "schedule.heatup_steps=500",
                 "--set", "schedule.improve_steps=2000", "--set", "schedule.evaluation_period=2000",
                 "--set", "schedule.evaluation_episodes=1",
                 "--set", "agent.algorithm.batch_size=32",
                 "--set", "agent.algorithm.learning_starts=500",
                 "--set", "agent.algorithm.gradient_steps=4",
                 "--set", "agent.network.hidden_sizes=64"]) == 0
    (run,) = [p.parent for p in tmp_path.rglob("progress.csv")]
    with open(run / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    training = [r for r in rows if r["Training Reward"]]
    # whole games (Pong has no lives to lose) of clipped points: at least 21 points at 4 frames
    # a step take several hundred steps
    assert training and all(-21 <= float(r["Training Reward"]) <= 21 for r in training)
    assert all(int(r["Episode Length"]) > 200 for r in training)
    (evaluation,) = [r for r in rows if r["Evaluation Reward"]]
    assert -21.0 <= float(evaluation["Evaluation Reward"]) <= 21.0
    losses = [float(r["Loss"]) for r in training if r["Loss"]]
    assert losses and np.isfinite(losses).all()  # it trained on the stacked frames
