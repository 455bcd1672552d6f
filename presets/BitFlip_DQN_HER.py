"""DQN with hindsight experience replay on 15-bit BitFlip (Andrychowicz et al. 2017): whole
episodes in replay, each with 4 copies relabelled by future achieved goals; 256 ReLU units,
Adam 1e-3, batch 128, gamma 0.98, epsilon 0.2, a soft target update (tau 0.05) per gradient
step. Threshold: evaluation success rate >= 0.9 (50 episodes). Measured (seed 0,
`--stop-at-threshold`, 2026-12-01, two busy cores): success rate 1.0 at the second evaluation,
10,000 env steps of its 150k budget (0.2 at 5,000), 10.3 s of training (the relabelling's own
generator since 2026-12-01; 9.6 s before it)."""

from coachrl.agents.dqn import DQNAlgorithmParams, DQNParams
from coachrl.core.schedules import Constant
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import EGreedy
from coachrl.params import (
    Activation,
    EnvironmentParams,
    Hindsight,
    MemoryKind,
    MemoryParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
    ValidationMetric,
)

BITS, BUDGET = 15, 150_000

preset = Preset(
    agent=DQNParams(
        algorithm=DQNAlgorithmParams(discount=0.98, batch_size=128, train_frequency=16,
                                     gradient_steps=4, learning_starts=1_000,
                                     target_update_period=1, target_update_tau=0.05),
        network=NetworkParams(hidden_sizes=(256,), activation=Activation.RELU, ortho_init=False),
        memory=MemoryParams(capacity=1_000_000, kind=MemoryKind.EPISODIC,
                            hindsight=Hindsight.FUTURE, hindsight_goals=4),
        exploration=EGreedy(schedule=Constant(constant=0.2)),
        learning_rate=1e-3, adam_epsilon=1e-8, max_grad_norm=10.0),
    env=EnvironmentParams(env_id="coachrl/BitFlip-v0", env_kwargs={"n_bits": BITS}),
    schedule=ScheduleParams(heatup_steps=EnvSteps(1_000), improve_steps=EnvSteps(BUDGET),
                            evaluation_period=EnvSteps(5_000), evaluation_episodes=Episodes(50),
                            checkpoint_period=EnvSteps(50_000)),
    validation=Validation(min_reward=0.9, max_env_steps=EnvSteps(BUDGET), episodes=Episodes(50),
                          metric=ValidationMetric.SUCCESS_RATE),
)
