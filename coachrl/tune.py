"""``coachrl tune``: an Optuna study over a preset's parameters, its trials run on Ray.

    coachrl tune CartPole_DQN --trials 40 --budget 30000 \\
        --param agent.learning_rate=loguniform:1e-4:1e-2 \\
        --param agent.algorithm.batch_size=choice:32,64,128 [--workers 4] [--address HOST:PORT]

Each trial trains the preset for ``--budget`` env steps with the sampled values as ``--set``
overrides. Its score is its best evaluation's mean return (the return its best checkpoint
holds); every periodic evaluation is reported to the study's pruner (Optuna's median rule),
which stops trials that fall below the median of the trials before them at the same step.
Sampling is Optuna's TPE, seeded. The study lives in a journal file in the study directory, so
a study stopped in any way resumes where it was: finished trials are kept, trials that were
running are run again with the same values. The results: a table in the terminal and in
``STUDY_DIR/trials.md`` / ``trials.csv``, every trial's run directory under
``STUDY_DIR/trials/`` (TensorBoard's HParams view over them: ``coachrl dashboard
STUDY_DIR/trials``), and a preset file with the best values (``--out``).
"""

from __future__ import annotations

import csv
import json
import math
import textwrap
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coachrl.errors import ConfigError

KINDS = {"loguniform": 2, "uniform": 2, "int": 2, "logint": 2, "choice": -1}
SETTINGS, TABLE, TABLE_CSV = "study.json", "trials.md", "trials.csv"
JOURNAL = "study.journal"
STUDY_NAME = "coachrl"


@dataclass(slots=True, frozen=True)
class ParamRange:
    """One searched parameter: ``key=kind:args`` (loguniform:LOW:HIGH, uniform:LOW:HIGH,
    int:LOW:HIGH, logint:LOW:HIGH, choice:A,B,C)."""

    key: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    choices: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> ParamRange:
        key, sep, spec = text.partition("=")
        kind, _, rest = spec.partition(":")
        if not sep or not key or kind not in KINDS or not rest:
            raise ConfigError(f"--param {text!r}: expected KEY=KIND:ARGS with KIND one of "
                              f"{', '.join(KINDS)} (loguniform:1e-4:1e-2, choice:32,64,128)")
        if kind == "choice":
            choices = tuple(c.strip() for c in rest.split(",") if c.strip())
            if len(choices) < 2:
                raise ConfigError(f"--param {text!r}: a choice needs at least two values")
            return cls(key, kind, choices=choices)
        bounds = rest.split(":")
        try:
            low, high = (float(b) for b in bounds)
        except ValueError:
            raise ConfigError(f"--param {text!r}: {kind} takes LOW:HIGH numbers, got "
                              f"{rest!r}") from None
        if not low < high or (kind in ("loguniform", "logint") and low <= 0):
            raise ConfigError(f"--param {text!r}: needs LOW < HIGH" + (
                ", both positive" if kind.startswith("log") else ""))
        if kind in ("int", "logint") and (low != int(low) or high != int(high)):
            raise ConfigError(f"--param {text!r}: int bounds must be whole numbers")
        return cls(key, kind, low, high)

    def examples(self) -> list[str]:
        """Values at the range's ends, to check the key and type before any trial runs."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind in ("int", "logint"):
            return [str(int(self.low)), str(int(self.high))]
        return [repr(self.low), repr(self.high)]


@dataclass(slots=True)
class TuneSettings:
    """A study's settings, saved in STUDY_DIR/study.json; a resumed study must match them."""

    preset: str  # a registered name or an absolute path to a preset file
    params: list[ParamRange]
    trials: int
    budget: int  # env steps per trial
    seed: int = 0  # each trial trains with this seed; the sampler is seeded with it too
    evaluation_period: int | None = None  # env steps between evaluations (the preset's: None)
    workers: int = 1  # trials at once
    address: str | None = None  # an existing Ray cluster
    startup_trials: int = 4  # trials the pruner and TPE wait for before acting
    overrides: list[str] = field(default_factory=list)  # fixed --set values of every trial

    def fixed(self) -> dict[str, Any]:
        """What a resumed study must share (not how many trials or workers)."""
        out = asdict(self)
        for key in ("trials", "workers", "address"):
            out.pop(key)
        out["params"] = [asdict(p) for p in self.params]
        return json.loads(json.dumps(out))

    def trial_overrides(self, values: dict[str, Any]) -> list[str]:
        assignments = [*self.overrides, f"schedule.improve_steps={self.budget}"]
        if self.evaluation_period is not None:
            assignments.append(f"schedule.evaluation_period={self.evaluation_period}")
        return assignments + [f"{key}={value}" for key, value in values.items()]


@dataclass(slots=True)
class TrialRecord:
    """One trial as the table shows it."""

    number: int
    state: str  # COMPLETE, PRUNED, FAIL, RUNNING
    score: float | None
    params: dict[str, Any]
    env_steps: int | None = None
    seconds: float | None = None
    started: float | None = None  # UNIX time
    finished: float | None = None
    run_dir: str = ""
    error: str = ""


def check_settings(settings: TuneSettings) -> None:
    """Fail before any trial: unknown preset or key, a value of the wrong type, bad counts."""
    from coachrl.params.tree import apply_overrides
    from coachrl.registry import load_preset

    if settings.trials < 1 or settings.workers < 1 or settings.budget < 1:
        raise ConfigError(f"--trials {settings.trials}, --workers {settings.workers} and "
                          f"--budget {settings.budget} must each be at least 1")
    if not settings.params:
        raise ConfigError("give at least one --param KEY=KIND:ARGS to search over")
    preset = load_preset(settings.preset)
    for param in settings.params:
        for value in param.examples():
            apply_overrides(preset, [*settings.trial_overrides({}), f"{param.key}={value}"])


def prepare_study_dir(study_dir: Path, settings: TuneSettings) -> None:
    """Create the study directory, or check that the one there holds the same study."""
    study_dir.mkdir(parents=True, exist_ok=True)
    saved = study_dir / SETTINGS
    if saved.is_file():
        before = json.loads(saved.read_text())
        if before != settings.fixed():
            differ = sorted(k for k in set(before) | set(settings.fixed())
                            if before.get(k) != settings.fixed().get(k))
            raise ConfigError(f"{study_dir} holds a study with other settings ({', '.join(differ)}"
                              "); resume it with the same preset, --param, --budget and --seed, "
                              "or give another --study-dir")
    else:
        saved.write_text(json.dumps(settings.fixed(), indent=1) + "\n")


def table(records: Sequence[TrialRecord], keys: Sequence[str]) -> str:
    """Markdown: one row per trial, the best marked."""
    best = best_trial(records)
    head = ["trial", "state", "score", *keys, "env steps", "seconds", "run"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(records, key=lambda r: r.number):
        score = "" if r.score is None else f"{r.score:.1f}"
        mark = " (best)" if best is not None and r.number == best.number else ""
        cells = [str(r.number), r.state.lower() + mark, score,
                 *(_short(r.params.get(k)) for k in keys),
                 "" if r.env_steps is None else f"{r.env_steps:,}",
                 "" if r.seconds is None else f"{r.seconds:.0f}",
                 r.error[:60] or Path(r.run_dir).name]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def best_trial(records: Sequence[TrialRecord]) -> TrialRecord | None:
    complete = [r for r in records if r.state == "COMPLETE" and r.score is not None
                and math.isfinite(r.score)]
    return max(complete, key=lambda r: (r.score, -r.number)) if complete else None


def write_results(study_dir: Path, records: Sequence[TrialRecord], keys: Sequence[str]) -> str:
    text = table(records, keys)
    (study_dir / TABLE).write_text(text + "\n")
    with (study_dir / TABLE_CSV).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["trial", "state", "score", *keys, "env_steps", "seconds", "started",
                         "finished", "run_dir", "error"])
        for r in sorted(records, key=lambda r: r.number):
            writer.writerow([r.number, r.state, r.score, *(r.params.get(k) for k in keys),
                             r.env_steps, r.seconds, r.started, r.finished, r.run_dir, r.error])
    return text


def write_preset(path: Path, settings: TuneSettings, best: TrialRecord, study_dir: Path) -> None:
    """A preset file: the base preset with the fixed overrides and the best trial's values."""
    assignments = [*settings.overrides,
                   *(f"{key}={value}" for key, value in best.params.items())]
    name = path.stem
    about = (f"{Path(settings.preset).stem} with the values `coachrl tune` found: trial "
             f"{best.number} of the study in {study_dir}, best evaluation {best.score:.1f} "
             f"within {settings.budget:,} env steps (seed {settings.seed}).")
    lines = [
        '"""' + "\n".join(textwrap.wrap(about, 96)) + '"""',
        "",
        "from coachrl.params.tree import apply_overrides",
        "from coachrl.registry import load_preset",
        "",
        f"preset = apply_overrides(load_preset({settings.preset!r}), [",
        *(f"    {assignment!r}," for assignment in assignments),
        "])",
        f"preset.name = {name!r}",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def tune(settings: TuneSettings, study_dir: Path, *, out: Path | None = None,
         echo: Any = print) -> list[TrialRecord]:
    """Run (or resume) the study; write the table and, with ``out``, the tuned preset."""
    from coachrl.distributed.tune import run_study

    if settings.preset.endswith(".py"):
        settings.preset = str(Path(settings.preset).resolve())
    check_settings(settings)
    prepare_study_dir(study_dir, settings)
    records = run_study(settings, study_dir, echo=echo)
    keys = [p.key for p in settings.params]
    echo(write_results(study_dir, records, keys))
    best = best_trial(records)
    pruned = sum(r.state == "PRUNED" for r in records)
    echo(f"{len(records)} trials: {sum(r.state == 'COMPLETE' for r in records)} complete, "
         f"{pruned} pruned, {sum(r.state == 'FAIL' for r in records)} failed; table: "
         f"{study_dir / TABLE}")
    if best is None:
        echo("no trial completed; no preset written")
        return records
    echo(f"best: trial {best.number}, score {best.score:.1f}, " + ", ".join(
        f"{k}={_short(v)}" for k, v in best.params.items()))
    if out is not None:
        write_preset(out, settings, best, study_dir)
        echo(f"preset: {out} (coachrl train {out})")
    return records
