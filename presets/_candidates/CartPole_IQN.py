"""IQN on CartPole-v1: 8 sampled fractions (N = N' = K = 8; the paper's 32 made an update ~8x
DQN's), 64 cosines, with CartPole_DQN's tuned values."""

from coachrl.agents.iqn import IQNAlgorithmParams, IQNParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=IQNParams(algorithm=IQNAlgorithmParams(quantiles=8, embedding_size=64, **replay()),
                    **agent()),
    env=environment(), schedule=schedule(), validation=validation())
