"""``--env`` and ``--level``: another env for a preset's agent, a user's env class found again by
evaluate, Gymnasium's env checker on user envs, and a clear error for spaces an agent cannot use."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from coachrl.cli import main
from coachrl.core.steps import EnvSteps
from coachrl.errors import ConfigError
from coachrl.registry import load_preset

SHORT = ["--set", "schedule.improve_steps=300", "--set", "schedule.heatup_steps=100",
         "--set", "schedule.evaluation_period=300", "--set", "schedule.evaluation_episodes=1",
         "--set", "agent.algorithm.learning_starts=100", "--set", "env.max_episode_steps=50",
         "--quiet"]

USER_ENV = textwrap.dedent('''
    import gymnasium as gym
    import numpy as np

    class Corridor(gym.Env):
        """Walk right along 5 cells; reward 1 at the end."""
        observation_space = gym.spaces.Box(0.0, 1.0, (5,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def __init__(self, broken=False):
            self.broken, self.cell = broken, 0

        def _observation(self):
            one_hot = np.zeros(5, np.float32)
            one_hot[self.cell] = 7.0 if self.broken else 1.0  # broken: outside the space
            return one_hot

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            self.cell = 0
            return self._observation(), {}

        def step(self, action):
            self.cell = min(max(self.cell + (1 if action == 1 else -1), 0), 4)
            done = self.cell == 4
            return self._observation(), float(done), done, False, {}

    class BrokenCorridor(Corridor):
        def __init__(self):
            super().__init__(broken=True)
''')


def _run_dir(root: Path) -> Path:
    (run,) = [p.parent for p in root.rglob("config.json")]
    return run


def test_env_runs_a_presets_agent_on_a_registered_id(tmp_path: Path) -> None:
    assert main(["train", "CartPole_DQN", "--env", "Acrobot-v1", *SHORT,
                 "--experiment-dir", str(tmp_path)]) == 0
    config = json.loads((_run_dir(tmp_path) / "config.json").read_text())
    assert config["env"]["env_id"] == "Acrobot-v1"


def test_a_users_env_class_is_checked_and_found_again_from_elsewhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "project"
    home.mkdir()
    (home / "corridor_env.py").write_text(USER_ENV)
    monkeypatch.chdir(home)
    runs = tmp_path / "runs"
    assert main(["train", "CartPole_DQN", "--env", "corridor_env:Corridor", *SHORT,
                 "--experiment-dir", str(runs)]) == 0
    run = _run_dir(runs)
    assert str(home) in json.loads((run / "metadata.json").read_text())["module_dirs"]
    monkeypatch.chdir(tmp_path)  # elsewhere: evaluate imports the env from module_dirs
    monkeypatch.syspath_prepend(str(tmp_path))
    import sys

    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in (str(home), "")])
    sys.modules.pop("corridor_env", None)
    assert main(["evaluate", str(run), "--episodes", "1"]) == 0
    assert "mean" in capsys.readouterr().out
    monkeypatch.chdir(home)
    assert main(["train", "CartPole_DQN", "--env", "corridor_env:BrokenCorridor", *SHORT,
                 "--experiment-dir", str(tmp_path / "broken")]) == 2
    err = capsys.readouterr().err
    assert "fails Gymnasium's env checker" in err and "--no-env-check" in err
    assert not (tmp_path / "broken").exists() or not list((tmp_path / "broken").rglob("*.json"))


def test_an_agent_that_cannot_use_the_action_space_names_both_and_the_agents_that_can(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["train", "CartPole_DQN", "--env", "Pendulum-v1", *SHORT,
                 "--experiment-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0  # one paragraph
    assert "DQNAgent needs DiscreteActions" in err and "BoxActions" in err
    assert "Agents that fit its actions:" in err and "SAC" in err and "TD3" in err
    assert not list(tmp_path.rglob("config.json"))  # no half-made run directory


def test_level_picks_a_presets_env_and_an_unknown_one_lists_the_levels(
        capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    preset = load_preset("CartPole_DQN")
    preset.levels = {"CartPole": "CartPole-v1", "Acrobot": "Acrobot-v1"}
    assert preset.level_env("Acrobot") == "Acrobot-v1"
    with pytest.raises(ConfigError, match="'Pong' is not a level of preset CartPole_DQN; its "
                                          "levels are Acrobot, CartPole"):
        preset.level_env("Pong")
    assert main(["train", "CartPole_DQN", "--level", "Pong", "--experiment-dir",
                 str(tmp_path)]) == 2
    assert "has none; choose another env with --env ID" in capsys.readouterr().err
    assert main(["train", "CartPole_DQN", "--level", "A", "--env", "Acrobot-v1"]) == 2
    assert "--env and --level both choose the env" in capsys.readouterr().err
    assert preset.validation.max_env_steps == EnvSteps(50_000)
