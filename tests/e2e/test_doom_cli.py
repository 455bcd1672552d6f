"""A Doom preset from the CLI for a few thousand steps: DQN on ViZDoom's Basic scenario through
the Doom preprocessing (a stack of gray 60x80 screens beside the ammo, uint8 in replay), with
its evaluation recorded as video."""

from __future__ import annotations

import csv
import json

import imageio.v2 as imageio
import numpy as np
import pytest

from coachrl.api import load
from coachrl.registry import env_adapter
from coachrl.runtime.run_dir import load_run_config
from tests import background

pytestmark = pytest.mark.slow


TEST = "test_doom_basic_dqn_trains_a_few_thousand_steps_from_the_cli"
# the training is a subprocess whose outcome the test reads: it runs beside the suite
# (tests/background.py)
background.train_job(
    "doom", TEST, "Doom_Basic_DQN", "--set", "schedule.heatup_steps=500",
    "--set", "agent.algorithm.learning_starts=500",
    "--set", "schedule.improve_steps=2000", "--set", "schedule.evaluation_period=2000",
    "--set", "schedule.evaluation_episodes=1", "--set", "schedule.video_every_evaluations=1")


def test_doom_basic_dqn_trains_a_few_thousand_steps_from_the_cli() -> None:
    done = background.outcome("doom")
    assert done.returncode == 0, done.stdout + done.stderr
    (run,) = [p.parent for p in background.out_dir("doom").rglob("progress.csv")]
    config = json.loads((run / "config.json").read_text())
    assert config["env"]["preprocessing"] == "doom" and config["env"]["env_id"] == "VizdoomBasic-v1"
    with open(run / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    training = [r for r in rows if r["Training Reward"]]
    # Basic: 300 tics at most (75 steps of 4), each -1, a kill +100, a missed shot -5
    assert training and all(1 <= int(r["Episode Length"]) <= 75 for r in training)
    assert all(-75 * 4 - 5 * 75 <= float(r["Training Reward"]) <= 100 for r in training)
    assert sum(int(r["Episode Length"]) for r in training) <= 2000
    (evaluation,) = [r for r in rows if r["Evaluation Reward"]]
    assert -675.0 <= float(evaluation["Evaluation Reward"]) <= 100.0
    losses = [float(r["Loss"]) for r in training if r["Loss"]]
    assert losses and np.isfinite(losses).all()  # it trained on the Dict of screens and ammo

    # the evaluation's video: a valid MP4 holding a frame for each step of one greedy episode,
    # which the trained policy plays again here on the same seed's env
    frames = imageio.mimread(run / "videos" / "eval-2000.mp4", memtest=False)
    policy = load(run, checkpoint="latest")
    env = env_adapter()(load_run_config(run).env, seed=0, n_envs=1, training=False)
    observations, steps, done = env.reset(), 0, False
    while not done:
        result, _ = env.step(policy.act(observations))
        observations, done, steps = result.observations, bool(result.dones[0]), steps + 1
    env.close()
    assert 1 <= steps <= 75 and len(frames) == steps
    assert frames[0].ndim == 3 and frames[0].shape[2] == 3  # the game's RGB screen
