"""Persistent advantage learning on CartPole-v1: alpha 0.9, CartPole_DQN's tuned values. Measured
(seed 0, 2026-11-30): the first evaluation >= 475 at 30,000 env steps of its 50k budget."""

from coachrl.agents.pal import PALAlgorithmParams, PALParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=PALParams(algorithm=PALAlgorithmParams(pal_alpha=0.9, **replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
