"""QR-DQN on CartPole-v1: RL-zoo's tuned QR-DQN (its DQN values with 10 quantiles)."""

from coachrl.agents.qr_dqn import QRDQNAlgorithmParams, QRDQNParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=QRDQNParams(algorithm=QRDQNAlgorithmParams(quantiles=10, **replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
