"""`coachrl dashboard` argument handling, without starting TensorBoard."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from coachrl.cli import build_parser
from coachrl.dashboards.server import free_port, start_tensorboard, tensorboard_argv
from coachrl.errors import ConfigError


def test_defaults_are_loopback_and_the_experiments_directory() -> None:
    args = build_parser().parse_args(["dashboard"])
    assert (args.logdir, args.host, args.port) == ("experiments", "127.0.0.1", None)


def test_free_port_is_bindable_and_flags_are_passed() -> None:
    port = free_port()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))
    argv = tensorboard_argv(Path("runs"), host="127.0.0.1", port=port)
    assert argv[argv.index("--port") + 1] == str(port) and "--reload_interval" in argv


def test_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        start_tensorboard(tmp_path / "missing")
