"""Checkpoints: a directory of ``arrays.npz`` + ``state.json``, written to a temp dir and renamed.

No pickle anywhere: numpy arrays load with ``allow_pickle=False`` and everything else is JSON, so
loading a checkpoint cannot run code. The format is documented in docs/checkpoints.md.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, cast

import numpy as np

from coachrl.errors import CheckpointError

FORMAT_VERSION = 1
ARRAYS, STATE = "arrays.npz", "state.json"
ARRAY_REF = "__array__"  # JSON placeholder {"__array__": key} for an array stored in arrays.npz
PREFIX = "ckpt-"
PREVIOUS = ".previous"  # suffix of a rewritten checkpoint's old copy while the new one moves in


def _split(tree: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    """Replace every numpy array in ``tree`` by a reference, collecting arrays by path."""
    if isinstance(tree, np.ndarray):
        arrays[path] = tree
        return {ARRAY_REF: path}
    if isinstance(tree, dict):
        return {str(k): _split(v, arrays, f"{path}/{k}") for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return [_split(v, arrays, f"{path}/{i}") for i, v in enumerate(tree)]
    if isinstance(tree, np.generic):
        return tree.item()
    return tree


def _join(tree: Any, arrays: Any) -> Any:
    if isinstance(tree, dict):
        if set(tree) == {ARRAY_REF}:
            return arrays[tree[ARRAY_REF]]
        return {k: _join(v, arrays) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_join(v, arrays) for v in tree]
    return tree


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_checkpoint(directory: Path, name: str, state: dict[str, Any], *,
                     header: dict[str, Any]) -> Path:
    """Write ``state`` atomically as ``directory/name``; a crash leaves older checkpoints intact."""
    directory.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, np.ndarray] = {}
    document = {"format_version": FORMAT_VERSION, **header, "state": _split(state, arrays, "")}
    temp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=directory))
    temp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; a checkpoint gets the usual mode
    try:
        with open(temp / ARRAYS, "wb") as handle:
            np.savez(handle, **cast(dict[str, Any], arrays))  # names are ours, never allow_pickle
            handle.flush()
            os.fsync(handle.fileno())
        _pause_for_tests("files")
        with open(temp / STATE, "w") as handle:
            json.dump(document, handle)
            handle.flush()
            os.fsync(handle.fileno())
        final = directory / name
        _swap_in(temp, final)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return final


def _swap_in(temp: Path, final: Path) -> None:
    """Rename ``temp`` to ``final`` so that a kill at any instant leaves a complete checkpoint
    under ``final`` or, while a rewrite is in flight, under ``final.previous``.

    A rewritten name (``best``) has its old copy moved to ``NAME.previous`` first; that copy is
    deleted only after the new one is in place. If ``NAME`` is missing while ``NAME.previous``
    exists, an earlier rewrite was killed between its two renames: the copy then stays until
    the new checkpoint is in place, and ``resolve`` reads it meanwhile.
    """
    directory, previous = final.parent, final.with_name(final.name + PREVIOUS)
    if final.exists():
        if previous.exists():  # left by a rewrite killed after its swap: stale
            shutil.rmtree(previous)
        os.replace(final, previous)
        _fsync_dir(directory)
    _pause_for_tests("swap")  # complete files not yet in place (for a rewrite: no NAME at all)
    os.replace(temp, final)
    _fsync_dir(directory)
    if previous.exists():
        shutil.rmtree(previous)


def _pause_for_tests(point: str) -> None:
    """Sleep at a named point of a write when COACHRL_CHECKPOINT_PAUSE names it ("POINT:SECONDS"),
    so that a test can aim a SIGKILL at the middle of a write; a no-op otherwise."""
    wanted = os.environ.get("COACHRL_CHECKPOINT_PAUSE")
    if wanted and wanted.split(":")[0] == point:
        time.sleep(float(wanted.split(":")[1]))


def resolve(directory: Path, name: str) -> Path | None:
    """The complete checkpoint stored as ``name``: itself, or the old copy a killed rewrite left
    under ``name.previous``; None when neither exists."""
    for candidate in (directory / name, directory / f"{name}{PREVIOUS}"):
        if (candidate / STATE).is_file() and (candidate / ARRAYS).is_file():
            return candidate
    return None


def read_checkpoint(
    path: Path, *, expect: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load (header, state); refuse a missing, truncated, foreign or other-version checkpoint."""
    if not (path / STATE).is_file() or not (path / ARRAYS).is_file():
        raise CheckpointError(f"{path} is not a coachrl checkpoint (expected {STATE} and {ARRAYS})")
    try:
        document = json.loads((path / STATE).read_text())
        with np.load(path / ARRAYS, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise CheckpointError(f"checkpoint {path} is damaged or truncated: {exc}") from None
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {version}; this coachrl "
                              f"reads version {FORMAT_VERSION}")
    for key, wanted in (expect or {}).items():
        if document.get(key) != wanted:
            raise CheckpointError(f"checkpoint {path} belongs to {key} {document.get(key)!r}, "
                                  f"not {wanted!r}")
    state = _join(document.pop("state"), arrays)
    return document, state


def list_checkpoints(directory: Path) -> list[Path]:
    """Step checkpoints, oldest first (temp dirs of interrupted writes are ignored; a name whose
    rewrite was killed is represented by its ``.previous`` copy)."""
    if not directory.is_dir():
        return []
    names = {p.name.removesuffix(PREVIOUS) for p in directory.iterdir()
             if p.name.startswith(PREFIX) and p.is_dir()}
    found = (resolve(directory, name) or directory / name for name in sorted(names))
    return [path for path in found if path.is_dir()]


def checkpoint_steps(path: Path) -> int:
    """The env steps a checkpoint was taken at, from its header; -1 when it cannot be read."""
    try:
        return int(json.loads((path / STATE).read_text()).get("env_steps", -1))
    except (OSError, ValueError, TypeError):
        return -1


def resume_candidates(directory: Path, best: str) -> list[Path]:
    """Every checkpoint a run can resume from, newest state first: the step checkpoints and the
    best one (whose state is as complete), ordered by env steps, a step checkpoint first on a
    tie."""
    steps = [(int(p.name.removeprefix(PREFIX).removesuffix(PREVIOUS)), 1, p)
             for p in list_checkpoints(directory)]
    best_path = resolve(directory, best)
    if best_path is not None:
        steps.append((checkpoint_steps(best_path), 0, best_path))
    return [path for *_, path in sorted(steps, key=lambda item: item[:2], reverse=True)]


def prune(directory: Path, keep: int) -> None:
    """Keep the newest ``keep`` step checkpoints (``best`` is separate and always kept)."""
    for old in list_checkpoints(directory)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)
    for stale in directory.glob(".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def checkpoint_name(env_steps: int) -> str:
    return f"{PREFIX}{env_steps:012d}"
