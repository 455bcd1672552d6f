"""Mixed Monte-Carlo on CartPole-v1: beta 0.1, CartPole_DQN's tuned values. Measured (seed 0,
2026-11-30): the first evaluation >= 475 at 10,000 env steps of its 50k budget."""

from coachrl.agents.mmc import MMCAlgorithmParams, MMCParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=MMCParams(algorithm=MMCAlgorithmParams(monte_carlo_mixing_rate=0.1, **replay()),
                    **agent()),
    env=environment(), schedule=schedule(), validation=validation())
