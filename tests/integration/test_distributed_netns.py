"""Rollout workers across a real network link: a Ray head and a worker node in two Linux network
namespaces joined by a veth pair, the learner beside the head.

The head offers no CPUs, so both rollout workers must run on the other node: their weights and
fragments cross the veth link. Needs root (``ip netns``); CI runs as root.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray  # noqa: F401 - the nodes and driver run Ray: the [ray] extra, installed with [test]

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.netns]

HEAD_IP, WORKER_IP, PORT = "10.231.0.1", "10.231.0.2", 6379  # a fresh namespace: any port is free
DRIVER = """
import json, sys
import ray
from coachrl.distributed.config import DistributedConfig
from coachrl.distributed.trainer import DistributedTrainer
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.run_dir import create_run_dir

preset = apply_overrides(load_preset("CartPole_ClippedPPO"), [
    "schedule.improve_steps=2048", f"run.experiment_dir={sys.argv[1]}"])
config = DistributedConfig(workers=2, envs_per_worker=4, address=sys.argv[2])
ray.init(address=config.address, log_to_driver=False)
trainer = DistributedTrainer(preset, run_dir=create_run_dir(preset), config=config, console=False)
outcome = trainer.run()
ips = {node["NodeID"]: node["NodeManagerAddress"] for node in ray.nodes()}
print(json.dumps({"reason": outcome.reason, "env_steps": outcome.counters.env_steps,
                  "train_steps": trainer.agent.train_steps,
                  "worker_ips": [ips[node] for node in trainer.pool.nodes]}))
"""


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True)


def _kill_namespace(name: str) -> None:
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout
    for pid in pids.split():
        try:
            os.kill(int(pid), signal.SIGKILL)
        except ProcessLookupError:
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2 to make network namespaces")
    suffix = str(os.getpid())
    head, worker = f"crh{suffix}", f"crw{suffix}"
    try:
        _ip("netns", "add", head)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"network namespaces are not available here: {exc.stderr.strip()}")
    try:
        _ip("netns", "add", worker)
        _ip("link", "add", f"vh{suffix}", "type", "veth", "peer", "name", f"vw{suffix}")
        for name, link, address in ((head, f"vh{suffix}", HEAD_IP),
                                    (worker, f"vw{suffix}", WORKER_IP)):
            _ip("link", "set", link, "netns", name)
            _ip("-n", name, "addr", "add", f"{address}/24", "dev", link)
            _ip("-n", name, "link", "set", link, "up")
            _ip("-n", name, "link", "set", "lo", "up")
        yield head, worker
    finally:
        _kill_namespace(worker)
        _kill_namespace(head)


def _in(namespace: str, *command: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(["ip", "netns", "exec", namespace, *command], env=env,
                            start_new_session=True, **kwargs)


def _wait_for_port(namespace: str, address: str, port: int, timeout: float = 60) -> None:
    probe = f"import socket; socket.create_connection(({address!r}, {port}), timeout=1)"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", probe],
                          capture_output=True).returncode == 0:
            return
        time.sleep(0.5)
    raise TimeoutError(f"nothing listens on {address}:{port} in {namespace}")


def test_workers_on_another_network_namespace_train_with_the_learner(
        namespaces: tuple[str, str], tmp_path: Path) -> None:
    head_ns, worker_ns = namespaces
    ray_cli = str(Path(sys.executable).with_name("ray"))
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}  # a private link; see docs/distributed.md
    env.pop("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", None)  # "0" would refuse a second node
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    _in(head_ns, ray_cli, "start", "--head", "--block", f"--port={PORT}",
        f"--node-ip-address={HEAD_IP}", "--num-cpus=0", "--include-dashboard=false",
        "--disable-usage-stats", env=env, **quiet)
    _wait_for_port(head_ns, HEAD_IP, PORT)
    alone = subprocess.run(  # the head alone offers no CPUs: a one-line error that says so
        ["ip", "netns", "exec", head_ns, sys.executable, "-m", "coachrl", "train",
         "CartPole_ClippedPPO", "--workers", "2", "--address", f"{HEAD_IP}:{PORT}", "--quiet",
         "--experiment-dir", str(tmp_path)],
        env={**env, "RAY_NODE_IP_ADDRESS": HEAD_IP}, capture_output=True, text=True, timeout=120)
    assert alone.returncode == 2 and "Traceback" not in alone.stderr
    assert "needs 2 CPUs but the Ray cluster has 0; add nodes that offer CPUs" in alone.stderr
    _in(worker_ns, ray_cli, "start", "--block", f"--address={HEAD_IP}:{PORT}",
        f"--node-ip-address={WORKER_IP}", "--num-cpus=2", "--disable-usage-stats",
        env=env, **quiet)
    probe = (f"import ray; ray.init(address='{HEAD_IP}:{PORT}'); "
             "print(ray.cluster_resources().get('CPU', 0))")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the worker node has registered its CPUs
        seen = subprocess.run(["ip", "netns", "exec", head_ns, sys.executable, "-c", probe],
                              env={**env, "RAY_NODE_IP_ADDRESS": HEAD_IP},
                              capture_output=True, text=True)
        if seen.stdout.strip().endswith("2.0"):
            break
        time.sleep(1)
    driver = subprocess.run(
        ["ip", "netns", "exec", head_ns, sys.executable, "-c", DRIVER, str(tmp_path),
         f"{HEAD_IP}:{PORT}"],
        env={**env, "RAY_NODE_IP_ADDRESS": HEAD_IP}, capture_output=True, text=True,
        timeout=300)
    assert driver.returncode == 0, driver.stdout + driver.stderr
    result = json.loads(driver.stdout.strip().splitlines()[-1])
    assert result["reason"] == "finished" and result["env_steps"] >= 2048
    assert result["train_steps"] > 0
    assert result["worker_ips"] == [WORKER_IP, WORKER_IP]  # both across the link
