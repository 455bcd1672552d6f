"""Datasets for batch RL: ``coachrl collect`` records a trained policy's episodes with the
probability of every action, an HDF5 dataset round-trips, and Coach's CSV datasets load."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from coachrl.api import load
from coachrl.cli import main
from coachrl.core import batch as B
from coachrl.errors import ConfigError
from coachrl.memories.dataset import read_coach_csv, read_dataset, write_dataset
from coachrl.memories.episodic import Episode

pytestmark = pytest.mark.integration


@pytest.mark.slow
def test_collect_records_the_policy_mixed_with_uniform_actions(trained_dqn_run: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "data" / "cartpole.h5"
    assert main(["collect", str(trained_dqn_run), "--episodes", "12", "--epsilon", "0.3",
                 "--out", str(out), "--envs", "4"]) == 0
    episodes, spec = read_dataset(out)
    assert len(episodes) == 12 and spec["source"]["epsilon"] == 0.3
    assert spec["action"] == {"kind": "discrete", "n": 2}
    policy = load(trained_dqn_run)
    for episode in episodes:
        d = episode.data
        np.testing.assert_allclose(d[B.BEHAVIOUR_PROBS].sum(1), 1.0)
        greedy = policy.act(d[B.OBSERVATIONS])  # the policy's action: 1 - 0.3 + 0.3 / 2
        np.testing.assert_allclose(d[B.BEHAVIOUR_PROBS][np.arange(len(greedy)), greedy], 0.85)
        assert d[B.TERMINATED][-1] or d[B.TRUNCATED][-1]
        assert not (d[B.TERMINATED][:-1] | d[B.TRUNCATED][:-1]).any()
        np.testing.assert_array_equal(d[B.NEXT_OBSERVATIONS][:-1], d[B.OBSERVATIONS][1:])
    uniform = tmp_path / "random.h5"
    assert main(["collect", "CartPole_DQN", "--random", "--episodes", "3",
                 "--out", str(uniform)]) == 0
    random_episodes, _ = read_dataset(uniform)
    assert all((e.data[B.BEHAVIOUR_PROBS] == 0.5).all() for e in random_episodes)


def _episode(length: int, offset: float) -> Episode:
    obs = np.arange(length * 4, dtype=np.float32).reshape(length, 4) + offset
    return Episode({B.OBSERVATIONS: obs, B.NEXT_OBSERVATIONS: obs + 1,
                    B.ACTIONS: np.arange(length) % 2, B.REWARDS: np.ones(length, np.float32),
                    B.TERMINATED: np.arange(length) == length - 1,
                    B.TRUNCATED: np.zeros(length, bool),
                    B.BEHAVIOUR_PROBS: np.full((length, 2), 0.5)})


def test_an_hdf5_dataset_round_trips(tmp_path: Path) -> None:
    episodes = [_episode(5, 0.0), _episode(3, 100.0)]
    path = write_dataset(tmp_path / "d.h5", episodes, {"note": "test"})
    loaded, spec = read_dataset(path)
    assert spec == {"format": "coachrl-dataset/1", "note": "test"}
    assert [len(e) for e in loaded] == [5, 3]
    for before, after in zip(episodes, loaded, strict=True):
        for key, value in before.data.items():
            np.testing.assert_array_equal(after.data[key], value)
    with pytest.raises(ConfigError, match="lack the columns"):
        write_dataset(tmp_path / "e.h5", [Episode({B.REWARDS: np.zeros(2)})], {})
    (tmp_path / "other.h5").write_bytes(b"not hdf5")
    with pytest.raises(ConfigError, match="not an HDF5 dataset"):
        read_dataset(tmp_path / "other.h5")


def test_a_coach_csv_dataset_loads_as_episodes(tmp_path: Path) -> None:
    """Coach's batch-RL CSV columns, as its tutorial's CsvDataset reads them (rows out of
    order on purpose)."""
    path = tmp_path / "coach.csv"
    rows = []
    for episode, length in ((0, 3), (1, 2)):
        for t in range(length):
            rows.append({"episode_id": episode, "episode_name": f"e{episode}",
                         "transition_number": t, "state_feature_0": episode * 10 + t,
                         "state_feature_1": -t, "action": t % 2, "reward": 1.0,
                         "all_action_probabilities": json.dumps([0.4, 0.6])})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(reversed(rows))
    episodes = read_coach_csv(path)
    assert [len(e) for e in episodes] == [3, 2]
    first = episodes[0].data
    np.testing.assert_array_equal(first[B.OBSERVATIONS][:, 0], [0, 1, 2])
    np.testing.assert_array_equal(first[B.NEXT_OBSERVATIONS][:2], first[B.OBSERVATIONS][1:])
    np.testing.assert_array_equal(first[B.TERMINATED], [False, False, True])
    np.testing.assert_allclose(first[B.BEHAVIOUR_PROBS], [[0.4, 0.6]] * 3)
    assert read_dataset(path)[1]["format"] == "coach-csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ConfigError, match="lacks Coach's dataset columns"):
        read_coach_csv(bad)


def test_local_minari_datasets_train_and_are_refused_for_estimates(
        trained_dqn_run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import gymnasium as gym
    import minari
    from minari.data_collector import EpisodeBuffer

    monkeypatch.setenv("MINARI_DATASETS_PATH", str(tmp_path / "minari"))
    env = gym.make("CartPole-v1")
    rng = np.random.default_rng(0)
    buffers = []
    for seed in range(5):
        observation, _ = env.reset(seed=seed)
        steps: dict[str, list] = {"observations": [observation], "actions": [], "rewards": [],
                                  "terminations": [], "truncations": []}
        done = False
        while not done:
            action = int(rng.integers(2))
            observation, reward, terminated, truncated, _ = env.step(action)
            for key, value in zip(("observations", "actions", "rewards", "terminations",
                                   "truncations"),
                                  (observation, action, reward, terminated, truncated),
                                  strict=True):
                steps[key].append(value)
            done = terminated or truncated
        buffers.append(EpisodeBuffer(**{k: np.array(v) for k, v in steps.items()}))
    with pytest.warns(UserWarning):  # minari asks for an author, a description...
        minari.create_dataset_from_buffers("cartpole/random-v0", buffers, env=env,
                                           algorithm_name="random")
    episodes, spec = read_dataset("minari:cartpole/random-v0")
    assert len(episodes) == 5 and spec["env_id"] == "CartPole-v1"
    first = episodes[0].data
    assert first[B.OBSERVATIONS].shape == (len(first[B.REWARDS]), 4)
    np.testing.assert_array_equal(first[B.OBSERVATIONS][1:], first[B.NEXT_OBSERVATIONS][:-1])
    assert bool(first[B.TERMINATED][-1]) and np.isnan(first[B.BEHAVIOUR_PROBS]).all()

    assert main(["train", "CartPole_DQN", "--dataset", "minari:cartpole/random-v0",
                 "--epochs", "1", "--quiet", "--experiment-dir", str(tmp_path / "runs"),
                 "--set", "agent.algorithm.batch_size=16"]) == 0
    assert main(["ope", str(trained_dqn_run), "--dataset", "minari:cartpole/random-v0"]) == 2
    assert "action probabilities" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="not a local Minari dataset; local ones: "
                                          "cartpole/random-v0"):
        read_dataset("minari:cartpole/expert-v0")

    # continuous actions: behavioural cloning of Pendulum's uniformly random torques
    pendulum = gym.make("Pendulum-v1")
    observation, _ = pendulum.reset(seed=0)
    steps = {"observations": [observation], "actions": [], "rewards": [], "terminations": [],
             "truncations": []}
    done = False
    while not done:
        action = rng.uniform(-2.0, 2.0, 1).astype(np.float32)
        observation, reward, terminated, truncated, _ = pendulum.step(action)
        for key, value in zip(("observations", "actions", "rewards", "terminations",
                               "truncations"),
                              (observation, action, reward, terminated, truncated), strict=True):
            steps[key].append(value)
        done = terminated or truncated
    with pytest.warns(UserWarning):
        minari.create_dataset_from_buffers(
            "pendulum/random-v0", [EpisodeBuffer(**{k: np.array(v) for k, v in steps.items()})],
            env=pendulum, algorithm_name="random")
    assert main(["train", "CartPole_BC", "--env", "Pendulum-v1", "--dataset",
                 "minari:pendulum/random-v0", "--epochs", "1", "--quiet", "--experiment-dir",
                 str(tmp_path / "bc")]) == 0
    (run_dir,) = (tmp_path / "bc").glob("CartPole_BC/*")
    assert np.isfinite(float(load(run_dir, checkpoint="last").act(np.zeros(3, np.float32))[0]))


def test_a_coach_csv_dataset_trains_a_replay_agent(tmp_path: Path) -> None:
    """Coach's CSV columns written from uniformly random CartPole episodes train CartPole_DQN
    for an epoch, its estimates logged from the CSV's action probabilities."""
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    rng = np.random.default_rng(1)
    rows = []
    for episode in range(6):
        observation, _ = env.reset(seed=episode)
        done, t = False, 0
        while not done:
            action = int(rng.integers(2))
            rows.append({"episode_id": episode, "transition_number": t, "action": action,
                         **{f"state_feature_{i}": float(x) for i, x in enumerate(observation)},
                         "all_action_probabilities": json.dumps([0.5, 0.5])})
            observation, reward, terminated, truncated, _ = env.step(action)
            rows[-1]["reward"] = float(reward)
            done, t = terminated or truncated, t + 1
    path = tmp_path / "coach.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["train", "CartPole_DQN", "--dataset", str(path), "--epochs", "1", "--quiet",
                 "--experiment-dir", str(tmp_path / "runs"),
                 "--set", "agent.algorithm.batch_size=16"]) == 0
    (run_dir,) = (tmp_path / "runs").glob("CartPole_DQN/*")
    with open(run_dir / "progress.csv", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["Evaluation Reward"]]
    assert rows and float(rows[-1]["Epoch"]) >= 1.0
    # uniform logging, greedy target: each step's ratio is 0 or 2, IPS's mean reward near 1
    for row in rows:
        assert 0.5 < float(row["Inverse Propensity Score"]) < 1.5
