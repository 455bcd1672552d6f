"""Doom preprocessing: grayscale, resize and the screen stack on synthetic frames, the exact
resume of a game whose state lives in ViZDoom's engine, and the whole pipeline on ViZDoom's
Basic scenario (uint8 stacks of 60x80 screens, frame skip 4, the game variables scaled)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from coachrl.environments.doom import (
    DoomObservation,
    ReplayableEpisodes,
    grayscale,
    resize,
)
from coachrl.environments.gym_env import make_env
from coachrl.environments.snapshot import restore, snapshot
from coachrl.errors import ConfigError
from coachrl.params import DoomParams, EnvironmentParams
from coachrl.presets._doom import LEVELS


@pytest.mark.parametrize(("rgb", "luma"), [
    ((255, 0, 0), 76), ((0, 255, 0), 150), ((0, 0, 255), 29),  # 0.299, 0.587, 0.114 of 255
    ((255, 255, 255), 255), ((0, 0, 0), 0), ((100, 50, 200), 82),  # 29.9 + 29.35 + 22.8
])
def test_grayscale_weighs_red_green_blue_as_bt601(rgb: tuple[int, int, int], luma: int) -> None:
    frame = np.zeros((4, 6, 3), np.uint8)
    frame[1, 2] = rgb
    gray = grayscale(frame)
    assert gray.shape == (4, 6) and gray.dtype == np.uint8
    assert gray[1, 2] == luma and gray.sum() == luma


def test_grayscale_of_a_gray_frame_only_drops_its_channel_axis() -> None:
    frame = np.arange(12, dtype=np.uint8).reshape(3, 4, 1)
    np.testing.assert_array_equal(grayscale(frame), frame[..., 0])


def test_halving_a_frame_averages_each_two_by_two_block() -> None:
    block = np.array([[10, 20], [30, 40]], np.uint8)  # mean 25
    frame = np.kron(np.arange(12, dtype=np.uint8).reshape(3, 4) * 10, np.ones((2, 2), np.uint8))
    frame = frame + np.tile(block, (3, 4))
    small = resize(frame, 3, 4)
    assert small.dtype == np.uint8
    np.testing.assert_array_equal(small, np.arange(12).reshape(3, 4) * 10 + 25)


def test_resize_gives_the_asked_height_and_width() -> None:
    assert resize(np.zeros((120, 160), np.uint8), 60, 76).shape == (60, 76)


class _Screens(gym.Env):
    """ViZDoom's observation shape on a toy: the screen is an RGB frame all of one gray level,
    that of the step count times 10; the game variable counts steps; another buffer beside."""

    observation_space = gym.spaces.Dict({
        "screen": gym.spaces.Box(0, 255, (8, 12, 3), np.uint8),
        "depth": gym.spaces.Box(0, 255, (8, 12, 1), np.uint8),
        "gamevariables": gym.spaces.Box(-np.inf, np.inf, (2,), np.float32)})
    action_space = gym.spaces.Discrete(2)

    def _observation(self) -> dict[str, np.ndarray]:
        return {"screen": np.full((8, 12, 3), 10 * self.steps, np.uint8),
                "depth": np.zeros((8, 12, 1), np.uint8),
                "gamevariables": np.array([self.steps, 100.0], np.float32)}

    def reset(self, *, seed=None, options=None):
        self.steps = 1
        return self._observation(), {}

    def step(self, action):
        self.steps += 1
        return self._observation(), 1.0, False, False, {}


def test_the_screen_stack_starts_full_of_the_reset_frame_and_shifts_oldest_first() -> None:
    env = DoomObservation(_Screens(), DoomParams(screen_height=4, screen_width=6, frame_stack=3,
                                                 game_variable_scale=0.01))
    assert set(env.observation_space.spaces) == {"screen", "gamevariables"}  # depth dropped
    assert env.observation_space["screen"] == gym.spaces.Box(0, 255, (3, 4, 6), np.uint8)
    observation, _ = env.reset()
    assert observation["screen"].dtype == np.uint8 and observation["screen"].shape == (3, 4, 6)
    assert observation["screen"][:, 0, 0].tolist() == [10, 10, 10]
    for _ in range(3):
        observation, *_ = env.step(0)
    assert observation["screen"][:, 0, 0].tolist() == [20, 30, 40]
    assert (observation["screen"] == observation["screen"][:, :1, :1]).all()  # whole frames
    np.testing.assert_allclose(observation["gamevariables"], [0.04, 1.0], rtol=1e-6)
    assert observation["gamevariables"].dtype == np.float32
    previous = observation["screen"]
    observation, _ = env.reset()
    assert observation["screen"][:, 0, 0].tolist() == [10, 10, 10]
    assert previous[:, 0, 0].tolist() == [20, 30, 40]  # an observation is not the live stack


def test_an_observation_without_a_screen_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="'screen' key"):
        DoomObservation(gym.make("CartPole-v1"), DoomParams())


def _doom(**changes: object) -> gym.Env:
    params = EnvironmentParams(env_id="VizdoomBasic-v1", preprocessing="doom")
    for key, value in changes.items():
        setattr(params.doom, key, value)
    return make_env(params)


def test_basic_through_the_pipeline_is_a_uint8_stack_beside_scaled_ammo() -> None:
    env = _doom()
    assert env.observation_space["screen"] == gym.spaces.Box(0, 255, (3, 60, 80), np.uint8)
    observation, _ = env.reset(seed=0)
    assert observation["screen"].dtype == np.uint8 and observation["screen"].std() > 0
    assert observation["gamevariables"].tolist() == [0.5]  # Basic's 50 rounds of ammo, x 0.01
    _, reward, *_ = env.step(0)  # no button: 4 tics at -1 each
    assert reward == -4.0
    _, reward, *_ = env.step(1)  # ATTACK: a shot
    observation, *_ = env.step(0)
    np.testing.assert_allclose(observation["gamevariables"], [0.49], rtol=1e-6)  # 49 rounds
    env.close()


@pytest.mark.parametrize("frame_skip", [1, 4])
def test_frame_skip_is_the_tics_each_action_lasts(frame_skip: int) -> None:
    env = _doom(frame_skip=frame_skip)
    env.reset(seed=0)
    _, reward, *_ = env.step(0)
    assert reward == -frame_skip
    steps, ended = 1, False
    while not ended:  # Basic's 300 tics end the episode
        _, _, terminated, truncated, _ = env.step(0)
        steps, ended = steps + 1, terminated or truncated
    assert steps == 300 // frame_skip  # 75 steps of 4 tics, 300 of 1
    env.close()


@pytest.mark.parametrize("level", sorted(LEVELS))
def test_every_doom_level_gives_discrete_actions_and_the_dict_of_screens(level: str) -> None:
    params = EnvironmentParams(env_id=LEVELS[level], preprocessing="doom")
    env = make_env(params)
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n >= 3
    assert env.observation_space["screen"] == gym.spaces.Box(0, 255, (3, 60, 80), np.uint8)
    keys = set(env.observation_space.spaces)
    # MyWayHome's config lists no game variables: its Dict holds the screen alone
    assert keys == ({"screen"} if level == "MyWayHome" else {"screen", "gamevariables"})
    observation, _ = env.reset(seed=0)
    assert observation["screen"].shape == (3, 60, 80) and observation["screen"].std() > 0
    env.close()


def test_a_restored_snapshot_replays_the_game_to_where_it_was() -> None:
    """A fresh env given a mid-episode snapshot continues as the original does: the same
    screens, rewards and episode end, though ViZDoom's state is no plain data."""
    actions = np.random.default_rng(0).integers(0, 4, 200)
    original = _doom()
    original.reset(seed=7)
    for action in actions[:20]:
        original.step(int(action))
    state = snapshot(original)
    copy = _doom()
    restore(copy, state)
    for action in actions[20:]:
        a, b = original.step(int(action)), copy.step(int(action))
        np.testing.assert_array_equal(a[0]["screen"], b[0]["screen"])
        assert a[1:4] == b[1:4]
        if a[2] or a[3]:
            break
    np.testing.assert_array_equal(original.reset()[0]["screen"], copy.reset()[0]["screen"])
    original.close()
    copy.close()


def test_episode_seeds_come_from_the_reset_seed_and_then_differ() -> None:
    env = ReplayableEpisodes(_Screens())
    env.reset(seed=3)
    first = env.episode_seed
    env.reset()
    assert env.episode_seed != first
    env.reset(seed=3)
    assert env.episode_seed == first
