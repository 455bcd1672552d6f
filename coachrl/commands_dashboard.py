"""The dashboard-side subcommands: ``dashboard``, ``compare`` and ``train --seeds N``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from coachrl.errors import ConfigError


def add_parsers(commands: argparse._SubParsersAction, train: argparse.ArgumentParser) -> None:
    """Register ``dashboard`` and ``compare``, and ``--seeds`` on ``train``."""
    train.add_argument("--seeds", type=int, metavar="N",
                       help="run N seeds (--seed, --seed+1, ...) into one group directory, "
                            "in parallel when CPUs are free; compare them with `coachrl compare`")
    board = commands.add_parser("dashboard", help="TensorBoard with RL layouts on experiments")
    board.add_argument("logdir", nargs="?", default="experiments",
                       help="experiments directory (default: experiments)")
    board.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    board.add_argument("--port", type=int, help="port (default: a free one)")
    compare = commands.add_parser("compare", help="HTML report comparing runs across seeds")
    compare.add_argument("runs", nargs="+", metavar="RUN_DIR",
                         help="run directories or directories of runs (coachrl or Coach)")
    compare.add_argument("--group-by", choices=("preset", "agent", "tag"), default="preset",
                         help="how runs form groups; tag = the directory named on the command "
                              "line (default preset)")
    compare.add_argument("--x", dest="axis", choices=("env_steps", "wall_time"),
                         default="env_steps", help="x-axis of the curves (default env_steps)")
    compare.add_argument("--threshold", type=float,
                         help="return threshold for steps-to-threshold (default: each preset's)")
    compare.add_argument("--out", default="report.html", help="output file (default report.html)")


def dashboard(args: argparse.Namespace) -> int:
    from coachrl.dashboards.server import serve

    return serve(Path(args.logdir), host=args.host, port=args.port)


def compare(args: argparse.Namespace) -> int:
    from coachrl.dashboards.report import write_report

    out = write_report([Path(p) for p in args.runs], out=Path(args.out), group_by=args.group_by,
                       axis=args.axis, threshold=args.threshold)
    print(f"report: {out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


def parallel_slots(requested: int) -> int:
    """How many seeds to run at once: the CPUs this process may use that are not busy."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = round(os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0
    return max(1, min(requested, (cpus or 1) - busy))


def _seed_argv(args: argparse.Namespace, seed: int, group: Path) -> list[str]:
    argv = [sys.executable, "-m", "coachrl", "train", args.preset, "--seed", str(seed),
            "--experiment-dir", str(group), "--quiet"]
    for override in args.overrides:
        argv += ["--set", override]
    if args.device:
        argv += ["--device", args.device]
    if args.stop_at_threshold:
        argv.append("--stop-at-threshold")
    for flag in ("env", "level", "workers", "envs_per_worker", "mode", "address",
                 "max_worker_restarts", "worker_timeout"):
        value = getattr(args, flag, None)
        if value is not None:
            argv += [f"--{flag.replace('_', '-')}", str(value)]
    if getattr(args, "no_env_check", False):
        argv.append("--no-env-check")
    return argv


def _group_dir(args: argparse.Namespace) -> Path:
    """Check the preset and overrides once, then name the group directory."""
    from coachrl.commands import _cli_overrides
    from coachrl.params.tree import apply_overrides
    from coachrl.registry import load_preset

    preset = load_preset(args.preset)
    preset = apply_overrides(preset, _cli_overrides(args, preset))
    name = preset.name or Path(args.preset).stem
    return Path(preset.run.experiment_dir) / f"{name}-seeds-{time.strftime('%Y%m%d-%H%M%S')}"


def train_seeds(args: argparse.Namespace) -> int:
    """Run seeds ``seed .. seed+N-1`` as child processes, at most ``parallel_slots`` at once."""
    if args.resume:
        raise ConfigError("--seeds starts new runs; it cannot be combined with --resume")
    if args.seeds < 1:
        raise ConfigError(f"--seeds {args.seeds} must be at least 1")
    group = _group_dir(args)
    group.mkdir(parents=True, exist_ok=True)
    first = args.seed or 0
    pending = list(range(first, first + args.seeds))
    slots = parallel_slots(args.seeds)
    print(f"group directory: {group} ({args.seeds} seeds, {slots} at a time)", flush=True)
    running: dict[int, subprocess.Popen[bytes]] = {}
    failed: list[int] = []
    while pending or running:
        while pending and len(running) < slots:
            seed = pending.pop(0)
            log = open(group / f"seed{seed}.log", "wb")  # the child keeps its own copy
            running[seed] = subprocess.Popen(_seed_argv(args, seed, group), stdout=log,
                                             stderr=subprocess.STDOUT)
            log.close()
        time.sleep(0.2)
        for seed, child in list(running.items()):
            if child.poll() is not None:
                del running[seed]
                status = "ok" if child.returncode == 0 else f"failed ({child.returncode})"
                print(f"seed {seed}: {status}; log {group / f'seed{seed}.log'}", flush=True)
                if child.returncode != 0:
                    failed.append(seed)
    print(f"compare the seeds with: coachrl compare {group}", flush=True)
    return 1 if failed else 0


def video_to_tensorboard(run_dir: Path, video: Path, *, step: int) -> None:
    """Show a recorded evaluation video in the run's TensorBoard (Images tab, as a GIF)."""
    import imageio.v2 as imageio

    from coachrl.logging.tensorboard import TensorBoardWriter

    frames = list(imageio.mimread(video, memtest=False))
    writer = TensorBoardWriter(run_dir / "tensorboard")
    try:
        writer.video(f"eval/video/{video.stem}", frames, step)
    finally:
        writer.close()
