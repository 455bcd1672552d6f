"""Run directories: config.json (the resolved preset), metadata.json, checkpoints/, events, CSV."""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import shutil
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from coachrl.errors import CheckpointError, ConfigError
from coachrl.logging.logger import write_json
from coachrl.params.base import Preset
from coachrl.params.tree import TYPE_KEY, from_jsonable, to_jsonable

CONFIG, METADATA, CHECKPOINTS = "config.json", "metadata.json", "checkpoints"
MODULE_DIRS = "module_dirs"  # metadata key: where the config's non-coachrl classes import from


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in ("coachrl", "torch", "numpy", "gymnasium", "tensorboard"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


def create_run_dir(preset: Preset) -> Path:
    """A fresh ``experiment_dir/PRESET/TIMESTAMP-seedS`` with config.json and metadata.json."""
    root = Path(preset.run.experiment_dir)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = root / preset.name / f"{stamp}-seed{preset.run.seed}"
    run_dir, suffix = base, 1
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK):
            raise PermissionError(f"no write permission on {root}")
        while True:
            try:
                run_dir.mkdir(parents=True)
                break
            except FileExistsError:
                suffix += 1
                run_dir = base.with_name(f"{base.name}-{suffix}")
    except OSError as exc:
        raise ConfigError(f"cannot create the run directory under run.experiment_dir="
                          f"{str(root)!r}: {exc.strerror or exc}; choose a writable directory "
                          "with --experiment-dir") from None
    write_json(run_dir / CONFIG, to_jsonable(preset))
    write_json(run_dir / METADATA, {
        "preset": preset.name, "seed": preset.run.seed, "command": sys.argv,
        "host": socket.gethostname(), "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": _versions(), MODULE_DIRS: _module_dirs(to_jsonable(preset)),
    })
    return run_dir


@contextmanager
def new_run_dir(preset: Preset) -> Iterator[Path]:
    """``create_run_dir``, removed again (with its preset folder, if left empty) when what runs
    in it fails before it holds a checkpoint: a failed start leaves nothing half-made."""
    run_dir = create_run_dir(preset)
    try:
        yield run_dir
    except BaseException:
        checkpoints = run_dir / CHECKPOINTS
        if not (checkpoints.is_dir() and any(checkpoints.iterdir())):
            shutil.rmtree(run_dir, ignore_errors=True)
            with suppress(OSError):
                run_dir.parent.rmdir()  # only if empty
        raise


def _module_dirs(config: Any) -> list[str]:
    """Import roots of the config's classes outside coachrl (an agent file beside a preset)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            module = sys.modules.get(str(node.get(TYPE_KEY, ":")).partition(":")[0].split(".")[0])
            file = getattr(module, "__file__", None)
            if file and module.__name__ != "coachrl":  # type: ignore[union-attr]
                root = Path(file).parent
                root = root.parent if Path(file).name == "__init__.py" else root
                if str(root) not in found:
                    found.append(str(root))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    env_root = _env_module_dir(str(config.get("env", {}).get("env_id", "")))
    return found + ([env_root] if env_root and env_root not in found else [])


def _env_module_dir(env_id: str) -> str | None:
    """Where a user's env class (``--env module:Class``) imports from; None for a registered
    id, coachrl's own envs, or a module that cannot be found."""
    module_name = env_id.partition(":")[0].split(".")[0] if ":" in env_id else ""
    if not module_name or module_name == "coachrl":
        return None
    if os.getcwd() not in sys.path:  # as the env adapter imports it: from here too
        sys.path.append(os.getcwd())
    with suppress(ImportError, ValueError):
        spec = importlib.util.find_spec(module_name)
        if spec is not None and spec.origin:
            origin = Path(spec.origin)
            return str(origin.parent.parent if origin.name == "__init__.py" else origin.parent)
    return None


def load_run_config(run_dir: Path) -> Preset:
    """The preset a run was started with, from its config.json."""
    path = run_dir / CONFIG
    if not path.is_file():
        raise CheckpointError(f"{str(run_dir)!r} is not a coachrl run directory (no {CONFIG}); "
                              "pass the directory `coachrl train` printed at start")
    metadata = run_dir / METADATA
    if metadata.is_file():  # so a user's agent file resolves from any working directory
        for folder in json.loads(metadata.read_text()).get(MODULE_DIRS, []):
            if folder not in sys.path:
                sys.path.append(folder)
    try:
        preset = from_jsonable(json.loads(path.read_text()))
    except (ValueError, TypeError, ImportError, AttributeError, KeyError) as exc:
        raise CheckpointError(f"{path} cannot be read: {exc}") from None
    if not isinstance(preset, Preset):
        raise CheckpointError(f"{path} does not describe a preset")
    return preset


def preset_hparams(preset: Preset) -> dict[str, Any]:
    """Flat ``a.b.c -> value`` hyperparameters, for TensorBoard's HParams view."""
    flat: dict[str, Any] = {}

    def walk(node: Any, prefix: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key != "_type":
                    walk(value, f"{prefix}{key}.")
        else:
            plain = isinstance(node, int | float | str | bool)
            flat[prefix.rstrip(".")] = node if plain else str(node)

    walk(to_jsonable(preset), "")
    return flat
