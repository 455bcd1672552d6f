"""Threads per process: wall and CPU seconds of ``coachrl train CartPole_ClippedPPO``.

The whole command as a user runs it (its 100k env steps, evaluations and checkpoints
included), once per setting, in a fresh process whose environment names no thread count, so
numpy's OpenBLAS starts its own pool (a thread per core) unless the run caps it:

- ``numpy 1, torch 1``: ``run.numpy_threads=1`` (the default), ``run.torch_threads=1``;
- ``numpy own, torch 1``: ``run.numpy_threads=0``, numpy's own pool;
- ``numpy 1, torch 2``: the learner's torch pool at two threads.

CPU seconds are the child's user + system time (``os.wait4``). Rule of issue #21, fixed before
the first run: the default ``numpy 1, torch 1`` stays if, paired by repeat, its median wall
time is at most 1.05x each other setting's and its median CPU time at most 0.8x numpy's own
pool's; otherwise the other setting's figures decide the default.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from benchmarks.common import Options, Ratio, Report, interleaved

TITLE = "Threads per process: coachrl train CartPole_ClippedPPO, wall and CPU seconds"
PRESET = "CartPole_ClippedPPO"
DEFAULT = "numpy 1, torch 1"
SETTINGS = {
    DEFAULT: ("run.numpy_threads=1", "run.torch_threads=1"),
    "numpy own, torch 1": ("run.numpy_threads=0", "run.torch_threads=1"),
    "numpy 1, torch 2": ("run.numpy_threads=1", "run.torch_threads=2"),
}
POOLS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def train(settings: tuple[str, ...], seed: int, steps: int | None) -> tuple[float, float]:
    """(wall s, CPU s) of one ``coachrl train`` in a fresh process."""
    env = {name: value for name, value in os.environ.items() if name not in POOLS}
    budget = ("--set", f"schedule.improve_steps={steps}") if steps else ()
    with tempfile.TemporaryDirectory() as workdir:
        command = [sys.executable, "-m", "coachrl", "train", PRESET, "--quiet", "--seed",
                   str(seed), "--experiment-dir", workdir, *budget,
                   *(part for setting in settings for part in ("--set", setting))]
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        error = process.stderr.read() if process.stderr else ""
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {error}")
    return wall, usage.ru_utime + usage.ru_stime


def run(options: Options) -> Report:
    report = Report(TITLE)
    steps = 1_024 if options.quick else None  # None: the preset's own budget
    case = f"{PRESET} ({'1,024' if options.quick else '100k'} env steps)"

    def runner(name: str):
        def measure(repeat: int) -> None:
            wall, cpu = train(SETTINGS[name], repeat, steps)
            report.add(case, name, "wall s", wall, repeat)
            report.add(case, name, "CPU s", cpu, repeat)
        return measure

    interleaved(1 if options.quick else options.repeats, {name: runner(name) for name in SETTINGS})
    summarise(report)
    return report


def summarise(report: Report, quick: bool = False) -> None:
    del quick  # the rules are the same
    cases = sorted({sample.case for sample in report.samples})
    for case in cases:
        for other in SETTINGS:
            if other == DEFAULT:
                continue
            report.ratios.append(Ratio(case, "wall s", DEFAULT, other, "<= 1.05",
                                       lambda r: r <= 1.05))
        report.ratios.append(Ratio(case, "CPU s", DEFAULT, "numpy own, torch 1", "<= 0.8",
                                   lambda r: r <= 0.8))
        report.ratios.append(Ratio(case, "CPU s", DEFAULT, "numpy 1, torch 2", ""))
    report.notes.append(
        "Each setting is a fresh `python -m coachrl train` whose environment names no thread "
        "count; CPU s is the child's user + system time. Repeats interleave the settings (ABBA).")
