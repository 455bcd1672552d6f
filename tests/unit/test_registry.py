"""Preset lookup: registered names, suggestions for typos, presets from a .py file."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest

from coachrl.errors import ConfigError, PresetNotFound
from coachrl.params.base import Preset
from coachrl.registry import load_preset, preset_modules

PRESET_FILE = '''
from coachrl.agents.dqn import DQNParams
from coachrl.core.steps import EnvSteps
from coachrl.params import EnvironmentParams, Preset, Validation

preset = Preset(
    agent=DQNParams(learning_rate=1e-3),
    env=EnvironmentParams(env_id="coachrl.environments.toy:FixedLengthEnv"),
    validation=Validation(min_reward=5.0, max_env_steps=EnvSteps(1000)),
)
'''


def test_builtin_presets_are_listed() -> None:
    modules = preset_modules()
    assert {"CartPole_DQN", "CartPole_ClippedPPO"} <= set(modules)
    assert modules["CartPole_DQN"] == "coachrl.presets.CartPole_DQN"


@pytest.mark.parametrize("name", ["CartPole_DQN", "CartPole_ClippedPPO"])
def test_a_registered_preset_loads_with_its_name(name: str) -> None:
    preset = load_preset(name)
    assert isinstance(preset, Preset) and preset.name == name
    assert preset.env.env_id == "CartPole-v1"
    assert preset.validation.min_reward == 475.0


@pytest.mark.parametrize(("typo", "suggestion"), [
    ("CartPole_DQM", "'CartPole_DQN'"), ("cartpole_dqn", "'CartPole_DQN'"),
    ("CartPole_ClipedPPO", "'CartPole_ClippedPPO'"), ("CartPole_ClipPPO", "'CartPole_ClippedPPO'"),
])
def test_unknown_preset_suggests_the_closest_names(typo: str, suggestion: str) -> None:
    with pytest.raises(PresetNotFound) as error:
        load_preset(typo)
    message = str(error.value)
    assert f"unknown preset {typo!r}" in message
    assert "did you mean" in message and suggestion in message
    assert "coachrl presets" in message


def test_unknown_preset_without_close_match_points_to_the_list() -> None:
    with pytest.raises(PresetNotFound, match=r"unknown preset 'Zzzzzz' \(coachrl presets lists"):
        load_preset("Zzzzzz")


def test_a_preset_file_loads_with_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "my_preset.py"
    path.write_text(PRESET_FILE)
    preset = load_preset(str(path))
    assert preset.name == "my_preset"
    assert preset.agent.learning_rate == 1e-3
    assert preset.validation.min_reward == 5.0


def test_a_missing_preset_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(PresetNotFound, match="does not exist"):
        load_preset(str(tmp_path / "missing.py"))


def test_a_file_without_a_preset_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "empty_preset.py"
    path.write_text("x = 1\n")
    with pytest.raises(PresetNotFound, match=r"defines no `preset = Preset\(\.\.\.\)`"):
        load_preset(str(path))


MUJOCO_PRESETS = ("Mujoco_ClippedPPO", "Mujoco_DDPG", "Mujoco_SAC", "Mujoco_TD3")
MUJOCO_LEVELS = {"InvertedPendulum": "InvertedPendulum-v5", "HalfCheetah": "HalfCheetah-v5",
                 "Hopper": "Hopper-v5"}


@pytest.mark.parametrize("name", MUJOCO_PRESETS)
def test_mujoco_presets_levels_resolve_to_registered_envs(name: str) -> None:
    preset = load_preset(name)
    assert preset.env.env_id == "InvertedPendulum-v5"  # the level its threshold is for
    assert preset.validation.min_reward == 950.0
    assert preset.levels == MUJOCO_LEVELS
    for level, env_id in MUJOCO_LEVELS.items():
        assert preset.level_env(level) == env_id
        assert env_id in gym.registry


@pytest.mark.parametrize("name", MUJOCO_PRESETS)
def test_an_unknown_mujoco_level_names_the_valid_ones(name: str) -> None:
    with pytest.raises(ConfigError, match=f"'Walker' is not a level of preset {name}; its "
                                          "levels are HalfCheetah, Hopper, InvertedPendulum"):
        load_preset(name).level_env("Walker")


# the literature's values on the big levels: (hidden sizes, learning rate, batch) per preset
LITERATURE = {"Mujoco_TD3": ((400, 300), 1e-3, 100), "Mujoco_DDPG": ((400, 300), 1e-3, 100),
              "Mujoco_SAC": ((256, 256), 3e-4, 256), "Mujoco_ClippedPPO": ((64, 64), 3e-4, 64)}


@pytest.mark.parametrize("name", MUJOCO_PRESETS)
@pytest.mark.parametrize(("level", "threshold"), [("HalfCheetah", 4800.0), ("Hopper", 3800.0)])
def test_a_big_mujoco_level_brings_the_literatures_values(name: str, level: str,
                                                          threshold: float) -> None:
    from coachrl.params.tree import apply_overrides

    preset = load_preset(name)
    leveled = apply_overrides(preset, preset.level_assignments(level))
    hidden, learning_rate, batch = LITERATURE[name]
    assert leveled.env.env_id == MUJOCO_LEVELS[level]
    assert leveled.validation.min_reward == threshold  # Gymnasium's reward_threshold
    assert int(leveled.schedule.improve_steps) == int(leveled.validation.max_env_steps) == 10**6
    assert tuple(leveled.agent.network.hidden_sizes) == hidden
    assert leveled.agent.learning_rate == learning_rate
    assert leveled.agent.algorithm.batch_size == batch
    replay = hasattr(leveled.agent.algorithm, "learning_starts")
    assert int(leveled.schedule.heatup_steps) == (10_000 if replay else 0)
    # InvertedPendulum (the default and its --level) keeps the preset as it is
    assert apply_overrides(preset, preset.level_assignments("InvertedPendulum")) == preset


def test_the_users_set_comes_after_the_levels_values() -> None:
    from coachrl.cli import build_parser
    from coachrl.commands import _cli_overrides
    from coachrl.params.tree import apply_overrides

    preset = load_preset("Mujoco_SAC")
    args = build_parser().parse_args(["train", "Mujoco_SAC", "--level", "Hopper", "--set",
                                      "agent.learning_rate=0.01"])
    leveled = apply_overrides(preset, _cli_overrides(args, preset))
    assert leveled.agent.learning_rate == 0.01 and leveled.env.env_id == "Hopper-v5"


def test_level_overrides_for_a_level_the_preset_lacks_is_a_clear_error() -> None:
    import dataclasses

    preset = load_preset("Mujoco_SAC")
    with pytest.raises(ConfigError, match="level_overrides.*Walker not among the levels "
                                          r"\(HalfCheetah, Hopper, InvertedPendulum\)"):
        dataclasses.replace(preset, level_overrides={"Walker": ("agent.learning_rate=1",)})


ATARI_PRESETS = ("Atari_A3C", "Atari_C51", "Atari_ClippedPPO", "Atari_DDQN", "Atari_DQN",
                 "Atari_Dueling_DDQN_with_PER", "Atari_IMPALA", "Atari_IQN", "Atari_QR_DQN",
                 "Atari_Rainbow")
ATARI_GAMES = ("Pong", "Breakout", "SpaceInvaders", "Qbert", "Seaquest", "BeamRider")


def test_the_atari_presets_are_registered() -> None:
    assert {name for name in preset_modules() if name.startswith("Atari_")} == set(ATARI_PRESETS)


@pytest.mark.parametrize("name", ATARI_PRESETS)
def test_an_atari_preset_trains_on_pong_through_the_deepmind_pipeline(name: str) -> None:
    from coachrl.environments.gym_env import register_family
    from coachrl.params import ImageChannels, Preprocessing

    preset = load_preset(name)
    assert preset.env.env_id == "ALE/Pong-v5" and preset.env.preprocessing is Preprocessing.ATARI
    assert preset.env.env_kwargs == {"repeat_action_probability": 0.25}  # v5's sticky actions
    assert preset.levels == {game: f"ALE/{game}-v5" for game in ATARI_GAMES}
    register_family("ALE/Pong-v5")
    assert all(env_id in gym.registry for env_id in preset.levels.values())
    network = preset.agent.network
    assert network.hidden_sizes == (512,) and network.activation == "relu"
    assert network.image_channels is ImageChannels.FIRST and not network.separate_towers
    replay = getattr(preset.agent, "memory", None)
    assert replay is None or replay.store_frames_once  # replay agents keep each frame once
    assert preset.validation.min_reward == (17.0 if name == "Atari_A3C" else 18.0)
    assert int(preset.validation.max_env_steps) == int(preset.schedule.improve_steps) == 10**7


@pytest.mark.parametrize("name", ATARI_PRESETS)
def test_an_atari_level_is_that_game_with_the_same_values(name: str) -> None:
    from coachrl.params.tree import apply_overrides

    preset = load_preset(name)
    breakout = apply_overrides(preset, preset.level_assignments("Breakout"))
    assert breakout.env.env_id == "ALE/Breakout-v5"
    assert breakout.agent == preset.agent and breakout.schedule == preset.schedule
