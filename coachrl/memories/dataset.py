"""Datasets of logged episodes: coachrl's HDF5 format, and Coach's CSV datasets.

An HDF5 dataset (``coachrl collect`` writes one; h5py, the ``[datasets]`` extra) holds one row
per transition, in episode order:

| dataset | shape | what |
|---|---|---|
| ``observations``, ``next_observations`` | [N, ...] | s_t, s_{t+1} (an end's true final one) |
| ``actions`` | [N] | a_t |
| ``rewards`` | [N] float32 | r_{t+1} |
| ``terminated``, ``truncated`` | [N] bool | how the episode ended at this step, if it did |
| ``behaviour_probs`` | [N, A] float64 | mu(.\\|s_t), the logging policy's probabilities |
| ``episode`` | [N] int64 | the episode's index (0, 1, ...) |

and a JSON ``spec`` attribute: the format (``coachrl-dataset/1``), the observation and action
spaces, the env's parameters and how the data was made. Coach's CSV datasets (its batch-RL
tutorial's ``CsvDataset``: ``episode_id``, ``transition_number``, ``state_feature_0..k``,
``action``, ``reward``, ``all_action_probabilities``) load into the same episodes; an
episode's last row there has no next state, so it becomes a terminal step. Minari datasets
that exist locally (``minari:DATASET_ID``, the ``[datasets]`` extra installs minari) load too;
they record no behaviour probabilities (NaN here), so they train agents but give no
off-policy estimates.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.memories.episodic import Episode

FORMAT = "coachrl-dataset/1"
EPISODE = "episode"
COLUMNS = (B.OBSERVATIONS, B.ACTIONS, B.REWARDS, B.NEXT_OBSERVATIONS, B.TERMINATED,
           B.TRUNCATED, B.BEHAVIOUR_PROBS)


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise ConfigError("HDF5 datasets need h5py; install it with: "
                          "pip install 'coachrl[datasets]'") from None
    return h5py


def write_dataset(path: str | Path, episodes: Sequence[Episode], spec: dict[str, Any]) -> Path:
    """Write ``episodes`` (each with every column of ``COLUMNS``) and ``spec`` to ``path``."""
    if not episodes:
        raise ConfigError("a dataset needs at least one episode")
    missing = [c for c in COLUMNS if c not in episodes[0].data]
    if missing:
        raise ConfigError(f"episodes lack the columns {missing}; a dataset holds {COLUMNS}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    h5py = _h5py()
    with h5py.File(path, "w") as handle:
        for column in COLUMNS:
            handle.create_dataset(column, data=np.concatenate([e.data[column] for e in episodes]),
                                  compression="gzip", compression_opts=4)
        handle.create_dataset(EPISODE, data=np.concatenate(
            [np.full(len(e), i, np.int64) for i, e in enumerate(episodes)]))
        handle.attrs["spec"] = json.dumps({"format": FORMAT, **spec})
    return path


def read_dataset(path: str | Path) -> tuple[list[Episode], dict[str, Any]]:
    """The episodes and the spec of an HDF5 dataset (or of a Coach CSV dataset by suffix)."""
    if str(path).startswith(MINARI):
        return read_minari(str(path)[len(MINARI):])
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"dataset {str(path)!r} does not exist")
    if path.suffix == ".csv":
        return read_coach_csv(path), {"format": "coach-csv", "source": str(path)}
    h5py = _h5py()
    try:
        with h5py.File(path, "r") as handle:
            spec = json.loads(handle.attrs.get("spec", "{}"))
            if spec.get("format") != FORMAT:
                raise ConfigError(f"{str(path)!r} is format {spec.get('format')!r}; this coachrl "
                                  f"reads {FORMAT!r} (HDF5) and Coach's CSV datasets")
            data = {column: handle[column][()] for column in (*COLUMNS, EPISODE)}
    except OSError as exc:
        raise ConfigError(f"{str(path)!r} is not an HDF5 dataset: {exc}") from None
    return _split(data), spec


def _split(data: dict[str, NDArray]) -> list[Episode]:
    ends = np.flatnonzero(np.diff(data[EPISODE])) + 1
    bounds = zip(np.r_[0, ends], np.r_[ends, len(data[EPISODE])], strict=True)
    return [Episode({c: data[c][start:stop] for c in COLUMNS}) for start, stop in bounds]


MINARI = "minari:"


def read_minari(dataset_id: str) -> tuple[list[Episode], dict[str, Any]]:
    """The episodes of a local Minari dataset (``minari list local`` names them); their
    behaviour probabilities are unknown (NaN)."""
    try:
        import minari
    except ImportError:
        raise ConfigError("Minari datasets need minari; install it with: "
                          "pip install 'coachrl[datasets]'") from None
    local = sorted(minari.list_local_datasets())
    if dataset_id not in local:
        raise ConfigError(f"{MINARI}{dataset_id} is not a local Minari dataset; local ones: "
                          f"{', '.join(local) or 'none'} (download with `minari download ID`)")
    dataset = minari.load_dataset(dataset_id)
    space = dataset.action_space
    width = int(space.n) if hasattr(space, "n") else 1
    episodes = []
    for episode in dataset.iterate_episodes():
        observations = np.asarray(episode.observations)
        steps = len(episode.rewards)
        episodes.append(Episode({
            B.OBSERVATIONS: observations[:-1], B.NEXT_OBSERVATIONS: observations[1:],
            B.ACTIONS: np.asarray(episode.actions), B.REWARDS: np.asarray(episode.rewards,
                                                                         np.float32),
            B.TERMINATED: np.asarray(episode.terminations, bool),
            B.TRUNCATED: np.asarray(episode.truncations, bool),
            B.BEHAVIOUR_PROBS: np.full((steps, width), np.nan)}))
    env_id = dataset.spec.env_spec.id if dataset.spec.env_spec is not None else None
    return episodes, {"format": "minari", "source": dataset_id, "env_id": env_id}


def read_coach_csv(path: str | Path) -> list[Episode]:
    """Episodes of a Coach CSV dataset, in ``episode_id`` and ``transition_number`` order."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ConfigError(f"{path!s} holds no rows")
    features = sorted((k for k in rows[0] if k.startswith("state_feature_")),
                      key=lambda k: int(k.rsplit("_", 1)[1]))
    needed = {"episode_id", "transition_number", "action", "reward",
              "all_action_probabilities"}
    missing = sorted(needed - set(rows[0]))
    if missing or not features:
        raise ConfigError(f"{path!s} lacks Coach's dataset columns "
                          f"{missing or ['state_feature_0', '...']}")
    rows.sort(key=lambda r: (int(r["episode_id"]), int(r["transition_number"])))
    episodes: list[Episode] = []
    current: list[dict[str, str]] = []
    for row in rows:
        if current and row["episode_id"] != current[-1]["episode_id"]:
            episodes.append(_coach_episode(current, features))
            current = []
        current.append(row)
    episodes.append(_coach_episode(current, features))
    return episodes


def _coach_episode(rows: list[dict[str, str]], features: list[str]) -> Episode:
    states = np.array([[float(r[f]) for f in features] for r in rows], np.float32)
    probabilities = np.array([json.loads(r["all_action_probabilities"]) for r in rows],
                             np.float64)
    terminated = np.zeros(len(rows), bool)
    terminated[-1] = True  # the last row has no next state
    return Episode({
        B.OBSERVATIONS: states, B.NEXT_OBSERVATIONS: np.concatenate([states[1:], states[-1:]]),
        B.ACTIONS: np.array([int(float(r["action"])) for r in rows], np.int64),
        B.REWARDS: np.array([float(r["reward"]) for r in rows], np.float32),
        B.TERMINATED: terminated, B.TRUNCATED: np.zeros(len(rows), bool),
        B.BEHAVIOUR_PROBS: probabilities})
