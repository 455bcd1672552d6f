"""Clipped PPO on CartPole-v1. Hyperparameters: RL-zoo's tuned CartPole PPO (8 envs)."""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
    EnvironmentParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

IMPROVE_STEPS = 100_000

# Graph / schedule
schedule = ScheduleParams(
    improve_steps=EnvSteps(IMPROVE_STEPS),
    evaluation_period=EnvSteps(2_560),
    evaluation_episodes=Episodes(10),
    checkpoint_period=EnvSteps(20_480),
)

# Agent
agent = ClippedPPOParams(
    algorithm=ClippedPPOAlgorithmParams(
        discount=0.98, gae_lambda=0.8, rollout_length=32, epochs=20, batch_size=256,
        clip_range=Linear(start=0.2, end=0.0, duration=IMPROVE_STEPS), entropy_weight=0.0,
    ),
    network=NetworkParams(hidden_sizes=(64, 64), activation=Activation.TANH, separate_towers=True),
    learning_rate=1e-3,
    learning_rate_decay="linear",
    max_grad_norm=0.5,
)

preset = Preset(
    agent=agent,
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=8),
    schedule=schedule,
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS),
                          episodes=Episodes(10)),
)
