"""Hindsight replay in a replay agent: DQN on BitFlip keeps whole episodes, each with k
relabelled copies, and trains on them; the settings are validated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coachrl.errors import ConfigError
from coachrl.memories import EPISODE_STEPS, EpisodicMemory
from coachrl.params import MemoryParams
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

BITFLIP = ["env.env_id=coachrl/BitFlip-v0", "env.env_kwargs={\"n_bits\": 4}",
           "schedule.heatup_steps=100", "schedule.improve_steps=600",
           "schedule.evaluation_period=600", "schedule.evaluation_episodes=2",
           "agent.algorithm.learning_starts=100", "agent.algorithm.train_frequency=50",
           "agent.algorithm.gradient_steps=2", "agent.algorithm.batch_size=32",
           "agent.network.hidden_sizes=32,32", "agent.memory.kind=episodic"]


def test_dqn_with_hindsight_stores_each_episode_and_its_relabelled_copies(tmp_path: Path) -> None:
    preset = apply_overrides(load_preset("CartPole_DQN"), [
        *BITFLIP, "agent.memory.hindsight=future", "agent.memory.hindsight_goals=3",
        f"run.experiment_dir={tmp_path}"])
    trainer = Trainer(preset, run_dir=create_run_dir(preset), console=False)
    outcome = trainer.run()
    memory = trainer.agent.memory
    assert isinstance(memory, EpisodicMemory) and trainer.agent.train_steps > 0
    assert np.isfinite(outcome.last_metrics["loss/total"])
    stored = memory.storage[EPISODE_STEPS][:len(memory)]
    finished = outcome.counters.episodes
    assert memory.episode_count == 4 * finished  # the episode and 3 relabelled copies
    assert int((stored == 0).sum()) == 4 * finished
    rewards = memory.storage["rewards"][:len(memory)]
    # BitFlip pays -1 until the goal: relabelled copies succeed where the real ones rarely do
    assert (rewards == 0.0).sum() > finished


def test_hindsight_without_an_episodic_memory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs kind='episodic', not 'uniform'"):
        MemoryParams(hindsight="future")
    with pytest.raises(ConfigError, match="stores whole episodes of one-step transitions"):
        preset = apply_overrides(load_preset("CartPole_DQN"), [
            *BITFLIP, "agent.memory.n_step=3", f"run.experiment_dir={tmp_path}"])
        Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)
