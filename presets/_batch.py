"""What the batch-RL presets share (train with `--dataset data.h5`): CartPole_DQN's 256-256
ReLU network at Adam 5e-4, batches of 64 with a target copy every 500 gradient steps, room for
a million transitions, 20 passes over the data with a 10-episode evaluation after each. The
thresholds hold for the datasets each preset's docstring names (docs/batch_rl.md).

The CartPole presets' dataset: 100 episodes recorded from CartPole_DQN's seed-0 run (stopped
at its threshold, 30,000 env steps) with epsilon 0.3 (34,170 transitions, mean return 341.7 on
2026-11-30):

    coachrl train CartPole_DQN --stop-at-threshold
    coachrl collect experiments/CartPole_DQN/RUN --episodes 100 --epsilon 0.3 --out data.h5
    coachrl train CartPole_DDQN_BCQ_BatchRL --dataset data.h5     # or _BatchRL, _CQL, _BC
"""

from __future__ import annotations

from typing import Any

from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
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
AGENT = {"network": NetworkParams(hidden_sizes=(256, 256), activation=Activation.RELU,
                                  ortho_init=False), "learning_rate": 5e-4,
         "memory": MemoryParams(capacity=1_000_000)}


def batch_preset(agent: Any, *, env_id: str = "CartPole-v1", min_reward: float = 475.0,
                 epochs: int = 20) -> Preset:
    """A preset training ``agent`` from a dataset on ``env_id``: its threshold ``min_reward``
    within ``epochs`` passes over the data (the step budget is counted in transitions trained
    on, at most ``epochs`` x 500,000)."""
    return Preset(agent=agent, env=EnvironmentParams(env_id=env_id),
                  schedule=ScheduleParams(evaluation_episodes=Episodes(10)),
                  validation=Validation(min_reward=min_reward,
                                        max_env_steps=EnvSteps(epochs * 500_000)),
                  run=RunParams(epochs=epochs))
