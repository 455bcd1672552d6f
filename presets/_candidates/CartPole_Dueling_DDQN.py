"""Dueling Double DQN on CartPole-v1: Double DQN with value and advantage streams."""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=DDQNParams(algorithm=QLearningAlgorithmParams(dueling=True, **replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
