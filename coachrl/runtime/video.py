"""Video of one evaluation episode, written as MP4 (needs the ``video`` extra: imageio-ffmpeg)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from coachrl.errors import ConfigError
from coachrl.registry import env_adapter
from coachrl.runtime.evaluation import evaluate

if TYPE_CHECKING:
    from coachrl.runtime.loop import Trainer


def write_mp4(path: Path, frames: list[NDArray], fps: int = 30) -> Path:
    try:
        import imageio.v2 as imageio
    except ImportError:
        raise ConfigError("--video needs imageio and imageio-ffmpeg; "
                          "pip install 'coachrl[video]'") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    imageio.mimsave(path, [np.asarray(f, dtype=np.uint8) for f in frames], fps=fps,
                    macro_block_size=1)
    return path


def record_video(trainer: Trainer, directory: Path, *, name: str) -> Path:
    """Run one deterministic episode with rendering and save it as ``directory/name.mp4``."""
    return write_mp4(directory / f"{name}.mp4", episode_frames(trainer))


def episode_frames(trainer: Trainer) -> list[NDArray]:
    """The frames of one deterministic evaluation episode (its own env, rendering rgb_array)."""
    env = env_adapter()(trainer.preset.env, seed=trainer.preset.run.seed, n_envs=1,
                        render_mode="rgb_array", training=False)
    frames: list[NDArray] = []
    try:
        evaluate(trainer.agent, env, step=trainer.counters.env_steps,
                 observe=trainer.observation_filter,
                 on_frame=frames.append)
    finally:
        env.close()
    if not frames:
        raise ConfigError(f"env {trainer.preset.env.env_id!r} rendered no frames")
    return frames
