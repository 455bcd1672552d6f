"""QR-DQN on Acrobot-v1: the RL-zoo's QR-DQN for it, which is its DQN values
(presets/_acrobot_value.py) with 25 quantiles."""

from coachrl.agents.qr_dqn import QRDQNAlgorithmParams, QRDQNParams
from coachrl.params import Preset
from coachrl.presets._acrobot_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=QRDQNParams(algorithm=QRDQNAlgorithmParams(quantiles=25, **replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
