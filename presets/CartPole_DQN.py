"""DQN on CartPole-v1: RL-zoo's tuned CartPole DQN, target copied once per training round."""

from coachrl.agents.dqn import DQNAlgorithmParams, DQNParams
from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import EGreedy
from coachrl.params import (
    Activation,
    EnvironmentParams,
    MemoryParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

# Graph / schedule
schedule = ScheduleParams(
    heatup_steps=EnvSteps(1_000),
    improve_steps=EnvSteps(50_000),
    evaluation_period=EnvSteps(2_500),
    evaluation_episodes=Episodes(10),
    checkpoint_period=EnvSteps(10_000),
)

# Agent
agent = DQNParams(
    algorithm=DQNAlgorithmParams(
        discount=0.99, batch_size=64, train_frequency=256, gradient_steps=128,
        learning_starts=1_000, target_update_period=128,
    ),
    network=NetworkParams(hidden_sizes=(256, 256), activation=Activation.RELU, ortho_init=False),
    memory=MemoryParams(capacity=100_000),
    exploration=EGreedy(schedule=Linear(start=1.0, end=0.04, duration=8_000)),
    learning_rate=2.3e-3,
    adam_epsilon=1e-8,
    max_grad_norm=10.0,
)

preset = Preset(
    agent=agent,
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=1),
    schedule=schedule,
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(50_000), episodes=Episodes(10)),
)
