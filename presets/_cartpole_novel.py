"""What the CartPole-without-velocities presets share: the partially observed env (cart position
and pole angle only, 8 envs, observations normalised) and the recurrent towers (per tower an
LSTM of 64 cells on the observation, then 64 ReLU units; RL-zoo's RecurrentPPO policy for
CartPoleNoVel-v1, no orthogonal init)."""

from __future__ import annotations

from coachrl.environments.partial import CARTPOLE_VELOCITIES
from coachrl.params import (
    Activation,
    EnvironmentParams,
    FilterParams,
    MiddlewareKind,
    NetworkParams,
)


def environment(reward_scale: float = 1.0) -> EnvironmentParams:
    return EnvironmentParams(env_id="coachrl.environments.partial:HiddenObservations",
                             env_kwargs={"env_id": "CartPole-v1",
                                         "hidden": list(CARTPOLE_VELOCITIES)},
                             n_envs=8, filters=FilterParams(normalize_observations=True,
                                                            reward_scale=reward_scale))


def recurrent_towers() -> NetworkParams:
    return NetworkParams(hidden_sizes=(), activation=Activation.RELU, separate_towers=True,
                         middleware=MiddlewareKind.LSTM, lstm_size=64, post_lstm_sizes=(64,),
                         ortho_init=False)
