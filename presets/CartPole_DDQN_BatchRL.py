"""Double DQN on CartPole-v1 from a dataset (`coachrl collect`), with the batch presets' shared
settings (presets/_batch.py): plain off-policy Q-learning on fixed data, the baseline that BCQ
and CQL improve on.
It reaches 475 (10 evaluation episodes) within 20 passes over a dataset of 100 episodes
recorded from CartPole_DQN's seed-0 run (stopped at its threshold) with epsilon 0.3:

    coachrl train CartPole_DQN --stop-at-threshold
    coachrl collect experiments/CartPole_DQN/RUN --episodes 100 --epsilon 0.3 --out data.h5
    coachrl train CartPole_DDQN_BatchRL --dataset data.h5

Measured (2026-11-30, seed 0, 34,170 transitions, mean return 341.7): 475 after 6 passes
(205,056 transitions trained on).
"""

from coachrl.agent import QLearningAlgorithmParams
from coachrl.agents.ddqn import DDQNParams
from coachrl.exploration import Greedy
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(DDQNParams(algorithm=QLearningAlgorithmParams(**REPLAY),
                                 exploration=Greedy(), **AGENT))
