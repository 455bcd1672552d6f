"""Double DQN on CartPole-v1 from a dataset (`coachrl collect`), with the batch presets' shared
settings (presets/_batch.py): plain off-policy Q-learning on fixed data, the baseline
that BCQ and CQL improve on. Train with `coachrl train CartPole_DDQN_BatchRL --dataset data.h5`."""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.exploration import Greedy
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(DDQNParams(algorithm=QLearningAlgorithmParams(**REPLAY),
                                 exploration=Greedy(), **AGENT))
