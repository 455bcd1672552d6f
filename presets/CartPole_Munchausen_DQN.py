"""Munchausen DQN on CartPole-v1: tau 0.03, alpha 0.9, l0 -1, CartPole_DQN's tuned values. Measured
(seed 0, 2026-11-30): the first evaluation >= 475 at 25,000 env steps of its 50k budget."""

from coachrl.agents.munchausen_dqn import MunchausenAlgorithmParams, MunchausenDQNParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=MunchausenDQNParams(algorithm=MunchausenAlgorithmParams(**replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
