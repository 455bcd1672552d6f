"""Policy gradients (REINFORCE) on CartPole-v1: 8 envs, an update per 8 finished episodes,
future returns standardised per timestep (Coach's default rescaler), Adam 1e-3. Measured (seed
0, `--stop-at-threshold`, 2026-12-01, two cores shared with the test suite): the first
evaluation >= 475 (500) at 60,002 env steps of its 500k budget, 2.0 s of training (9.7 s with
start-up)."""

from coachrl.agents.pg import PGAlgorithmParams, PGParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import EnvironmentParams, Preset, ScheduleParams, Validation

IMPROVE_STEPS = 500_000

preset = Preset(
    agent=PGParams(algorithm=PGAlgorithmParams(discount=0.99, episodes_per_update=8),
                   learning_rate=1e-3),
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=8),
    schedule=ScheduleParams(improve_steps=EnvSteps(IMPROVE_STEPS),
                            evaluation_period=EnvSteps(10_000), evaluation_episodes=Episodes(10),
                            checkpoint_period=EnvSteps(50_000)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS)),
)
