"""Behavioural cloning on CartPole-v1 from a dataset (`coachrl collect`): a 64-64 tanh policy,
Adam 1e-3, batches of 128, 20 passes over the data, one evaluation (10 episodes) per pass.
It reaches 475 (10 evaluation episodes) within 20 passes over the CartPole dataset
presets/_batch.py describes; measured (seed 0): 500 after the first pass.
"""

from coachrl.agents.bc import BCAlgorithmParams, BCParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    EnvironmentParams,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)

preset = Preset(
    agent=BCParams(algorithm=BCAlgorithmParams(batch_size=128),
                   network=NetworkParams(hidden_sizes=(64, 64)), learning_rate=1e-3),
    env=EnvironmentParams(env_id="CartPole-v1"),
    schedule=ScheduleParams(evaluation_episodes=Episodes(10)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(10_000_000)),
    run=RunParams(epochs=20),
)
