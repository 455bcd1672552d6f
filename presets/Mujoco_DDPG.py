"""DDPG on MuJoCo (default InvertedPendulum-v5; ``--level HalfCheetah|Hopper``).

Values (presets/_mujoco.py): the TD3 paper's re-tuned DDPG ("OurDDPG"), as CleanRL's
ddpg_continuous_action: one critic, an actor step with every critic step, Gaussian exploration
noise 0.1, Adam 1e-3 (the paper's), tau 0.005, gamma 0.99, batch 256, replay 1M; RLlib's
InvertedPendulum example's 32-32 ReLU networks for 256-256, and 1,000 uniform random steps
first (the TD3 paper's InvertedPendulum value; CleanRL's 25k would be most of the budget).
Measured (seed 0, `--stop-at-threshold`, 2026-12-01, two cores shared with other runs): 1000.0
at 15,000 env steps, 33.9 s of training (seed 1: 19,000, 42.9 s).
"""

from coachrl.agents.ddpg import DDPGAlgorithmParams, DDPGParams
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

agent = DDPGParams(
    algorithm=DDPGAlgorithmParams(**replay_algorithm()),
    exploration=AdditiveGaussian(schedule=Constant(constant=0.1)),
    **replay_agent(),
)

preset = Preset(agent=agent, **run_fields(budget=IMPROVE_STEPS, evaluation_period=1_000,
                                          heatup=RANDOM_STEPS,
                                          level_changes=TD3_PAPER))
