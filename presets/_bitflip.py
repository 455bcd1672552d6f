"""What BitFlip_DQN_HER and its negative control BitFlip_DQN share: the DQN of Andrychowicz
et al. 2017 on 15-bit BitFlip (256 ReLU units, Adam 1e-3, batch 128, gamma 0.98, epsilon 0.2,
a soft target update with tau 0.05 per gradient step) over a 30k-step budget, evaluated on the
success rate of 50 episodes; the two differ only in the replay's hindsight. The budget was 150k
until 2026-12-01: HER reaches 1.0 at 10,000 env steps, and the control, which trains its whole
budget in CI, took 5-7 minutes of it for 150k (0.0 at every evaluation but one)."""

from __future__ import annotations

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

BITS, BUDGET = 15, 30_000
EVALUATION_EPISODES = 50


def preset(*, hindsight: Hindsight, threshold: float) -> Preset:
    """The 15-bit BitFlip DQN with whole episodes in replay, each with 4 copies relabelled by
    ``hindsight`` (none for Hindsight.NONE); ``threshold``: its Validation's success rate."""
    return Preset(
        agent=DQNParams(
            algorithm=DQNAlgorithmParams(discount=0.98, batch_size=128, train_frequency=16,
                                         gradient_steps=4, learning_starts=1_000,
                                         target_update_period=1, target_update_tau=0.05),
            network=NetworkParams(hidden_sizes=(256,), activation=Activation.RELU,
                                  ortho_init=False),
            memory=MemoryParams(capacity=1_000_000, kind=MemoryKind.EPISODIC,
                                hindsight=hindsight, hindsight_goals=4),
            exploration=EGreedy(schedule=Constant(constant=0.2)),
            learning_rate=1e-3, adam_epsilon=1e-8, max_grad_norm=10.0),
        env=EnvironmentParams(env_id="coachrl/BitFlip-v0", env_kwargs={"n_bits": BITS}),
        schedule=ScheduleParams(heatup_steps=EnvSteps(1_000), improve_steps=EnvSteps(BUDGET),
                                evaluation_period=EnvSteps(5_000),
                                evaluation_episodes=Episodes(EVALUATION_EPISODES),
                                checkpoint_period=EnvSteps(50_000)),
        validation=Validation(min_reward=threshold, max_env_steps=EnvSteps(BUDGET),
                              episodes=Episodes(EVALUATION_EPISODES),
                              metric=ValidationMetric.SUCCESS_RATE),
    )
