"""Agents refuse environments whose action space they cannot act in, naming both."""

from __future__ import annotations

from pathlib import Path

import pytest

from coachrl.errors import IncompatibleSpaces
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.build import make_agent, make_backends, make_envs


def _incompatible(preset_name: str, env_id: str, experiment_dir: Path) -> str:
    """The IncompatibleSpaces message of building ``preset_name``'s agent on ``env_id``."""
    preset = apply_overrides(load_preset(preset_name),
                             [f"env.env_id={env_id}", f"run.experiment_dir={experiment_dir}"])
    env, eval_env = make_envs(preset, eval_episodes=1)
    learner, actor = make_backends(preset)
    try:
        with pytest.raises(IncompatibleSpaces) as error:
            make_agent(preset, env, learner, actor)
    finally:
        env.close()
        eval_env.close()
    return str(error.value)


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "coachrl.environments.toy:TargetReachingEnv"])
def test_dqn_on_a_continuous_action_env_raises_incompatible_spaces(
        env_id: str, tmp_path: Path) -> None:
    message = _incompatible("CartPole_DQN", env_id, tmp_path)
    assert message.startswith(f"env.env_id={env_id!r}: DQNAgent needs DiscreteActions actions")
    assert "BoxActions(low=" in message


@pytest.mark.parametrize("env_id", ["CartPole-v1", "coachrl.environments.toy:TargetReachingEnv"])
def test_clipped_ppo_accepts_discrete_and_continuous_actions(env_id: str, tmp_path: Path) -> None:
    preset = apply_overrides(load_preset("CartPole_ClippedPPO"),
                             [f"env.env_id={env_id}", "env.n_envs=1"])
    env, eval_env = make_envs(preset, eval_episodes=1)
    learner, actor = make_backends(preset)
    agent = make_agent(preset, env, learner, actor)
    assert agent.spaces.action == env.spaces.action
    env.close()
    eval_env.close()


def test_sac_on_a_discrete_action_env_raises_incompatible_spaces_naming_the_space(
        tmp_path: Path) -> None:
    message = _incompatible("Pendulum_SAC", "CartPole-v1", tmp_path)
    assert message.startswith("env.env_id='CartPole-v1': SACAgent needs BoxActions actions, "
                              "but the env has DiscreteActions(n=2); its observations are ")
    assert "Agents that fit its actions: A3C, " in message and "SAC," not in message
