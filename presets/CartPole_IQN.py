"""IQN on CartPole-v1: 8 sampled fractions (N = N' = K = 8; the paper's 32 made an update ~8x
DQN's), 64 cosines, a 128-unit ReLU layer after the merge (the paper's f), CartPole_DQN's tuned
values otherwise. Measured (seed 0, 2026-11-30): the first evaluation >= 475 at 25,000 env steps
of its 50k budget (165 s on two busy cores); without the layer after the merge, 47,500."""

from coachrl.agents.iqn import IQNAlgorithmParams, IQNParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=IQNParams(algorithm=IQNAlgorithmParams(quantiles=8, embedding_size=64, hidden_size=128,
                                                 **replay()),
                    **agent()),
    env=environment(), schedule=schedule(), validation=validation())
