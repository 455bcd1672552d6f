"""Synthetic runs with known curves: two coachrl groups (3 and 2 seeds) and one Coach run."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from coachrl.logging.progress_csv import COLUMNS

# Group "Fast_DQN": seed s evaluates at steps 1000, 2000, ... 10000 (seed 2 starts at 500 and
# ends at 10500, so the common grid is 1000..10000) with return step / 100 + (s - 1).
# Group "Slow_PPO": return 50 + 2 * (2 * s - 1), constant, evaluations every 2000 to 10000.
FAST_OFFSETS = (-1.0, 0.0, 1.0)
SLOW_VALUES = (48.0, 52.0)
THRESHOLD = 60.0


def write_progress(path: Path, evaluations: list[tuple[int, float]], *,
                   columns: tuple[str, ...] = COLUMNS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="")
        writer.writeheader()
        for episode, (step, value) in enumerate(evaluations, start=1):
            writer.writerow({"Episode #": episode, "Total steps": step, "In Heatup": 0,
                             "Wall-Clock Time": step / 1000, "Training Reward": value - 5,
                             "Episode Length": 10})
            writer.writerow({"Episode #": episode, "Total steps": step,
                             "Wall-Clock Time": step / 1000, "Evaluation Reward": value})


def write_config(run_dir: Path, *, preset: str, agent: str, seed: int, lr: float) -> None:
    config = {"_type": "coachrl.params.base:Preset", "name": preset,
              "agent": {"_type": f"coachrl.agents.x:{agent}Params", "learning_rate": lr},
              "run": {"seed": seed, "experiment_dir": str(run_dir.parent)},
              "validation": {"min_reward": THRESHOLD}}
    (run_dir / "config.json").write_text(json.dumps(config))
    (run_dir / "metadata.json").write_text(json.dumps({"preset": preset, "seed": seed}))




def make_synthetic_runs(tmp_path: Path) -> dict[str, Path]:
    """Group directories: fast (3 seeds), slow (2 seeds), coach (one Coach CSV, no config)."""
    fast, slow, coach = tmp_path / "fast", tmp_path / "slow", tmp_path / "coach"
    for seed, offset in enumerate(FAST_OFFSETS):
        steps = range(500, 10_501, 1000) if seed == 2 else range(1000, 10_001, 1000)
        run = fast / "Fast_DQN" / f"stamp-seed{seed}"
        write_progress(run / "progress.csv", [(s, s / 100 + offset) for s in steps])
        write_config(run, preset="Fast_DQN", agent="DQN", seed=seed, lr=1e-3)
    for seed, value in enumerate(SLOW_VALUES):
        run = slow / "Slow_PPO" / f"stamp-seed{seed}"
        write_progress(run / "progress.csv", [(s, value) for s in range(2000, 10_001, 2000)])
        write_config(run, preset="Slow_PPO", agent="ClippedPPO", seed=seed, lr=3e-4)
    coach_columns = ("Episode #", "Training Iter", "In Heatup", "ER #Transitions",
                     "Total steps", "Epsilon", "Training Reward", "Evaluation Reward",
                     "Wall-Clock Time", "Episode Length")
    write_progress(coach / "CartPole_DQN" / "2018_01_01-00_00" /
                   "worker_0.simple_rl_graph.main_level.main_level.agent_0.csv",
                   [(s, 20.0 + s / 1000) for s in range(1000, 8001, 1000)],
                   columns=coach_columns)
    return {"fast": fast, "slow": slow, "coach": coach}
