"""The run's ``Logger``: scalars to TensorBoard, rows to progress.csv, status to the console."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from coachrl.logging.console import ConsoleProgress
from coachrl.logging.progress_csv import ProgressCsv
from coachrl.logging.tensorboard import TensorBoardWriter


class Logger:
    """Everything a run reports goes through here."""

    def __init__(self, run_dir: Path, *, total_steps: int, title: str, console: bool = True,
                 files: bool = True, resume_rows: int | None = None,
                 resume_step: int | None = None) -> None:
        """``files=False`` writes nothing to the run directory (evaluating an existing run)."""
        self.run_dir = run_dir
        self.csv = ProgressCsv(run_dir / "progress.csv", keep_rows=resume_rows) if files else None
        self.tensorboard = (TensorBoardWriter(run_dir / "tensorboard", purge_step=resume_step)
                            if files else None)
        self.console = ConsoleProgress(total=total_steps, title=title, enabled=console)

    def scalars(self, values: dict[str, float], step: int) -> None:
        if self.tensorboard is not None:
            self.tensorboard.scalars(values, step)

    def layout(self, layout: dict[str, Any]) -> None:
        """Write a custom-scalars layout (see ``coachrl.dashboards.layout``) into the run."""
        if self.tensorboard is not None and layout:
            self.tensorboard.custom_layout(layout)

    def histograms(self, values: dict[str, Any], step: int) -> None:
        """Distributions (weights, actions); call at a low rate, at most once per evaluation."""
        if self.tensorboard is not None:
            self.tensorboard.histograms(values, step)

    def video(self, tag: str, frames: Any, step: int, *, fps: int = 30) -> None:
        if self.tensorboard is not None:
            self.tensorboard.video(tag, frames, step, fps=fps)

    def row(self, row: dict[str, Any]) -> None:
        if self.csv is not None:
            self.csv.write(row)

    def flush(self) -> None:
        if self.csv is not None:
            self.csv.flush()
        if self.tensorboard is not None:
            self.tensorboard.flush()

    def close(self, *, hparams: dict[str, Any] | None = None,
              final: dict[str, float] | None = None) -> None:
        self.console.close()
        if self.csv is not None:
            self.csv.close()
        if self.tensorboard is not None:
            if hparams is not None and final:
                self.tensorboard.hparams(hparams, final)
            self.tensorboard.close()


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temp file + rename)."""
    temp = path.with_suffix(path.suffix + ".tmp")
    temp.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")
    temp.replace(path)
