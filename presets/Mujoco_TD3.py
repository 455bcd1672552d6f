"""TD3 on MuJoCo (default InvertedPendulum-v5; ``--level HalfCheetah|Hopper``).

Values (presets/_mujoco.py): the TD3 paper's (Fujimoto et al. 2018): Adam 1e-3, tau 0.005,
gamma 0.99, replay 1M, Gaussian exploration noise 0.1, target smoothing noise 0.2 clipped at
0.5, actor and targets every 2 critic steps, 1,000 uniform random steps first on
InvertedPendulum (CleanRL's 25k would be most of the budget); batch 256 (the authors' updated
code, CleanRL) for the paper's 100, and RLlib's InvertedPendulum example's 32-32 ReLU networks
for 400-300 / 256-256. Measured (seed 0, `--stop-at-threshold`, 2026-12-01, two cores shared
with other runs): 1000.0 at 24,000 env steps, 38.2 s of training (seed 1: 18,000, 37.8 s);
with 256-256 and Adam 3e-4 the best in 30,000 was 152.
"""

from coachrl.agents.td3 import TD3AlgorithmParams, TD3Params
from coachrl.core.schedules import Constant
from coachrl.exploration import AdditiveGaussian
from coachrl.params import Preset
from coachrl.presets._mujoco import (
    RANDOM_STEPS,
    TD3_PAPER,
    replay_agent,
    replay_algorithm,
    run_fields,
)

IMPROVE_STEPS = 50_000

agent = TD3Params(
    algorithm=TD3AlgorithmParams(**replay_algorithm(), policy_delay=2, target_noise=0.2,
                                 target_noise_clip=0.5),
    exploration=AdditiveGaussian(schedule=Constant(constant=0.1)),
    **replay_agent(),
)

preset = Preset(agent=agent, **run_fields(budget=IMPROVE_STEPS, evaluation_period=1_000,
                                          heatup=RANDOM_STEPS,
                                          level_changes=TD3_PAPER))
