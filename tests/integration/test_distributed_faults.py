"""Rollout-worker fault tolerance: a killed worker or a crashing env is replaced and counted."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import ray  # the [ray] extra, installed with [test]

from coachrl.errors import WorkerFailed
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.run_dir import create_run_dir

pytestmark = [pytest.mark.ray, pytest.mark.slow]

CRASHING = "coachrl.environments.toy:CrashingEnv"


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    from coachrl.distributed.cluster import loopback_only

    with loopback_only():  # as coachrl's own local sessions: nothing beyond 127.0.0.1
        ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _trainer(preset, cls=None, **config):
    from coachrl.distributed.config import DistributedConfig
    from coachrl.distributed.trainer import DistributedTrainer

    cls = cls or DistributedTrainer
    return cls(preset, run_dir=create_run_dir(preset), console=False,
               config=DistributedConfig(restart_backoff=0.1, **config))


def _ppo(experiment_dir: Path, *overrides: str):
    return apply_overrides(load_preset("CartPole_ClippedPPO"), [
        f"run.experiment_dir={experiment_dir}", "schedule.improve_steps=4096", *overrides])


def test_a_killed_worker_is_replaced_and_the_run_completes(tmp_path: Path) -> None:
    from coachrl.distributed.trainer import DistributedTrainer

    class KillOnce(DistributedTrainer):
        killed = False

        def _ingest(self, fragment):
            super()._ingest(fragment)
            if not self.killed:  # SIGKILL worker 1's process between two iterations
                os.kill(self.pool.pids[1], signal.SIGKILL)
                self.killed = True

    trainer = _trainer(_ppo(tmp_path), KillOnce, workers=2, envs_per_worker=4)
    old_pid = trainer.pool.pids[1]
    outcome = trainer.run()
    assert outcome.reason == "finished" and outcome.counters.env_steps >= 4096
    assert trainer.pool.restarts == 1 and trainer.pool.dropped_fragments == 1
    assert trainer.pool.pids[1] != old_pid
    assert "died" in trainer.pool.last_error


@pytest.mark.parametrize(("crash_on", "crash_after"), [("step", 300), ("reset", 15)])
def test_an_env_crash_is_reported_with_its_traceback_and_the_worker_replaced(
        crash_on: str, crash_after: int, tmp_path: Path) -> None:
    marker = tmp_path / "crashed-once"
    preset = _ppo(tmp_path, f"env.env_id={CRASHING}", "schedule.improve_steps=2048",
                  f'env.env_kwargs={{"length": 20, "crash_after": {crash_after}, '
                  f'"crash_on": "{crash_on}", "once_marker": "{marker}"}}')
    trainer = _trainer(preset, workers=2, envs_per_worker=2)
    outcome = trainer.run()
    assert outcome.reason == "finished"
    assert trainer.pool.restarts == 1
    assert f"env '{CRASHING}' raised" in trainer.pool.last_error  # names the env
    assert "simulated simulator crash" in trainer.pool.last_error
    assert "toy.py" in trainer.pool.last_error  # the env's own traceback, not a generic error
    assert f"in {crash_on}" in trainer.pool.last_error  # the frame that raised


def test_workers_failing_beyond_the_restart_limit_stop_the_run(tmp_path: Path) -> None:
    preset = _ppo(tmp_path, f"env.env_id={CRASHING}",
                  'env.env_kwargs={"length": 20, "crash_after": 50}')
    trainer = _trainer(preset, workers=1, envs_per_worker=2, max_restarts=1)
    with pytest.raises(WorkerFailed,
                       match=r"(?s)max_restarts=1.*CrashingEnv' raised.*simulated simulator crash"):
        trainer.run()


def test_a_hanging_worker_is_timed_out_killed_and_replaced(tmp_path: Path) -> None:
    marker = tmp_path / "hung-once"
    preset = _ppo(tmp_path, "env.env_id=coachrl.environments.toy:HangingEnv",
                  "schedule.improve_steps=2048",
                  f'env.env_kwargs={{"length": 20, "crash_after": 300, '
                  f'"once_marker": "{marker}"}}')
    trainer = _trainer(preset, workers=2, envs_per_worker=2, worker_timeout=4.0)
    hung_pids = set(trainer.pool.pids)
    outcome = trainer.run()
    assert marker.exists()  # an env really hung
    assert outcome.reason == "finished" and outcome.counters.env_steps >= 2048
    assert trainer.pool.restarts == 1 and trainer.pool.dropped_fragments == 1
    assert "gave no answer" in trainer.pool.last_error
    assert len(hung_pids - set(trainer.pool.pids)) == 1  # the hung process was replaced
