"""What a run counts (checkpointed, continued on resume) and how it ended."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class Counters:
    """Progress that checkpoints carry and resume continues."""

    env_steps: int = 0
    episodes: int = 0
    evaluations: int = 0
    next_evaluation: int = 0
    next_checkpoint: int = 0
    next_log: int = 0
    best_eval: float = float("-inf")
    last_eval: float | None = None
    threshold_step: int | None = None  # env steps when the validation threshold was first met
    nonfinite_strikes: int = 0
    csv_rows: int = 0
    wall_time: float = 0.0


@dataclass(slots=True)
class Outcome:
    """How a run ended."""

    run_dir: Path
    counters: Counters
    reason: str  # "finished", "threshold", "interrupted", "stopped" (by ``on_evaluation``)
    stop_signal: str | None = None  # SIGINT or SIGTERM when interrupted
    last_metrics: dict[str, float] = field(default_factory=dict)
