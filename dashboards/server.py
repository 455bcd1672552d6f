"""``coachrl dashboard``: TensorBoard on the experiments directory, on loopback by default."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from coachrl.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
RELOAD_SECONDS = 5  # live refresh while runs are still writing


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def tensorboard_argv(logdir: Path, *, host: str, port: int) -> list[str]:
    """TensorBoard's own flags for one experiments directory."""
    return ["tensorboard", "--logdir", str(logdir), "--host", host, "--port", str(port),
            "--reload_interval", str(RELOAD_SECONDS), "--reload_multifile", "true",
            "--samples_per_plugin", "scalars=2000,images=20,histograms=50"]


def start_tensorboard(logdir: Path, *, host: str = DEFAULT_HOST, port: int | None = None) -> str:
    """Start TensorBoard in this process (background threads) and return its URL.

    Raises:
        ConfigError: the directory does not exist or the address is taken.
    """
    if not logdir.is_dir():
        raise ConfigError(f"experiments directory {str(logdir)!r} does not exist; pass the "
                          "directory `coachrl train` writes to (--experiment-dir, default "
                          "'experiments')")
    from tensorboard import program

    board = program.TensorBoard()
    board.configure(argv=tensorboard_argv(logdir, host=host, port=port or free_port(host)))
    try:
        return str(board.launch())
    except program.TensorBoardServerException as exc:
        raise ConfigError(f"TensorBoard could not start on {host}:{port}: {exc.msg}; choose "
                          "another --port or leave it out for a free one") from None


def serve(logdir: Path, *, host: str = DEFAULT_HOST, port: int | None = None,
          stop: threading.Event | None = None) -> int:
    """Start TensorBoard, print its URL and block until Ctrl-C (or ``stop`` is set)."""
    url = start_tensorboard(logdir, host=host, port=port)
    print(f"TensorBoard for {logdir} at {url}", flush=True)
    print(f"  custom layout: {url.rstrip('/')}/#custom_scalars  (Ctrl-C to stop)", flush=True)
    waiter = stop or threading.Event()
    try:
        while not waiter.wait(3600):
            pass
    except KeyboardInterrupt:
        print("dashboard stopped", flush=True)
    return 0
