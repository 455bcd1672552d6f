"""QR-DQN on CartPole-v1: RL-zoo's tuned QR-DQN (its DQN values with 10 quantiles). Measured (seed
0, 2026-12-02): the first evaluation >= 475 at 27,500 env steps of its 50k budget (20,000 on
2026-11-30, before its loss gave its gradient in closed form: the same maths, rounded apart)."""

from coachrl.agents.qr_dqn import QRDQNAlgorithmParams, QRDQNParams
from coachrl.params import Preset
from coachrl.presets._cartpole_value import agent, environment, replay, schedule, validation

preset = Preset(
    agent=QRDQNParams(algorithm=QRDQNAlgorithmParams(quantiles=10, **replay()), **agent()),
    env=environment(), schedule=schedule(), validation=validation())
