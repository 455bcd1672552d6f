"""A local ``--workers`` run exposes nothing to the network: every socket that starts listening
while ``coachrl train CartPole_ClippedPPO --workers 2`` runs (Ray's GCS, raylet, workers,
dashboard and runtime-env agents) is bound to the loopback interface.

Listening sockets are read from /proc/net/tcp and /proc/net/tcp6 (state 0A), sampled every
0.2 s while the run lasts; those already listening before it are the machine's, not the run's.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

LISTEN = "0A"
LOOPBACK = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}


def _address(hex_address: str) -> str:
    """The local address of a /proc/net/tcp{,6} entry ("0100007F:1F90" -> 127.0.0.1)."""
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))  # per-word host order
    return socket.inet_ntop(socket.AF_INET6, words)


def listening() -> set[tuple[str, int]]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.is_file():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == LISTEN:
                address, port = fields[1].split(":")
                found.add((_address(address), int(port, 16)))
    return found


def test_proc_net_parsing_reads_a_socket_of_our_own() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert ("127.0.0.1", server.getsockname()[1]) in listening()


@pytest.mark.slow
@pytest.mark.ray
def test_a_local_distributed_run_listens_on_loopback_only(tmp_path: Path) -> None:
    before = listening()
    run = subprocess.Popen(
        [sys.executable, "-m", "coachrl", "train", "CartPole_ClippedPPO", "--workers", "2",
         "--quiet", "--experiment-dir", str(tmp_path), "--set", "schedule.improve_steps=20000"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: set[tuple[str, int]] = set()
    deadline = time.monotonic() + 300
    while run.poll() is None and time.monotonic() < deadline:
        seen |= listening() - before
        time.sleep(0.2)
    output = run.communicate(timeout=60)[0]
    assert run.returncode == 0, output
    assert len(seen) >= 5, f"the run's Ray processes were never seen listening: {seen}"
    exposed = sorted(f"{host}:{port}" for host, port in seen if host not in LOOPBACK)
    assert not exposed, f"listening beyond loopback during the run: {exposed}"
