"""What the batch-RL CartPole-v1 presets share (train with `--dataset data.h5`): CartPole_DQN's
256-256 ReLU network at Adam 5e-4, batches of 64 with a target copy every 500 gradient steps,
room for a million transitions, 20 passes over the data with a 10-episode evaluation after
each. Their thresholds depend on the data and are not set yet (475, as CartPole's)."""

from __future__ import annotations

from typing import Any

from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    EnvironmentParams,
    MemoryParams,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)

REPLAY = {"batch_size": 64, "gradient_steps": 1, "target_update_period": 500,
          "learning_starts": 0}
AGENT = {"network": NetworkParams(hidden_sizes=(256, 256)), "learning_rate": 5e-4,
         "memory": MemoryParams(capacity=1_000_000)}


def batch_preset(agent: Any) -> Preset:
    """A CartPole-v1 preset training ``agent`` from a dataset."""
    return Preset(agent=agent, env=EnvironmentParams(env_id="CartPole-v1"),
                  schedule=ScheduleParams(evaluation_episodes=Episodes(10)),
                  validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(10_000_000)),
                  run=RunParams(epochs=20))
