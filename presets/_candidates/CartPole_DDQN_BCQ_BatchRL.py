"""Discrete BCQ on CartPole-v1 from a dataset (`coachrl collect`), tau 0.3, with the batch
presets' shared settings (presets/_batch.py). Train with
`coachrl train CartPole_DDQN_BCQ_BatchRL --dataset data.h5`."""

from coachrl.agents.bcq import BCQAlgorithmParams, BCQParams
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(BCQParams(algorithm=BCQAlgorithmParams(threshold=0.3, **REPLAY), **AGENT))
