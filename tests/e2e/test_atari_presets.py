"""The Atari presets from the CLI: each trains for 1,000 env steps on Pong through the DeepMind
pipeline with gradient steps from step 200 on, writes progress.csv and a checkpoint, and
evaluates once; ``coachrl presets`` lists their games. Their learning runs are in
tests/e2e/golden.py's LONG (10M env steps each)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from coachrl.cli import main
from coachrl.registry import load_preset, preset_modules
from coachrl.runtime import checkpoint as ckpt
from coachrl.runtime.run_dir import CHECKPOINTS
from tests import background

pytestmark = pytest.mark.slow

ATARI = sorted(name for name in preset_modules() if name.startswith("Atari_"))
GAMES = ("BeamRider", "Breakout", "Pong", "Qbert", "Seaquest", "SpaceInvaders")
STEPS, LEARNING_STARTS = 1_000, 200
# 400 frames (100 env steps of 4 frames; the time limit counts the ALE env's own steps) end
# Pong's episodes, so that 1,000 steps of any preset's envs finish some and log them
COMMON = (f"schedule.improve_steps={STEPS}", f"schedule.evaluation_period={STEPS}",
          "schedule.evaluation_episodes=1", f"schedule.checkpoint_period={STEPS}",
          "env.max_episode_steps=400")
# replay agents: a small replay, learning from step 200, a gradient step every 16 env steps
# (50 of them) and the target copied every 10
REPLAY = (f"schedule.heatup_steps={LEARNING_STARTS}",
          f"agent.algorithm.learning_starts={LEARNING_STARTS}", "agent.memory.capacity=1000",
          "agent.algorithm.train_frequency=16", "agent.algorithm.target_update_period=10")
# rollout agents: 4 envs; PPO's 8 x 128-step rollouts of 4 epochs cut to 4 x 32 and 1 epoch
ROLLOUT = ("env.n_envs=4",)
CHANGES = {"Atari_ClippedPPO": ("agent.algorithm.rollout_length=32", "agent.algorithm.epochs=1",
                                "agent.algorithm.batch_size=64")}


def _overrides(name: str) -> list[str]:
    replay = hasattr(load_preset(name).agent.algorithm, "learning_starts")
    changes = [*COMMON, *(REPLAY if replay else ROLLOUT), *CHANGES.get(name, ())]
    return [part for change in changes for part in ("--set", change)]


def test_every_atari_preset_is_smoke_tested() -> None:
    assert ATARI == ["Atari_A3C", "Atari_C51", "Atari_ClippedPPO", "Atari_DDQN", "Atari_DQN",
                     "Atari_Dueling_DDQN_with_PER", "Atari_IMPALA", "Atari_IQN",
                     "Atari_QR_DQN", "Atari_Rainbow"], ATARI


# each run is a subprocess whose outcome the test reads: they run beside the suite
# (tests/background.py)
for _name in ATARI:
    background.train_job(f"atari[{_name}]", f"test_an_atari_preset_trains_from_the_cli[{_name}]",
                         _name, *_overrides(_name))


@pytest.mark.parametrize("name", ATARI)
def test_an_atari_preset_trains_from_the_cli(name: str) -> None:
    done = background.outcome(f"atari[{name}]")
    assert done.returncode == 0, done.stdout + done.stderr
    (run_dir,) = background.out_dir(f"atari[{name}]").glob(f"{name}/*")
    with open(run_dir / "progress.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    training = [row for row in rows if row["Training Reward"]]
    assert training and all(-21 <= float(row["Training Reward"]) <= 21 for row in training)
    losses = [float(row["Loss"]) for row in training if row["Loss"]]
    assert losses and np.isfinite(losses).all()  # it trained on the stacked frames
    assert int(training[-1]["Training Iter"]) > 0
    (evaluation,) = [row for row in rows if row["Evaluation Reward"]]
    assert -21 <= float(evaluation["Evaluation Reward"]) <= 21

    (checkpoint,) = ckpt.list_checkpoints(run_dir / CHECKPOINTS)
    _, state = ckpt.read_checkpoint(checkpoint)
    assert state["counters"]["env_steps"] >= STEPS
    train_steps = state["agent"]["train_steps"]
    if name in CHANGES or not hasattr(load_preset(name).agent.algorithm, "learning_starts"):
        assert train_steps > 0
    else:  # a gradient step every 16 env steps from step 200 on
        assert train_steps >= (STEPS - LEARNING_STARTS) // 16 - 1, train_steps


def test_coachrl_presets_lists_the_atari_games(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["presets"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line}
    for name in ATARI:
        assert all(game in lines[name] for game in GAMES), lines[name]
        assert "ALE/Pong-v5" in lines[name]
