"""Discrete CQL on CartPole-v1 from a dataset (`coachrl collect`), alpha 1, with the batch
presets' shared settings (presets/_batch.py). Train with
`coachrl train CartPole_CQL --dataset data.h5`."""

from coachrl.agents.cql import CQLAlgorithmParams, CQLParams
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(CQLParams(algorithm=CQLAlgorithmParams(alpha=1.0, **REPLAY), **AGENT))
