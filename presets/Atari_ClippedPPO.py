"""Clipped PPO on Atari (default Pong; ``--level Breakout|SpaceInvaders|Qbert|Seaquest|
BeamRider``).

Values: the PPO paper's Atari settings (Schulman et al. 2017, table 5) as CleanRL's ppo_atari
and RL-zoo's ppo.yml use them: 8 envs, 128-step rollouts, 4 epochs of 256-step minibatches,
gamma 0.99, GAE 0.95, the clip range 0.1 decayed linearly to 0 (the paper's alpha annealing) and
0.1 on the value, value weight 0.5, entropy weight 0.01, Adam 2.5e-4 with epsilon 1e-5 decayed
linearly to 0, the gradient norm clipped at 0.5, orthogonal init; one Nature network whose
policy and value heads share the torso. Threshold: Pong >= 18 within 10M env steps (RL-zoo's
PPO reached 21.0; presets/_atari.py). Not measured here.
"""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.core.schedules import Linear
from coachrl.params import Preset
from coachrl.presets._atari import BUDGET, nature_network, run_fields

preset = Preset(
    agent=ClippedPPOParams(
        algorithm=ClippedPPOAlgorithmParams(
            discount=0.99, gae_lambda=0.95, rollout_length=128, epochs=4, batch_size=256,
            clip_range=Linear(start=0.1, end=0.0, duration=BUDGET), value_clip_range=0.1,
            value_weight=0.5, entropy_weight=0.01),
        network=nature_network(ortho_init=True),
        learning_rate=2.5e-4, learning_rate_decay="linear", adam_epsilon=1e-5,
        max_grad_norm=0.5),
    **run_fields(n_envs=8))
