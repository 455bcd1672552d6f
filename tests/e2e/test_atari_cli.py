"""An Atari game from the CLI for a few thousand steps: DQN on Pong through the DeepMind
pipeline, frames kept once in replay, uint8 end to end."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from tests import background

pytestmark = pytest.mark.slow


TEST = "test_dqn_trains_on_pong_from_the_cli"
# the training is a subprocess whose outcome the test reads: it runs beside the suite
# (tests/background.py; in the suite's own process it was 36 s of a 2,476 s run)
background.train_job(
    "atari-cli", TEST, "CartPole_DQN", "--env", "ALE/Pong-v5",
    *(part for change in (
        "env.preprocessing=atari", "agent.memory.store_frames_once=true",
        "agent.memory.capacity=5000", "schedule.heatup_steps=500",
        "schedule.improve_steps=2000", "schedule.evaluation_period=2000",
        "schedule.evaluation_episodes=1", "agent.algorithm.batch_size=32",
        "agent.algorithm.learning_starts=500", "agent.algorithm.gradient_steps=4",
        "agent.network.hidden_sizes=64") for part in ("--set", change)))


def test_dqn_trains_on_pong_from_the_cli() -> None:
    done = background.outcome("atari-cli")
    assert done.returncode == 0, done.stdout + done.stderr
    (run,) = [p.parent for p in background.out_dir("atari-cli").rglob("progress.csv")]
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
