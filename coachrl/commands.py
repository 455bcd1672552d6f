"""What each ``coachrl`` subcommand does, given parsed arguments."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from coachrl.api import find_checkpoint
from coachrl.errors import ConfigError
from coachrl.params.base import Preset
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset, preset_modules
from coachrl.runtime.run_dir import CHECKPOINTS, load_run_config, new_run_dir

if TYPE_CHECKING:
    from coachrl.runtime.counters import Outcome

EXIT_INTERRUPTED = 130


def _env_overrides(args: argparse.Namespace, preset: Preset) -> list[str]:
    """--env ID, --level NAME and --no-env-check as ``env.*`` assignments."""
    env, level = getattr(args, "env", None), getattr(args, "level", None)
    if level is not None and env is not None:
        raise ConfigError("--env and --level both choose the env; give one of them")
    overrides = preset.level_assignments(level) if level is not None else []
    if env is not None:
        overrides.append(f"env.env_id={env}")
    if getattr(args, "no_env_check", False):
        overrides.append("env.check=false")
    return overrides


def _cli_overrides(args: argparse.Namespace, preset: Preset) -> list[str]:
    overrides = [*_env_overrides(args, preset), *args.overrides]
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    if args.experiment_dir:
        overrides.append(f"run.experiment_dir={args.experiment_dir}")
    if args.device:
        overrides.append(f"run.device={args.device}")
    if args.stop_at_threshold:
        overrides.append("run.stop_at_threshold=true")
    for flag in ("dataset", "epochs"):
        if getattr(args, flag, None) is not None:
            overrides.append(f"run.{flag}={getattr(args, flag)}")
    # the distributed flags are shortcuts for run.* settings, saved in config.json
    for flag, key in WORKER_FLAGS:
        value = getattr(args, flag, None)
        if value is not None:
            overrides.append(f"run.{key}={value}")
    return overrides


WORKER_FLAGS = (("workers", "workers"), ("envs_per_worker", "envs_per_worker"), ("mode", "mode"),
                ("address", "address"), ("max_worker_restarts", "max_worker_restarts"),
                ("worker_timeout", "worker_timeout"))


def train(args: argparse.Namespace) -> int:
    if args.resume:
        preset = load_run_config(Path(args.resume))  # its worker settings included
        changed = [f"--{flag.replace('_', '-')}" for flag, _ in WORKER_FLAGS
                   if getattr(args, flag, None) is not None]
        changed += [f"--{flag}" for flag in ("env", "level") if getattr(args, flag, None)]
        if args.overrides or changed:
            raise ConfigError(f"{' and '.join(['--set', *changed] if args.overrides else changed)}"
                              " cannot change a resumed run (it resumes with the settings in "
                              "its config.json); start a new run instead")
        outcome = _run(args, preset, Path(args.resume), resume=True)
    elif args.preset:
        preset = load_preset(args.preset)
        preset = apply_overrides(preset, _cli_overrides(args, preset))
        with new_run_dir(preset) as run_dir:  # removed again if training cannot start
            outcome = _run(args, preset, run_dir, resume=False)
    else:
        raise ConfigError("train needs a PRESET (see `coachrl presets`) or --resume RUN_DIR")
    _print_summary(preset, outcome)
    if outcome.reason == "interrupted":
        print(f"stopped by {outcome.stop_signal}; resume with: coachrl train --resume "
              f"{outcome.run_dir}",
              flush=True)
        return EXIT_INTERRUPTED
    return 0


def _run(args: argparse.Namespace, preset: Preset, run_dir: Path, *, resume: bool) -> Outcome:
    from coachrl.runtime.batch import trainer_for

    if preset.run.workers:
        from coachrl.distributed.launch import config_from_run, run_distributed

        return run_distributed(config_from_run(preset.run), preset, run_dir=run_dir,
                               resume=resume, console=not args.quiet)
    trainer = trainer_for(preset, run_dir=run_dir, resume=resume, console=not args.quiet)
    print(f"run directory: {run_dir}", flush=True)
    return trainer.run()


def _print_summary(preset: Preset, outcome: Outcome) -> None:
    c = outcome.counters
    threshold = preset.validation.min_reward
    reached = (f"reached {threshold:g} at {c.threshold_step:,} env steps"
               if c.threshold_step is not None else f"did not reach {threshold:g}")
    last = "-" if c.last_eval is None else f"{c.last_eval:.1f}"
    print(f"{outcome.reason}: {c.env_steps:,} env steps, {c.episodes:,} episodes, "
          f"{c.wall_time:.1f} s; last eval {last}; {reached}")
    print(f"checkpoints: {outcome.run_dir / CHECKPOINTS}", flush=True)


def _require_display() -> None:
    """--render opens a window: a clear error where there is no display to open it on."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        raise ConfigError("--render opens a window, but this machine has no display (DISPLAY "
                          "and WAYLAND_DISPLAY are unset); record the episode instead with "
                          "--video")


def _watch(trainer: Any) -> None:
    """One deterministic episode in a window (the env's human render mode)."""
    from coachrl.registry import env_adapter
    from coachrl.runtime.evaluation import evaluate as run_episode

    env = env_adapter()(trainer.preset.env, seed=trainer.preset.run.seed, n_envs=1,
                        render_mode="human", training=False)
    try:
        run_episode(trainer.agent, env, step=trainer.counters.env_steps,
                    observe=trainer.observation_filter)
    finally:
        env.close()


def evaluate(args: argparse.Namespace) -> int:
    from coachrl.runtime.loop import Trainer
    from coachrl.runtime.video import record_video

    if args.episodes < 1:
        raise ConfigError(f"--episodes {args.episodes} must be at least 1")
    if getattr(args, "render", False):
        _require_display()
    if Path(args.target).suffix in (".npz", ".onnx"):
        return _evaluate_exported(args)
    run_dir, checkpoint = find_checkpoint(Path(args.target), args.checkpoint)
    preset = load_run_config(run_dir)
    overrides = [f"schedule.evaluation_episodes={args.episodes}"]
    if args.seed is not None:
        overrides.append(f"run.seed={args.seed}")
    preset = apply_overrides(preset, overrides)
    trainer = Trainer(preset, run_dir=run_dir, console=False, log=False)
    trainer.load_checkpoint(checkpoint, evaluation_state=False)
    if getattr(args, "render", False):
        _watch(trainer)
    result = trainer.evaluate_now()
    returns = result.returns
    print(f"checkpoint: {checkpoint}")
    _print_returns(returns)
    if args.video:
        path = record_video(trainer, run_dir / "videos", name=checkpoint.name)
        print(f"video: {path}")
        from coachrl.commands_dashboard import video_to_tensorboard

        video_to_tensorboard(run_dir, path, step=trainer.counters.env_steps)
    return 0


def _print_returns(returns: Any) -> None:
    print(f"episodes: {len(returns)}  mean return: {returns.mean():.2f}  std: {returns.std():.2f}  "
          f"min: {returns.min():.1f}  max: {returns.max():.1f}")


def _evaluate_exported(args: argparse.Namespace) -> int:
    from coachrl.deploy import evaluate_exported

    if args.video or getattr(args, "render", False):
        raise ConfigError("--video and --render evaluate a run directory; an exported policy "
                          "is evaluated without them")
    result = evaluate_exported(args.target, episodes=args.episodes, seed=args.seed)
    print(f"policy: {args.target}")
    _print_returns(result.returns)
    return 0


def export(args: argparse.Namespace) -> int:
    from coachrl.deploy import export_run

    which = "last" if args.checkpoint == "latest" else args.checkpoint
    for path in export_run(args.target, format=args.format, out=args.out, checkpoint=which):
        print(f"wrote {path} ({path.stat().st_size / 1024:.1f} KiB)")
    return 0


def tune(args: argparse.Namespace) -> int:
    from coachrl.tune import ParamRange, TuneSettings
    from coachrl.tune import tune as run_tune

    settings = TuneSettings(
        preset=args.preset, params=[ParamRange.parse(p) for p in args.params],
        trials=args.trials, budget=args.budget, seed=args.seed, workers=args.workers,
        address=args.address, evaluation_period=args.evaluation_period,
        startup_trials=args.startup_trials, overrides=list(args.overrides))
    study_dir = Path(args.study_dir or Path("experiments") / "tune" / Path(args.preset).stem)
    run_tune(settings, study_dir, out=Path(args.out) if args.out else None)
    return 0


def collect(args: argparse.Namespace) -> int:
    from coachrl.collect import collect as record

    path, episodes = record(args.target, episodes=args.episodes, out=args.out,
                            epsilon=args.epsilon, random=args.random,
                            stochastic=args.stochastic, seed=args.seed, n_envs=args.envs)
    returns = [float(e.data["rewards"].sum()) for e in episodes]
    print(f"wrote {path}: {len(episodes)} episodes, {sum(len(e) for e in episodes):,} "
          f"transitions, mean return {np.mean(returns):.1f} ({path.stat().st_size / 1024:.0f} "
          "KiB)")
    return 0


def ope(args: argparse.Namespace) -> int:
    from coachrl.ope import estimate, measured_return

    if not 0.0 < args.confidence < 1.0:
        raise ConfigError(f"--confidence {args.confidence} must lie in (0, 1)")
    report = estimate(args.target, args.dataset, checkpoint=args.checkpoint,
                      discount=args.discount, models=args.models, fqe_steps=args.fqe_steps,
                      resamples=args.resamples, confidence=args.confidence, seed=args.seed)
    print(f"{report.episodes} episodes, {report.transitions:,} decisions; discount "
          f"{report.discount:g}; {report.models} FQE models; {args.confidence:.0%} intervals")
    print("\n".join(report.lines()))
    out: dict[str, Any] = {"discount": report.discount, "estimates": {
        e.name: {"value": e.value, "low": e.low, "high": e.high}
        for e in report.estimates.values()}}
    if args.measure:
        discounted, returns = measured_return(args.target, episodes=args.measure,
                                              discount=report.discount,
                                              checkpoint=args.checkpoint, seed=args.seed)
        print(f"measured over {args.measure} episodes: discounted return "
              f"{discounted.mean():.3f} (std {discounted.std():.3f}), return "
              f"{returns.mean():.1f}")
        out["measured"] = {"discounted": float(discounted.mean()),
                           "return": float(returns.mean()), "episodes": args.measure}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


def presets(args: argparse.Namespace) -> int:
    del args
    rows = []
    for name in sorted(preset_modules()):
        preset = load_preset(name)
        agent = type(preset.agent).agent_path.rsplit(":", 1)[-1]
        v = preset.validation
        budget = (f"{preset.run.epochs} epochs of --dataset" if preset.run.epochs
                  else f"{int(v.max_env_steps):,}")
        rows.append((name, preset.env.env_id, agent,
                     f">= {v.min_reward:g} over {int(v.episodes)} episodes", budget,
                     ", ".join(sorted(preset.levels)) or "-"))
    header = ("preset", "env", "agent", "threshold", "step budget", "levels")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0
