"""Env families registered by their own packages (ALE, PyBullet, DeepMind Control through
shimmy) and the flatten preprocessing that gives DeepMind Control's Dict observations to the
vector agents."""

from __future__ import annotations

import numpy as np
import pytest

from coachrl.errors import ConfigError
from coachrl.params.base import EnvironmentParams
from environments import gym_env
from environments.gym_env import GymVectorEnv, make_env


@pytest.mark.parametrize("env_id", ["ALE/Pong-v5", "InvertedPendulumBulletEnv-v0",
                                    "dm_control/cartpole-balance-v0"])
def test_an_id_of_a_family_imports_the_package_that_registers_it(env_id: str) -> None:
    env = make_env(EnvironmentParams(env_id=env_id))
    try:
        observation, _ = env.reset(seed=0)
        assert env.observation_space.contains(observation)
    finally:
        env.close()


def test_a_family_whose_package_is_missing_names_the_extra_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gym_env, "FAMILIES", (
        (lambda env_id: env_id.startswith("Nowhere/"), "coachrl_no_such_package", "nowhere"),))
    with pytest.raises(ConfigError, match=r"needs coachrl_no_such_package: "
                                          r"pip install 'coachrl\[nowhere\]'"):
        make_env(EnvironmentParams(env_id="Nowhere/Game-v0"))


def test_flatten_gives_a_dict_of_boxes_as_one_box_in_key_order() -> None:
    """DeepMind Control's cartpole: position (3) then velocity (2) as one vector of 5, which
    the vector env carries as float32 (its networks' precision)."""
    dmc = "dm_control/cartpole-balance-v0"
    flat = make_env(EnvironmentParams(env_id=dmc, preprocessing="flatten"))
    raw = make_env(EnvironmentParams(env_id=dmc))
    try:
        observation, _ = flat.reset(seed=3)
        parts, _ = raw.reset(seed=3)
        assert list(parts) == ["position", "velocity"]
        np.testing.assert_array_equal(observation,
                                      np.concatenate([parts["position"], parts["velocity"]]))
    finally:
        flat.close()
        raw.close()
    vector = GymVectorEnv(EnvironmentParams(env_id=dmc, preprocessing="flatten"), seed=0,
                          n_envs=2)
    try:
        assert vector.spaces.observation.shape == (5,)
        observations = vector.reset()
        assert observations.shape == (2, 5) and observations.dtype == np.float32
    finally:
        vector.close()


def test_flatten_is_refused_by_name_for_an_unknown_preprocessing() -> None:
    with pytest.raises(ConfigError, match="preprocessing"):
        from coachrl.params.tree import apply_overrides
        from coachrl.registry import load_preset

        apply_overrides(load_preset("Mujoco_SAC"), ["env.preprocessing=flat"])
