"""Policy gradients: Coach's return rescalers on hand-computed cases, whole-episode updates,
and a resume that keeps the episodes still running."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coachrl.agents.pg import PGAlgorithmParams, PGParams
from coachrl.core.returns import rescale_returns
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import EnvironmentParams, Preset, RunParams, ScheduleParams, Validation
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

# two episodes: returns-to-go (3, 2, 1) and (5, 1)
RETURNS, TIMESTEPS = np.array([3.0, 2.0, 1.0, 5.0, 1.0]), np.array([0, 1, 2, 0, 1])


@pytest.mark.parametrize(("kind", "expected"), [
    ("total_return", [3, 3, 3, 5, 5]),
    ("future_return", [3, 2, 1, 5, 1]),
    # per episode: (3, 2, 1) -> mean 2, std sqrt(2/3); (5, 1) -> mean 3, std 2
    ("future_return_normalized_by_episode",
     [1 / np.sqrt(2 / 3), 0, -1 / np.sqrt(2 / 3), 1, -1]),
    # per timestep: t0 (3, 5) -> mean 4, std 1; t1 (2, 1) -> mean 1.5, std 0.5; t2 (1) -> 0
    ("future_return_normalized_by_timestep", [-1, 1, 0, 1, -1]),
])
def test_each_rescaler_on_two_short_episodes(kind: str, expected: list[float]) -> None:
    np.testing.assert_allclose(rescale_returns(RETURNS, TIMESTEPS, kind), expected, atol=1e-6)


def test_an_unknown_rescaler_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown return rescaler 'baseline'"):
        rescale_returns(RETURNS, TIMESTEPS, "baseline")


def _preset(experiment_dir: Path, n_envs: int = 2) -> Preset:
    return Preset(agent=PGParams(algorithm=PGAlgorithmParams(episodes_per_update=4)),
                  env=EnvironmentParams(env_id="CartPole-v1", n_envs=n_envs),
                  schedule=ScheduleParams(improve_steps=EnvSteps(1_000),
                                          evaluation_period=EnvSteps(500),
                                          evaluation_episodes=Episodes(2)),
                  validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(1_000)),
                  run=RunParams(experiment_dir=str(experiment_dir)), name="PG")


def test_pg_trains_on_whole_episodes_and_resumes_with_the_running_ones(tmp_path: Path) -> None:
    preset = _preset(tmp_path)
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    outcome = trainer.run()
    agent = trainer.agent
    episodes = outcome.counters.episodes
    assert episodes // 4 - 1 <= agent.train_steps <= episodes // 4  # one update per 4 episodes
    assert np.isfinite(outcome.last_metrics["loss/policy"])
    assert agent.episodes.pending() > 0  # both envs are inside an episode
    fresh = Trainer(preset, run_dir=trainer.run_dir, resume=True, console=False)
    assert fresh.agent.episodes.pending() == agent.episodes.pending()
    assert fresh.agent.finished_episodes() == agent.finished_episodes()
    np.testing.assert_array_equal(fresh.agent.timesteps, agent.timesteps)
