"""What the MuJoCo presets share: their levels (``--level InvertedPendulum|HalfCheetah|Hopper``),
InvertedPendulum-v5 as the default env with its threshold, and the replay agents' values: the
TD3 paper's (Fujimoto et al. 2018) with RLlib's InvertedPendulum TD3 example's 32-32 networks.

Measured on InvertedPendulum-v5 (seed 0, two busy cores, 2026-12-01), the MuJoCo-wide values
of CleanRL and the TD3 authors' code (256-256, Adam 3e-4) learnt to balance within ~5k steps
but drifted into the rail for the next ~10k: SAC reached 950 at 13,000 env steps (219 s of
training at 50 steps/s), TD3 never in 30,000 (best 152; 303 s), and Adam 1e-3 alone did not
change that by 10,000. 32-32 with Adam 1e-3 (RLlib's tuned example, which reaches 1,000 in
10-20k steps) reached it at 15,000 (SAC, DDPG) and 24,000 (TD3) in 34-44 s.

``--level HalfCheetah`` and ``--level Hopper`` also set the literature's values for those envs
(``level_overrides``): 1M env steps, 10k random steps first, an evaluation every 5,000 steps,
Gymnasium's registered reward thresholds as the threshold (HalfCheetah-v5 4,800, Hopper-v5
3,800), and each paper's networks and optimiser: TD3 and DDPG the TD3 paper's (400-300, Adam
1e-3, batch 100), SAC its paper's (256-256, Adam 3e-4, batch 256), Clipped PPO CleanRL's as on
InvertedPendulum over 1M steps.
"""

from __future__ import annotations

from typing import Any

from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
    EnvironmentParams,
    FilterParams,
    MemoryParams,
    NetworkParams,
    ScheduleParams,
    Validation,
)

LEVELS = {"InvertedPendulum": "InvertedPendulum-v5", "HalfCheetah": "HalfCheetah-v5",
          "Hopper": "Hopper-v5"}
# an InvertedPendulum episode pays 1 a step for at most 1,000 steps: >= 950 over 10 episodes
# is a policy that balances (nearly) every episode to the time limit
THRESHOLD = 950.0
# uniform random actions before learning: the TD3 paper's 1,000 for InvertedPendulum (10,000
# only on HalfCheetah and Ant); CleanRL's 25k (5k for SAC) would be most of this budget
RANDOM_STEPS = 1_000


def run_fields(*, budget: int, evaluation_period: int, heatup: int = 0,
               filters: FilterParams | None = None,
               level_changes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The preset's env, levels, schedule and validation: ``budget`` env steps on
    InvertedPendulum-v5, evaluated every ``evaluation_period`` over 10 episodes; the big
    levels' literature values (``level_overrides``) with the agent's ``level_changes``."""
    return {"env": EnvironmentParams(env_id=LEVELS["InvertedPendulum"], n_envs=1,
                                     filters=filters or FilterParams()),
            "levels": dict(LEVELS), "level_overrides": level_overrides(*level_changes,
                                                                      random_steps=heatup > 0),
            "schedule": ScheduleParams(heatup_steps=EnvSteps(heatup),
                                       improve_steps=EnvSteps(budget),
                                       evaluation_period=EnvSteps(evaluation_period),
                                       evaluation_episodes=Episodes(10),
                                       checkpoint_period=EnvSteps(10_000)),
            "validation": Validation(min_reward=THRESHOLD, max_env_steps=EnvSteps(budget),
                                     episodes=Episodes(10))}


def replay_algorithm() -> dict[str, Any]:
    """The algorithm params' fields SAC, TD3 and DDPG take: a gradient step of 256 transitions
    per env step from RANDOM_STEPS on, gamma 0.99, soft target updates with tau 0.005."""
    return {"discount": 0.99, "batch_size": 256, "train_frequency": 1, "gradient_steps": 1,
            "learning_starts": RANDOM_STEPS, "target_update_tau": 0.005,
            "target_update_period": 1}


def replay_agent() -> dict[str, Any]:
    """The agent params' fields besides the algorithm: 32-32 ReLU actor and critics with
    torch's default init, replay of 1M transitions, Adam 1e-3 with torch's epsilon."""
    return {"network": NetworkParams(hidden_sizes=(32, 32), activation=Activation.RELU,
                                     ortho_init=False),
            "memory": MemoryParams(capacity=1_000_000),
            "learning_rate": 1e-3,
            "adam_epsilon": 1e-8}


# Gymnasium's registered reward_threshold of each level's env (its "solved" mark)
LEVEL_THRESHOLDS = {"HalfCheetah": 4_800.0, "Hopper": 3_800.0}
LEVEL_BUDGET, LEVEL_RANDOM_STEPS = 1_000_000, 10_000


def level_overrides(*changes: str, random_steps: bool = True) -> dict[str, tuple[str, ...]]:
    """Each big level's assignments: the literature's budget, random steps (for a replay
    agent), evaluation cadence and threshold, then the agent's own ``changes``."""
    common = (f"schedule.improve_steps={LEVEL_BUDGET}", f"validation.max_env_steps={LEVEL_BUDGET}",
              "schedule.evaluation_period=5000", "schedule.checkpoint_period=50000")
    warmup = (f"schedule.heatup_steps={LEVEL_RANDOM_STEPS}",
              f"agent.algorithm.learning_starts={LEVEL_RANDOM_STEPS}") if random_steps else ()
    return {level: (*common, *warmup, f"validation.min_reward={threshold:g}", *changes)
            for level, threshold in LEVEL_THRESHOLDS.items()}


# the TD3 paper's networks and optimiser for TD3 and its re-tuned DDPG (Fujimoto et al. 2018)
TD3_PAPER = ("agent.network.hidden_sizes=[400,300]", "agent.learning_rate=0.001",
             "agent.algorithm.batch_size=100")
# the SAC paper's (Haarnoja et al. 2018, table 1)
SAC_PAPER = ("agent.network.hidden_sizes=[256,256]", "agent.learning_rate=0.0003",
             "agent.algorithm.batch_size=256")
