"""Clipped PPO on PyBullet's InvertedPendulumBulletEnv-v0 (``pip install 'coachrl[pybullet]'``;
PyBullet is the maintained successor of Roboschool, whose envs these are).

The agent, schedule and threshold are Mujoco_ClippedPPO's (CleanRL's ppo_continuous_action: one
env, 2,048-step rollouts, 10 epochs of 64, separate 64-64 tanh towers, observations normalised;
eval mean >= 950 over 10 episodes). The Bullet pendulum is a harder balance than MuJoCo's: the
cart must also keep off the ends of its rail, and both coachrl and SB3's SAC sit near 150
(random actions: about 30) for the first ~80k env steps. Measured (seed 0, 2026-12-01, two
cores shared with other runs): evaluations 141-183 up to 83,280 env steps, then 1000.0 (every
episode to the 1,000-step limit) at 93,504, 200 s of training; seed 1: 1000.0 at 32,470, 48 s.
Its episodes resume exactly from a checkpoint by replaying them from their reset
(environments/snapshot.py).
"""

import copy

from coachrl.presets.Mujoco_ClippedPPO import preset as mujoco

preset = copy.deepcopy(mujoco)  # its own copy: nothing is shared with Mujoco_ClippedPPO
preset.env.env_id = "InvertedPendulumBulletEnv-v0"
preset.levels, preset.level_overrides = {}, {}
