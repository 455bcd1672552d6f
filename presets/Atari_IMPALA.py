"""IMPALA on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|BeamRider``).

Values: Espeholt et al. (2018), its Atari experiments: 20-step unrolls, a batch of 32 of them
(32 envs), V-trace with rho and c clipped at 1, gamma 0.99, value weight 0.5, entropy weight
0.01, step size 6e-4 decayed linearly to 0 (Adam with epsilon 1e-5 in place of the paper's
RMSProp), the gradient norm clipped at 40, orthogonal init; the Nature network (the paper's
shallow one) whose policy and value heads share the torso. With ``--workers N`` each worker runs
4 envs. Threshold: Pong >= 18 within 10M env steps (presets/_atari.py). Not measured here.
"""

from coachrl.agents.impala import IMPALAAlgorithmParams, IMPALAParams
from coachrl.params import Preset, RunParams
from coachrl.presets._atari import nature_network, run_fields

preset = Preset(
    agent=IMPALAParams(
        algorithm=IMPALAAlgorithmParams(discount=0.99, rollout_length=20, value_weight=0.5,
                                        entropy_weight=0.01),
        network=nature_network(ortho_init=True),
        learning_rate=6e-4, learning_rate_decay="linear", adam_epsilon=1e-5,
        max_grad_norm=40.0),
    **run_fields(n_envs=32), run=RunParams(envs_per_worker=4))
