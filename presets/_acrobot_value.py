"""What the value family's Acrobot-v1 presets share: the RL-zoo's DQN values for it (256-256
ReLU, Adam 6.3e-4, batches of 128, replay 50k, four gradient steps every 4 env steps after the
first 1,000, a target copy every 250, epsilon 1 -> 0.1 over the first 12,000 steps), evaluated
every 5,000 steps over 10 episodes against -100 within 100,000 steps."""

from __future__ import annotations

from typing import Any

from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import EGreedy
from coachrl.params import EnvironmentParams, MemoryParams, ScheduleParams, Validation
from coachrl.presets import _cartpole_value

BUDGET = 100_000


def replay(**changes: Any) -> dict[str, Any]:
    return _cartpole_value.replay(batch_size=128, train_frequency=4, gradient_steps=4,
                                  learning_starts=1_000, target_update_period=250) | changes


def agent(**changes: Any) -> dict[str, Any]:
    return _cartpole_value.agent(
        memory=MemoryParams(capacity=50_000), learning_rate=6.3e-4,
        exploration=EGreedy(schedule=Linear(start=1.0, end=0.1, duration=12_000))) | changes


def environment() -> EnvironmentParams:
    return EnvironmentParams(env_id="Acrobot-v1", n_envs=1)


def schedule() -> ScheduleParams:
    return ScheduleParams(heatup_steps=EnvSteps(1_000), improve_steps=EnvSteps(BUDGET),
                          evaluation_period=EnvSteps(5_000), evaluation_episodes=Episodes(10),
                          checkpoint_period=EnvSteps(10_000))


def validation() -> Validation:
    return Validation(min_reward=-100.0, max_env_steps=EnvSteps(BUDGET), episodes=Episodes(10))
