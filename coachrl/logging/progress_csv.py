"""Coach-style ``progress.csv``: one row per training episode and one per evaluation."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

COLUMNS = (
    "Episode #", "Training Iter", "In Heatup", "Total steps", "Wall-Clock Time",
    "Training Reward", "Episode Length", "Exploration", "Evaluation Reward",
    "Evaluation Reward Std", "Loss", "Success", "Evaluation Success Rate",
    # off-policy estimates of the policy at each evaluation of a run trained from a dataset
    "Inverse Propensity Score", "Direct Method Reward", "Doubly Robust",
    "Per-Decision Importance Sampling", "Weighted Importance Sampling",
    "Sequential Direct Method", "Sequential Doubly Robust",
    "Epoch",  # passes over the dataset so far, at each evaluation of a run trained from one
)  # "Success" and "Evaluation Success Rate" only for envs that report info["is_success"]
OPE_COLUMNS = {"IPS": "Inverse Propensity Score", "DM": "Direct Method Reward",
               "DR": "Doubly Robust", "PDIS": "Per-Decision Importance Sampling",
               "WIS": "Weighted Importance Sampling", "SDR": "Sequential Doubly Robust",
               "SDM": "Sequential Direct Method"}
# what a determinism trace compares: not the wall clock, and not the off-policy estimates,
# which only runs from a dataset fill (the stored traces predate them)
DETERMINISTIC_COLUMNS = tuple(c for c in COLUMNS if c not in ("Wall-Clock Time", "Epoch")
                              and c not in OPE_COLUMNS.values())


class ProgressCsv:
    """Appends rows; on resume the file is cut back to the rows the checkpoint knew about."""

    def __init__(self, path: Path, *, keep_rows: int | None = None) -> None:
        self.path = path
        if keep_rows is not None and path.exists():
            lines = path.read_text().splitlines(keepends=True)
            path.write_text("".join(lines[: keep_rows + 1]))
        new = not path.exists() or path.stat().st_size == 0
        self.handle = open(path, "a", newline="")
        self.writer = csv.writer(self.handle)
        if new:
            self.writer.writerow(COLUMNS)
        self.rows = keep_rows or 0

    def write(self, row: dict[str, Any]) -> None:
        self.writer.writerow([_format(row.get(column, "")) for column in COLUMNS])
        self.rows += 1

    def flush(self) -> None:
        self.handle.flush()

    def close(self) -> None:
        self.handle.close()


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def read_progress(path: Path) -> list[dict[str, str]]:
    """Rows of a progress.csv (ours or Coach's) as dicts."""
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))
