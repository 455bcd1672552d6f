"""Statistics across seeds: curves on a common grid, final/best returns with 95% confidence
intervals, steps to a threshold, and the config keys that differ between groups."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.dashboards.runs import Run

GRID_POINTS = 200
# Two-sided 95% Student-t quantiles t(0.975, df) for df = 1..30; beyond, the normal 1.96 is used
# with a small correction (the largest error is under 0.5% at df = 31).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
IGNORED_KEYS = ("run.seed", "run.experiment_dir", "run.device", "run.torch_threads", "name")
GROUP_KEYS = ("preset", "agent", "tag")


def t_quantile_975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= len(_T975) else 1.96 + 2.4 / df


@dataclass(slots=True, frozen=True)
class Interval:
    """A sample mean with its 95% confidence interval (NaN bounds for a single sample)."""

    mean: float
    low: float
    high: float
    n: int


def mean_ci(values: NDArray | list[float]) -> Interval:
    """Mean and t-based 95% confidence interval of independent samples (seeds)."""
    sample = np.asarray(values, dtype=float)
    sample = sample[np.isfinite(sample)]
    n = len(sample)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(sample.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1)
    half = t_quantile_975(n - 1) * float(sample.std(ddof=1)) / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n)


@dataclass(slots=True)
class GroupCurve:
    """Seeds of a group resampled on one grid: the x values and per-seed rows."""

    x: NDArray  # [points]
    values: NDArray  # [seeds, points]

    @property
    def mean(self) -> NDArray:
        return self.values.mean(axis=0)

    @property
    def std(self) -> NDArray:
        return self.values.std(axis=0)

    @property
    def low(self) -> NDArray:
        return self.values.min(axis=0)

    @property
    def high(self) -> NDArray:
        return self.values.max(axis=0)


def common_grid(runs: list[Run], axis: str, points: int = GRID_POINTS) -> NDArray:
    """The x range every run of the group covers, as ``points`` evenly spaced values."""
    curves = [run.curve().x(axis) for run in runs if len(run.curve().values)]
    if not curves:
        return np.zeros(0)
    low = max(float(c[0]) for c in curves)
    high = min(float(c[-1]) for c in curves)
    if high <= low:
        return np.array([high])
    return np.linspace(low, high, points)


def group_curve(runs: list[Run], axis: str, points: int = GRID_POINTS) -> GroupCurve:
    """Each run's curve linearly interpolated onto the group's common grid."""
    grid = common_grid(runs, axis, points)
    rows = [np.interp(grid, run.curve().x(axis), run.curve().values)
            for run in runs if len(run.curve().values)]
    return GroupCurve(grid, np.array(rows).reshape(len(rows), len(grid)))


def final_return(run: Run) -> float:
    """The last evaluation (or training) return of a run."""
    values = run.curve().values
    return float(values[-1]) if len(values) else math.nan


def best_return(run: Run) -> float:
    values = run.curve().values
    return float(values.max()) if len(values) else math.nan


def steps_to_threshold(run: Run, threshold: float | None) -> int | None:
    """Env steps at the first evaluation reaching ``threshold``; None if never or no threshold."""
    if threshold is None:
        return None
    curve = run.curve()
    reached = np.flatnonzero(curve.values >= threshold)
    return int(curve.steps[reached[0]]) if len(reached) else None


def group_runs(runs: list[Run], by: str) -> dict[str, list[Run]]:
    """Runs by their preset, agent or tag, in the order first seen."""
    if by not in GROUP_KEYS:
        raise ValueError(f"group by {by!r}; expected one of {GROUP_KEYS}")
    groups: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        groups[str(getattr(run, by))].append(run)
    return dict(groups)


@dataclass(slots=True)
class GroupSummary:
    """What the report shows for one group."""

    name: str
    runs: list[Run]
    curve: GroupCurve
    final: Interval
    best: Interval
    threshold: float | None
    steps_to_threshold: list[int | None] = field(default_factory=list)

    @property
    def seeds(self) -> int:
        return len(self.runs)


def summarise(groups: dict[str, list[Run]], *, axis: str,
              threshold: float | None = None) -> list[GroupSummary]:
    """One summary per group; ``threshold`` overrides each run's preset threshold."""
    summaries = []
    for name, members in groups.items():
        limit = threshold if threshold is not None else members[0].threshold
        summaries.append(GroupSummary(
            name=name, runs=members, curve=group_curve(members, axis),
            final=mean_ci([final_return(r) for r in members]),
            best=mean_ci([best_return(r) for r in members]), threshold=limit,
            steps_to_threshold=[steps_to_threshold(r, limit) for r in members]))
    return summaries


def _display(values: set[str]) -> str:
    return " | ".join(sorted(values))


def config_differences(groups: dict[str, list[Run]]) -> dict[str, dict[str, str]]:
    """Config key -> group -> value(s), for keys whose values are not the same everywhere.

    Seeds, devices and output paths are left out: they differ by design. A key a group's runs
    lack shows as "-"; several values inside one group show joined by " | ".
    """
    keys = sorted({key for runs in groups.values() for run in runs for key in run.config
                   if not key.startswith(IGNORED_KEYS)})
    table: dict[str, dict[str, str]] = {}
    for key in keys:
        cells = {name: _display({_text(run.config.get(key, "-")) for run in runs})
                 for name, runs in groups.items()}
        if len(set(cells.values())) > 1 or any(" | " in cell for cell in cells.values()):
            table[key] = cells
    return table


def _text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
