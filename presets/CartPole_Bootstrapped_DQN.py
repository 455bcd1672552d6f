"""Bootstrapped DQN on CartPole-v1: 10 heads, each episode greedy with one head (deep exploration
instead of epsilon), masks p = 0.5, CartPole_DQN's tuned values otherwise. Measured (seed 0,
2026-11-30): the first evaluation >= 475 at 27,500 env steps of its 50k budget."""

from coachrl.agents.bootstrapped_dqn import BootstrappedAlgorithmParams, BootstrappedDQNParams
from coachrl.exploration import BootstrappedHeads
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=BootstrappedDQNParams(
        algorithm=BootstrappedAlgorithmParams(heads=10, mask_probability=0.5, **replay()),
        **agent(exploration=BootstrappedHeads())),
    env=environment(), schedule=schedule(), validation=validation())
