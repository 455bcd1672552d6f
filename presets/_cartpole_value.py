"""What the value family's CartPole-v1 presets share: CartPole_DQN's tuned values (RL-zoo: 1
env, 256-256 ReLU, Adam 2.3e-3, batch 64, replay 100k, learning from 1,000 steps, 128 gradient
steps every 256 env steps, epsilon 1 -> 0.04 over 8,000 steps), evaluated every 2,500 steps
over 10 episodes against 475 within 50,000 steps. Each preset changes what its agent needs."""

from __future__ import annotations

from typing import Any

from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import EGreedy
from coachrl.params import (
    Activation,
    EnvironmentParams,
    MemoryParams,
    NetworkParams,
    ScheduleParams,
    Validation,
)

BUDGET = 50_000


def replay(**changes: Any) -> dict[str, Any]:
    """The replay driver's settings (the algorithm params' fields), with ``changes``."""
    return {"discount": 0.99, "batch_size": 64, "train_frequency": 256, "gradient_steps": 128,
            "learning_starts": 1_000, "target_update_period": 128} | changes


def agent(**changes: Any) -> dict[str, Any]:
    """The agent params' fields besides the algorithm, with ``changes``."""
    return {"network": NetworkParams(hidden_sizes=(256, 256), activation=Activation.RELU,
                                     ortho_init=False),
            "memory": MemoryParams(capacity=100_000),
            "exploration": EGreedy(schedule=Linear(start=1.0, end=0.04, duration=8_000)),
            "learning_rate": 2.3e-3, "adam_epsilon": 1e-8, "max_grad_norm": 10.0} | changes


def schedule() -> ScheduleParams:
    return ScheduleParams(heatup_steps=EnvSteps(1_000), improve_steps=EnvSteps(BUDGET),
                          evaluation_period=EnvSteps(2_500), evaluation_episodes=Episodes(10),
                          checkpoint_period=EnvSteps(10_000))


def environment() -> EnvironmentParams:
    return EnvironmentParams(env_id="CartPole-v1", n_envs=1)


def validation(min_reward: float = 475.0, budget: int = BUDGET) -> Validation:
    return Validation(min_reward=min_reward, max_env_steps=EnvSteps(budget),
                      episodes=Episodes(10))
