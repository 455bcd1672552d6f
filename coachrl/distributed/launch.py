"""``coachrl train --workers N``: connect to Ray, run the distributed trainer, disconnect."""

from __future__ import annotations

from pathlib import Path

from coachrl.distributed.config import DistributedConfig, Mode, resolve_mode
from coachrl.errors import ConfigError
from coachrl.params.base import Preset, RunParams, WorkerMode
from coachrl.runtime.batch import check_dataset
from coachrl.runtime.counters import Outcome


def config_from_run(run: RunParams) -> DistributedConfig:
    """The distributed settings of a run's config (``run.workers`` and its neighbours)."""
    return DistributedConfig(workers=run.workers, envs_per_worker=run.envs_per_worker or None,
                             mode=None if run.mode is WorkerMode.AUTO else Mode(run.mode.value),
                             address=run.address or None, max_restarts=run.max_worker_restarts,
                             worker_timeout=run.worker_timeout)


def require_ray() -> None:
    """Ray comes with coachrl; a broken or missing install is one line, not a traceback."""
    try:
        import ray  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"--workers needs Ray, which failed to import ({exc}); reinstall "
                          "coachrl (pip install -e .) or run pip install 'ray[default]', or "
                          "train with --workers 0") from None


def run_distributed(config: DistributedConfig, preset: Preset, *, run_dir: Path,
                    resume: bool, console: bool = True) -> Outcome:
    """Train with rollout workers; Ray is imported here and only here on the CLI's path."""
    check_dataset(preset)  # a bad combination fails before Ray starts
    resolve_mode(preset, config.mode)
    require_ray()
    from coachrl.distributed.cluster import connect, disconnect

    started = connect(config.address)
    try:
        from coachrl.distributed.trainer import DistributedTrainer

        trainer = DistributedTrainer(preset, run_dir=run_dir, config=config, resume=resume,
                                     console=console)
        print(f"run directory: {run_dir}", flush=True)
        return trainer.run()
    finally:
        disconnect(started)
