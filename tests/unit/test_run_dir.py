"""A run directory whose training fails before its first checkpoint is removed; one that has a
checkpoint is kept (it can be resumed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.run_dir import CHECKPOINTS, new_run_dir


def _preset(tmp_path: Path):
    return apply_overrides(load_preset("CartPole_DQN"), [f"run.experiment_dir={tmp_path}"])


def test_a_start_that_fails_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="env failed"), new_run_dir(_preset(tmp_path)) as run:
        assert (run / "config.json").is_file()
        raise RuntimeError("env failed")
    assert not list(tmp_path.iterdir())


def test_a_failure_after_a_checkpoint_keeps_the_run(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), new_run_dir(_preset(tmp_path)) as run:
        (run / CHECKPOINTS / "step_0000001000").mkdir(parents=True)
        raise KeyboardInterrupt
    assert (run / "config.json").is_file()


def test_a_sibling_run_is_never_removed(tmp_path: Path) -> None:
    with new_run_dir(_preset(tmp_path)) as kept:
        pass
    with pytest.raises(ValueError), new_run_dir(_preset(tmp_path)):
        raise ValueError
    assert kept.is_dir() and [p for p in kept.parent.iterdir()] == [kept]
