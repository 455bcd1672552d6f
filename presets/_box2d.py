"""What the Box2D presets share (the ``[box2d]`` extra): Gymnasium's registered "solved" mark as
the threshold (LunarLander-v3 200, over 10 evaluation episodes) and their schedules' shape."""

from __future__ import annotations

from typing import Any

from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import EnvironmentParams, ScheduleParams, Validation

# gymnasium.spec("LunarLander-v3").reward_threshold: a landing between the flags, on most tries
LUNAR_LANDER_THRESHOLD = 200.0


def run_fields(*, env_id: str, n_envs: int, budget: int, evaluation_period: int,
               threshold: float, heatup: int = 0) -> dict[str, Any]:
    """The preset's env, schedule and validation: ``budget`` env steps of ``n_envs`` copies of
    ``env_id`` (``heatup`` random ones first), evaluated every ``evaluation_period`` over 10
    episodes against ``threshold``."""
    return {"env": EnvironmentParams(env_id=env_id, n_envs=n_envs),
            "schedule": ScheduleParams(heatup_steps=EnvSteps(heatup),
                                       improve_steps=EnvSteps(budget),
                                       evaluation_period=EnvSteps(evaluation_period),
                                       evaluation_episodes=Episodes(10),
                                       checkpoint_period=EnvSteps(4 * evaluation_period)),
            "validation": Validation(min_reward=threshold, max_env_steps=EnvSteps(budget),
                                     episodes=Episodes(10))}
