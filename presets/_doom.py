"""What the Doom presets share: their levels (``--level Basic|HealthGathering|DefendCenter|...``,
ViZDoom's scenarios through its Gymnasium ids), the Doom preprocessing (environments/doom.py:
frame skip 4, a stack of 3 gray 60x80 screens beside the game variables, as a Dict), and the
replay values of Coach's Doom_Basic presets (replay of 5,000 transitions, Adam 2.5e-4, the
target copied every 1,000 env steps, 1,000 random steps first) with the Nature CNN."""

from __future__ import annotations

from typing import Any

from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import EGreedy
from coachrl.params import (
    Activation,
    EnvironmentParams,
    FilterParams,
    MemoryParams,
    NetworkParams,
    Preprocessing,
    ScheduleParams,
    Validation,
)

LEVELS = {"Basic": "VizdoomBasic-v1", "HealthGathering": "VizdoomHealthGathering-v1",
          "DefendCenter": "VizdoomDefendCenter-v1", "DefendLine": "VizdoomDefendLine-v1",
          "TakeCover": "VizdoomTakeCover-v1", "MyWayHome": "VizdoomMyWayHome-v1",
          "DeadlyCorridor": "VizdoomDeadlyCorridor-v1"}
RANDOM_STEPS = 1_000  # Coach's heatup


def environment(level: str) -> dict[str, Any]:
    """The preset's env (``level`` of LEVELS, Doom preprocessing; rewards scaled by 0.01 for
    learning: a kill pays 101 in Basic, a step alive 4 in HealthGathering) and its levels."""
    return {"env": EnvironmentParams(env_id=LEVELS[level], n_envs=1,
                                     preprocessing=Preprocessing.DOOM,
                                     filters=FilterParams(reward_scale=0.01)),
            "levels": dict(LEVELS)}


def replay(**changes: Any) -> dict[str, Any]:
    """The replay driver's settings (the algorithm params' fields), with ``changes``: a
    gradient step of 32 transitions every 4 env steps from RANDOM_STEPS on, the target copied
    every 250 gradient steps (1,000 env steps, as Coach's)."""
    return {"discount": 0.99, "batch_size": 32, "train_frequency": 4, "gradient_steps": 1,
            "learning_starts": RANDOM_STEPS, "target_update_period": 250} | changes


def agent(*, epsilon_steps: int, **changes: Any) -> dict[str, Any]:
    """The agent params' fields besides the algorithm, with ``changes``: the Nature CNN and a
    512-unit ReLU layer, replay of 5,000 transitions, Adam 2.5e-4, epsilon 1 -> 0.05 over
    ``epsilon_steps``."""
    return {"network": NetworkParams(hidden_sizes=(512,), activation=Activation.RELU,
                                     ortho_init=False),
            "memory": MemoryParams(capacity=5_000),
            "exploration": EGreedy(schedule=Linear(start=1.0, end=0.05, duration=epsilon_steps)),
            "learning_rate": 2.5e-4, "adam_epsilon": 1e-8, "max_grad_norm": 10.0} | changes


def run_fields(*, budget: int, min_reward: float, evaluation_period: int) -> dict[str, Any]:
    """The schedule and validation: ``budget`` env steps, evaluated every
    ``evaluation_period`` over 10 episodes against ``min_reward``."""
    return {"schedule": ScheduleParams(heatup_steps=EnvSteps(RANDOM_STEPS),
                                       improve_steps=EnvSteps(budget),
                                       evaluation_period=EnvSteps(evaluation_period),
                                       evaluation_episodes=Episodes(10),
                                       checkpoint_period=EnvSteps(10_000)),
            "validation": Validation(min_reward=min_reward, max_env_steps=EnvSteps(budget),
                                     episodes=Episodes(10))}
