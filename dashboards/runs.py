"""Finding and reading run directories for reports: ours (config.json + progress.csv) and Coach's.

Coach wrote one CSV per agent (``worker_0...agent_0.csv``) with the same column names as our
``progress.csv``; any CSV with ``Total steps`` and a reward column is read the same way.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.errors import ConfigError

STEPS, TIME = "Total steps", "Wall-Clock Time"
EVAL, TRAIN, HEATUP = "Evaluation Reward", "Training Reward", "In Heatup"
IGNORED_DIRS = {"checkpoints", "videos", "tensorboard"}


@dataclass(slots=True)
class Curve:
    """Return against env steps and wall time, in row order."""

    steps: NDArray  # [points]
    wall_time: NDArray  # [points], seconds
    values: NDArray  # [points]

    def x(self, axis: str) -> NDArray:
        return self.steps if axis == "env_steps" else self.wall_time


@dataclass(slots=True)
class Run:
    """One run's curves and what it was started with."""

    path: Path
    source: str  # "coachrl" or "coach"
    preset: str
    agent: str
    tag: str
    seed: int | None
    evaluation: Curve
    training: Curve
    config: dict[str, Any] = field(default_factory=dict)  # flat "a.b.c" -> value
    threshold: float | None = None  # the preset's validation.min_reward

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    def curve(self) -> Curve:
        """The evaluation curve, or the training one where a run never evaluated."""
        return self.evaluation if len(self.evaluation.values) else self.training


def _number(text: str | None) -> float:
    try:
        return float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan


def read_curves(path: Path) -> tuple[Curve, Curve]:
    """(evaluation, training) curves of one progress CSV; heatup episodes are left out."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    table = {col: np.array([_number(r.get(col)) for r in rows]) for col in (STEPS, TIME, EVAL,
                                                                            TRAIN, HEATUP)}
    if len(rows) and np.isnan(table[STEPS]).all():
        raise ConfigError(f"{path} has no {STEPS!r} column; expected a coachrl or Coach "
                          "progress CSV")
    if np.isnan(table[TIME]).all():
        table[TIME] = np.arange(len(rows), dtype=float)

    def pick(column: str, keep: NDArray) -> Curve:
        mask = keep & np.isfinite(table[column]) & np.isfinite(table[STEPS])
        return Curve(table[STEPS][mask], table[TIME][mask], table[column][mask])

    in_heatup = np.nan_to_num(table[HEATUP]) > 0
    return pick(EVAL, np.ones(len(rows), bool)), pick(TRAIN, ~in_heatup)


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Nested JSON -> ``a.b.c -> value``; ``_type`` keys are kept as ``a._type``."""
    if not isinstance(node, dict):
        return {prefix.rstrip("."): node if not isinstance(node, list) else json.dumps(node)}
    flat: dict[str, Any] = {}
    for key, value in node.items():
        flat.update(flatten(value, f"{prefix}{key}."))
    return flat


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        return {}


def _is_progress_csv(path: Path) -> bool:
    try:
        with open(path, newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError):
        return False
    return STEPS in header and (EVAL in header or TRAIN in header)


def _short_agent(config: dict[str, Any]) -> str:
    agent_type = str(config.get("agent._type", ""))
    name = agent_type.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
    return name.removesuffix("Params") or "unknown"


def load_run(csv_path: Path, *, tag: str) -> Run:
    """One run from its progress CSV and, when present, config.json and metadata.json beside it."""
    run_dir = csv_path.parent
    evaluation, training = read_curves(csv_path)
    config = flatten(_read_json(run_dir / "config.json"))
    metadata = _read_json(run_dir / "metadata.json")
    ours = bool(config)
    seed = metadata.get("seed", config.get("run.seed"))
    threshold = config.get("validation.min_reward")
    return Run(path=run_dir if csv_path.name == "progress.csv" else csv_path.with_suffix(""),
               source="coachrl" if ours else "coach",
               preset=str(metadata.get("preset") or config.get("name") or
                          (run_dir.parent.name if ours else f"coach:{run_dir.parent.name}")),
               agent=_short_agent(config) if ours else "coach",
               tag=str(metadata.get("tag") or tag), seed=None if seed is None else int(seed),
               evaluation=evaluation, training=training, config=config,
               threshold=None if threshold is None else float(threshold))


def find_progress_files(root: Path) -> list[Path]:
    """Progress CSVs at or below ``root`` (a run directory or a directory of runs)."""
    if root.is_file():
        return [root]
    found = []
    for path in sorted(root.rglob("*.csv")):
        if IGNORED_DIRS.intersection(path.relative_to(root).parts[:-1]):
            continue
        if path.name == "progress.csv" or _is_progress_csv(path):
            found.append(path)
    return found


def discover_runs(paths: list[Path]) -> list[Run]:
    """Every run under the given paths; a run's tag defaults to the argument it was found under.

    Raises:
        ConfigError: a path does not exist or holds no progress CSV.
    """
    runs: list[Run] = []
    for root in paths:
        if not root.exists():
            raise ConfigError(f"{str(root)!r} does not exist; pass run directories or "
                              "directories of runs")
        files = find_progress_files(root)
        if not files:
            raise ConfigError(f"no progress.csv (or Coach CSV with a {STEPS!r} column) under "
                              f"{str(root)!r}")
        resolved = root.resolve()
        single_run = root.is_file() or files == [root / files[0].name]
        label = resolved.parent.name if single_run else resolved.name
        runs.extend(load_run(path, tag=label) for path in files)
    return runs
