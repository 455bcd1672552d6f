"""Behavioural cloning on CartPole-v1 from a dataset (`coachrl collect`): a 64-64 tanh policy,
Adam 1e-3, batches of 128, 20 passes over the data, one evaluation (10 episodes) per pass.
It reaches 475 (10 evaluation episodes) within 20 passes over a dataset of 100 episodes
recorded from CartPole_DQN's seed-0 run (stopped at its threshold) with epsilon 0.3:

    coachrl train CartPole_DQN --stop-at-threshold
    coachrl collect experiments/CartPole_DQN/RUN --episodes 100 --epsilon 0.3 --out data.h5
    coachrl train CartPole_BC --dataset data.h5

Measured (2026-11-30, seed 0, 34,170 transitions, mean return 341.7): 500 after the first pass.
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
