"""The ``coachrl`` command as a user runs it: presets, evaluate, video, and every bad input
answered with a one-paragraph error and a non-zero exit, never a traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coachrl.runtime import checkpoint as ckpt
from coachrl.runtime.run_dir import CHECKPOINTS

TINY_SETTINGS = ("schedule.improve_steps=600", "schedule.heatup_steps=100",
                 "agent.algorithm.learning_starts=100", "schedule.evaluation_period=300",
                 "schedule.evaluation_episodes=2", "schedule.checkpoint_period=300")
TINY_RUN = [arg for setting in TINY_SETTINGS for arg in ("--set", setting)]


def coachrl(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "coachrl", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished tiny DQN run, shared by the evaluate tests."""
    experiments = tmp_path_factory.mktemp("cli")
    done = coachrl("train", "CartPole_DQN", "--experiment-dir", str(experiments), "--quiet",
                   *TINY_RUN)
    assert done.returncode == 0, done.stdout + done.stderr
    (found,) = experiments.glob("CartPole_DQN/*")
    assert f"run directory: {found}" in done.stdout
    return found


def test_presets_lists_every_preset_with_env_agent_and_threshold() -> None:
    done = coachrl("presets")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["preset", "env", "agent"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) >= {"CartPole_DQN", "CartPole_ClippedPPO"}
    for name, agent, budget in (("CartPole_DQN", "DQNAgent", "50,000"),
                                ("CartPole_ClippedPPO", "ClippedPPOAgent", "100,000")):
        assert "CartPole-v1" in rows[name] and agent in rows[name]
        assert ">= 475 over 10 episodes" in rows[name] and budget in rows[name]


def test_evaluate_prints_mean_and_std_of_the_return(run_dir: Path) -> None:
    done = coachrl("evaluate", str(run_dir), "--episodes", "3")
    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("episodes:")]
    fields = line.split()
    assert fields[:2] == ["episodes:", "3"]
    mean = float(fields[fields.index("return:") + 1])
    std = float(fields[fields.index("std:") + 1])
    assert 8 <= mean <= 500 and std >= 0
    assert f"checkpoint: {ckpt.list_checkpoints(run_dir / CHECKPOINTS)[-1]}" in done.stdout


def test_evaluate_of_the_best_checkpoint(run_dir: Path) -> None:
    done = coachrl("evaluate", str(run_dir), "--episodes", "1", "--checkpoint", "best")
    assert done.returncode == 0, done.stderr
    assert f"checkpoint: {run_dir / CHECKPOINTS / 'best'}" in done.stdout


def test_evaluate_with_video_writes_an_mp4(run_dir: Path) -> None:
    done = coachrl("evaluate", str(run_dir), "--episodes", "1", "--video")
    assert done.returncode == 0, done.stderr
    videos = list((run_dir / "videos").glob("*.mp4"))
    assert len(videos) == 1 and videos[0].stat().st_size > 1000
    assert f"video: {videos[0]}" in done.stdout


def _assert_clear_error(done: subprocess.CompletedProcess[str], *facts: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    message = done.stderr.strip()
    assert message.startswith("error: "), output
    assert "\n\n" not in message, f"more than one paragraph: {message!r}"
    for fact in facts:
        assert fact in message, f"{fact!r} not in {message!r}"


@pytest.mark.parametrize(("overrides", "facts"), [
    pytest.param(["--set", "agent.learnin_rate=1e-3"],
                 ["unknown parameter 'agent.learnin_rate'", "did you mean 'agent.learning_rate'",
                  "Valid keys at 'agent'", "learning_rate", "exploration"], id="unknown-key"),
    pytest.param(["--set", "agent.learning_rate=fast"],
                 ["agent.learning_rate='fast'", "is not a valid float"], id="wrong-type"),
    pytest.param(["--set", "agent.algorithm.discount=1.3"],
                 ["agent.algorithm.discount=1.3", "out of range", "<= 1.0"], id="gamma-above-1"),
    pytest.param(["--set", "agent.learning_rate=-0.1"],
                 ["agent.learning_rate=-0.1", "out of range", "0 < learning_rate"],
                 id="negative-lr"),
    pytest.param(["--set", "agent.algorithm.batch_size=256", "--set", "agent.memory.capacity=100"],
                 ["batch_size=256", "larger than memory.capacity=100"], id="batch-above-buffer"),
    pytest.param(["--set", "env.env_id=CartPole-v9"],
                 ["env.env_id='CartPole-v9'", "not a registered Gymnasium environment",
                  "did you mean 'CartPole-v1'"], id="unknown-env"),
    pytest.param(["--set", "env.env_id=Pendulum-v1"],
                 ["env.env_id='Pendulum-v1'", "DQNAgent", "DiscreteActions", "BoxActions"],
                 id="continuous-env-for-dqn"),
    pytest.param(["--set", "run.seed=abc"], ["run.seed='abc'", "is not a valid int"],
                 id="bad-seed-value"),
])
def test_train_with_a_bad_setting_is_a_clear_error(
        tmp_path: Path, overrides: list[str], facts: list[str]) -> None:
    done = coachrl("train", "CartPole_DQN", "--experiment-dir", str(tmp_path), "--quiet",
                   *overrides)
    _assert_clear_error(done, *facts)
    leftovers = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert not leftovers, f"a failed train left {leftovers} behind"


def test_unknown_preset_suggests_the_closest_name(tmp_path: Path) -> None:
    done = coachrl("train", "CartPole_DQM", "--experiment-dir", str(tmp_path))
    _assert_clear_error(done, "unknown preset 'CartPole_DQM'", "did you mean 'CartPole_DQN'",
                        "coachrl presets")


def test_resume_of_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    done = coachrl("train", "--resume", str(tmp_path))
    _assert_clear_error(done, str(tmp_path), "is not a coachrl run directory", "config.json")


def test_resume_of_a_run_without_checkpoints(tmp_path: Path, run_dir: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    shutil.rmtree(copy / CHECKPOINTS)
    done = coachrl("train", "--resume", str(copy), "--quiet")
    _assert_clear_error(done, "has no checkpoint to resume from")


def test_evaluate_of_a_missing_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = coachrl("evaluate", str(missing))
    _assert_clear_error(done, f"'{missing}' does not exist", "run directory")


def test_evaluate_of_a_truncated_checkpoint(tmp_path: Path, run_dir: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    latest = ckpt.list_checkpoints(copy / CHECKPOINTS)[-1]
    arrays = latest / ckpt.ARRAYS
    arrays.write_bytes(arrays.read_bytes()[:200])
    for target in (copy, latest):
        done = coachrl("evaluate", str(target))
        _assert_clear_error(done, f"checkpoint {latest} is damaged or truncated")


def test_evaluate_with_zero_episodes(run_dir: Path) -> None:
    _assert_clear_error(coachrl("evaluate", str(run_dir), "--episodes", "0"),
                        "--episodes 0 must be at least 1")


def test_an_experiment_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    target = blocker / "sub"
    done = coachrl("train", "CartPole_DQN", "--experiment-dir", str(target), "--quiet")
    _assert_clear_error(done, "cannot create the run directory",
                        f"run.experiment_dir='{target}'", "--experiment-dir")


def test_train_without_a_preset_or_resume(tmp_path: Path) -> None:
    _assert_clear_error(coachrl("train"), "train needs a PRESET", "--resume RUN_DIR")


def test_set_on_a_resumed_run_is_refused(run_dir: Path) -> None:
    done = coachrl("train", "--resume", str(run_dir), "--set", "agent.learning_rate=1e-3")
    _assert_clear_error(done, "--set cannot change a resumed run")


def test_device_cuda_without_a_gpu_is_a_clear_error(tmp_path: Path, monkeypatch,
                                                     capsys) -> None:
    import torch

    from coachrl.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a CPU-only machine
    code = main(["train", "CartPole_ClippedPPO", "--device", "cuda", "--quiet",
                 "--experiment-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "--device cuda was asked for but torch sees no CUDA device" in err


def test_an_experiment_dir_that_is_not_writable(tmp_path: Path, monkeypatch, capsys) -> None:
    from coachrl.cli import main

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        # as a directory without write permission answers; chmod cannot show it when run as root
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    code = main(["train", "CartPole_DQN", "--quiet", "--experiment-dir", str(tmp_path / "ro")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "cannot create the run directory" in err and "Permission denied" in err
