"""Persistent advantage learning on CartPole-v1: alpha 0.9, CartPole_DQN's tuned values."""

from coachrl.agents.pal import PALAlgorithmParams, PALParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=PALParams(algorithm=PALAlgorithmParams(pal_alpha=0.9, **replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
