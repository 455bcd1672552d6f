"""Clipped PPO on Pendulum-v1 (continuous torque, a Gaussian policy with a free log-std).

Values: RL-zoo's PPO for Pendulum-v1 (4 envs, 1024-step rollouts, 10 epochs of 64-sample
minibatches, gamma 0.9, GAE 0.95, lr 1e-3, clip 0.2, no entropy bonus) without its gSDE
exploration, which coachrl does not have; rewards scaled by 0.1 instead (the value head then
regresses returns of about -10 to 0 rather than -100 to 0). Separate 64-64 tanh towers.

Measured from the CLI (2026-12-01, `--stop-at-threshold`, evaluation every 10,240 env steps):
seed 0 reached -169.9 at 44,832 env steps (6.7 s of training), seeds 1-4 -242.0 at 32,608,
-179.9, -214.2 and -158.5 at 44,832 (4.7-8.1 s). Seed 0's whole 300k budget: every evaluation
after the first crossing between -297 and -121, the last -171.8.
"""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
    EnvironmentParams,
    FilterParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

IMPROVE_STEPS = 300_000

# Graph / schedule
schedule = ScheduleParams(
    improve_steps=EnvSteps(IMPROVE_STEPS),
    evaluation_period=EnvSteps(10_240),
    evaluation_episodes=Episodes(10),
    checkpoint_period=EnvSteps(40_960),
)

# Agent
agent = ClippedPPOParams(
    algorithm=ClippedPPOAlgorithmParams(discount=0.9, gae_lambda=0.95, rollout_length=1024,
                                        epochs=10, batch_size=64, entropy_weight=0.0),
    network=NetworkParams(hidden_sizes=(64, 64), activation=Activation.TANH, separate_towers=True),
    learning_rate=1e-3,
    max_grad_norm=0.5,
)

preset = Preset(
    agent=agent,
    env=EnvironmentParams(env_id="Pendulum-v1", n_envs=4, filters=FilterParams(reward_scale=0.1)),
    schedule=schedule,
    validation=Validation(min_reward=-250.0, max_env_steps=EnvSteps(IMPROVE_STEPS),
                          episodes=Episodes(10)),
)
