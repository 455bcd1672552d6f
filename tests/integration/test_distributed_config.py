"""Distributed settings are configuration: the --workers flags are shortcuts for run.*, saved
in config.json, reachable by --set and restored by --resume (checked without starting Ray: the
launcher is replaced by one that records what it was asked to run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coachrl.cli import main
from coachrl.distributed import launch
from coachrl.distributed.config import Mode


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list:
    calls: list = []

    def record(config, preset, *, run_dir, resume, console=True):
        calls.append((config, preset, run_dir, resume))
        # a run that got as far as a checkpoint (so its directory is kept), then stopped
        (run_dir / "checkpoints" / "step_0000000512").mkdir(parents=True, exist_ok=True)
        raise SystemExit(0)

    monkeypatch.setattr(launch, "run_distributed", record)
    return calls


def _train(tmp_path: Path, *argv: str) -> None:
    with pytest.raises(SystemExit):
        main(["train", "CartPole_ClippedPPO", "--quiet", "--experiment-dir", str(tmp_path), *argv])


def test_the_flags_are_shortcuts_for_run_settings(tmp_path: Path, launched: list) -> None:
    _train(tmp_path / "flags", "--workers", "3", "--envs-per-worker", "2", "--mode", "sync",
           "--max-worker-restarts", "4", "--worker-timeout", "30")
    _train(tmp_path / "set", "--set", "run.workers=3", "--set", "run.envs_per_worker=2",
           "--set", "run.mode=sync", "--set", "run.max_worker_restarts=4",
           "--set", "run.worker_timeout=30")
    (flags, _, _, _), (by_set, _, _, _) = launched
    assert flags == by_set
    assert (flags.workers, flags.envs_per_worker, flags.mode, flags.max_restarts,
            flags.worker_timeout) == (3, 2, Mode.SYNC, 4, 30.0)


def test_the_settings_are_in_config_json_and_resume_restores_them(
        tmp_path: Path, launched: list) -> None:
    _train(tmp_path, "--workers", "2", "--mode", "sync", "--address", "auto")
    run_dir = launched[0][2]
    run = json.loads((run_dir / "config.json").read_text())["run"]
    assert (run["workers"], run["mode"], run["address"]) == (2, "sync", "auto")
    with pytest.raises(SystemExit):
        main(["train", "--resume", str(run_dir), "--quiet"])
    config, _, resumed_dir, resume = launched[1]
    assert resume and resumed_dir == run_dir
    assert (config.workers, config.mode, config.address) == (2, Mode.SYNC, "auto")


def test_resume_refuses_new_worker_flags(tmp_path: Path, launched: list, capsys) -> None:
    _train(tmp_path, "--workers", "2")
    run_dir = launched[0][2]
    assert main(["train", "--resume", str(run_dir), "--workers", "4", "--quiet"]) == 2
    assert "--workers cannot change a resumed run" in capsys.readouterr().err


def test_zero_workers_is_one_process(tmp_path: Path, launched: list) -> None:
    assert main(["train", "CartPole_ClippedPPO", "--quiet", "--experiment-dir", str(tmp_path),
                 "--set", "schedule.improve_steps=256", "--set", "run.workers=0"]) == 0
    assert not launched
