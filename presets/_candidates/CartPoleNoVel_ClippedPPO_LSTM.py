"""Clipped PPO with an LSTM on CartPole-v1 without its velocities (observations: cart position
and pole angle only), so the policy must infer the motion from what it remembers.

Values: RL-zoo's RecurrentPPO CartPoleNoVel-v1 settings (8 envs, 32-step rollouts trained as
whole sequences, 20 epochs, GAE 0.8, gamma 0.98, lr and clip range decayed linearly, an LSTM of
64 cells straight on the observation, separate actor and critic LSTMs), with observation
normalisation. Not yet at its threshold, so a candidate. Measured seed 0, 100k env steps,
`--stop-at-threshold`, two cores shared with another test run (2026-12-01):
- this preset: best evaluation 265.4 (at ~22k steps), final 186.0; 147.6 s;
- without observation normalisation and without orthogonal init: best 310.1, final 229.0;
- the FC-only variant (`--set agent.network.middleware=fc --set agent.network.hidden_sizes=
  [64,64]`): best evaluation 43.3, final 43.3 (13.6 s): below 200, as a memoryless policy
  must stay.
An earlier try (64-unit FC before the LSTM, 16-step sequences, 10 epochs of 64-step batches)
was at 191 after 34k steps and 107 after 64k when stopped.
"""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.environments.partial import CARTPOLE_VELOCITIES
from coachrl.params import (
    Activation,
    EnvironmentParams,
    FilterParams,
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
    network=NetworkParams(hidden_sizes=(), activation=Activation.RELU, separate_towers=True,
                          middleware=MiddlewareKind.LSTM, lstm_size=64, post_lstm_sizes=(64,),
                          ortho_init=False),
    learning_rate=1e-3,
    learning_rate_decay="linear",
    max_grad_norm=0.5,
)

preset = Preset(
    agent=agent,
    env=EnvironmentParams(env_id="coachrl.environments.partial:HiddenObservations",
                          env_kwargs={"env_id": "CartPole-v1",
                                      "hidden": list(CARTPOLE_VELOCITIES)},
                          n_envs=8, filters=FilterParams(normalize_observations=True)),
    schedule=schedule,
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS),
                          episodes=Episodes(10)),
)
