"""Checkpoint save -> load gives the same agent; foreign, future and damaged checkpoints are
refused; pruning keeps K plus best; progress.csv and TensorBoard carry the documented series."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coachrl.errors import CheckpointError
from coachrl.logging.progress_csv import COLUMNS
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime import checkpoint as ckpt
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import CHECKPOINTS, create_run_dir

PRESETS = ("CartPole_DQN", "CartPole_ClippedPPO")
COMMON = ["schedule.improve_steps=1536", "schedule.evaluation_period=512",
          "schedule.evaluation_episodes=2", "schedule.checkpoint_period=256",
          "run.log_period=256", "run.keep_checkpoints=2"]
EXTRA = {
    "CartPole_DQN": ["schedule.heatup_steps=200", "agent.algorithm.learning_starts=200",
                     "agent.algorithm.train_frequency=32", "agent.algorithm.gradient_steps=4",
                     "agent.algorithm.target_update_period=16"],
    "CartPole_ClippedPPO": ["agent.algorithm.epochs=2"],
}
OBSERVATIONS = np.random.default_rng(0).normal(scale=0.5, size=(16, 4)).astype(np.float32)


def _preset(name: str, experiment_dir: Path):
    return apply_overrides(load_preset(name),
                           [*COMMON, *EXTRA[name], f"run.experiment_dir={experiment_dir}"])


@dataclasses.dataclass
class Run:
    preset: Any
    run_dir: Path
    trainer: Trainer


@pytest.fixture(scope="module", params=PRESETS)
def finished_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Run:
    preset = _preset(request.param, tmp_path_factory.mktemp(request.param))
    run_dir = create_run_dir(preset)
    trainer = Trainer(preset, run_dir=run_dir, console=False)
    trainer.run()
    return Run(preset, run_dir, trainer)


def _fresh(run: Run, tmp_path: Path, name: str | None = None) -> Trainer:
    preset = _preset(name or run.preset.name, tmp_path)
    return Trainer(preset, run_dir=tmp_path / "fresh", console=False, log=False)


def _predictions(trainer: Trainer) -> dict[str, np.ndarray]:
    out = {}
    for name, network in trainer.agent.networks.items():
        out |= {f"{name}/{k}": v for k, v in network.predict(OBSERVATIONS).items()}
    out |= {f"acting/{k}": v for k, v in trainer.agent.acting.predict(OBSERVATIONS).items()}
    return out


def _assert_tree_equal(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _assert_tree_equal(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_tree_equal(x, y, f"{path}/{index}")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def test_loading_a_checkpoint_restores_predictions_counters_and_optimiser(
        finished_run: Run, tmp_path: Path) -> None:
    latest = ckpt.list_checkpoints(finished_run.run_dir / CHECKPOINTS)[-1]
    fresh = _fresh(finished_run, tmp_path)
    before = _predictions(fresh)
    fresh.load_checkpoint(latest)
    loaded = _predictions(fresh)
    original = _predictions(finished_run.trainer)
    assert any(not np.array_equal(before[k], original[k]) for k in original)
    _assert_tree_equal(loaded, original)
    assert dataclasses.asdict(fresh.counters) == dataclasses.asdict(finished_run.trainer.counters)
    assert fresh.counters.env_steps >= 1536 and fresh.agent.train_steps > 0
    assert fresh.agent.train_steps == finished_run.trainer.agent.train_steps
    for name in fresh.agent.trainable:
        restored = fresh.agent.networks[name].state_dict()
        trained = finished_run.trainer.agent.networks[name].state_dict()
        assert restored["optimizer"]["state"], "Adam moments must be in the checkpoint"
        _assert_tree_equal(restored["optimizer"], trained["optimizer"])
    np.testing.assert_array_equal(_rng_after(fresh), _rng_after(finished_run.trainer))


def _rng_after(trainer: Trainer) -> np.ndarray:
    """Five draws of the trainer's agent generator, without advancing it."""
    generator = np.random.Generator(type(trainer.agent.rng.bit_generator)())
    generator.bit_generator.state = trainer.agent.rng.bit_generator.state
    return generator.random(5)


def test_a_checkpoint_of_another_preset_is_refused_naming_both(
        finished_run: Run, tmp_path: Path) -> None:
    latest = ckpt.list_checkpoints(finished_run.run_dir / CHECKPOINTS)[-1]
    other = next(p for p in PRESETS if p != finished_run.preset.name)
    fresh = _fresh(finished_run, tmp_path, other)
    with pytest.raises(CheckpointError) as error:
        fresh.load_checkpoint(latest)
    message = str(error.value)
    assert f"belongs to preset {finished_run.preset.name!r}" in message
    assert f"not {other!r}" in message


def _copy_latest(run: Run, tmp_path: Path) -> Path:
    latest = ckpt.list_checkpoints(run.run_dir / CHECKPOINTS)[-1]
    copy = tmp_path / "copy" / latest.name
    shutil.copytree(latest, copy)
    return copy


def test_a_checkpoint_of_another_format_version_is_refused(
        finished_run: Run, tmp_path: Path) -> None:
    copy = _copy_latest(finished_run, tmp_path)
    document = json.loads((copy / ckpt.STATE).read_text())
    document["format_version"] = 99
    (copy / ckpt.STATE).write_text(json.dumps(document))
    with pytest.raises(CheckpointError, match=r"format version 99; this coachrl reads version 1"):
        _fresh(finished_run, tmp_path).load_checkpoint(copy)


@pytest.mark.parametrize("damage", ["truncate_arrays", "empty_arrays", "truncate_state",
                                    "missing_arrays"])
def test_a_damaged_checkpoint_is_refused(finished_run: Run, tmp_path: Path, damage: str) -> None:
    copy = _copy_latest(finished_run, tmp_path)
    arrays, state = copy / ckpt.ARRAYS, copy / ckpt.STATE
    if damage == "truncate_arrays":
        arrays.write_bytes(arrays.read_bytes()[: arrays.stat().st_size // 2])
    elif damage == "empty_arrays":
        arrays.write_bytes(b"")
    elif damage == "truncate_state":
        state.write_text(state.read_text()[:100])
    else:
        arrays.unlink()
    with pytest.raises(CheckpointError, match=str(copy).replace("\\", "\\\\")):
        _fresh(finished_run, tmp_path).load_checkpoint(copy)


def test_pruning_keeps_the_last_k_checkpoints_plus_best(finished_run: Run) -> None:
    directory = finished_run.run_dir / CHECKPOINTS
    kept = ckpt.list_checkpoints(directory)
    assert len(kept) == finished_run.preset.run.keep_checkpoints == 2
    final_steps = finished_run.trainer.counters.env_steps
    assert kept[-1].name == ckpt.checkpoint_name(final_steps)
    assert (directory / "best" / ckpt.STATE).is_file()
    header, _ = ckpt.read_checkpoint(directory / "best")
    assert header["preset"] == finished_run.preset.name
    assert sorted(p.name for p in directory.iterdir()) == sorted([*(p.name for p in kept), "best"])


def test_progress_csv_has_the_coach_columns_and_both_kinds_of_rows(finished_run: Run) -> None:
    with open(finished_run.run_dir / "progress.csv", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames or ()) == COLUMNS
    for column in ("Episode #", "Total steps", "Wall-Clock Time", "Training Iter",
                   "Evaluation Reward", "Training Reward", "Episode Length"):
        assert column in COLUMNS
    evaluations = [r for r in rows if r["Evaluation Reward"]]
    episodes = [r for r in rows if r["Training Reward"]]
    assert len(evaluations) == 3  # at (about) 512, 1024 and 1536 env steps
    assert len(episodes) == finished_run.trainer.counters.episodes
    steps = [int(r["Total steps"]) for r in rows]
    assert steps == sorted(steps)


def test_tensorboard_events_contain_the_documented_tags(finished_run: Run) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(finished_run.run_dir / "tensorboard"),
                                   size_guidance={"scalars": 0})
    accumulator.Reload()
    tags = set(accumulator.Tags()["scalars"])
    for tag in ("train/episode_return", "train/episode_length", "eval/return_mean",
                "eval/return_std", "perf/env_steps_per_s", "exploration/epsilon", "optim/lr",
                "optim/grad_norm", "loss/total"):
        assert tag in tags, f"{tag} missing from {sorted(tags)}"
    head_losses = {t for t in tags if t.startswith("loss/") and t != "loss/total"}
    assert head_losses, sorted(tags)
    steps = [event.step for event in accumulator.Scalars("eval/return_mean")]
    # the vector env moves up to n_envs steps at once, and an on-policy agent's evaluation
    # waits for the training that ends its rollout (rollout_length steps of each env)
    slack = finished_run.preset.env.n_envs * getattr(finished_run.preset.agent.algorithm,
                                                     "rollout_length", 1)
    assert len(steps) == 3
    assert all(512 * k <= step < 512 * k + slack for k, step in enumerate(steps, start=1))
