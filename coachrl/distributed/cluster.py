"""Connecting to Ray: a local session bound to 127.0.0.1, or an existing cluster (``--address``).

Ray 2.60 turns token authentication on by default, so a driver and a head started separately
must share a token or both run with ``RAY_AUTH_MODE=disabled``; errors here say so.
"""

from __future__ import annotations

import os
import socket
import threading
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


def connect(address: str | None) -> bool:
    """Attach to ``address`` or start a local Ray; True when this call started or joined it."""
    import ray

    if ray.is_initialized():  # a session the caller (a test, a notebook) already opened
        return False
    if address is None:
        ray.init(address="local", include_dashboard=False, _node_ip_address="127.0.0.1",
                 log_to_driver=False, configure_logging=False)
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
