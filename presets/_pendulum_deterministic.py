"""What Pendulum_TD3 and Pendulum_DDPG share: RL-zoo's tuned values for both on Pendulum-v1
(gamma 0.98, replay 200k, 10k random steps first, Gaussian action noise 0.1, Adam 1e-3; the
agents' default 400-300 ReLU networks), evaluated every 2,000 steps over 10 episodes against
-200 within 30k steps (RL-zoo trains 20k)."""

from __future__ import annotations

from typing import Any

from coachrl.core.schedules import Constant
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import AdditiveGaussian
from coachrl.params import EnvironmentParams, MemoryParams, ScheduleParams, Validation

IMPROVE_STEPS, RANDOM_STEPS = 30_000, 10_000


def algorithm() -> dict[str, Any]:
    """The algorithm params' fields both agents take."""
    return {"discount": 0.98, "learning_starts": RANDOM_STEPS}


def agent() -> dict[str, Any]:
    """The agent params' fields besides the algorithm."""
    return {"memory": MemoryParams(capacity=200_000),
            "exploration": AdditiveGaussian(schedule=Constant(constant=0.1)),
            "learning_rate": 1e-3}


def rest() -> dict[str, Any]:
    """The preset's env, schedule and validation."""
    return {"env": EnvironmentParams(env_id="Pendulum-v1", n_envs=1),
            "schedule": ScheduleParams(heatup_steps=EnvSteps(RANDOM_STEPS),
                                       improve_steps=EnvSteps(IMPROVE_STEPS),
                                       evaluation_period=EnvSteps(2_000),
                                       evaluation_episodes=Episodes(10),
                                       checkpoint_period=EnvSteps(10_000)),
            "validation": Validation(min_reward=-200.0, max_env_steps=EnvSteps(IMPROVE_STEPS))}
