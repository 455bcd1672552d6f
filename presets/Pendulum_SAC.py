"""SAC on Pendulum-v1: RL-zoo's tuned values (20k steps, learning rate 1e-3), SB3's SAC defaults
for the rest: replay 1M, batch 256, tau 0.005, gamma 0.99, one gradient step per env step after
100 random steps, temperature tuned from 1.0 toward entropy -1, 256-256 ReLU actor and critics,
Adam eps 1e-8."""

from coachrl.agents.sac import SACAlgorithmParams, SACParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
    EnvironmentParams,
    MemoryParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

IMPROVE_STEPS = 20_000

# Graph / schedule
schedule = ScheduleParams(
    heatup_steps=EnvSteps(100),  # uniform random actions, as SB3's learning_starts
    improve_steps=EnvSteps(IMPROVE_STEPS),
    evaluation_period=EnvSteps(2_000),
    evaluation_episodes=Episodes(10),
    checkpoint_period=EnvSteps(10_000),
)

# Agent
agent = SACParams(
    algorithm=SACAlgorithmParams(
        discount=0.99, batch_size=256, train_frequency=1, gradient_steps=1,
        learning_starts=100, target_update_tau=0.005, target_update_period=1,
        initial_temperature=1.0,
    ),
    network=NetworkParams(hidden_sizes=(256, 256), activation=Activation.RELU, ortho_init=False),
    memory=MemoryParams(capacity=1_000_000),
    learning_rate=1e-3,
    adam_epsilon=1e-8,
)

preset = Preset(
    agent=agent,
    env=EnvironmentParams(env_id="Pendulum-v1", n_envs=1),
    schedule=schedule,
    validation=Validation(min_reward=-200.0, max_env_steps=EnvSteps(IMPROVE_STEPS),
                          episodes=Episodes(10)),
)
