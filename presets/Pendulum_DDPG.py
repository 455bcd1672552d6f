"""DDPG on Pendulum-v1: RL-zoo's tuned values (20k steps budgeted 30k here, gamma 0.98, replay
200k, 10k random steps first, Gaussian action noise 0.1, Adam 1e-3, 400-300 ReLU). Measured
(seed 0, `--stop-at-threshold`, 2026-12-01, two cores shared with the test suite): the first
evaluation >= -200 (-171.0) at 14,000 env steps of its 30k budget, 62.1 s of training (4,000
gradient steps after the 10k random ones; 70 s with start-up)."""

from coachrl.agents.ddpg import DDPGAlgorithmParams, DDPGParams
from coachrl.core.schedules import Constant
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import AdditiveGaussian
from coachrl.params import EnvironmentParams, MemoryParams, Preset, ScheduleParams, Validation

IMPROVE_STEPS = 30_000

preset = Preset(
    agent=DDPGParams(
        algorithm=DDPGAlgorithmParams(discount=0.98, learning_starts=10_000),
        memory=MemoryParams(capacity=200_000),
        exploration=AdditiveGaussian(schedule=Constant(constant=0.1)),
        learning_rate=1e-3),
    env=EnvironmentParams(env_id="Pendulum-v1", n_envs=1),
    schedule=ScheduleParams(heatup_steps=EnvSteps(10_000), improve_steps=EnvSteps(IMPROVE_STEPS),
                            evaluation_period=EnvSteps(2_000), evaluation_episodes=Episodes(10),
                            checkpoint_period=EnvSteps(10_000)),
    validation=Validation(min_reward=-200.0, max_env_steps=EnvSteps(IMPROVE_STEPS)),
)
