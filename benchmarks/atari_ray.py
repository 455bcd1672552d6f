"""Atari with Ray: env steps/s of Atari_ClippedPPO acting in sync mode with 0, 1 and 2 rollout
workers, and frames/s per core beside Sample Factory's published ~3.6k (issue #18).

python -m benchmarks run atari_ray [--repeats 5]   (starts Ray on 127.0.0.1)

Every cell runs the preset's own training loop with everything but the gradient steps: 0
workers is the single-process ``Trainer`` (8 envs acting in numpy); N workers is the
``DistributedTrainer`` in sync mode (``--workers N --mode sync``, 8 envs per worker): each round
every worker collects a 128-step fragment with its behaviour values and log-probs, the learner
puts the fragments side by side in its rollout buffer, and the weights go out again. The
agent's ``train`` is replaced by the rest of an update: ``finish_rollout`` (behaviour values
and log-probs where the steps came without them, bootstrap values, GAE), a buffer reset and a
new weights version (one process: the acting copy reloads the weights; workers: each fetches
the broadcast with its next request). Timed by the loop's own clock (no Ray start, worker
start-up, evaluation or checkpoint); whole rollouts per cell. One env step is 4 frames.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.common import (
    Options,
    Ratio,
    Report,
    Verdict,
    coachrl_trainer,
    interleaved,
    quiet_preset,
    spread,
)

TITLE = "Atari with Ray: Atari_ClippedPPO env steps/s acting in sync mode, 0, 1 and 2 workers"
PRESET = "Atari_ClippedPPO"
METRIC = "env steps/s"
CPU_METRIC = "env steps per CPU s"  # of the learner and worker processes (Ray's own left out)
COUNTS = (0, 1, 2)
# quick: the single process alone; starting Ray and a worker would cost CI 10-15 s more (the
# Ray cells run in full runs, and the one-sync-worker tests run the Atari presets on Ray)
QUICK_COUNTS = (0,)
ROUNDS = 4  # rollouts per worker (or of the single process) in a cell
QUICK = {"envs": 2, "length": 8, "rounds": 2}  # a few seconds: keeps the script working
FRAMES_PER_STEP = 4  # the pipeline repeats each action for 4 frames
SAMPLE_FACTORY = 3_600  # frames/s per core: Sample Factory's published Atari rate (issue #18)


def library(workers: int) -> str:
    return f"coachrl, {workers} worker" + ("" if workers == 1 else "s")


def cores(workers: int) -> int:
    """Cores a cell computes on: the workers; one for the single process, and for one sync
    worker, which waits while the learner takes its fragment and the learner while it collects."""
    return max(workers, 1)


def collect_only(agent: Any) -> None:
    """Replace ``agent.train`` by an update without its gradient steps."""

    def train(step: int) -> dict[str, float]:
        del step
        agent.finish_rollout()
        agent.buffer.reset()
        agent.train_steps += 1  # a new weights version, as an update makes
        agent.sync_acting()
        return {}

    agent.train = train


def overrides(workers: int, quick: bool, seed: int) -> list[str]:
    """The preset at its own 8 envs and 128-step rollouts (quick: tiny ones), budgeted to whole
    rounds: workers count only real steps, so N workers stop half a round early."""
    envs, length, rounds = (
        (QUICK["envs"], QUICK["length"], QUICK["rounds"]) if quick else (8, 128, ROUNDS)
    )
    per_round = max(workers, 1) * envs * length
    steps = rounds * per_round if workers == 0 else rounds * per_round - per_round // 2
    settings = [
        f"env.n_envs={envs}",
        f"agent.algorithm.rollout_length={length}",
        f"schedule.improve_steps={steps}",
        "schedule.evaluation_episodes=1",
        f"run.seed={seed}",
    ]
    if quick:
        settings.append(f"agent.algorithm.batch_size={envs * length}")
    return settings


def rate(workers: int, *, quick: bool, seed: int) -> tuple[float, float]:
    """(env steps/s by the training loop's clock, env steps per CPU second of the learner and
    worker processes over the loop) of one cell."""
    from coachrl.distributed.config import DistributedConfig, Mode
    from coachrl.distributed.trainer import DistributedTrainer
    from coachrl.runtime.run_dir import create_run_dir

    with tempfile.TemporaryDirectory() as workdir:
        if workers == 0:
            trainer = coachrl_trainer(PRESET, overrides(workers, quick, seed), workdir)
        else:
            preset = quiet_preset(PRESET, overrides(workers, quick, seed), workdir)
            trainer = DistributedTrainer(
                preset,
                run_dir=create_run_dir(preset),
                console=False,
                log=False,
                config=DistributedConfig(workers=workers, mode=Mode.SYNC),
            )
        collect_only(trainer.agent)
        pids = [os.getpid(), *(trainer.pool.pids if workers else [])]
        spent = cpu_of_loop(trainer, pids)
        outcome = trainer.run()
    steps = outcome.counters.env_steps
    return steps / outcome.counters.wall_time, steps / spent[0]


def cpu_of_loop(trainer: Any, pids: list[int]) -> list[float]:
    """Wrap the trainer's loop so that it records the CPU seconds ``pids`` spend in it (the
    checkpoint written after it is left out) into the returned one-item list."""
    loop, spent = trainer._loop, [math.nan]

    def measured(start: float) -> str:
        before = cpu_seconds(pids)
        reason = loop(start)
        spent[0] = cpu_seconds(pids) - before
        return reason

    trainer._loop = measured
    return spent


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of the processes (all their threads), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


def run(options: Options) -> Report:
    """Every worker count, interleaved over repeats."""
    report = Report(TITLE)
    counts = QUICK_COUNTS if options.quick else COUNTS

    def measure(repeat: int, *, workers: int) -> None:
        wall, cpu = rate(workers, quick=options.quick, seed=repeat)
        report.add(case(options.quick), library(workers), METRIC, wall, repeat)
        report.add(case(options.quick), library(workers), CPU_METRIC, cpu, repeat)

    with ray_session(cpus=max(counts)):
        interleaved(
            1 if options.quick else options.repeats,
            {library(n): functools.partial(measure, workers=n) for n in counts},
        )
    summarise(report, options.quick)
    return report


@contextmanager
def ray_session(*, cpus: int) -> Iterator[None]:
    """A local Ray session on loopback only, as coachrl's own are, offering ``cpus`` CPUs;
    none for ``cpus`` 0 (the single process needs no Ray)."""
    if cpus == 0:
        yield
        return
    import ray

    from coachrl.distributed.cluster import loopback_only

    with loopback_only():
        ray.init(
            address="local",
            num_cpus=cpus,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    try:
        yield
    finally:
        ray.shutdown()


def case(quick: bool) -> str:
    envs, length = (QUICK["envs"], QUICK["length"]) if quick else (8, 128)
    return f"Pong, {envs} envs per process, {length}-step rollouts"


def summarise(report: Report, quick: bool = False) -> None:
    """Stated figures, no rule (issue #18): env steps/s by worker count with their spread, the
    ratios to the single process, and frames/s per core beside Sample Factory's ~3.6k."""
    name = case(quick)
    report.ratios = [Ratio(name, METRIC, library(n), library(0), "") for n in COUNTS[1:]]
    report.verdicts = [v for v in (_per_core(report, name, n) for n in COUNTS) if v is not None]
    report.notes = [
        f"{name}; {QUICK['rounds'] if quick else ROUNDS} whole rounds per cell; the preset's "
        "training loop without gradient steps (see the module docstring); Ray on 127.0.0.1, one "
        "CPU per worker.",
        f"Per core, {FRAMES_PER_STEP} frames per env step: by the wall clock, over the cores a "
        "cell computes on (0 and 1 worker: 1; 2 workers: 2); by CPU time, frames per CPU "
        "second of the learner and worker processes over the loop (Ray's own processes left "
        "out), which a shared machine's load does not divide. Sample Factory's published rate "
        f"is about {SAMPLE_FACTORY:,} frames/s per core.",
    ]


def _per_core(report: Report, name: str, workers: int) -> Verdict | None:
    def medians(metric: str, scale: float) -> tuple[str, float]:
        values = [
            s.value * scale
            for s in report.samples
            if (s.case, s.library, s.metric) == (name, library(workers), metric)
        ]
        median, low, high, _ = spread(values)
        return f"{median:,.0f} ({low:,.0f}-{high:,.0f})", median

    if not any(s.library == library(workers) and s.case == name for s in report.samples):
        return None
    wall, wall_median = medians(METRIC, FRAMES_PER_STEP / cores(workers))
    cpu, cpu_median = medians(CPU_METRIC, FRAMES_PER_STEP)
    return Verdict(
        name,
        f"frames/s per core ({library(workers)})",
        f"wall {wall} over {cores(workers)} core{'s' if cores(workers) > 1 else ''} "
        f"({wall_median / SAMPLE_FACTORY:.2f}x Sample Factory's ~{SAMPLE_FACTORY:,}); "
        f"per CPU second {cpu} ({cpu_median / SAMPLE_FACTORY:.2f}x)",
        "",
        "",
    )
