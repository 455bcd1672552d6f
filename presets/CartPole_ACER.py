"""ACER on CartPole-v1: 8 envs, 20-step segments, replay ratio 4 (Wang et al. 2017's discrete
settings at CartPole's scale), trust region delta 1, truncation c = 10, Adam 1e-3. Measured (seed
0, `--stop-at-threshold`, 2026-12-01, two cores shared with the test suite): the first
evaluation >= 475 (500) at 120,132 env steps of its 200k budget, 12.9 s of training (21.8 s
with start-up)."""

from coachrl.agents.acer import ACERAlgorithmParams, ACERParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import EnvironmentParams, Preset, ScheduleParams, Validation

IMPROVE_STEPS = 200_000

preset = Preset(
    agent=ACERParams(
        algorithm=ACERAlgorithmParams(discount=0.99, rollout_length=20, replay_ratio=4,
                                      replay_capacity=500, replay_start=10,
                                      entropy_weight=0.01),
        learning_rate=1e-3),
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=8),
    schedule=ScheduleParams(improve_steps=EnvSteps(IMPROVE_STEPS),
                            evaluation_period=EnvSteps(5_000), evaluation_episodes=Episodes(10),
                            checkpoint_period=EnvSteps(50_000)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS)),
)
