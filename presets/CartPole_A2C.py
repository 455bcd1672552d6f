"""A2C on CartPole-v1: the A3C agent in one process (its synchronous form), RL-zoo's A2C
values: 8 envs, 5-step rollouts, n-step returns (GAE lambda 1), no entropy bonus, lr 7e-4
(Adam here, RMSprop in SB3), value coefficient 0.5, gradient clip 0.5, and SB3's policy:
separate 64-64 tanh actor and critic (the A3C agent's default is one shared torso). Measured
from the CLI (`--stop-at-threshold`, 2026-12-01, two busy cores): seed 0 493.4 at 25,014 env
steps (1.8 s of training), seeds 1 and 2 at 15,015 and 95,024; with the shared torso seed 0
took 195,034 env steps."""

from coachrl.agents.a3c import A3CAlgorithmParams, A3CParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import EnvironmentParams, NetworkParams, Preset, ScheduleParams, Validation

IMPROVE_STEPS = 500_000

preset = Preset(
    agent=A3CParams(
        algorithm=A3CAlgorithmParams(discount=0.99, rollout_length=5, gae_lambda=1.0,
                                     value_weight=0.5, entropy_weight=0.0),
        network=NetworkParams(hidden_sizes=(64, 64), separate_towers=True),
        learning_rate=7e-4, max_grad_norm=0.5),
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=8),
    schedule=ScheduleParams(improve_steps=EnvSteps(IMPROVE_STEPS),
                            evaluation_period=EnvSteps(5_000), evaluation_episodes=Episodes(10),
                            checkpoint_period=EnvSteps(50_000)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS)),
)
