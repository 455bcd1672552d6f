"""Clipped PPO with an LSTM on CartPole-v1 without its velocities (observations: cart position
and pole angle only), so the policy must infer the motion from what it remembers.

Budget: measured below.
"""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.environments.partial import CARTPOLE_VELOCITIES
from coachrl.params import (
    Activation,
    EnvironmentParams,
    MiddlewareKind,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

IMPROVE_STEPS = 100_000

# Graph / schedule
schedule = ScheduleParams(
    improve_steps=EnvSteps(IMPROVE_STEPS),
    evaluation_period=EnvSteps(5_120),
    evaluation_episodes=Episodes(10),
    checkpoint_period=EnvSteps(20_480),
)

# Agent
agent = ClippedPPOParams(
    algorithm=ClippedPPOAlgorithmParams(
        discount=0.98, gae_lambda=0.8, rollout_length=32, epochs=20, batch_size=256,
        sequence_length=32, burn_in=0,
        clip_range=Linear(start=0.2, end=0.0, duration=IMPROVE_STEPS), entropy_weight=0.0,
    ),
    network=NetworkParams(hidden_sizes=(), activation=Activation.TANH, separate_towers=True,
                          middleware=MiddlewareKind.LSTM, lstm_size=64, ortho_init=False),
    learning_rate=1e-3,
    learning_rate_decay="linear",
    max_grad_norm=0.5,
)

preset = Preset(
    agent=agent,
    env=EnvironmentParams(env_id="coachrl.environments.partial:HiddenObservations",
                          env_kwargs={"env_id": "CartPole-v1",
                                      "hidden": list(CARTPOLE_VELOCITIES)},
                          n_envs=8),
    schedule=schedule,
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS),
                          episodes=Episodes(10)),
)
