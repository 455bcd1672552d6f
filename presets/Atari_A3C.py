"""A3C on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|BeamRider``),
in one process the synchronous A2C; with ``--workers N`` the learner applies each worker's
gradients as they arrive.

Values: Mnih et al. (2016) as RL-zoo trains A2C on Atari (rl-baselines3-zoo hyperparams/a2c.yml):
16 envs, 5-step rollouts with n-step returns (GAE lambda 1), gamma 0.99, entropy weight 0.01,
value weight 0.25, step size 7e-4 decayed linearly to 0 (the paper's annealing) with Adam and
epsilon 1e-5 in place of RMSProp, the gradient norm clipped at 0.5, orthogonal init; one Nature
network whose policy and value heads share the torso (the paper's). Threshold: Pong >= 17
within 10M env steps: RL-zoo's A2C reached 17.3 there (presets/_atari.py). Not measured here.
"""

from coachrl.agents.a3c import A3CAlgorithmParams, A3CParams
from coachrl.params import Preset
from coachrl.presets._atari import nature_network, run_fields

preset = Preset(
    agent=A3CParams(
        algorithm=A3CAlgorithmParams(discount=0.99, rollout_length=5, gae_lambda=1.0,
                                     entropy_weight=0.01, value_weight=0.25),
        network=nature_network(ortho_init=True),
        learning_rate=7e-4, learning_rate_decay="linear", adam_epsilon=1e-5,
        max_grad_norm=0.5),
    **run_fields(n_envs=16, threshold=17.0))
