"""Discrete BCQ on Acrobot-v1 from a dataset of uniformly random episodes, tau 0.3, with the
batch presets' shared settings (presets/_batch.py):

    coachrl collect Acrobot_DDQN_BCQ_BatchRL --random --episodes 100 --out acrobot.h5
    coachrl train Acrobot_DDQN_BCQ_BatchRL --dataset acrobot.h5
"""

from coachrl.agents.bcq import BCQAlgorithmParams, BCQParams
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(BCQParams(algorithm=BCQAlgorithmParams(threshold=0.3, **REPLAY), **AGENT),
                      env_id="Acrobot-v1", min_reward=-100.0)
