"""Exact resume: 2N steps straight equals N steps, stop, resume for N more (same seed)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from coachrl.logging.progress_csv import DETERMINISTIC_COLUMNS
from coachrl.params import Preset
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset, preset_modules
from coachrl.runtime import checkpoint as ckpt
from coachrl.runtime.batch import trainer_for
from coachrl.runtime.run_dir import CHECKPOINTS, create_run_dir, load_run_config

HALF = 2_000
# overrides that keep a preset's resume check short; every registered preset gets a case (a
# new one with no overrides), so a preset added without an exact-resume check cannot exist
SHORTER = {
    "CartPole_DQN": [
        "schedule.heatup_steps=300", "agent.algorithm.learning_starts=300",
        "agent.algorithm.train_frequency=64", "agent.algorithm.gradient_steps=8",
        "agent.memory.save_in_checkpoint=true",
    ],
    "CartPole_ClippedPPO": ["agent.algorithm.epochs=2"],
    "CartPole_A3C": [],
    "Acrobot_DDQN": [  # four gradient steps every 4 env steps: one, from step 300
        "schedule.heatup_steps=300", "agent.algorithm.learning_starts=300",
        "agent.algorithm.gradient_steps=1", "agent.memory.save_in_checkpoint=true",
    ],
    "ExplorationChain_Bootstrapped_DQN": ["agent.memory.save_in_checkpoint=true"],
    "ExplorationChain_UCB_DQN": ["agent.memory.save_in_checkpoint=true"],
    # small networks, a gradient step every 4 env steps: one per env step at 256-256 is slow
    # (these and their MuJoCo and DMC kin were 241 s of a 3,273 s run of the suite, 2026-12-02)
    "Pendulum_SAC": [
        "agent.network.hidden_sizes=[32, 32]", "agent.algorithm.batch_size=32",
        "agent.memory.capacity=10000", "agent.memory.save_in_checkpoint=true",
        "agent.algorithm.train_frequency=4",
    ],
}
# TD3 and DDPG: 10k random steps first would leave nothing to train; SAC's small networks
SHORTER |= {name: ["schedule.heatup_steps=100", "agent.algorithm.learning_starts=100",
                   *SHORTER["Pendulum_SAC"]] for name in ("Pendulum_TD3", "Pendulum_DDPG")}
SHORTER["CartPole_PPO"] = SHORTER["CartPole_ClippedPPO"]
# whole episodes in replay and the relabelling generator's state (coachrl/agent/replay.py)
SHORTER["BitFlip_DQN_HER"] = SHORTER["BitFlip_DQN"] = ["agent.memory.save_in_checkpoint=true"]
# 4 x 1,024-step rollouts would train nothing in 4,000 steps: 4 x 128, the checkpoint mid-rollout
SHORTER["Pendulum_ClippedPPO"] = ["agent.algorithm.rollout_length=128", "agent.algorithm.epochs=2"]
# the MuJoCo presets: as Pendulum's (1,000 random steps cut to 100), and PPO's 2,048-step
# rollouts cut to 512 so that the check trains several times; MuJoCo's physics state is in the
# checkpoint (environments/snapshot.py)
SHORTER |= {f"Mujoco_{agent}": SHORTER["Pendulum_TD3"] for agent in ("SAC", "TD3", "DDPG")}
SHORTER["Mujoco_ClippedPPO"] = ["agent.algorithm.epochs=2", "agent.algorithm.rollout_length=512"]
# DeepMind Control's SAC as MuJoCo's, its 1,000-step episodes cut to 200 so that several end and
# are replayed from their reset on resume (environments/snapshot.py)
SHORTER["DMC_SAC"] = [*SHORTER["Mujoco_SAC"], "env.max_episode_steps=200"]
# Fetch's DDPG with hindsight as MuJoCo's (its relabelling generator and episodes in replay,
# MuJoCo's state in the checkpoint)
SHORTER["Fetch_DDPG_HER"] = SHORTER["Mujoco_DDPG"]
# the Box2D replay presets as MuJoCo's, in 100-step episodes (each replayed from its reset)
SHORTER |= {name: [*SHORTER["Mujoco_SAC"], "env.max_episode_steps=100"]
            for name in ("LunarLanderContinuous_SAC", "BipedalWalker_TD3")}
# the recurrent PPO's 20 epochs of whole-sequence minibatches through the LSTM: 2 (the state
# a rollout starts from and the memory's sequences are the same after 2; 33 s of that run)
SHORTER["CartPoleNoVel_ClippedPPO_LSTM"] = ["agent.algorithm.epochs=2"]
# the value family's presets keep their env's DQN replay cadence: so does their check
SHORTER["Acrobot_QR_DQN"] = SHORTER["Acrobot_DDQN"]
# the Box2D presets: LunarLander_DQN has Acrobot's values; PPO's 16 x 1,024-step rollouts cut to
# 16 x 64, so that the checkpoint falls mid-rollout. Box2D's state is in no snapshot: each env's
# episode is replayed from its reset (environments/snapshot.py's ReplayFromReset)
SHORTER["LunarLander_DQN"] = SHORTER["Acrobot_DDQN"]
SHORTER["LunarLander_ClippedPPO"] = ["agent.algorithm.epochs=2",
                                     "agent.algorithm.rollout_length=64"]
SHORTER |= {f"CartPole_{agent}": SHORTER["CartPole_DQN"] for agent in (
    "DDQN", "Dueling_DDQN", "C51", "QR_DQN", "IQN", "Rainbow", "Bootstrapped_DQN", "UCB_DQN", "PAL",
    "MMC", "NEC", "Munchausen_DQN")}
# the Atari presets: Pong cut to 400 frames (100 env steps) an episode, so that the check logs
# 40 episodes; the replay ones learn from step 300 every 64 steps with their replay (frames
# kept once) and ALE's state in the checkpoint, the rollout ones run 2 envs (Clipped PPO 64-step
# rollouts of one epoch)
ATARI_SHORTER = ["env.max_episode_steps=400"]
SHORTER |= {f"Atari_{agent}": [*ATARI_SHORTER, "schedule.heatup_steps=300",
                               "agent.algorithm.learning_starts=300", "agent.memory.capacity=5000",
                               "agent.algorithm.train_frequency=64",
                               "agent.algorithm.target_update_period=10",
                               "agent.memory.save_in_checkpoint=true"]
            for agent in ("DQN", "DDQN", "Dueling_DDQN_with_PER", "C51", "QR_DQN", "IQN",
                          "Rainbow")}
SHORTER |= {f"Atari_{agent}": [*ATARI_SHORTER, "env.n_envs=2"] for agent in ("A3C", "IMPALA")}
SHORTER["Atari_ClippedPPO"] = [*ATARI_SHORTER, "env.n_envs=2", "agent.algorithm.rollout_length=64",
                               "agent.algorithm.epochs=1", "agent.algorithm.batch_size=64"]
# the Doom presets: replay (their frames) in the checkpoint, smaller, and their CNN trained
# every 16 env steps rather than 4; ViZDoom's game state is rebuilt on resume by replaying each
# env's episode (environments/doom.py)
SHORTER |= {name: ["agent.memory.save_in_checkpoint=true", "agent.memory.capacity=1000",
                   "schedule.heatup_steps=500", "agent.algorithm.learning_starts=500",
                   "agent.algorithm.train_frequency=16"]
            for name in ("Doom_Basic_DQN", "Doom_Health_Gathering_DQN")}
# Presets whose resume two other cases make: one with the same agent (its algorithm, memory and
# network kinds), one with an env of the same family (its state in the checkpoint: MuJoCo's
# physics, ALE's cloned state, ViZDoom's replayed episode). The first four were about 125 s of a
# 2,372 s run of the suite; Atari_Rainbow, Atari_ClippedPPO and Doom_Basic_DQN 52, 41 and 38 s of
# a 2,343 s one (2026-12-02). Atari's rollouts in a checkpoint: the candidates' case below.
# test_a_left_out_preset_matches_its_stand_ins checks that each pair still matches.
STAND_INS = {"Mujoco_SAC": ("Pendulum_SAC", "Mujoco_ClippedPPO"),
             "Mujoco_TD3": ("Pendulum_TD3", "Mujoco_ClippedPPO"),
             "Mujoco_DDPG": ("Pendulum_DDPG", "Mujoco_ClippedPPO"),
             "Doom_Basic_Dueling_DDQN": ("CartPole_Dueling_DDQN", "Doom_Health_Gathering_DQN"),
             "Doom_Basic_DQN": ("CartPole_DQN", "Doom_Health_Gathering_DQN"),
             "Atari_Rainbow": ("CartPole_Rainbow", "Atari_DQN"),
             "Atari_ClippedPPO": ("CartPole_ClippedPPO", "Atari_DQN")}
# the Atari presets registered on 2026-12-02: each one's agent has a CartPole case (Atari's PER
# preset the variant below), Atari_DQN's case puts ALE's state in a checkpoint, and the rollout
# agents' Atari rollouts are in one: test_atari_rollout_presets_resume_exactly
STAND_INS |= {f"Atari_{agent}": (f"CartPole_{agent}", "Atari_DQN")
              for agent in ("DDQN", "C51", "QR_DQN", "IQN", "A3C", "IMPALA")}
STAND_INS["Atari_Dueling_DDQN_with_PER"] = ("CartPole_Dueling_DDQN+prioritized", "Atari_DQN")
# Acrobot's QR-DQN and batch BCQ and LunarLander's DQN: their agents have CartPole cases, their
# envs Acrobot_DDQN's and LunarLander_ClippedPPO's (each Box2D episode replayed from its reset);
# 18, 14 and 15 s of a 2,476 s run of the suite (2026-12-02)
STAND_INS |= {"Acrobot_QR_DQN": ("CartPole_QR_DQN", "Acrobot_DDQN"),
              "Acrobot_DDQN_BCQ_BatchRL": ("CartPole_DDQN_BCQ_BatchRL", "Acrobot_DDQN"),
              "LunarLander_DQN": ("CartPole_DQN", "LunarLander_ClippedPPO")}
CASES = {name: SHORTER.get(name, []) for name in preset_modules() if name not in STAND_INS}
CASES["CartPole_DQN+prioritized"] = [*CASES["CartPole_DQN"], "agent.memory.kind=prioritized"]
# 3-step returns: the partial sequences of every env are in the checkpoint (8 envs, so a
# checkpoint almost always falls in the middle of some env's window)
CASES["CartPole_DQN+3step"] = [*CASES["CartPole_DQN+prioritized"], "agent.memory.n_step=3",
                               "env.n_envs=8"]
CASES["CartPole_Dueling_DDQN+prioritized"] = [*CASES["CartPole_Dueling_DDQN"],
                                              "agent.memory.kind=prioritized"]
# NoisyNet: the acting noise and when it was drawn are in the checkpoint
CASES["CartPole_DQN+noisy"] = [*CASES["CartPole_DQN"], "agent.algorithm.noisy=true",
                               "agent.algorithm.noise_resample_period=4"]


# Atari_DQN stops at 1,000 of 2,000 steps (20 of Pong's cut episodes): every step acts
# through the Nature CNN, and at 4,000 it was 63 s of that run
HALF_OF = {"Atari_DQN": 1_000}


def _preset(name: str, experiment_dir: Path, batch: list[str]):
    """``batch``: a batch-RL preset's dataset and step units; its HALF is in transitions
    trained on, and it evaluates 20 times (its progress rows)."""
    period = 200 if batch else 1000
    half = HALF_OF.get(name, HALF)
    common = [f"schedule.improve_steps={2 * half}", f"schedule.checkpoint_period={half}",
              f"schedule.evaluation_period={period}", "schedule.evaluation_episodes=3",
              f"run.experiment_dir={experiment_dir}", "run.seed=3"]
    return apply_overrides(load_preset(name.split("+")[0]), common + batch + CASES[name])


def _final_state(run_dir: Path) -> dict[str, Any]:
    _, state = ckpt.read_checkpoint(ckpt.list_checkpoints(run_dir / CHECKPOINTS)[-1])
    state["counters"].pop("wall_time")
    return state


def _rows(run_dir: Path) -> list[list[str]]:
    with open(run_dir / "progress.csv", newline="") as handle:
        return [[row[c] for c in DETERMINISTIC_COLUMNS] for row in csv.DictReader(handle)]


def _assert_same(a: Any, b: Any, path: str = "") -> None:
    if isinstance(a, dict):
        assert set(a) == set(b), f"{path}: keys differ"
        for key in a:
            _assert_same(a[key], b[key], f"{path}/{key}")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}/{index}")
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _straight_and_split(make: Callable[[Path], Preset], tmp_path: Path,
                        half: int) -> tuple[Path, Path]:
    """The run dirs of ``make(experiment_dir)`` run straight, and stopped once past ``half``
    env steps and resumed."""
    straight = make(tmp_path / "straight")
    straight_dir = create_run_dir(straight)
    trainer_for(straight, run_dir=straight_dir, console=False).run()

    split = make(tmp_path / "split")
    split_dir = create_run_dir(split)
    first = trainer_for(split, run_dir=split_dir, console=False)
    periodic = first._periodic

    def stop_at_half() -> bool:
        if first.counters.env_steps >= half:
            first.request_stop("test")
        return periodic()

    first._periodic = stop_at_half  # type: ignore[method-assign]
    assert first.run().reason == "interrupted"
    assert half <= first.counters.env_steps < 2 * half
    trainer_for(load_run_config(split_dir), run_dir=split_dir, resume=True, console=False).run()
    return straight_dir, split_dir


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_stop_and_resume_equals_straight_run(name: str, tmp_path: Path, batch_overrides) -> None:
    batch = batch_overrides(name.split("+")[0])
    half = HALF_OF.get(name, HALF)
    straight_dir, split_dir = _straight_and_split(lambda d: _preset(name, d, batch), tmp_path,
                                                  half)
    _assert_same(_final_state(straight_dir), _final_state(split_dir))
    assert _rows(straight_dir) == _rows(split_dir)
    assert len(_rows(straight_dir)) > 10
    if not batch:  # the shortened cases still train before the stop and after the resume
        iters = _training_iterations(straight_dir, half)
        assert 0 < iters[0] < iters[1], f"{name}: training iterations {iters}"


def _training_iterations(run_dir: Path, half: int) -> tuple[int, int]:
    """The training iterations logged by the last row at or before ``half`` env steps, and by
    the last row."""
    at = {c: DETERMINISTIC_COLUMNS.index(c) for c in ("Training Iter", "Total steps")}
    rows = _rows(run_dir)
    before = [row for row in rows if int(row[at["Total steps"]]) <= half]
    return int(before[-1][at["Training Iter"]]), int(rows[-1][at["Training Iter"]])


@pytest.mark.parametrize(("name", "stand_ins"), sorted(STAND_INS.items()))
def test_a_left_out_preset_matches_its_stand_ins(name: str, stand_ins: tuple[str, str]) -> None:
    """A preset without its own case has its agent stand-in's agent, algorithm settings (the
    dueling head, noise, n-step and the like compared field by field), memory kind and
    network kind, and its env stand-in's env or another level of it (the same preprocessing)."""
    preset = load_preset(name)
    agent, env = (apply_overrides(load_preset(other.split("+")[0]),
                                  CASES[other] if "+" in other else []) for other in stand_ins)
    assert type(preset.agent) is type(agent.agent)
    assert type(preset.agent.algorithm) is type(agent.agent.algorithm)
    memories = [getattr(p.agent, "memory", None) for p in (preset, agent)]  # rollouts: none
    for field in ("kind", "n_step"):
        assert len({getattr(memory, field, None) for memory in memories}) == 1, field
    for flag in ("dueling", "noisy", "double"):
        assert getattr(preset.agent.algorithm, flag, None) == \
            getattr(agent.agent.algorithm, flag, None), flag
    assert preset.env.env_id == env.env.env_id or preset.env.env_id in env.levels.values()
    assert preset.env.preprocessing == env.env.preprocessing


# Atari's rollout presets at 2 x 100 env steps of 2 envs: 20 A3C updates or 5 IMPALA ones, the
# checkpoint after 100 steps (the full-size check above takes over 3 minutes each). Both failed
# (the shared torso's weights) while ALE played the sticky actions: its cloned state lacks the
# action a repeat replays, and with seed 0 such a repeat fell on the first frames after the
# resume; Gymnasium's StickyAction plays them now (environments/gym_env.py), whose previous
# action is in the snapshot
ATARI_HALF, ATARI_SEED = 100, 0


@pytest.mark.slow
@pytest.mark.parametrize("agent", ["A3C", "IMPALA"])
def test_atari_rollout_presets_resume_exactly(agent: str, tmp_path: Path) -> None:
    def make(experiment_dir: Path) -> Preset:
        return apply_overrides(load_preset(f"Atari_{agent}"), [
            f"schedule.improve_steps={2 * ATARI_HALF}", f"schedule.checkpoint_period={ATARI_HALF}",
            f"schedule.evaluation_period={2 * ATARI_HALF}", "schedule.evaluation_episodes=2",
            f"run.experiment_dir={experiment_dir}", f"run.seed={ATARI_SEED}",
            *SHORTER[f"Atari_{agent}"]])

    straight_dir, split_dir = _straight_and_split(make, tmp_path, ATARI_HALF)
    _assert_same(_final_state(straight_dir), _final_state(split_dir))
    assert _rows(straight_dir) == _rows(split_dir)
