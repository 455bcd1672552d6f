"""What a real run writes for the dashboard, and `train --seeds` feeding `compare`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from coachrl.cli import main
from coachrl.dashboards.layout import BAND_TAGS
from coachrl.dashboards.runs import discover_runs
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

SHORT = ["schedule.improve_steps=3000", "schedule.evaluation_period=1000",
         "schedule.evaluation_episodes=2", "run.log_period=500"]


def _events(run_dir: Path) -> dict[str, set[str]]:
    """Plugin name -> tags, over every event file of the run."""
    found: dict[str, set[str]] = {}
    for path in (run_dir / "tensorboard").glob("events.out.tfevents.*"):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name or value.WhichOneof("value")
                found.setdefault(plugin, set()).add(value.tag)
    return found


def test_a_run_writes_layout_bands_histograms_and_hparams(tmp_path: Path) -> None:
    preset = apply_overrides(load_preset("CartPole_ClippedPPO"),
                             [*SHORT, f"run.experiment_dir={tmp_path}"])
    run_dir = create_run_dir(preset)
    Trainer(preset, run_dir=run_dir, console=False).run()
    events = _events(run_dir)
    assert "custom_scalars__config__" in events["custom_scalars"]
    for tags in BAND_TAGS.values():
        assert set(tags) <= events["scalars"]
    assert {"loss/policy", "loss/value", "optim/grad_norm", "optim/lr"} <= events["scalars"]
    assert "eval/actions" in events["histograms"]
    assert any(re.match(r"weights/main/.*weight", tag) for tag in events["histograms"])
    assert events["hparams"]  # the session start/end summaries of the HParams view


@pytest.mark.slow
def test_train_seeds_makes_one_group_for_compare(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["train", "CartPole_ClippedPPO", "--seeds", "2", "--seed", "5",
            "--experiment-dir", str(tmp_path)]
    for override in SHORT:
        argv += ["--set", override]
    assert main(argv) == 0
    (group,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert group.name.startswith("CartPole_ClippedPPO-seeds-")
    runs = discover_runs([group])
    assert sorted(run.seed for run in runs) == [5, 6]
    assert {run.tag for run in runs} == {group.name}
    assert all(len(run.evaluation.values) == 3 for run in runs)
    assert f"coachrl compare {group}" in capsys.readouterr().out
