"""docs/writing_an_agent.md as written: its files train from the CLI and compute Double DQN targets.

Every python block of the guide whose first line is ``# NAME.py`` is written to a folder; the
preset trains for a short run with the installed ``coachrl`` command, and the checkpoint it
leaves is loaded to check the agent's bootstrap values against the Double DQN definition, its
3-step prioritised memory, and the agent's own state in the checkpoint.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from coachrl.agents.dqn import DQNAgent
from coachrl.core import batch as B
from coachrl.core.returns import n_step_targets
from coachrl.memories import PrioritizedReplay
from coachrl.runtime import checkpoint as ckpt
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import load_run_config

pytestmark = pytest.mark.slow

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "writing_an_agent.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)
FILE_LINE = re.compile(r"#\s*([\w.-]+\.py)\s*$")
SHORT_RUN = ["--set", "schedule.improve_steps=3000", "--set", "schedule.evaluation_period=1500",
             "--set", "schedule.checkpoint_period=1500", "--set", "schedule.evaluation_episodes=2"]


def guide_files(markdown: str) -> dict[str, str]:
    """File name -> source, for the guide's python blocks that start with ``# NAME.py``."""
    files = {}
    for block in BLOCK.findall(markdown):
        match = FILE_LINE.match(block.splitlines()[0])
        if match:
            files[match.group(1)] = block
    return files


def coachrl_command() -> list[str]:
    script = Path(sys.executable).parent / "coachrl"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "coachrl"]


@pytest.fixture(scope="module")
def guide_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The run directory of the guide's preset trained briefly from the command line."""
    root = tmp_path_factory.mktemp("guide")
    folder = root / "my_agent"
    folder.mkdir()
    for name, source in guide_files(GUIDE.read_text()).items():
        (folder / name).write_text(source)
    experiments = root / "experiments"
    # Run from another directory: the preset's folder must be found from its path alone.
    done = subprocess.run(
        [*coachrl_command(), "train", "my_agent/my_preset.py", "--quiet",
         "--experiment-dir", str(experiments), *SHORT_RUN],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, f"coachrl train failed:\n{done.stdout}\n{done.stderr}"
    runs = sorted((experiments / "my_preset").iterdir())
    assert len(runs) == 1
    yield runs[0]
    sys.modules.pop("double_dqn", None)
    if str(folder) in sys.path:
        sys.path.remove(str(folder))


def test_the_guide_has_the_agent_and_the_preset_file() -> None:
    files = guide_files(GUIDE.read_text())
    assert {"double_dqn.py", "my_preset.py"} <= set(files)
    agent = files["double_dqn.py"]
    assert "def next_state_values" in agent and "def state_dict" in agent
    assert len(agent.splitlines()) < 40  # "a short new agent file"
    for hand_built in ("def observe", "memory.add", "B.REWARDS", "NEXT_OBSERVATIONS"):
        assert hand_built not in agent  # transitions, n-step or not, are the base class's
    assert 'kind="prioritized", n_step=3' in files["my_preset.py"]


def test_the_guide_preset_trains_and_writes_checkpoints(guide_run: Path) -> None:
    found = ckpt.list_checkpoints(guide_run / "checkpoints")
    assert [p.name for p in found][-1] == ckpt.checkpoint_name(3000)
    header, state = ckpt.read_checkpoint(found[-1])
    assert header["agent"] == "double_dqn:DoubleDQNAgent"
    assert state["agent"]["train_steps"] > 0
    assert state["agent"]["disagreements"] > 0  # the agent's own state, saved
    assert state["agent"]["n_step"]["n"] == 3  # the partial 3-step sequences, saved
    assert (guide_run / "checkpoints" / "best" / ckpt.STATE).is_file()
    assert (guide_run / "progress.csv").is_file()
    metadata = json.loads((guide_run / "metadata.json").read_text())
    assert str(guide_run.parents[2] / "my_agent") in metadata["module_dirs"]


def _random_batch(rng: np.random.Generator, size: int) -> dict[str, np.ndarray]:
    scale = np.array([0.8, 1.0, 0.1, 1.0], dtype=np.float32)  # CartPole-v1 state ranges
    return {
        B.OBSERVATIONS: (rng.standard_normal((size, 4)) * scale).astype(np.float32),
        B.ACTIONS: rng.integers(0, 2, size=size),
        B.REWARDS: rng.uniform(-1.0, 2.0, size=size).astype(np.float32),
        B.NEXT_OBSERVATIONS: (rng.standard_normal((size, 4)) * scale).astype(np.float32),
        B.TERMINATED: np.zeros(size, dtype=bool),
    }


def test_double_dqn_targets_use_the_online_argmax_and_differ_from_dqn(guide_run: Path) -> None:
    preset = load_run_config(guide_run)  # imports double_dqn through the recorded module_dirs
    trainer = Trainer(preset, run_dir=guide_run, console=False, log=False)
    trainer.load_checkpoint(ckpt.list_checkpoints(guide_run / "checkpoints")[-1])
    agent = trainer.agent
    assert type(agent).__name__ == "DoubleDQNAgent" and isinstance(agent, DQNAgent)
    _, state = ckpt.read_checkpoint(ckpt.list_checkpoints(guide_run / "checkpoints")[-1])
    assert agent.disagreements == state["agent"]["disagreements"]  # restored by load_state_dict
    assert isinstance(agent.memory, PrioritizedReplay)
    assert B.DISCOUNTS in agent.memory.storage  # 3-step transitions carry their discount
    rng = np.random.default_rng(0)
    # The run ends on a target copy; a few online updates make the two networks disagree.
    for _ in range(20):
        agent.learn_from_batch(_random_batch(rng, 64))
    batch = _random_batch(rng, 512)
    next_obs = batch[B.NEXT_OBSERVATIONS]
    q_online = agent.online.predict(next_obs)[agent.q_name]  # [batch, actions]
    q_target = agent.target.predict(next_obs)[agent.q_name]  # [batch, actions]
    picked = q_online.argmax(axis=1)
    assert (picked != q_target.argmax(axis=1)).any(), "networks agree everywhere; no test"

    double = agent.next_state_values(next_obs)
    single = DQNAgent.next_state_values(agent, next_obs)
    np.testing.assert_allclose(double, q_target[np.arange(len(picked)), picked], rtol=1e-6)
    np.testing.assert_allclose(single, q_target.max(axis=1), rtol=1e-6)
    assert np.all(double <= single + 1e-6)  # never above the max: the overestimation it removes

    discount = preset.agent.algorithm.discount
    targets = {name: n_step_targets(rewards=batch[B.REWARDS], next_values=values,
                                    terminated=batch[B.TERMINATED], discount=discount)
               for name, values in (("double", double), ("dqn", single))}
    differs = ~np.isclose(targets["double"], targets["dqn"])
    assert differs.any()
    np.testing.assert_array_equal(differs, picked != q_target.argmax(axis=1))
