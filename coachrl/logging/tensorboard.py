"""TensorBoard event writer (torch's ``SummaryWriter``, imported only when a run logs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class TensorBoardWriter:
    """Scalars by ``group/name`` tag; hyperparameters at the end of the run."""

    def __init__(self, log_dir: Path, *, purge_step: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(log_dir), purge_step=purge_step)

    def scalars(self, values: dict[str, float], step: int) -> None:
        for tag, value in values.items():
            self.writer.add_scalar(tag, value, step)

    def hparams(self, hparams: dict[str, Any], metrics: dict[str, float]) -> None:
        clean = {k: v if isinstance(v, int | float | str | bool) else str(v)
                 for k, v in hparams.items()}
        self.writer.add_hparams(clean, metrics, run_name=".")

    def custom_layout(self, layout: dict[str, dict[str, tuple[str, list[str]]]]) -> None:
        """Category -> chart title -> ("Multiline", regexes) or ("Margin", [value, lo, hi])."""
        self.writer.add_custom_scalars({cat: {title: [kind, list(tags)]
                                              for title, (kind, tags) in charts.items()}
                                        for cat, charts in layout.items()})

    def histograms(self, values: dict[str, Any], step: int) -> None:
        for tag, array in values.items():
            self.writer.add_histogram(tag, array, step, bins="auto")

    def video(self, tag: str, frames: Any, step: int, *, fps: int = 30) -> None:
        """An animated GIF in the Images tab (torch's add_video would need moviepy)."""
        from coachrl.logging.gif import gif_summary

        self.writer._get_file_writer().add_summary(gif_summary(tag, frames, fps=fps), step)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
