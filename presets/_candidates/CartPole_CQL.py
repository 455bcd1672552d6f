"""Discrete CQL on CartPole-v1 from a dataset (`coachrl collect`): CartPole_DQN's network and
replay settings (presets/_cartpole_value.py), alpha 1, 20 passes over the data with one
evaluation each. Train with `coachrl train CartPole_CQL --dataset data.h5`."""

from coachrl.agents.cql import CQLAlgorithmParams, CQLParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    EnvironmentParams,
    MemoryParams,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)

preset = Preset(
    agent=CQLParams(algorithm=CQLAlgorithmParams(batch_size=64, gradient_steps=1,
                                                 target_update_period=500, alpha=1.0,
                                                 learning_starts=0),
                    network=NetworkParams(hidden_sizes=(256, 256)), learning_rate=5e-4,
                    memory=MemoryParams(capacity=1_000_000)),
    env=EnvironmentParams(env_id="CartPole-v1"),
    schedule=ScheduleParams(evaluation_episodes=Episodes(10)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(10_000_000)),
    run=RunParams(epochs=20),
)
