"""PyBullet, DeepMind Control and Gymnasium-Robotics envs from the CLI with ``--env``: a short
run of a continuous agent trains, evaluates and leaves a checkpoint; and Box2D's LunarLander_DQN
for a few thousand steps (their learning runs: docs/environments.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests import background

pytestmark = pytest.mark.slow


def _set(*assignments: str) -> tuple[str, ...]:
    return tuple(part for assignment in assignments for part in ("--set", assignment))


CASES = {
    "pybullet": ("Mujoco_ClippedPPO", "InvertedPendulumBulletEnv-v0", _set(
        "agent.algorithm.rollout_length=256", "agent.algorithm.epochs=2",
        "schedule.improve_steps=1024", "schedule.evaluation_period=1024")),
    "dm_control": ("Mujoco_SAC", "dm_control/cartpole-balance-v0", _set(
        "env.preprocessing=flatten", "schedule.heatup_steps=200",
        "agent.algorithm.learning_starts=200", "schedule.improve_steps=1200",
        "schedule.evaluation_period=1200")),
    "robotics": ("Mujoco_SAC", "FetchReach-v4", _set(  # a goal env's Dict, flattened
        "env.preprocessing=flatten", "schedule.heatup_steps=200",
        "agent.algorithm.learning_starts=200", "schedule.improve_steps=600",
        "schedule.evaluation_period=600")),
}


TESTS = {family: f"test_a_continuous_agent_trains_on_the_family_from_the_cli[{family}]"
         for family in CASES}
TESTS["box2d"] = "test_lunar_lander_dqn_trains_a_few_thousand_steps_from_the_cli"
for _family, (_preset, _env_id, _settings) in CASES.items():  # jobs beside the suite
    background.train_job(_family, TESTS[_family], _preset, "--env", _env_id, *_set(
        "schedule.evaluation_episodes=1", "schedule.checkpoint_period=100000"), *_settings)
background.train_job("box2d", TESTS["box2d"], "LunarLander_DQN", *_set(
    "schedule.improve_steps=3000", "schedule.evaluation_period=3000",
    "schedule.evaluation_episodes=1", "agent.algorithm.gradient_steps=1"))


def _run(key: str) -> Path:
    done = background.outcome(key)
    assert done.returncode == 0, done.stdout + done.stderr
    (run,) = [p.parent for p in background.out_dir(key).rglob("progress.csv")]
    return run


@pytest.mark.parametrize("family", sorted(CASES))
def test_a_continuous_agent_trains_on_the_family_from_the_cli(family: str) -> None:
    run = _run(family)
    with open(run / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    losses = [float(r["Loss"]) for r in rows if r.get("Loss")]
    assert losses and np.isfinite(losses).all()  # it trained
    (evaluation,) = [r for r in rows if r["Evaluation Reward"]]
    assert np.isfinite(float(evaluation["Evaluation Reward"]))
    assert list((run / "checkpoints").iterdir())  # the final checkpoint


def test_lunar_lander_dqn_trains_a_few_thousand_steps_from_the_cli() -> None:
    """Box2D in CI (its 50,000-step golden run is under ``-m long``): 3,000 env steps, learning
    from step 1,000 with a gradient step every 4 (the preset's cadence), one evaluation."""
    run = _run("box2d")
    with open(run / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    training = [r for r in rows if r["Training Reward"]]
    assert training and sum(int(r["Episode Length"]) for r in training) <= 3000
    losses = [float(r["Loss"]) for r in training if r["Loss"]]
    assert losses and np.isfinite(losses).all()
    (evaluation,) = [r for r in rows if r["Evaluation Reward"]]
    assert np.isfinite(float(evaluation["Evaluation Reward"]))
    assert list((run / "checkpoints").iterdir())
