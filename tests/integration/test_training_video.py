"""Video during training: one evaluation episode recorded every K evaluations, as an MP4 in the
run directory; off by default."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as imageio
import pytest

from coachrl.errors import ConfigError
from coachrl.params import ScheduleParams
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir


def test_every_second_evaluation_is_recorded(tmp_path: Path) -> None:
    preset = apply_overrides(load_preset("CartPole_DQN"), [
        "schedule.heatup_steps=100", "schedule.improve_steps=800",
        "schedule.evaluation_period=200", "schedule.evaluation_episodes=1",
        "schedule.video_every_evaluations=2", "agent.network.hidden_sizes=8",
        f"run.experiment_dir={tmp_path}"])
    outcome = Trainer(preset, run_dir=create_run_dir(preset), console=False).run()
    assert outcome.counters.evaluations == 4
    videos = sorted((outcome.run_dir / "videos").glob("eval-*.mp4"))
    assert [v.name for v in videos] == ["eval-400.mp4", "eval-800.mp4"]
    frames = imageio.mimread(videos[0], memtest=False)
    assert len(frames) >= 8 and frames[0].shape == (400, 600, 3)  # CartPole's rgb_array frames


def test_videos_are_off_by_default_and_a_negative_period_is_refused() -> None:
    assert ScheduleParams().video_every_evaluations == 0
    with pytest.raises(ConfigError, match="video_every_evaluations=-1"):
        ScheduleParams(video_every_evaluations=-1)


def test_render_without_a_display_is_a_clear_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture) -> None:
    from coachrl.cli import main

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["evaluate", str(tmp_path), "--render"]) == 2
    err = capsys.readouterr().err
    assert "--render opens a window, but this machine has no display" in err and "--video" in err
