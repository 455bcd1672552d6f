"""Double DQN on CartPole-v1 from a dataset (`coachrl collect`), with the batch presets' shared
settings (presets/_batch.py): plain off-policy Q-learning on fixed data, the baseline that BCQ
and CQL improve on.
It reaches 475 (10 evaluation episodes) within 20 passes over the CartPole dataset
presets/_batch.py describes; measured (seed 0): 475 after 6 passes (205,056 transitions trained on).
"""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.exploration import Greedy
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(DDQNParams(algorithm=QLearningAlgorithmParams(**REPLAY),
                                 exploration=Greedy(), **AGENT))
