"""What every benchmark shares: options, interleaved repeats, medians with spreads, verdicts.

A benchmark module exposes ``TITLE``, ``run(options) -> Report`` (or ``PENDING``, a reason it
cannot run yet) and ``summarise(report, quick)``, which adds the ratios, verdicts and notes to a
report's samples: the rules live there, so a verdict is computed the same way from a fresh run
and from the samples a results CSV holds. Raw measurements become rows of ``Sample``, each
stamped with the commit and date of the run that measured it; the runner writes
``results/NAME.csv`` (raw), ``results/NAME.md`` (medians, spreads, verdicts) and
``results/NAME.png``.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

COACHRL, SB3 = "coachrl", "sb3"

# two-sided 95% quantiles of Student's t by degrees of freedom (1.96 beyond the table)
T_975 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
)


def t_975(degrees_of_freedom: int) -> float:
    """Student's t two-sided 95% quantile."""
    return T_975[degrees_of_freedom - 1] if degrees_of_freedom <= len(T_975) else 1.96


@dataclass(slots=True, frozen=True)
class Options:
    """Command-line options every benchmark reads."""

    seeds: int = 3  # seeds of the learning benchmarks
    repeats: int = 5  # interleaved repeats of the timing benchmarks
    quick: bool = False  # a few seconds in all: keeps the scripts working, measures nothing
    kept: tuple[Sample, ...] = ()  # seeds measured by an earlier run (``--keep``), not rerun
    shard: tuple[int, int] = (0, 1)  # (index, count): run only the seeds s with s % count == index
    partial: Path | None = None  # learning benchmarks: the samples so far, rewritten every seed
    stamp: Stamp | None = None  # the run's commit and date, for the samples saved midway
    cases: tuple[str, ...] = ()  # run only these cases (``--case``); () runs every case

    @property
    def skipped_seeds(self) -> frozenset[int]:
        """Seeds this process leaves out: those kept, and those of other shards."""
        index, count = self.shard
        return frozenset(sample.repeat for sample in self.kept) | frozenset(
            seed for seed in range(self.seeds) if seed % count != index
        )


@dataclass(slots=True, frozen=True)
class Sample:
    """One raw measurement."""

    case: str  # what was measured, e.g. "8 envs"
    library: str  # "coachrl (numpy)", "sb3", "gymnasium (random actions)"
    metric: str  # e.g. "env steps/s"
    value: float  # nan when the run did not get there
    repeat: int  # seed or repeat index; samples with the same repeat were measured together
    commit: str = ""  # short hash of the code measured, "+dirty" if it had uncommitted changes
    date: str = ""  # UTC minute the run started, e.g. "2026-11-30 05:12"


@dataclass(slots=True, frozen=True)
class Stamp:
    """Which code a run measured and when: every sample of the run carries it."""

    commit: str
    date: str

    @classmethod
    def now(cls) -> Stamp:
        """HEAD's short hash (``+dirty`` when measured code differs from it) and the UTC time."""
        root = str(Path(__file__).resolve().parents[1])

        def git(*args: str) -> str:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, check=False
            )
            return done.stdout.strip() if done.returncode == 0 else ""

        commit = git("rev-parse", "--short=7", "HEAD") or "unknown"
        changed = git("status", "--porcelain", "--", *MEASURED_CODE)
        return cls(
            commit + ("+dirty" if changed else ""), time.strftime("%Y-%m-%d %H:%M", time.gmtime())
        )


# the folders whose changes alter what a benchmark measures (results/ is not among them)
MEASURED_CODE = (
    "coachrl",
    "agents",
    "presets",
    "environments",
    "pyproject.toml",
    *(
        f"benchmarks/{name}"
        for name in (
            "__init__.py",
            "__main__.py",
            "common.py",
            "threshold.py",
            "ppo_cartpole.py",
            "dqn_cartpole.py",
            "qrdqn_cartpole.py",
            "sac_pendulum.py",
            "td3_pendulum.py",
            "a2c_cartpole.py",
            "halfcheetah.py",
            "rollout.py",
            "gradient_step.py",
            "replay.py",
            "scaling.py",
            "atari_pipeline.py",
            "atari_ray.py",
        )
    ),
)


@dataclass(slots=True, frozen=True)
class Ratio:
    """A ratio of two libraries' samples paired by repeat, and its target."""

    case: str
    metric: str
    numerator: str  # library
    denominator: str  # library
    target: str  # e.g. "<= 0.5"; "" when there is none
    check: Callable[[float], bool] | None = None  # applied to the median ratio


@dataclass(slots=True, frozen=True)
class Verdict:
    """A rule that is not a median ratio (a statistical test), with what it measured; or a
    figure reported beside the rules without one (``target`` and ``verdict`` "")."""

    case: str
    metric: str
    measured: str  # the figures the rule looked at, e.g. "paired mean -0.9, 95% interval ..."
    target: str  # the rule, e.g. "95% interval's lower end >= -3.9 (half SB3's sd)"
    verdict: str  # "met" or "missed"


@dataclass(slots=True)
class Report:
    """Everything a benchmark measured, and how to summarise it."""

    title: str
    samples: list[Sample] = field(default_factory=list)
    ratios: list[Ratio] = field(default_factory=list)
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, case: str, library: str, metric: str, value: float, repeat: int) -> None:
        self.samples.append(Sample(case, library, metric, float(value), repeat))

    def stamp(self, stamp: Stamp) -> None:
        """Stamp the samples measured now (those without a commit yet) with ``stamp``."""
        self.samples = [
            s if s.commit else replace(s, commit=stamp.commit, date=stamp.date)
            for s in self.samples
        ]

    def runs(self) -> list[tuple[Stamp, list[int]]]:
        """Each run (commit and date) the samples came from, with the seeds or repeats it
        measured, in first-seen order."""
        seen: dict[Stamp, set[int]] = {}
        for s in self.samples:
            seen.setdefault(Stamp(s.commit, s.date), set()).add(s.repeat)
        return [(stamp, sorted(repeats)) for stamp, repeats in seen.items()]


def timed(function: Callable[[], Any]) -> float:
    """Seconds one call takes (perf_counter)."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def interleaved(
    repeats: int,
    runners: dict[str, Callable[[int], None]],
    skip: Collection[int] = (),
    after: Callable[[int], None] | None = None,
) -> None:
    """Run every runner once per repeat, reversing the order on odd repeats (ABBA), so drifts in
    machine load hit all libraries alike; repeats in ``skip`` (measured already) are left out;
    ``after(repeat)`` runs once a repeat is complete."""
    names = list(runners)
    for repeat in range(repeats):
        if repeat in skip:
            continue
        for name in names if repeat % 2 == 0 else reversed(names):
            runners[name](repeat)
        if after is not None:
            after(repeat)


def save_partial(options: Options, report: Report) -> Callable[[int], None] | None:
    """An ``after`` that rewrites ``options.partial`` with every sample so far, so that a long
    run stopped midway keeps its finished seeds (``--keep`` runs only the missing ones)."""
    path = options.partial
    if path is None:
        return None

    def save(repeat: int) -> None:
        del repeat
        from benchmarks.output import write_csv

        if options.stamp is not None:
            report.stamp(options.stamp)  # a seed saved now says which run measured it
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(report, path)

    return save


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
    return f"{value:.4g}"  # 4 digits: a ratio of 0.5001 against a target of <= 0.5 shows why


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


@dataclass(slots=True, frozen=True)
class VerdictRow:
    """One line of a verdict table: a ratio with its rule, or a ``Verdict``."""

    case: str
    metric: str
    comparison: str  # "coachrl / sb3", or "" for a rule that is not a ratio
    measured: str
    target: str
    verdict: str
    numerator: str = ""  # the ratio's numerator: median (min–max)
    denominator: str = ""  # its denominator


def verdict_rows(report: Report) -> list[VerdictRow]:
    """The report's ratios and verdicts as table rows, verdicts computed by their rules."""
    rows = [
        VerdictRow(
            r.case,
            r.metric,
            f"{r.numerator} / {r.denominator}",
            fmt_spread(paired_ratios(report, r)),
            r.target,
            ratio_verdict(report, r),
            median_of(report, r.case, r.numerator, r.metric),
            median_of(report, r.case, r.denominator, r.metric),
        )
        for r in report.ratios
    ]
    rows += [
        VerdictRow(v.case, v.metric, "", v.measured, v.target, v.verdict) for v in report.verdicts
    ]
    return rows


def median_of(report: Report, case: str, library: str, metric: str) -> str:
    """``fmt_spread`` of one library's samples of one case and metric."""
    return fmt_spread(_values(report, case, library, metric).values())


def coachrl_trainer(preset_name: str, overrides: list[str], workdir: str) -> Any:
    """A coachrl ``Trainer`` for a preset with overrides: no console, no log files, no periodic
    evaluation, logging or checkpoints within ``schedule.improve_steps``."""
    from coachrl.runtime.loop import Trainer
    from coachrl.runtime.run_dir import create_run_dir

    preset = quiet_preset(preset_name, overrides, workdir)
    return Trainer(preset, run_dir=create_run_dir(preset), console=False, log=False)


def quiet_preset(preset_name: str, overrides: list[str], workdir: str) -> Any:
    """A preset with overrides, running in ``workdir``, with no periodic evaluation, logging
    or checkpoints within ``schedule.improve_steps``."""
    from coachrl.params.tree import apply_overrides
    from coachrl.registry import load_preset

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
            "schedule.checkpoint_seconds=0",
            f"schedule.evaluation_period={never}",
        ],
    )
    return preset


def sb3_quiet(model: Any) -> Any:
    """Give an SB3 model a silent logger, so ``train()`` can run outside ``learn()``."""
    from stable_baselines3.common.logger import configure

    model.set_logger(configure(None, [""]))
    return model
