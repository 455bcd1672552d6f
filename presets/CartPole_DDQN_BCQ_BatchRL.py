"""Discrete BCQ on CartPole-v1 from a dataset (`coachrl collect`), tau 0.3, with the batch
presets' shared settings (presets/_batch.py).
It reaches 475 (10 evaluation episodes) within 20 passes over the CartPole dataset
presets/_batch.py describes; measured (seed 0): 475 after 3 passes (102,528 transitions trained on).
"""

from coachrl.agents.bcq import BCQAlgorithmParams, BCQParams
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(BCQParams(algorithm=BCQAlgorithmParams(threshold=0.3, **REPLAY), **AGENT))
