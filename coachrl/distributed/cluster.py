"""Connecting to Ray: a local session on the loopback interface only, or an existing cluster
(``--address``).

A local session must expose nothing to the network. Ray resolves a node address of 127.0.0.1
to the machine's network address on purpose (so that other nodes could join), and its servers
then listen on every interface; the one switch that keeps a whole single-node session on
loopback is the one Ray uses on macOS and Windows, ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``:
with it the node address is 127.0.0.1 and the GCS, raylet, workers, dashboard agent and
runtime-env agent bind 127.0.0.1 (tests/integration/test_distributed_loopback.py lists the
sockets). It is set only while the local session starts (its processes inherit it), so joining
a real cluster later in the same process is unaffected. Token authentication stays on.

Ray 2.60 turns token authentication on by default, so a driver and a head started separately
must share a token or both run with ``RAY_AUTH_MODE=disabled``; errors here say so.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from coachrl.errors import ClusterError

CONNECT_TIMEOUT = 25.0  # seconds: the CLI promises a clear error within 30 s
AUTH_HINT = ("Ray 2.60 enables token authentication by default: start the head and run coachrl "
             "with the same token, or set RAY_AUTH_MODE=disabled for both (on a trusted network "
             "only). See docs/distributed.md.")


def _reachable(address: str) -> str | None:
    """None when HOST:PORT accepts TCP connections, else why not ('auto' is left to Ray)."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return f"{address!r} is not HOST:PORT"
    try:
        with socket.create_connection((host, int(port)), timeout=5.0):
            return None
    except OSError as exc:
        return f"nothing answers at {address} ({exc.strerror or exc})"


def _init_with_timeout(kwargs: dict[str, Any]) -> None:
    import ray

    outcome: dict[str, BaseException | None] = {"error": None}

    def target() -> None:
        try:
            ray.init(**kwargs)
        except BaseException as exc:  # reported in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(CONNECT_TIMEOUT)
    if thread.is_alive():
        raise ClusterError(f"connecting to the Ray cluster at {kwargs.get('address')!r} took "
                           f"more than {CONNECT_TIMEOUT:g} s. {AUTH_HINT}")
    if outcome["error"] is not None:
        raise outcome["error"]


SINGLE_NODE = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": one node, every server on loopback


@contextmanager
def loopback_only() -> Iterator[None]:
    """While a local Ray session starts: its node is 127.0.0.1 and nothing listens elsewhere.

    The environment variable reaches the processes the session starts, and this process too
    when it imports Ray afterwards; a Ray imported earlier read it at import, so its constant is
    set as well (a private name: where a Ray version lacks it, the variable alone remains)."""
    import importlib

    try:
        ray_constants: Any = importlib.import_module("ray._private.ray_constants")
    except ImportError:  # a Ray without that module: the variable alone
        ray_constants = None
    constant = getattr(ray_constants, "ENABLE_RAY_CLUSTER", None)
    before_env = os.environ.get(SINGLE_NODE)
    os.environ[SINGLE_NODE] = "0"
    if constant is not None:
        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if constant is not None:
            ray_constants.ENABLE_RAY_CLUSTER = constant
        if before_env is None:
            os.environ.pop(SINGLE_NODE, None)
        else:
            os.environ[SINGLE_NODE] = before_env


def connect(address: str | None) -> bool:
    """Attach to ``address`` or start a local Ray; True when this call started or joined it."""
    import ray

    if ray.is_initialized():  # a session the caller (a test, a notebook) already opened
        return False
    if address is None:
        with loopback_only():
            ray.init(address="local", include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        return True
    if address != "auto":
        problem = _reachable(address)
        if problem is not None:
            raise ClusterError(f"--address {address}: {problem}; start a head with `ray start "
                               f"--head --port PORT` or pass --address auto. {AUTH_HINT}")
    kwargs: dict[str, Any] = {"address": address, "log_to_driver": False}
    ip = os.environ.get("RAY_NODE_IP_ADDRESS")
    if ip:
        kwargs["_node_ip_address"] = ip
    try:
        _init_with_timeout(kwargs)
    except ClusterError:
        raise
    except Exception as exc:
        raise ClusterError(f"could not connect to the Ray cluster at --address {address}: "
                           f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}. "
                           f"{AUTH_HINT}") from None
    return True


def disconnect(started: bool) -> None:
    if started:
        import ray

        ray.shutdown()
