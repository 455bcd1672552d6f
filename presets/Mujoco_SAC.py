"""SAC on MuJoCo (default InvertedPendulum-v5; ``--level HalfCheetah|Hopper``).

Values (presets/_mujoco.py): SB3's SAC and CleanRL's sac_continuous_action for batch 256, tau
0.005, gamma 0.99, replay 1M, a gradient step per env step, the temperature tuned from 1.0
toward entropy -|A|; 32-32 ReLU actor and twin critics with Adam 1e-3 (RLlib's InvertedPendulum
example, as TD3 and DDPG here) instead of 256-256 with 3e-4, and 1,000 uniform random steps
first (the TD3 paper's InvertedPendulum value) instead of RL-zoo's 10k or CleanRL's 5k, which
would be most of the budget. Measured (seed 0, `--stop-at-threshold`, 2026-12-01, two cores
shared with other runs): 1000.0 at 15,000 env steps, 44.2 s of training (seed 1: 12,000,
35.5 s); with 256-256 and 3e-4 13,000 env steps but 219 s.
"""

from coachrl.agents.sac import SACAlgorithmParams, SACParams
from coachrl.params import Preset
from coachrl.presets._mujoco import (
    RANDOM_STEPS,
    SAC_PAPER,
    replay_agent,
    replay_algorithm,
    run_fields,
)

IMPROVE_STEPS = 50_000

agent = SACParams(
    algorithm=SACAlgorithmParams(**replay_algorithm(), initial_temperature=1.0),
    **replay_agent(),
)

preset = Preset(agent=agent, **run_fields(budget=IMPROVE_STEPS, evaluation_period=1_000,
                                          heatup=RANDOM_STEPS,
                                          level_changes=SAC_PAPER))
