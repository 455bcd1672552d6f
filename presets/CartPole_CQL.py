"""Discrete CQL on CartPole-v1 from a dataset (`coachrl collect`), alpha 1, with the batch
presets' shared settings (presets/_batch.py).
It reaches 475 (10 evaluation episodes) within 20 passes over the CartPole dataset
presets/_batch.py describes; measured (seed 0): 500 after the first pass.
"""

from coachrl.agents.cql import CQLAlgorithmParams, CQLParams
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(CQLParams(algorithm=CQLAlgorithmParams(alpha=1.0, **REPLAY), **AGENT))
