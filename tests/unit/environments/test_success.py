"""Goal envs' info["is_success"] reaches the episode statistics, the evaluation's success
rate, progress.csv and a preset threshold on the success rate; other envs report none."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from coachrl.core.batch import EpisodeStats
from coachrl.errors import ConfigError
from coachrl.params import EnvironmentParams, Validation, ValidationMetric
from coachrl.params.tree import apply_overrides
from coachrl.registry import env_adapter, load_preset
from coachrl.runtime.evaluation import EvaluationResult, validation_score
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir


def _episodes(env_id: str, **kwargs) -> list[EpisodeStats]:
    env = env_adapter()(EnvironmentParams(env_id=env_id, env_kwargs=kwargs), seed=0, n_envs=3)
    env.reset()
    found = []
    for step in range(60):
        _, finished = env.step(np.full(3, step % 2))
        if len(finished):
            found.append(finished)
    env.close()
    return found


def test_bitflip_episodes_say_whether_they_reached_the_goal() -> None:
    found = EpisodeStats.concatenate(_episodes("coachrl/BitFlip-v0", n_bits=2))
    assert found.successes is not None and set(np.unique(found.successes)) <= {0.0, 1.0}
    # a success ends with reward 0: returns above -n_bits
    np.testing.assert_array_equal(found.successes == 1.0, found.returns > -2)
    assert EpisodeStats.concatenate(_episodes("CartPole-v1")).successes is None


def test_the_threshold_may_be_a_success_rate() -> None:
    validation = Validation(min_reward=0.9, max_env_steps=1000, metric="success_rate")
    said = EvaluationResult(np.zeros(4), np.ones(4), successes=np.array([1.0, 1.0, 1.0, 0.0]))
    assert said.success_rate == 0.75 and validation_score(validation, said) == 0.75
    silent = EvaluationResult(np.zeros(2), np.ones(2))
    assert silent.success_rate is None and validation_score(validation, silent) == -np.inf
    assert validation_score(Validation(min_reward=1.0, max_env_steps=10), said) == 0.0
    with pytest.raises(ConfigError, match=r"min_reward=1\.5 is out of range"):
        Validation(min_reward=1.5, max_env_steps=10, metric=ValidationMetric.SUCCESS_RATE)


def test_progress_csv_carries_successes_of_goal_envs_only(tmp_path: Path) -> None:
    preset = apply_overrides(load_preset("CartPole_DQN"), [
        "env.env_id=coachrl/BitFlip-v0", "env.env_kwargs={\"n_bits\": 2}",
        "schedule.heatup_steps=50", "schedule.improve_steps=100",
        "schedule.evaluation_period=100", "schedule.evaluation_episodes=3",
        "agent.network.hidden_sizes=8", f"run.experiment_dir={tmp_path}"])
    outcome = Trainer(preset, run_dir=create_run_dir(preset), console=False).run()
    with open(outcome.run_dir / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    training = [r for r in rows if r["Training Reward"]]
    assert training and all(r["Success"] in ("0", "1") for r in training)
    (evaluation,) = [r for r in rows if r["Evaluation Reward"]]
    assert 0.0 <= float(evaluation["Evaluation Success Rate"]) <= 1.0


def test_an_evaluation_that_never_ends_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    """An env without a time limit whose episodes the policy never ends (the guard is
    lowered to keep the test short)."""
    from coachrl.runtime import evaluation

    monkeypatch.setattr(evaluation, "STEP_LIMIT", 50)
    preset = apply_overrides(load_preset("CartPole_DQN"), [
        "env.env_id=coachrl.environments.toy:FixedLengthEnv", "env.env_kwargs={\"length\": 80}",
        "agent.network.hidden_sizes=8", f"run.experiment_dir={tmp_path}"])
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)
    with pytest.raises(ConfigError, match="did not end within 50 steps; give the env a time "
                                          "limit"):
        trainer.evaluate_now()
