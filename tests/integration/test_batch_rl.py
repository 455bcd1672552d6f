"""Batch RL from the CLI: a dataset collected from a trained policy trains behavioural cloning
to that policy's level without stepping the env, a replay agent (DDQN) trains from it too, and
the mistakes a user can make get clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from coachrl.api import load, train
from coachrl.cli import main
from coachrl.collect import collect
from coachrl.errors import ConfigError

pytestmark = [pytest.mark.integration, pytest.mark.slow]
BC = "CartPole_BC"


@pytest.fixture(scope="module")
def dataset(trained_dqn_run: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> tuple[Path, Path]:
    """(the logging run, its dataset of 40 episodes with epsilon 0.2)."""
    out = tmp_path_factory.mktemp("data") / "data.h5"
    path, _ = collect(str(trained_dqn_run), episodes=40, epsilon=0.2, out=out)
    return trained_dqn_run, path


def _evaluations(run_dir: Path) -> list[float]:
    with open(run_dir / "progress.csv", newline="") as handle:
        return [float(r["Evaluation Reward"]) for r in csv.DictReader(handle)
                if r["Evaluation Reward"]]


def _greedy_return(policy, seed: int = 5, episodes: int = 10) -> float:
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    returns = []
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            observation, reward, terminated, truncated, _ = env.step(
                int(policy.act(observation.astype(np.float32))))
            total += float(reward)
            done = terminated or truncated
        returns.append(total)
    return float(np.mean(returns))


def test_behavioural_cloning_reaches_the_logging_policy_from_the_dataset(
        dataset: tuple[Path, Path], tmp_path: Path) -> None:
    logging_run, data = dataset
    assert main(["train", BC, "--dataset", str(data), "--epochs", "5", "--quiet",
                 "--experiment-dir", str(tmp_path)]) == 0
    (run_dir,) = tmp_path.glob("CartPole_BC/*")
    assert len(_evaluations(run_dir)) == 5  # one evaluation per pass
    logged = _greedy_return(load(logging_run))
    cloned = _greedy_return(load(run_dir, checkpoint="last"))
    assert cloned >= 0.7 * logged, (cloned, logged)


def test_a_replay_agent_trains_from_the_dataset_and_bad_requests_are_refused(
        dataset: tuple[Path, Path], tmp_path: Path) -> None:
    _, data = dataset
    assert main(["train", "CartPole_DQN", "--dataset", str(data), "--epochs", "2", "--quiet",
                 "--experiment-dir", str(tmp_path)]) == 0
    (run_dir,) = tmp_path.glob("CartPole_DQN/*")
    assert len(_evaluations(run_dir)) == 2
    with open(run_dir / "progress.csv", newline="") as handle:  # estimates beside evaluations
        rows = [r for r in csv.DictReader(handle) if r["Evaluation Reward"]]
    for row in rows:
        for column in ("Inverse Propensity Score", "Direct Method Reward", "Doubly Robust",
                       "Per-Decision Importance Sampling", "Sequential Direct Method",
                       "Sequential Doubly Robust"):
            assert np.isfinite(float(row[column])), (column, row[column])
    epochs = [float(r["Epoch"]) for r in rows]  # passes done, at the training call that ends one
    assert 1.0 <= epochs[0] < 2.0 <= epochs[1] < 3.0, epochs
    for row in rows:
        # DQN's greedy target and epsilon 0.2 logging: IPS weights each matching step by 1/0.9
        assert 0.0 < float(row["Inverse Propensity Score"]) < 1.0 / 0.9
    with pytest.raises(ConfigError, match="learns from its own rollouts"):
        train("CartPole_ClippedPPO", experiment_dir=tmp_path,
              overrides={"run.dataset": str(data), "run.epochs": 1})
    with pytest.raises(ConfigError, match="one-step replay memory"):
        train("CartPole_DQN", experiment_dir=tmp_path,
              overrides={"run.dataset": str(data), "run.epochs": 1,
                         "agent.memory.n_step": 3})
    with pytest.raises(ConfigError, match="cannot hold the dataset"):
        train("CartPole_DQN", experiment_dir=tmp_path,
              overrides={"run.dataset": str(data), "run.epochs": 1,
                         "agent.memory.capacity": 100, "agent.algorithm.batch_size": 32})
    with pytest.raises(ConfigError, match="CartPole_BC trains from a dataset"):
        train("CartPole_BC", experiment_dir=tmp_path)
    with pytest.raises(ConfigError, match="CartPole_BC trains from a dataset"):
        train("CartPole_BC", experiment_dir=tmp_path, workers=2)  # not online on workers
    with pytest.raises(ConfigError, match="--dataset trains in one process; drop --workers"):
        train("CartPole_BC", experiment_dir=tmp_path, workers=2,
              overrides={"run.dataset": str(data)})
    with pytest.raises(ConfigError, match="does not exist"):
        train("CartPole_DQN", experiment_dir=tmp_path,
              overrides={"run.dataset": str(tmp_path / "missing.h5"), "run.epochs": 1})
    assert not list(tmp_path.glob("CartPole_ClippedPPO/*"))  # failed runs leave no directory


def test_ope_prints_estimates_with_intervals_and_refuses_bad_requests(
        dataset: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    logging_run, data = dataset
    out = tmp_path / "ope.json"
    assert main(["ope", str(logging_run), "--dataset", str(data), "--models", "2",
                 "--fqe-steps", "200", "--resamples", "50", "--measure", "3",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "40 episodes" in printed and "2 FQE models" in printed
    report = json.loads(out.read_text())
    assert set(report["estimates"]) == {"PDIS", "WIS", "SDM", "SDR", "IPS", "DM", "DR"}
    for name in ("IPS", "DM", "DR"):  # one model: each value within its interval
        e = report["estimates"][name]
        assert e["low"] <= e["value"] <= e["high"], (name, e)
    for name in ("SDM", "SDR"):  # pooled over two models' resamples
        e = report["estimates"][name]
        assert np.isfinite(e["value"]) and e["low"] <= e["high"], (name, e)
    assert report["measured"]["episodes"] == 3 and report["measured"]["discounted"] > 0
    # a greedy target and epsilon 0.2 data: every decision's reward is 1, IPS's ratio <= 1/0.9
    assert 0.0 < report["estimates"]["IPS"]["value"] < 1.0 / 0.9
    assert main(["ope", str(logging_run), "--dataset", str(data), "--models", "0"]) == 2
    assert "--models 0 must be at least 1" in capsys.readouterr().err
    assert main(["ope", str(logging_run), "--dataset", str(data), "--confidence", "1.5"]) == 2
    assert "--confidence 1.5" in capsys.readouterr().err
    assert main(["ope", str(logging_run), "--dataset", str(tmp_path / "none.h5")]) == 2
    assert "does not exist" in capsys.readouterr().err
