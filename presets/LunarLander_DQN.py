"""DQN on LunarLander-v3 (Box2D; the ``[box2d]`` extra).

Values: RL-zoo's tuned DQN for LunarLander (256-256 ReLU, Adam 6.3e-4, batches of 128, replay
50k, gamma 0.99, four gradient steps every 4 env steps, a target copy every 250 steps, epsilon
1 -> 0.1 over the first 12% of its 100k steps), the same values as the value family's Acrobot
presets (presets/_acrobot_value.py), learning from step 1,000 (1,000 random steps first; the
zoo learns from step 0) as they do. Threshold: the env's "solved" mark, 200 over 10
evaluation episodes, within the zoo's 100k steps.

Measured from the CLI (`--stop-at-threshold`, 2026-12-01, two cores shared with other runs):
seed 0 reached 207.1 at 50,000 env steps (125.1 s of training; 176.7 at 45,000); seed 1 at 95,000
(240.3; 482.9 s of training on busier cores; 198.0 at 50,000, then 49.7-191.3 until 95,000).
"""

from coachrl.agents.dqn import DQNAlgorithmParams, DQNParams
from coachrl.params import Preset
from coachrl.presets import _acrobot_value
from coachrl.presets._box2d import LUNAR_LANDER_THRESHOLD, run_fields

IMPROVE_STEPS = 100_000

agent = DQNParams(algorithm=DQNAlgorithmParams(**_acrobot_value.replay()),
                  **_acrobot_value.agent())

preset = Preset(agent=agent, **run_fields(
    env_id="LunarLander-v3", n_envs=1, budget=IMPROVE_STEPS, evaluation_period=5_000,
    heatup=1_000, threshold=LUNAR_LANDER_THRESHOLD))
