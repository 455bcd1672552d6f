"""What every benchmark shares: options, interleaved repeats, medians with spreads, result files.

A benchmark module exposes ``TITLE`` and ``run(options) -> Report`` (or ``PENDING``, a reason
it cannot run yet). Raw measurements become rows of ``Sample``; the runner writes
``results/NAME.csv`` (raw), ``results/NAME.md`` (medians, spreads, ratios) and ``results/NAME.png``.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

COACHRL, SB3 = "coachrl", "sb3"


@dataclass(slots=True, frozen=True)
class Options:
    """Command-line options every benchmark reads."""

    seeds: int = 3  # seeds of the learning benchmarks
    repeats: int = 5  # interleaved repeats of the timing benchmarks
    quick: bool = False  # a few seconds in all: keeps the scripts working, measures nothing
    kept: tuple[Sample, ...] = ()  # seeds measured by an earlier run (``--keep``), not rerun

    @property
    def kept_seeds(self) -> frozenset[int]:
        return frozenset(sample.repeat for sample in self.kept)


@dataclass(slots=True, frozen=True)
class Sample:
    """One raw measurement."""

    case: str  # what was measured, e.g. "8 envs"
    library: str  # "coachrl (numpy)", "sb3", "gymnasium (random actions)"
    metric: str  # e.g. "env steps/s"
    value: float  # nan when the run did not get there
    repeat: int  # seed or repeat index; samples with the same repeat were measured together


@dataclass(slots=True, frozen=True)
class Ratio:
    """A ratio of two libraries' samples paired by repeat, and its target."""

    case: str
    metric: str
    numerator: str  # library
    denominator: str  # library
    target: str  # e.g. "<= 0.5"; "" when there is none
    check: Callable[[float], bool] | None = None  # applied to the median ratio


@dataclass(slots=True)
class Report:
    """Everything a benchmark measured, and how to summarise it."""

    title: str
    samples: list[Sample] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, case: str, library: str, metric: str, value: float, repeat: int) -> None:
        self.samples.append(Sample(case, library, metric, float(value), repeat))


def timed(function: Callable[[], Any]) -> float:
    """Seconds one call takes (perf_counter)."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleaved(repeats: int, runners: dict[str, Callable[[int], None]],
                skip: Collection[int] = ()) -> None:
    """Run every runner once per repeat, reversing the order on odd repeats (ABBA), so drifts in
    machine load hit all libraries alike; repeats in ``skip`` (measured already) are left out."""
    names = list(runners)
    for repeat in range(repeats):
        if repeat in skip:
            continue
        for name in names if repeat % 2 == 0 else reversed(names):
            runners[name](repeat)


def spread(values: Iterable[float]) -> tuple[float, float, float, int]:
    """(median, min, max, count) of the finite values; nans when there are none."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan, math.nan, math.nan, 0
    return statistics.median(finite), min(finite), max(finite), len(finite)


def fmt(value: float) -> str:
    if not math.isfinite(value):
        return "n/a"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def fmt_spread(values: Iterable[float]) -> str:
    median, low, high, count = spread(values)
    if count == 0:
        return "n/a"
    return fmt(median) if count == 1 else f"{fmt(median)} ({fmt(low)}–{fmt(high)})"


def _values(report: Report, case: str, library: str, metric: str) -> dict[int, float]:
    return {
        s.repeat: s.value
        for s in report.samples
        if s.case == case and s.library == library and s.metric == metric
    }


def paired_ratios(report: Report, ratio: Ratio) -> list[float]:
    """numerator/denominator per repeat, for repeats where both are finite."""
    top = _values(report, ratio.case, ratio.numerator, ratio.metric)
    bottom = _values(report, ratio.case, ratio.denominator, ratio.metric)
    return [
        top[r] / bottom[r]
        for r in sorted(top.keys() & bottom.keys())
        if math.isfinite(top[r]) and math.isfinite(bottom[r]) and bottom[r] != 0
    ]


def ratio_verdict(report: Report, ratio: Ratio) -> str:
    median = spread(paired_ratios(report, ratio))[0]
    if ratio.check is None or not math.isfinite(median):
        return ""
    return "met" if ratio.check(median) else "missed"


def coachrl_trainer(preset_name: str, overrides: list[str], workdir: str) -> Any:
    """A coachrl ``Trainer`` for a preset with overrides: no console, no log files, no periodic
    evaluation, logging or checkpoints within ``schedule.improve_steps``."""
    from coachrl.params.tree import apply_overrides
    from coachrl.registry import load_preset
    from coachrl.runtime.loop import Trainer
    from coachrl.runtime.run_dir import create_run_dir

    preset = apply_overrides(
        load_preset(preset_name), [*overrides, f"run.experiment_dir={workdir}"]
    )
    # beyond the last step's overshoot too: with N envs a run may end up to N - 1 steps past
    # improve_steps, where an evaluation at improve_steps + 1 would be timed as collection
    never = 2 * int(preset.schedule.improve_steps) + 1_000_000
    preset = apply_overrides(
        preset,
        [
            f"run.log_period={never}",
            f"schedule.checkpoint_period={never}",
            f"schedule.evaluation_period={never}",
        ],
    )
    return Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)


def sb3_quiet(model: Any) -> Any:
    """Give an SB3 model a silent logger, so ``train()`` can run outside ``learn()``."""
    from stable_baselines3.common.logger import configure

    model.set_logger(configure(None, [""]))
    return model
