"""Discrete CQL on CartPole-v1 from a dataset (`coachrl collect`), alpha 1, with the batch
presets' shared settings (presets/_batch.py).
It reaches 475 (10 evaluation episodes) within 20 passes over a dataset of 100 episodes
recorded from CartPole_DQN's seed-0 run (stopped at its threshold) with epsilon 0.3:

    coachrl train CartPole_DQN --stop-at-threshold
    coachrl collect experiments/CartPole_DQN/RUN --episodes 100 --epsilon 0.3 --out data.h5
    coachrl train CartPole_CQL --dataset data.h5

Measured (2026-11-30, seed 0, 34,170 transitions, mean return 341.7): 500 after the first pass.
"""

from coachrl.agents.cql import CQLAlgorithmParams, CQLParams
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(CQLParams(algorithm=CQLAlgorithmParams(alpha=1.0, **REPLAY), **AGENT))
