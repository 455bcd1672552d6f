"""Rollout workers on a multi-node Ray cluster, and ``--address`` against a separately started head.

Everything binds to 127.0.0.1. The head started here runs in its own process group, which the
test ends itself (never ``ray stop``, which would end every Ray process on the machine).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import ray  # the [ray] extra, installed with [test]

from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.run_dir import create_run_dir

pytestmark = [pytest.mark.ray, pytest.mark.slow]
# Ray resolves "127.0.0.1" in an address to the machine's outward IP unless this flag is off.
LOCAL = {"RAY_NODE_IP_ADDRESS": "127.0.0.1", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coachrl", "train", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_workers_are_placed_on_both_worker_nodes_and_the_run_finishes(tmp_path: Path,
                                                                      monkeypatch) -> None:
    from ray.cluster_utils import Cluster

    from coachrl.distributed.config import DistributedConfig
    from coachrl.distributed.trainer import DistributedTrainer

    for key, value in LOCAL.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(ray._private.ray_constants, "ENABLE_RAY_CLUSTER", False)
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "node_ip_address": "127.0.0.1", "include_dashboard": False})
    try:
        for name in ("nodeA", "nodeB"):
            cluster.add_node(num_cpus=1, resources={name: 1}, node_ip_address="127.0.0.1")
        port = cluster.address.rsplit(":", 1)[1]
        ray.init(address=f"127.0.0.1:{port}", _node_ip_address="127.0.0.1", log_to_driver=False)
        nodes = {n["NodeID"]: n["Resources"] for n in ray.nodes() if n["Alive"]}
        preset = apply_overrides(load_preset("CartPole_ClippedPPO"), [
            f"run.experiment_dir={tmp_path}", "schedule.improve_steps=1024"])
        trainer = DistributedTrainer(preset, run_dir=create_run_dir(preset), console=False,
                                     config=DistributedConfig(workers=2, envs_per_worker=4))
        placed = {name for node in trainer.pool.nodes for name in ("nodeA", "nodeB")
                  if name in nodes[node]}
        outcome = trainer.run()
        assert placed == {"nodeA", "nodeB"}
        assert outcome.reason == "finished" and outcome.counters.env_steps >= 1024
    finally:
        ray.shutdown()
        cluster.shutdown()


def test_train_and_tune_with_address_join_a_head_started_with_ray_start(tmp_path: Path
                                                                        ) -> None:
    port = _free_port()
    env = {**os.environ, **LOCAL, "RAY_AUTH_MODE": "disabled"}
    ray_cli = str(Path(sys.executable).with_name("ray"))
    head = subprocess.Popen(
        [ray_cli, "start", "--head", "--block", f"--port={port}", "--node-ip-address=127.0.0.1",
         "--num-cpus=2", "--include-dashboard=false", "--disable-usage-stats"],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        done = _cli("CartPole_ClippedPPO", "--workers", "2", "--envs-per-worker", "4",
                    "--address", f"127.0.0.1:{port}", "--quiet", "--experiment-dir",
                    str(tmp_path), "--set", "schedule.improve_steps=1024", env=env)
        assert done.returncode == 0, done.stderr
        assert "finished: " in done.stdout, done.stdout
        too_many = _cli("CartPole_ClippedPPO", "--workers", "3", "--address",
                        f"127.0.0.1:{port}", "--quiet", "--experiment-dir", str(tmp_path),
                        env=env)
        assert too_many.returncode == 2
        assert "--workers 3 needs 3 CPUs but the Ray cluster has 2" in too_many.stderr
        # coachrl tune's trials on the same cluster: the study's one code path
        study = tmp_path / "study"
        tuned = subprocess.run(
            [sys.executable, "-m", "coachrl", "tune", "CartPole_DQN", "--trials", "2",
             "--workers", "2", "--budget", "1000", "--evaluation-period", "500",
             "--param", "agent.learning_rate=loguniform:1e-4:1e-2", "--address",
             f"127.0.0.1:{port}", "--study-dir", str(study)],
            env=env, capture_output=True, text=True, timeout=300)
        assert tuned.returncode == 0, tuned.stdout + tuned.stderr
        assert len((study / "trials.csv").read_text().splitlines()) == 3  # header + 2 trials
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)


def test_an_unreachable_address_is_a_clear_error_within_30_s(tmp_path: Path) -> None:
    start = time.monotonic()
    done = _cli("CartPole_ClippedPPO", "--workers", "1", "--address",
                f"127.0.0.1:{_free_port()}", "--experiment-dir", str(tmp_path),
                env={**os.environ, **LOCAL}, timeout=60)
    assert time.monotonic() - start < 30
    assert done.returncode == 2
    assert "RAY_AUTH_MODE=disabled" in done.stderr and "Traceback" not in done.stderr
