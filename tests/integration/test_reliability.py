"""Crash safety, guarded numerics and checkpoint write failures."""

from __future__ import annotations

import errno
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from coachrl.errors import CheckpointError, TrainingDiverged
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime import checkpoint as ckpt
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import CHECKPOINTS, create_run_dir, load_run_config

SIGKILL_TRIALS = 20


def _short_dqn(experiment_dir: Path, *extra: str):
    return apply_overrides(load_preset("CartPole_DQN"), [
        "schedule.improve_steps=3000", "schedule.heatup_steps=200",
        "schedule.checkpoint_period=500", "schedule.evaluation_period=1000",
        "schedule.evaluation_episodes=2", "agent.algorithm.learning_starts=200",
        "agent.algorithm.train_frequency=32", "agent.algorithm.gradient_steps=4",
        f"run.experiment_dir={experiment_dir}", *extra,
    ])


def test_nan_rewards_stop_the_run_and_keep_the_last_good_checkpoint(tmp_path: Path) -> None:
    preset = _short_dqn(
        tmp_path, "env.env_id=coachrl.environments.toy:NaNRewardEnv",
        'env.env_kwargs={"length": 20, "nan_after": 1200}', "run.max_nonfinite_updates=3",
        "agent.memory.capacity=1000",
    )
    run_dir = create_run_dir(preset)
    trainer = Trainer(preset, run_dir=run_dir, console=False)
    with pytest.warns(RuntimeWarning, match="non-finite loss/q"), \
            pytest.raises(TrainingDiverged, match="max_nonfinite_updates=3"):
        trainer.run()
    assert trainer.counters.nonfinite_strikes == 3
    kept = ckpt.list_checkpoints(run_dir / CHECKPOINTS)
    assert kept, "the checkpoints written before the NaNs must remain"
    _, state = ckpt.read_checkpoint(kept[-1])
    assert state["counters"]["env_steps"] <= 1200 + 500
    for name, array in state["agent"]["networks"]["online"]["weights"].items():
        assert np.isfinite(array).all(), name


def test_disk_full_while_writing_a_checkpoint_keeps_the_previous_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    preset = _short_dqn(tmp_path)
    run_dir = create_run_dir(preset)
    trainer = Trainer(preset, run_dir=run_dir, console=False)
    first = trainer.save_checkpoint()

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    trainer.counters.env_steps += 100
    with pytest.raises(CheckpointError, match=f"No space left on device.*{first.name} is intact"):
        trainer.save_checkpoint()
    monkeypatch.undo()
    assert ckpt.list_checkpoints(run_dir / CHECKPOINTS) == [first]
    assert not list((run_dir / CHECKPOINTS).glob(".tmp-*"))
    ckpt.read_checkpoint(first)


def _train_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "coachrl", "train", *args, "--quiet"]


def _start(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_an_unloadable_checkpoint(tmp_path: Path) -> None:
    overrides = ["--set", "schedule.improve_steps=1000000",
                 "--set", "schedule.checkpoint_period=400",
                 "--set", "agent.memory.save_in_checkpoint=true",
                 "--set", "agent.memory.capacity=20000", "--experiment-dir", str(tmp_path)]
    rng = random.Random(7)
    run_dir: Path | None = None
    resumed_from = []
    for _ in range(SIGKILL_TRIALS):
        args = (_train_command("CartPole_DQN", *overrides) if run_dir is None
                else _train_command("--resume", str(run_dir)))
        process = _start(args)
        time.sleep(rng.uniform(3.0, 6.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        if run_dir is None:
            found = list(tmp_path.glob("CartPole_DQN/*"))
            assert len(found) == 1
            run_dir = found[0]
        checkpoints = ckpt.list_checkpoints(run_dir / CHECKPOINTS)
        if not checkpoints:
            continue
        header, state = ckpt.read_checkpoint(checkpoints[-1])  # must never raise
        trainer = Trainer(load_run_config(run_dir), run_dir=run_dir, resume=True, console=False,
                          log=False)
        assert trainer.counters.env_steps == header["env_steps"] == state["counters"]["env_steps"]
        resumed_from.append(header["env_steps"])
        trainer.env.close()
        trainer.eval_env.close()
    assert len(resumed_from) >= SIGKILL_TRIALS // 2
    assert resumed_from == sorted(resumed_from), "resume must never go back in time"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_sigint_and_sigterm_save_a_final_checkpoint_and_exit_clearly(
        tmp_path: Path, signum: int) -> None:
    process = _start(_train_command("CartPole_ClippedPPO", "--experiment-dir", str(tmp_path),
                                    "--set", "schedule.improve_steps=1000000"))
    deadline = time.time() + 60
    while not list(tmp_path.glob("CartPole_ClippedPPO/*/progress.csv")) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(2.0)
    process.send_signal(signum)
    output, _ = process.communicate(timeout=60)
    text = output.decode()
    assert process.returncode == 130, text
    assert f"stopped by {signal.Signals(signum).name}" in text
    assert "Traceback" not in text
    run_dir = next(tmp_path.glob("CartPole_ClippedPPO/*"))
    header, _ = ckpt.read_checkpoint(ckpt.list_checkpoints(run_dir / CHECKPOINTS)[-1])
    assert header["env_steps"] > 0
