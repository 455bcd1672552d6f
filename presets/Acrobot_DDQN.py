"""Double DQN on Acrobot-v1 with the RL-zoo's DQN values for it (presets/_acrobot_value.py).
Measured (2026-11-30, seed 0): -92.5 at 30,000 env steps; with one gradient step per 4 env
steps instead it was still at -500 at 30,000."""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.params import Preset
from coachrl.presets._acrobot_value import agent, environment, replay, schedule, validation

preset = Preset(agent=DDQNParams(algorithm=QLearningAlgorithmParams(**replay()), **agent()),
                env=environment(), schedule=schedule(), validation=validation())
