"""UCB over a Q ensemble on CartPole-v1 (Chen et al. 2017): Bootstrapped DQN's 10 heads, acting on
their mean plus 0.1 standard deviations of their disagreement. Measured (seed 0, 2026-11-30):
the first evaluation >= 475 at 40,000 env steps of its 50k budget."""

from coachrl.agents.bootstrapped_dqn import BootstrappedAlgorithmParams, BootstrappedDQNParams
from coachrl.exploration import UCB
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=BootstrappedDQNParams(
        algorithm=BootstrappedAlgorithmParams(heads=10, mask_probability=0.5, **replay()),
        **agent(exploration=UCB(bonus=0.1))),
    env=environment(), schedule=schedule(), validation=validation())
