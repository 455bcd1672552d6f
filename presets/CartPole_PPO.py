"""PPO with an adaptive KL penalty on CartPole-v1: Clipped PPO's tuned values (RL-zoo, 8 envs)
with the KL-penalised surrogate (target 0.01, beta from 1) instead of the clip. Measured (seed
0, `--stop-at-threshold`, 2026-12-01, two cores shared with the test suite): the first
evaluation >= 475 (500) at 12,825 env steps of its 100k budget, 2.5 s of training."""

from coachrl.agents.ppo import PPOAlgorithmParams, PPOParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
    EnvironmentParams,
    LearningRateDecay,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

IMPROVE_STEPS = 100_000

preset = Preset(
    agent=PPOParams(
        algorithm=PPOAlgorithmParams(discount=0.98, gae_lambda=0.8, rollout_length=32, epochs=20,
                                     batch_size=256, kl_target=0.01, initial_kl_weight=1.0),
        network=NetworkParams(hidden_sizes=(64, 64), activation=Activation.TANH,
                              separate_towers=True),
        learning_rate=1e-3, learning_rate_decay=LearningRateDecay.LINEAR, max_grad_norm=0.5),
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=8),
    schedule=ScheduleParams(improve_steps=EnvSteps(IMPROVE_STEPS),
                            evaluation_period=EnvSteps(2_560), evaluation_episodes=Episodes(10),
                            checkpoint_period=EnvSteps(20_480)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS)),
)
