"""What the exploration-chain presets share (Osband et al. 2016's chain, 25 states, the far end
paying 1): Bootstrapped DQN's 10 heads with masks p = 0.5, a 64-unit layer, replay 100k, Adam
1e-3, 4 gradient steps every 16 env steps; one evaluation episode every 2,000 steps, against
reaching the far end (return 1) within 100k env steps. Each preset picks its exploration and
its units."""

from __future__ import annotations

from typing import Any

from coachrl.agents.bootstrapped_dqn import BootstrappedAlgorithmParams, BootstrappedDQNParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
    EnvironmentParams,
    MemoryParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

BUDGET = 100_000


def chain_preset(exploration: Any, activation: Activation) -> Preset:
    return Preset(
        agent=BootstrappedDQNParams(
            algorithm=BootstrappedAlgorithmParams(
                heads=10, mask_probability=0.5, discount=0.99, batch_size=64,
                train_frequency=16, gradient_steps=4, learning_starts=500,
                target_update_period=100),
            network=NetworkParams(hidden_sizes=(64,), activation=activation, ortho_init=False),
            memory=MemoryParams(capacity=100_000),
            exploration=exploration,
            learning_rate=1e-3, adam_epsilon=1e-8, max_grad_norm=10.0),
        env=EnvironmentParams(env_id="coachrl/ExplorationChain-v0", env_kwargs={"n": 25}),
        schedule=ScheduleParams(heatup_steps=EnvSteps(500), improve_steps=EnvSteps(BUDGET),
                                evaluation_period=EnvSteps(2_000),
                                evaluation_episodes=Episodes(1),
                                checkpoint_period=EnvSteps(20_000)),
        validation=Validation(min_reward=1.0, max_env_steps=EnvSteps(BUDGET),
                              episodes=Episodes(1)),
    )
