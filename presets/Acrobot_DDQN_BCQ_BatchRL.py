"""Discrete BCQ on Acrobot-v1 from a dataset, tau 0.3, with the batch presets' shared settings
(presets/_batch.py). It reaches -100 (10 evaluation episodes) within 20 passes over a dataset
of 100 episodes recorded from Acrobot_DDQN's seed-0 run (stopped at its threshold) with
epsilon 0.3:

    coachrl train Acrobot_DDQN --stop-at-threshold
    coachrl collect experiments/Acrobot_DDQN/RUN --episodes 100 --epsilon 0.3 --out acrobot.h5
    coachrl train Acrobot_DDQN_BCQ_BatchRL --dataset acrobot.h5

Measured (2026-11-30, seed 0, 11,282 transitions, mean return -111.8): -79.9 after 3 passes.
Uniformly random episodes do not do: they almost never reach the goal (mean -499.6 over 100),
so every reward is -1 and no transition says which actions lead up; BCQ stayed at -500.
"""

from coachrl.agents.bcq import BCQAlgorithmParams, BCQParams
from coachrl.presets._batch import AGENT, REPLAY, batch_preset

preset = batch_preset(BCQParams(algorithm=BCQAlgorithmParams(threshold=0.3, **REPLAY), **AGENT),
                      env_id="Acrobot-v1", min_reward=-100.0)
