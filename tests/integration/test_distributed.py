"""Rollout workers on one local Ray session: sync PPO, async Ape-X DQN, one-process equality."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import ray  # the [ray] extra, installed with [test]

import coachrl
from coachrl.environments.gym_env import make_env
from coachrl.errors import ConfigError
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module", autouse=True)
def ray_session():
    from coachrl.distributed.cluster import loopback_only

    with loopback_only():  # as coachrl's own local sessions: nothing beyond 127.0.0.1
        ray.init(address="local", num_cpus=4, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


# variants of a preset (name+variant -> its overrides) that stand in for presets no registered
# one matches: a dueling Double DQN learning from prioritised replay (Atari's PER preset)
VARIANTS = {"CartPole_Dueling_DDQN+prioritized": ("agent.memory.kind=prioritized",)}


def _load(name: str):
    """A preset by name, or a variant of one (``VARIANTS``)."""
    return apply_overrides(load_preset(name.split("+")[0]), list(VARIANTS.get(name, ())))


def _preset(name: str, experiment_dir: Path, *overrides: str):
    return apply_overrides(_load(name), [f"run.experiment_dir={experiment_dir}", *overrides])


def _train(preset, **config):
    from coachrl.distributed.config import DistributedConfig
    from coachrl.distributed.trainer import DistributedTrainer

    trainer = DistributedTrainer(preset, run_dir=create_run_dir(preset), console=False,
                                 config=DistributedConfig(**config))
    return trainer, trainer.run()


def _training_returns(run_dir: Path) -> list[float]:
    with open(run_dir / "progress.csv") as f:
        return [float(r["Training Reward"]) for r in csv.DictReader(f) if r["Training Reward"]]


# SAC, TD3 and DDPG train every 4 steps here (CHANGES): 4-step fragments
ONE_WORKER_STEPS = {name: 1_200 for name in ("Pendulum_SAC", "Pendulum_TD3", "Pendulum_DDPG",
                                              "Fetch_DDPG_HER")}
ONE_WORKER_STEPS["DMC_SAC"] = 600  # six 100-step episodes (CHANGES)
# BitFlip: about 100 15-step episodes, a third of them trained on
ONE_WORKER_STEPS |= {name: 1_536 for name in ("BitFlip_DQN", "BitFlip_DQN_HER")}
# Atari: eight 150-step episodes of Pong (ATARI_EPISODE), the CNN acting in numpy on every step
ONE_WORKER_STEPS |= {name: 1_200 for name in coachrl.presets() if name.startswith("Atari_")}
NO_EVALUATION = ("schedule.evaluation_period=1000000", "run.stop_at_threshold=false")
# A replay learner's rounds train this many gradient steps here: where the round falls and what
# it trains on is the driver's part (the same at 8 as at the value presets' 128), and its
# gradient steps were most of this test's time (NEC: 180 s of one CI run).
ROUND_GRADIENT_STEPS = 8
# the recurrent preset's 20 epochs of whole-sequence minibatches through the LSTM were 100 s of
# this test (the recurrent state a worker carries and sends is the same after 2). Observation
# normalisation is off here: the learner merges a worker's statistics (equal up to rounding, not
# bit for bit, to one process's), test_workers_normalise_... checks it
CHANGES = {"CartPoleNoVel_ClippedPPO_LSTM": ("agent.algorithm.epochs=2",
                                             "env.filters.normalize_observations=false"),
           "CartPoleNoVel_A2C_LSTM": ("env.filters.normalize_observations=false",),
           **{name: ("schedule.heatup_steps=100", "agent.algorithm.learning_starts=100",
                     "agent.network.hidden_sizes=[64, 64]")  # not 10k random steps first
              for name in ("Pendulum_TD3", "Pendulum_DDPG")},
           # 1,000 random steps would leave 200 of 1,200 to train
           "Fetch_DDPG_HER": ("schedule.heatup_steps=100", "agent.algorithm.learning_starts=100"),
           # DeepMind Control's 1,000-step episodes cut to 100, so that the test sees several
           "DMC_SAC": ("schedule.heatup_steps=100", "agent.algorithm.learning_starts=100",
                       "env.max_episode_steps=100"),
           **{name: ("agent.algorithm.epochs=2", "agent.algorithm.rollout_length=512",
                     "env.filters.normalize_observations=false")
              for name in ("Mujoco_ClippedPPO", "PyBullet_ClippedPPO")},
           # 16 x 1,024-step rollouts would not train in 3,072 steps: 16 x 64 (3 updates)
           "LunarLander_ClippedPPO": ("agent.algorithm.epochs=2",
                                      "agent.algorithm.rollout_length=64"),
           # Acrobot's (and LunarLander_DQN's, the same values) 256-256 networks: a round every
           # 16 env steps rather than 4
           **{name: ("agent.algorithm.train_frequency=16",)
              for name in ("Acrobot_DDQN", "Acrobot_QR_DQN", "LunarLander_DQN")},
           # a gradient step per env step at 256-256 was 61 s of one run: 64-64
           "Pendulum_SAC": ("agent.network.hidden_sizes=[64, 64]",),
           # the Doom presets' CNN: a gradient step every 16 env steps rather than 4
           **{name: ("agent.algorithm.train_frequency=16",)
              for name in ("Doom_Basic_DQN", "Doom_Basic_Dueling_DDQN",
                           "Doom_Health_Gathering_DQN")}}
# the replay presets that train every env step take a gradient step every 4 here: where a
# fragment ends is the same code at 1 as at 4, and their gradient steps were most of their
# 22-44 s (five cases, 174 s of a 3,273 s run of the suite, 2026-12-02)
CHANGES |= {name: (*CHANGES.get(name, ()), "agent.algorithm.train_frequency=4")
            for name in ("Pendulum_SAC", "Pendulum_TD3", "Pendulum_DDPG", "Fetch_DDPG_HER",
                         "DMC_SAC")}
# the Atari presets: 150-step episodes of Pong, the replay ones learning from step 300 every 64
# steps (not from 20k-100k), the rollout ones on 2 envs
ATARI_EPISODE = "env.max_episode_steps=150"
ATARI_REPLAY = (ATARI_EPISODE, "schedule.heatup_steps=300",
                "agent.algorithm.learning_starts=300", "agent.memory.capacity=5000",
                "agent.algorithm.train_frequency=64", "agent.algorithm.target_update_period=10")
CHANGES |= {f"Atari_{agent}": ATARI_REPLAY
            for agent in ("DQN", "DDQN", "Dueling_DDQN_with_PER", "C51", "QR_DQN", "IQN",
                          "Rainbow")}
CHANGES |= {f"Atari_{agent}": (ATARI_EPISODE, "env.n_envs=2") for agent in ("A3C", "IMPALA")}
CHANGES["Atari_ClippedPPO"] = (ATARI_EPISODE, "env.n_envs=2",
                               "agent.algorithm.rollout_length=64", "agent.algorithm.epochs=1",
                               "agent.algorithm.batch_size=64")
# agents with no distributed mode: --workers is a clear error for them
NO_WORKERS = {"CartPole_PG": "PGAgent has no distributed mode"}


# Presets whose one-worker case two other cases already make: one with the same agent (its
# fragments, its replay, its learner's rounds), one stepping an env of the same family on a
# worker with the same kind of observation (MuJoCo: Mujoco_ClippedPPO; Box2D: LunarLander_DQN
# and LunarLander_ClippedPPO; Atari's frames and Doom's Dict of screen and ammo: their DQN
# presets). The first five were about 115 s of a 2,578 s run of the suite, Atari_Rainbow and
# Doom_Basic_Dueling_DDQN 36 s of a 2,343 s one; test_a_left_out_preset_runs_the_agent_of_its_
# stand_ins checks that each still matches.
STAND_INS = {"Mujoco_SAC": ("Pendulum_SAC", "Mujoco_ClippedPPO"),
             "Mujoco_TD3": ("Pendulum_TD3", "Mujoco_ClippedPPO"),
             "Mujoco_DDPG": ("Pendulum_DDPG", "Mujoco_ClippedPPO"),
             "LunarLanderContinuous_SAC": ("Pendulum_SAC", "LunarLander_DQN"),
             "BipedalWalker_TD3": ("Pendulum_TD3", "LunarLander_ClippedPPO"),
             "Atari_Rainbow": ("CartPole_Rainbow", "Atari_DQN"),
             "Doom_Basic_Dueling_DDQN": ("CartPole_Dueling_DDQN", "Doom_Basic_DQN"),
             # 23 s of a 3,273 s run (2026-12-02); its Atari rollouts in a checkpoint:
             # test_exact_resume.py's Atari rollout case
             "Atari_ClippedPPO": ("CartPole_ClippedPPO", "Atari_DQN"),
             # 28 and 9 s of a 2,476 s run (2026-12-02)
             "Doom_Health_Gathering_DQN": ("CartPole_DQN", "Doom_Basic_DQN"),
             "Acrobot_QR_DQN": ("CartPole_QR_DQN", "Acrobot_DDQN")}
# the Atari presets registered on 2026-12-02: each one's agent has a CartPole case (Atari's PER
# preset a variant), and Atari_DQN steps Pong's frames on a worker
STAND_INS |= {f"Atari_{agent}": (f"CartPole_{agent}", "Atari_DQN")
              for agent in ("DDQN", "C51", "QR_DQN", "IQN", "A3C", "IMPALA")}
STAND_INS["Atari_Dueling_DDQN_with_PER"] = ("CartPole_Dueling_DDQN+prioritized", "Atari_DQN")


def _one_worker_overrides(name: str) -> tuple[str, ...]:
    steps = ONE_WORKER_STEPS.get(name, 3_072)
    rounds = getattr(_load(name).agent.algorithm, "gradient_steps", 0)
    fewer = (f"agent.algorithm.gradient_steps={ROUND_GRADIENT_STEPS}",) \
        if rounds > ROUND_GRADIENT_STEPS else CHANGES.get(name, ())
    return (f"schedule.improve_steps={steps}", *fewer, *NO_EVALUATION,
            "agent.inference_backend=numpy")


@pytest.mark.parametrize("name", [*(name for name in coachrl.presets()  # batch: one process
                                    if not load_preset(name).run.epochs and name not in STAND_INS),
                                  *VARIANTS])
def test_one_sync_worker_repeats_the_single_process_episodes(name: str, tmp_path: Path) -> None:
    """Every preset that trains in an env (a batch preset's dataset trains in one process,
    ``check_dataset``): one worker in sync mode acts with the learner's generator and, for a
    replay learner, sends fragments that end where it trains, so the run is the single-process
    run (same training episodes, same returns), its exploration schedule included."""
    from coachrl.distributed.config import Mode

    # workers always act in numpy; a preset that acts in torch in one process (SAC) is
    # compared with its one-process run acting in numpy (torch's float sums differ in the last
    # bits, which the returns of later episodes amplify)
    overrides = _one_worker_overrides(name)
    if name in NO_WORKERS:  # REINFORCE learns from whole episodes of its own envs
        with pytest.raises(ConfigError, match=NO_WORKERS[name]):
            _train(_preset(name, tmp_path / "ray", *overrides), workers=1, mode=Mode.SYNC)
        return
    one = _preset(name, tmp_path / "one", *overrides)
    single = Trainer(one, run_dir=create_run_dir(one), console=False).run()
    trainer, outcome = _train(_preset(name, tmp_path / "ray", *overrides), workers=1,
                              mode=Mode.SYNC)
    expected, got = _training_returns(single.run_dir), _training_returns(outcome.run_dir)
    assert len(expected) >= 5 and trainer.agent.train_steps > 0
    assert got[:len(expected)] == expected
    assert trainer.pool.epsilons is None  # one worker explores on the preset's own schedule


def _observation_kind(space: gym.Space) -> tuple:
    """A vector Box (any length), or the space itself (Atari's frames, a Dict of fields)."""
    if type(space) is gym.spaces.Box and len(space.shape) == 1:
        return ("vector", space.dtype)
    return (repr(space),)


@pytest.mark.parametrize(("name", "stand_ins"), sorted(STAND_INS.items()))
def test_a_left_out_preset_runs_the_agent_of_its_stand_ins(name: str,
                                                           stand_ins: tuple[str, str]) -> None:
    """A preset left out of the one-worker cases has its agent stand-in's agent, algorithm
    settings class and memory kind, and its env stand-in's kind of observation in an env of the
    same family (the same preprocessing), so the two cases exercise its distributed code path."""
    preset, agent, env = (_load(other) for other in (name, *stand_ins))
    assert type(preset.agent) is type(agent.agent)
    assert type(preset.agent.algorithm) is type(agent.agent.algorithm)
    memories = [getattr(p.agent, "memory", None) for p in (preset, agent)]  # rollouts: none
    assert len({getattr(memory, "kind", None) for memory in memories}) == 1
    assert preset.env.preprocessing == env.env.preprocessing
    kinds = {_observation_kind(make_env(p.env).observation_space) for p in (preset, env)}
    assert len(kinds) == 1, kinds


def test_two_sync_workers_fill_one_rollout_of_both_workers_envs(tmp_path: Path) -> None:
    preset = _preset("CartPole_ClippedPPO", tmp_path, "schedule.improve_steps=2048")
    trainer, outcome = _train(preset, workers=2, envs_per_worker=4)
    assert outcome.reason == "finished"
    assert trainer.agent.buffer.n_envs == 8
    assert outcome.counters.env_steps >= 2048
    assert trainer.agent.train_steps > 0


def test_two_async_apex_workers_fill_replay_and_report_policy_lag(tmp_path: Path) -> None:
    preset = _preset("CartPole_DQN", tmp_path, "schedule.improve_steps=3000",
                     "schedule.heatup_steps=500", "agent.algorithm.learning_starts=500",
                     "agent.algorithm.train_frequency=64", "agent.algorithm.gradient_steps=8",
                     "schedule.evaluation_period=1500", "run.log_period=500")
    trainer, outcome = _train(preset, workers=2, fragment_length=64, broadcast_period=16)
    assert outcome.reason == "finished"
    assert len(trainer.agent.memory) >= 3000
    assert trainer.agent.train_steps >= 8 * (3000 - 500) // 64 - 8
    assert trainer.pool.version > 0  # weights were broadcast while training
    scalars = trainer.stats.scalars(trainer.pool)
    assert scalars["workers/restarts"] == 0
    assert all(scalars[f"workers/{i}/env_steps_per_s"] > 0 for i in range(2))


def test_training_without_workers_never_imports_ray(tmp_path: Path) -> None:
    code = ("import sys; from coachrl.cli import main; "
            f"main(['train', 'CartPole_ClippedPPO', '--workers', '0', '--quiet', "
            f"'--experiment-dir', {str(tmp_path)!r}, '--set', 'schedule.improve_steps=512']); "
            "assert 'ray' not in sys.modules, 'ray was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_a3c_workers_send_gradients_that_the_learner_applies_in_arrival_order(
        tmp_path: Path) -> None:
    preset = _preset("CartPole_A3C", tmp_path, "schedule.improve_steps=2000",
                     "schedule.evaluation_period=1000", "run.log_period=500")
    trainer, outcome = _train(preset, workers=2, envs_per_worker=2)
    assert trainer.async_gradients
    assert outcome.reason == "finished"
    rollout = preset.agent.algorithm.rollout_length * 2  # steps of one worker's rollout
    assert trainer.agent.train_steps >= 2000 // rollout - 1  # one update per rollout
    assert trainer.pool.version == trainer.agent.train_steps  # broadcast after every update
    assert trainer.stats.scalars(trainer.pool)["workers/restarts"] == 0


def test_workers_normalise_observations_with_the_runs_merged_statistics(tmp_path: Path) -> None:
    """Each worker normalises with the statistics the learner broadcast, adds its own
    observations and sends what they added (``Filters.since``); the learner merges every
    worker's, so its statistics count each observation the workers stepped, once."""
    preset = _preset("CartPole_ClippedPPO", tmp_path, "schedule.improve_steps=2048",
                     "env.filters.normalize_observations=true", "agent.algorithm.epochs=1",
                     *NO_EVALUATION)
    trainer, outcome = _train(preset, workers=2, envs_per_worker=4)
    assert outcome.reason == "finished"
    normalizer = trainer.filters.observations
    assert normalizer is not None
    rounds = trainer.agent.train_steps  # one 256-step minibatch per round, one epoch
    stepped = rounds * preset.agent.algorithm.rollout_length * 8  # 2 workers x 4 envs
    # every step of every env once (the learner's own env adds at most its reset's 8)
    assert stepped <= normalizer.count - 1e-4 <= stepped + 8
    # CartPole's observations: a pole angle near 0 and a cart that wanders
    assert np.all(np.isfinite(normalizer.mean)) and np.all(normalizer.var > 0)
    assert np.all(np.abs(normalizer.mean) < 1.0)
    assert trainer.stats.scalars(trainer.pool)["workers/restarts"] == 0


@pytest.mark.parametrize(("argv", "message"), [
    (["CartPole_ClippedPPO", "--workers", "2", "--mode", "async"], "needs an off-policy agent"),
    (["CartPole_ClippedPPO", "--workers", "-1"], "run.workers=-1 is out of range; expected 0 <="),
    (["CartPole_ClippedPPO", "--set", "run.mode=fast"], "'fast' is not one of 'auto', 'sync'"),
    (["CartPole_ClippedPPO", "--workers", "5"], "needs 5 CPUs but the Ray cluster has 4"),
    (["CartPole_ClippedPPO", "--workers", "2", "--worker-timeout", "0"],
     "run.worker_timeout=0.0 is out of range; expected 0 < worker_timeout"),
])
def test_bad_worker_settings_are_one_line_errors(argv: list[str], message: str, tmp_path: Path,
                                                 capsys) -> None:
    from coachrl.cli import main

    assert main(["train", *argv, "--quiet", "--experiment-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir()), "a failed train left a run directory behind"


@pytest.mark.gpu
def test_the_learner_trains_on_cuda_while_workers_act_on_the_cpu(tmp_path: Path) -> None:
    import torch  # a core dependency: only CUDA itself may be missing

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    preset = _preset("CartPole_ClippedPPO", tmp_path, "schedule.improve_steps=1024",
                     "run.device=cuda")
    trainer, outcome = _train(preset, workers=2, envs_per_worker=4)
    assert outcome.reason == "finished" and trainer.agent.train_steps > 0
    assert trainer.agent.main.device.type == "cuda"  # type: ignore[attr-defined]


def test_a_ray_that_fails_to_import_is_a_one_line_error(tmp_path: Path, capsys,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from coachrl.cli import main

    real_import = builtins.__import__

    def without_ray(name: str, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_ray)
    assert main(["train", "CartPole_ClippedPPO", "--workers", "2", "--quiet",
                 "--experiment-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--workers needs Ray, which failed to import" in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())



def test_sac_trains_with_async_workers_acting_in_numpy(tmp_path: Path) -> None:
    from coachrl.backend.numpy import NumpyNetwork
    from coachrl.distributed.config import Mode
    from coachrl.distributed.worker import RolloutWorker

    preset = _preset("Pendulum_SAC", tmp_path, "schedule.improve_steps=1200",
                     "schedule.heatup_steps=200", "agent.algorithm.learning_starts=200",
                     "agent.network.hidden_sizes=[32, 32]", "agent.algorithm.batch_size=32",
                     "schedule.evaluation_period=600", "schedule.evaluation_episodes=1")
    trainer, outcome = _train(preset, workers=2, mode=Mode.ASYNC, fragment_length=50)
    assert outcome.reason == "finished" and trainer.agent.train_steps > 500
    assert trainer.pool.epsilons is None  # SAC explores with its own policy, not Ape-X epsilons
    worker = RolloutWorker(preset, index=0, n_envs=1)
    assert isinstance(worker.agent.acting, NumpyNetwork)  # the squashed Gaussian, in numpy
    assert trainer.stats.scalars(trainer.pool)["workers/restarts"] == 0


@pytest.mark.parametrize(("name", "workers", "constant"), [
    ("CartPole_DQN", 1, False), ("CartPole_DQN", 2, True), ("CartPole_NStepQ", 2, False)])
def test_one_value_worker_explores_on_the_presets_schedule(name: str, workers: int,
                                                           constant: bool, tmp_path: Path) -> None:
    """Ape-X's fixed per-worker epsilons are for several workers of a replay learner; one
    worker, or an on-policy learner's workers (N-step Q), act as the preset says."""
    from coachrl.core.schedules import Constant
    from coachrl.distributed.trainer import _worker_epsilons
    from coachrl.distributed.worker import acting_preset

    preset = _preset(name, tmp_path)
    epsilons = _worker_epsilons(preset, workers)
    schedule = acting_preset(preset, epsilons[0] if epsilons else None).agent.exploration.schedule
    assert isinstance(schedule, Constant) is constant
    if not constant:
        assert schedule == preset.agent.exploration.schedule


def test_workers_build_n_step_transitions_and_their_initial_priorities(tmp_path: Path) -> None:
    """Ape-X's actors: each worker keeps its envs' n-step windows and rates new transitions by
    their TD error under its copy of the network; the learner stores them as they are."""
    from coachrl.distributed.config import Mode

    preset = _preset("CartPole_DQN", tmp_path, "schedule.improve_steps=3000",
                     "schedule.heatup_steps=500", "agent.algorithm.learning_starts=500",
                     "agent.algorithm.train_frequency=64", "agent.algorithm.gradient_steps=4",
                     "agent.memory.n_step=3", "agent.memory.kind=prioritized",
                     "schedule.evaluation_period=1500", "schedule.evaluation_episodes=1")
    trainer, outcome = _train(preset, workers=2, mode=Mode.ASYNC, fragment_length=64)
    assert outcome.reason == "finished" and trainer.agent.train_steps > 0
    memory = trainer.agent.memory
    size = len(memory)
    assert size >= 2900  # every step made a transition (the windows' tails still wait)
    gamma = preset.agent.algorithm.discount
    discounts = memory.storage["discounts"][:size]
    whole, two, one = (int(np.isclose(discounts, gamma ** m).sum()) for m in (3, 2, 1))
    assert whole + two + one == size
    # every finished episode (CartPole's are longer than 3 steps) leaves one 2-step and one
    # 1-step tail; every other transition is a whole 3-step window
    assert two == one == trainer.counters.episodes > 0
    priorities = memory.tree.priorities(np.arange(size))
    assert len(np.unique(priorities)) > size // 2  # rated one by one, not all at the maximum


def test_impala_learns_from_async_workers_rollouts_and_reports_their_lag(tmp_path: Path) -> None:
    """Each worker's rollout is one update as it arrives (V-trace corrects the lag); the
    learner broadcasts after every update; default mode: async."""
    from coachrl.agents.impala import IMPALAAlgorithmParams, IMPALAParams
    from coachrl.core.steps import EnvSteps, Episodes
    from coachrl.distributed.config import Mode, resolve_mode
    from coachrl.params import EnvironmentParams, Preset, RunParams, ScheduleParams, Validation

    preset = Preset(agent=IMPALAParams(algorithm=IMPALAAlgorithmParams(rollout_length=16)),
                    env=EnvironmentParams(env_id="CartPole-v1", n_envs=2),
                    schedule=ScheduleParams(improve_steps=EnvSteps(3_000),
                                            evaluation_period=EnvSteps(1_500),
                                            evaluation_episodes=Episodes(2)),
                    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(3_000)),
                    run=RunParams(experiment_dir=str(tmp_path)), name="IMPALA")
    assert resolve_mode(preset, None) is Mode.ASYNC
    trainer, outcome = _train(preset, workers=2)
    assert outcome.reason == "finished" and trainer.agent.buffer.n_envs == 2  # one worker's
    assert trainer.agent.train_steps >= 3_000 // 32 - 5  # one update per 16 x 2 rollout
    lag = trainer.stats.scalars(trainer.pool)
    assert "workers/env_steps_per_s" in lag and trainer.pool.version == trainer.agent.train_steps
