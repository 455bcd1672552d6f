"""The Python API: train a preset with overrides, load the run and act with it, list presets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import coachrl
from coachrl.errors import CheckpointError, ConfigError

SHORT = {"schedule.improve_steps": 3000, "schedule.evaluation_period": 1500,
         "schedule.checkpoint_period": 1500, "schedule.evaluation_episodes": 2}


@pytest.fixture(scope="module")
def dqn_run(tmp_path_factory: pytest.TempPathFactory) -> coachrl.TrainResult:
    return coachrl.train("CartPole_DQN", seed=0, experiment_dir=tmp_path_factory.mktemp("api"),
                         overrides={**SHORT, "agent.learning_rate": 1e-3,
                                    "agent.algorithm.learning_starts": 500})


def test_train_returns_the_run_and_its_outcome(dqn_run: coachrl.TrainResult) -> None:
    assert dqn_run.reason == "finished" and dqn_run.env_steps >= 3000
    assert dqn_run.episodes > 0 and dqn_run.last_evaluation is not None
    config = json.loads((dqn_run.run_dir / "config.json").read_text())
    assert config["agent"]["learning_rate"] == 1e-3  # the override landed
    assert config["run"]["seed"] == 0


def test_a_loaded_dqn_acts_greedily_on_its_q_values(dqn_run: coachrl.TrainResult) -> None:
    policy = coachrl.load(dqn_run.run_dir)
    assert policy.checkpoint.name == "best"
    observations = np.random.default_rng(0).normal(scale=0.1, size=(16, 4)).astype(np.float32)
    actions = policy.act(observations)
    q = policy.values(observations)["q"]
    assert actions.shape == (16,) and q.shape == (16, 2)
    np.testing.assert_array_equal(actions, q.argmax(1))
    single = policy.act(observations[0])  # one observation, no batch axis
    assert np.ndim(single) == 0 and single == actions[0]
    assert policy.values(observations[0])["q"].shape == (2,)
    last = coachrl.load(dqn_run.run_dir, checkpoint="last")
    assert last.checkpoint.name != "best" and last.env_steps >= 3000


def test_a_loaded_actor_critic_gives_actions_and_state_values(tmp_path: Path) -> None:
    result = coachrl.train("CartPole_ClippedPPO", seed=1, experiment_dir=tmp_path,
                           overrides=SHORT)
    policy = coachrl.load(result.run_dir)
    observations = np.zeros((5, 4), np.float32)
    values = policy.values(observations)["value"]
    assert values.shape == (5,) and np.all(np.isfinite(values))
    deterministic = [policy.act(observations) for _ in range(3)]
    assert all(np.array_equal(a, deterministic[0]) for a in deterministic)
    explored = np.stack([policy.act(observations, deterministic=False) for _ in range(40)])
    assert set(np.unique(explored)) <= {0, 1} and len(np.unique(explored)) == 2


def test_presets_lists_the_built_in_presets_before_and_after_their_package_is_imported() -> None:
    import importlib

    listed = coachrl.presets()
    assert {"CartPole_DQN", "CartPole_ClippedPPO", "CartPole_A3C", "Pendulum_SAC"} <= set(listed)
    importlib.import_module("coachrl.presets.CartPole_DQN")  # binds coachrl.presets: a package
    assert coachrl.presets() == listed


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda p: coachrl.load(p / "nowhere"), CheckpointError, "does not exist"),
    (lambda p: coachrl.load(p, checkpoint="middle"), ConfigError, "expected 'best' or 'last'"),
    (lambda p: coachrl.train("CartPole_DQN", experiment_dir=p, mode="async"), ConfigError,
     "pass workers=N"),
    (lambda p: coachrl.train("CartPole_DQN", overrides={"agent.learning_rat": 1.0}),
     ConfigError, "learning_rat"),
])
def test_mistakes_are_clear_errors(call, error: type, message: str, tmp_path: Path) -> None:
    with pytest.raises(error, match=message):
        call(tmp_path)
