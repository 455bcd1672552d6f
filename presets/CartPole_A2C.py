"""A2C on CartPole-v1: the A3C agent in one process (its synchronous form), RL-zoo's A2C
values: 8 envs, 5-step rollouts, n-step returns (GAE lambda 1), no entropy bonus, lr 7e-4
(Adam here, RMSprop in SB3), value coefficient 0.5, gradient clip 0.5. Measured (seed 0,
`--stop-at-threshold`, 2026-12-01, two cores shared with the test suite): the first evaluation
>= 475 (500) at 195,034 env steps of its 500k budget (RL-zoo's), 13.4 s of training."""

from coachrl.agents.a3c import A3CAlgorithmParams, A3CParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import EnvironmentParams, Preset, ScheduleParams, Validation

IMPROVE_STEPS = 500_000

preset = Preset(
    agent=A3CParams(
        algorithm=A3CAlgorithmParams(discount=0.99, rollout_length=5, gae_lambda=1.0,
                                     value_weight=0.5, entropy_weight=0.0),
        learning_rate=7e-4, max_grad_norm=0.5),
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=8),
    schedule=ScheduleParams(improve_steps=EnvSteps(IMPROVE_STEPS),
                            evaluation_period=EnvSteps(5_000), evaluation_episodes=Episodes(10),
                            checkpoint_period=EnvSteps(50_000)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS)),
)
