"""Determinism traces (as Coach had): a short seeded run of every preset equals a stored trace.

A trace has one row per progress.csv row: the deterministic columns at full precision (taken
from the Trainer's logger, since progress.csv rounds floats to 6 significant digits), how far
training has moved the weights, and what the agent did in that training episode. Counters and
the action digest must match exactly; floats must agree within ``RTOL``/``ATOL``, so that a CPU
whose BLAS kernels round the last bits differently still passes while a real change does not
(``test_a_tiny_change_of_a_hyperparameter_changes_the_trace`` holds the tolerance to that).
A preset whose own configuration makes that impossible traces a variant of it that still runs
its agent's code (``TRACE_OVERRIDES_OF``; Pendulum_SAC's ReLU units and gradient step per env step).

Actions: discrete ones are hashed per episode (sha256 of the int64 actions, 16 hex digits).
Continuous ones cannot be hashed portably (last-bit differences change every hash, and
rounding before hashing breaks at rounding boundaries), so instead the episode's sums of the
positive and of the negative parts of the actions are stored as floats and compared with the
tolerance; two sums of one sign each cannot cancel, so a relative tolerance suits them.

Regenerate on purpose with ``python -m pytest tests/e2e/test_traces.py --regenerate-traces``.

A preset whose trace differs between CI's CPUs by more than any tolerance that still sees the
1e-4 changes keeps a second trace, recorded on the other CPU, as ``NAME@CPU.csv`` beside
``NAME.csv`` (``ALTERNATE_TRACES`` says which and why): a run passes if it matches either, and a
tiny change must differ from both.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from coachrl.agent import Agent
from coachrl.core.batch import EpisodeStats, StepResult
from coachrl.logging.progress_csv import DETERMINISTIC_COLUMNS
from coachrl.params.tree import apply_overrides
from coachrl.registry import load_preset, preset_modules
from coachrl.runtime.batch import trainer_for
from coachrl.runtime.loop import Trainer
from coachrl.runtime.run_dir import create_run_dir

TRACES = Path(__file__).parent.parent / "traces"
TRACE_STEPS, TRACE_SEED = 2_000, 42
# presets whose trace takes over 10 s (Pendulum_SAC: 10 s on 2 busy cores; the Atari presets
# start an ALE per env and act and learn through the Nature CNN; the Doom presets 20-35 s at
# their own cadence, ViZDoom's steps and the CNN's gradient steps)
ATARI = ("Atari_A3C", "Atari_C51", "Atari_ClippedPPO", "Atari_DDQN", "Atari_DQN",
         "Atari_Dueling_DDQN_with_PER", "Atari_IMPALA", "Atari_IQN", "Atari_QR_DQN",
         "Atari_Rainbow")
DOOM = ("Doom_Basic_DQN", "Doom_Basic_Dueling_DDQN", "Doom_Health_Gathering_DQN")
SLOW: set[str] = {*ATARI, *DOOM}

# how far training moved the weights: the loss barely shows a change of step size (A3C's
# moves 4e-6 relative for a 1e-4 change of the learning rate), this distance moves 1e-4
TRAVEL_COLUMN = "Weight Travel"
ACTION_COLUMNS = ("Action Digest", "Action Sum+", "Action Sum-")
TRACE_COLUMNS = (*DETERMINISTIC_COLUMNS, TRAVEL_COLUMN, *ACTION_COLUMNS)
# counters and discrete values: any difference at all is a different run. (CartPole's rewards
# are whole numbers too; under RTOL they differ by >= 2e-3 relative when they differ at all.)
EXACT_COLUMNS = frozenset({"Episode #", "Training Iter", "In Heatup", "Total steps",
                           "Episode Length", "Action Digest"})
# Another CPU's kernels (AVX-512 against AVX2, MKL's and OpenBLAS's per-CPU code paths) round
# the last float32 bit differently (~1e-7). Simulated here by switching kernels (MKL_CBWR=
# COMPATIBLE, ATEN_CPU_CAPABILITY=default, OPENBLAS_CORETYPE=Prescott, OMP_NUM_THREADS=1, and
# all together), 2,000 steps of the tanh presets grew that to at most 1e-6 relative (weight
# travel; the loss 3e-7). A real change is far larger: a 1e-4 relative change of the learning
# rate or the discount moved the most telling column by 1e-4 relative at least (A3C's weight
# travel for its learning rate), mostly by 1e-3 and more. 1e-5 sits 10x from both.
RTOL = 1e-5
# CartPole_DQN's ReLU units: a pre-activation within a rounding error of 0 switches a unit on
# one CPU and off on another, and Adam makes a full step of that; its weight travel moved
# 1.5e-5 under ATEN_CPU_CAPABILITY=default (loss 1.4e-6). Its 1e-4 perturbations move loss and
# travel by 2e-4 to 2e-3 and change episodes (exact columns), so 1e-4 still catches them.
# Pendulum_SAC as preset is the same and worse: a gradient step per env step through 256-256
# ReLU units grew the switched kernels' last-bit differences to 7e-5 in the first episode and
# 2e-2 by step 2,000, as much as the 1e-4 perturbations do (1e-3 to 5e-2), so no tolerance is
# both portable and sharp for it; at 64-64 ReLU still 3e-3 by step 500. Its trace therefore
# runs SAC with tanh units (no unit switches off; see TRACE_OVERRIDES_OF): the switched kernels
# then moved it by 1.1e-6 at most (loss, action sums, rewards; travel 6e-8), while the 1e-4
# perturbations moved it by 9.1e-4 (discount: action sums, loss 7.8e-4) and 2.7e-3 (learning
# rate; 1.8e-3 without the evaluation's std). 3e-5 sits ~30x from both. Longer runs lose that:
# the noise reached 5e-6 by step 900 and 1e-2 at step 1,000 (one episode's reward), and with
# 200-step episodes the evaluation reward's std 1e-1 by step 2,000.
RTOL_OF = {"CartPole_DQN": 1e-4, "Pendulum_SAC": 3e-5, "Pendulum_TD3": 3e-5, "Pendulum_DDPG": 3e-5}
# The MuJoCo replay presets trace as the Pendulum ones do (TRACE_OVERRIDES_OF), so they get
# the same tolerance, but DDPG: within its 300 steps ATEN_CPU_CAPABILITY=default moved one
# small action sum (0.18) by 7.3e-5 relative (its loss 4.5e-7, weight travel 9e-7); the 1e-4
# perturbations moved that sum by 3.4e-3 (discount) and 1.2e-2 (learning rate), so 3e-4 sits
# 4x from the noise and 11x from the weaker perturbation.
RTOL_OF |= {"Mujoco_SAC": 3e-5, "Mujoco_TD3": 3e-5, "Mujoco_DDPG": 3e-4, "DMC_SAC": 3e-5}
# BipedalWalker_TD3: its walker's contacts amplify an action's last bits. Under switched kernels
# (2026-12-01) an episode's training reward moved by 2.8e-5 (ATEN_CPU_CAPABILITY=default) and
# 2.5e-5 (MKL_CBWR=COMPATIBLE) within 700 steps, and its evaluation's reward std (of three
# returns within 0.03 of each other) by 1e-2, so its trace runs without the evaluation; the
# 1e-4 perturbations moved it by 3.6e-4 (learning rate) and 1.3e-3 (discount), so 1e-4 sits
# 3.6x from the noise and from the weaker perturbation
RTOL_OF["BipedalWalker_TD3"] = 1e-4
# LunarLanderContinuous_SAC: as LunarLander_DQN, its shaped rewards dwarf the bootstrapped
# values early on, so the 1e-4 change of the discount moved its trace by 1.03e-5 only (the
# learning rate's by 5.6e-5), while switched kernels moved it by 2.9e-6 at most (2026-12-01:
# ATEN_CPU_CAPABILITY=default 2.88e-6, MKL_CBWR=COMPATIBLE 2.82e-6, =avx2 nothing); 5e-6 sits
# about 2x from both
RTOL_OF["LunarLanderContinuous_SAC"] = 5e-6
# The value family's CartPole presets share CartPole_DQN's 256-256 ReLU network and replay
# cadence, so they get its tolerance. Switched kernels (MKL_CBWR=COMPATIBLE, ATEN_CPU_CAPABILITY=
# default, OMP_NUM_THREADS=1) moved C51's, Rainbow's, QR-DQN's and N-step Q's traces by 1.6e-7
# at most on 2026-11-30 (CartPole_DQN's by 7.9e-8 in the same run); each preset's 1e-4
# perturbations still fail the comparison (test_a_tiny_change_of_a_hyperparameter_...).
RTOL_OF |= {f"CartPole_{agent}": 1e-4 for agent in (
    "DDQN", "Dueling_DDQN", "NStepQ", "C51", "QR_DQN", "IQN", "Rainbow", "Bootstrapped_DQN",
    "UCB_DQN", "PAL", "MMC", "NEC", "Munchausen_DQN")}
# A preset's trace configuration, applied after the common one (see RTOL_OF for the figures).
# Pendulum_SAC: tanh units, 64-64 (also ~4x faster), 100-step episodes, 700 env steps (100 of
# heatup, 600 gradient steps; 7 episode rows) and an evaluation (3 episodes) at the end.
# Acrobot's presets: four gradient steps per 4 env steps through ReLU units on rewards that are
# all -1 early on, where the Q-values of the actions nearly tie: under switched kernels the
# double-Q argmax flipped, Acrobot_DDQN's loss moved 3e-1 by step 1,500 and an episode's actions
# changed (QR-DQN: 4e-5). With tanh units and one gradient step per 4 env steps the switch
# moved them by 3.1e-7 and 6.5e-8 (2026-11-30), and the 1e-4 perturbations still show.
# IQN and NEC: 128 gradient steps a round amplified the switch into a changed episode by step
# ~1,500 (IQN; an action's near-tied quantile means) and a 3% different loss in NEC's first round
# (its 50-nearest-neighbour sets); with one gradient step every 64 env steps neither moved at
# 1e-5, and the 1e-4 perturbations still show. Bootstrapped DQN, UCB and Rainbow at 128 gradient
# steps a round differed from traces made on an AVX2 machine when run on an AVX-512 one
# (2026-12-01: an episode's actions at row 63, weight travel 2e-4, an episode one step longer),
# under every kernel switch there; they get the same cadence. With it, the switched kernels
# (ATEN_CPU_CAPABILITY=avx2 or default, MKL_CBWR=COMPATIBLE) moved them by 2.0e-7 at most, and
# the weakest 1e-4 perturbation by 1.9e-5 (Bootstrapped's discount; Rainbow's learning rate
# 7.6e-5), so their tolerance is 3e-6, about 15x from the noise and 6x from that perturbation.
RTOL_OF |= {f"CartPole_{agent}": 3e-6 for agent in ("Bootstrapped_DQN", "UCB_DQN", "Rainbow")}
# NEC: its learning rate reaches the trace only through the embedding's weight travel, which a
# 1e-4 change moves by 1.0e-4, right at the family's tolerance (it failed on an AVX-512
# machine). Against its stored trace, that machine's native and AVX2 kernels moved it by 6.6e-6
# (loss), MKL_CBWR=COMPATIBLE by 2.4e-6, so 3e-5 sits 3x from the perturbation and 5x from
# those. Unvectorised kernels (ATEN_CPU_CAPABILITY=default, no x86 CI machine) moved its loss by
# 1.7e-4: a distance within a rounding error swaps one of the 50 nearest neighbours.
RTOL_OF["CartPole_NEC"] = 3e-5
# The Atari presets: ReLU units through the Nature CNN, as CartPole_DQN's, so its tolerance.
# Unvectorised kernels (ATEN_CPU_CAPABILITY=default; 2026-12-01) moved them by 3.5e-6 at most
# (DDQN's loss; IMPALA's 7.8e-6 relative, A3C's loss see ATOL_OF), 28x-13x from it. Rainbow's
# 1e-4 change of its learning rate (6.25e-5, 125 gradient steps in its trace) moved its loss
# by 2.2e-5 only (its weight travel holds the noisy layers' noise), so it gets 3e-6: those
# kernels moved its loss by 1.2e-7. C51's and IQN's (2.5e-4 and 5e-5, Adam's epsilon 0.01/32)
# stayed within 1e-4 too, so they get 3e-6 as well: their traces matched at 3e-6 under native,
# AVX2 and unvectorised kernels and MKL_CBWR=COMPATIBLE (2026-12-02)
RTOL_OF |= {name: 1e-4 for name in ATARI} | {"Atari_Rainbow": 3e-6, "Atari_C51": 3e-6,
                                               "Atari_IQN": 3e-6}
# CartPoleNoVel_ClippedPPO_LSTM keeps the default 1e-5 despite its ReLU layer after the LSTM:
# on an AVX-512 machine (2026-12-01) MKL_CBWR=COMPATIBLE moved its trace by 5.1e-8 at most
# (loss), ATEN_CPU_CAPABILITY=default by 1.8e-8, =avx2 not at all; the 1e-4 perturbations moved
# it by 2.2e-3 (discount: loss) and changed an episode (learning rate: row 56).
# Atari_DDQN: its trace (recorded on an AVX-512 machine) differed on CI's AMD EPYC (AVX2, no
# AVX-512; 2026-12-02) by 4.4e-4 relative (loss, row 4; weight travel 1.6e-4), as much as the
# 1e-4 change of its discount moves it (4.7e-4), while no kernel switch on the EPYC
# (ATEN_CPU_CAPABILITY=default, MKL_CBWR=COMPATIBLE, ONEDNN_MAX_CPU_ISA=SSE41) moved it by more
# than 6.9e-7: the two CPUs' sums differ in a way no switch here reproduces, and its training
# amplifies that (1e-6 at row 2, 5e-5 at row 3). So it keeps one trace per CPU:
# the 1e-4 changes move it from the AVX-512 one by 4.7e-4 (discount) and 2.4e-3 (learning
# rate), from the EPYC's by 6.9e-4 and 2.6e-3.
ALTERNATE_TRACES = {"Atari_DDQN": ("avx2",)}
ATARI_TRACE = ("env.max_episode_steps=400", "schedule.improve_steps=600",
               "schedule.evaluation_period=600")
ATARI_ROLLOUT = {"Atari_A3C": (), "Atari_IMPALA": (),
                 "Atari_ClippedPPO": ("agent.algorithm.rollout_length=32",
                                      "agent.algorithm.epochs=1", "agent.algorithm.batch_size=64")}
TRACE_OVERRIDES_OF: dict[str, tuple[str, ...]] = {
    "Pendulum_SAC": ("agent.network.activation=tanh", "agent.network.hidden_sizes=64,64",
                     "env.max_episode_steps=100", "schedule.improve_steps=700",
                     "schedule.evaluation_period=700"),
    # TD3 and DDPG as SAC, and their 10k random steps cut to SAC's 100 (2,000 would train nothing)
    **{name: ("agent.network.activation=tanh", "agent.network.hidden_sizes=64,64",
              "env.max_episode_steps=100", "schedule.improve_steps=700",
              "schedule.evaluation_period=700", "schedule.heatup_steps=100",
              "agent.algorithm.learning_starts=100")
       for name in ("Pendulum_TD3", "Pendulum_DDPG")},
    # The MuJoCo replay presets as Pendulum's TD3 and DDPG (their 1,000 random steps cut to 100;
    # their networks are 32-32 already), TD3 and DDPG for 300 steps: InvertedPendulum is unstable,
    # and its episodes amplify a last-bit difference of an action. Under switched kernels
    # (ATEN_CPU_CAPABILITY=default, MKL_CBWR=COMPATIBLE; 2026-12-01) DDPG's action sums moved by
    # 7e-6 within 300 steps but 2e-3 by step 515 (TD3: 2e-7 within 300, 1e-5 at step 519; SAC
    # 8e-7 in all 700), while the 1e-4 perturbations moved DDPG by 1.7e-4 (discount) and 1.2e-3
    # (learning rate) within 300 and TD3 by 5e-5 by step 172.
    **{name: ("agent.network.activation=tanh", "env.max_episode_steps=100",
              f"schedule.improve_steps={steps}", f"schedule.evaluation_period={steps}",
              "schedule.heatup_steps=100", "agent.algorithm.learning_starts=100")
       for name, steps in (("Mujoco_SAC", 700), ("Mujoco_TD3", 300), ("Mujoco_DDPG", 300),
                           ("DMC_SAC", 700))},
    # Fetch_DDPG_HER as the MuJoCo replay presets (its 50-step episodes are Fetch's own)
    "Fetch_DDPG_HER": ("agent.network.activation=tanh", "schedule.improve_steps=700",
                       "schedule.evaluation_period=700", "schedule.heatup_steps=100",
                       "agent.algorithm.learning_starts=100"),
    # the Box2D replay presets as the MuJoCo ones, in 100-step episodes; BipedalWalker_TD3
    # without its evaluation (see RTOL_OF)
    **{name: ("agent.network.activation=tanh", "agent.network.hidden_sizes=64,64",
              "env.max_episode_steps=100", "schedule.improve_steps=700",
              f"schedule.evaluation_period={period}", "schedule.heatup_steps=100",
              "agent.algorithm.learning_starts=100")
       for name, period in (("LunarLanderContinuous_SAC", 700), ("BipedalWalker_TD3", 10_000))},
    # Mujoco_ClippedPPO (and PyBullet's, its values): its 2,048-step rollouts would not train in
    # the trace's 2,000 steps
    **{name: ("agent.algorithm.rollout_length=256",)
       for name in ("Mujoco_ClippedPPO", "PyBullet_ClippedPPO")},
    **{name: ("agent.network.activation=tanh", "agent.algorithm.gradient_steps=1")
       for name in ("Acrobot_DDQN", "Acrobot_QR_DQN")},
    # BitFlip_DQN_HER: 4 gradient steps every 16 env steps through 256 ReLU units moved its
    # weight travel by 1.4e-5 under switched kernels by row 85; tanh units and one step do not.
    # BitFlip_DQN is the same DQN without hindsight
    **{name: ("agent.network.activation=tanh", "agent.algorithm.gradient_steps=1")
       for name in ("BitFlip_DQN_HER", "BitFlip_DQN")},
    # LunarLander_DQN has Acrobot's values, but its shaped rewards dwarf the bootstrapped values
    # for the first thousand steps, so a 1e-4 change of the discount did not show in 1,000
    # steps of training after its 1,000 random ones: 100 random steps, as the replay presets'
    "LunarLander_DQN": ("agent.network.activation=tanh", "agent.algorithm.gradient_steps=1",
                        "schedule.heatup_steps=100", "agent.algorithm.learning_starts=100"),
    # its 16 x 1,024-step rollouts would not train once in 2,000 steps: 16 x 32 (3 updates).
    # ATEN_CPU_CAPABILITY=default and MKL_CBWR=COMPATIBLE each left BitFlip_DQN's and the two
    # LunarLander traces within the default tolerance (2026-12-01)
    "LunarLander_ClippedPPO": ("agent.algorithm.rollout_length=32",),
    # its 4 x 1,024-step rollouts would not train once in 2,000 steps: 4 x 128 (3 updates)
    "Pendulum_ClippedPPO": ("agent.algorithm.rollout_length=128", "agent.algorithm.epochs=2",
                            "env.max_episode_steps=100"),
    **{name: ("agent.algorithm.train_frequency=64", "agent.algorithm.gradient_steps=1")
       for name in ("CartPole_IQN", "CartPole_NEC", "CartPole_Bootstrapped_DQN",
                    "CartPole_UCB_DQN", "CartPole_Rainbow")},
    # The Atari presets learn from 20k-100k steps and roll out 16-32 envs: 600 steps of Pong
    # cut to 400 frames (100 env steps) an episode, so that 6 episodes end; the replay ones learn
    # from step 100 every 16 steps (31 gradient steps) with the target copied every 10, the
    # rollout ones run 2 envs (Clipped PPO 32-step rollouts of one epoch)
    **{name: (*ATARI_TRACE, "schedule.heatup_steps=100", "agent.algorithm.learning_starts=100",
              "agent.memory.capacity=1000", "agent.algorithm.train_frequency=16",
              "agent.algorithm.target_update_period=10")
       for name in ATARI if name not in ATARI_ROLLOUT},
    **{name: (*ATARI_TRACE, "env.n_envs=2", *ATARI_ROLLOUT[name]) for name in ATARI_ROLLOUT},
    # The Doom presets: a gradient step every 4 env steps through the CNN's ReLU units changed
    # an episode's actions under ATEN_CPU_CAPABILITY=default by row 31 (Basic DQN); one every 64
    # (16 in the trace) kept them: on an AVX-512 machine (2026-12-01) ATEN_CPU_CAPABILITY=avx2
    # moved nothing, MKL_CBWR=COMPATIBLE 2.5e-7 at most, unvectorised kernels (no x86 CI
    # machine) the two Basic losses by 1.9e-3 and 6.2e-4; the 1e-4 perturbations moved each by
    # 5.1e-3 or more (Basic DQN's learning rate: loss)
    **{name: ("agent.algorithm.train_frequency=64",) for name in DOOM},
}
# CartPoleNoVel_ClippedPPO_LSTM with its rewards unscaled: scaled by 0.1 (the preset since
# 2026-12-02), ATEN_CPU_CAPABILITY=default moved its trace by 3e-9 at row 10 and 4.4e-4 by
# row 46 (loss) on an AMD EPYC, against 3.7e-8 in all 75 rows unscaled; its trace runs the same
# reward filter, recurrent towers and sequence minibatches at scale 1
TRACE_OVERRIDES_OF["CartPoleNoVel_ClippedPPO_LSTM"] = ("env.filters.reward_scale=1.0",)
# Rainbow learns every 4 steps there (125 gradient steps): at 31 its learning rate's 1e-4
# change moved its loss by 6e-8, within any portable tolerance
TRACE_OVERRIDES_OF["Atari_Rainbow"] += ("agent.algorithm.train_frequency=4",)
# values that are zero or cross zero (a loss made of terms of both signs): ~1e-9 of noise there
# is no change of behaviour, while every real difference is orders of magnitude bigger
ATOL = 1e-9
# CartPole_PG: returns standardised per timestep make its loss a mean of terms of both signs
# around 5e-6, where MKL_CBWR=COMPATIBLE moved it by 1.5e-9 (3e-4 relative); its weight travel
# still shows the 1e-4 perturbations
ATOL_OF = {"CartPole_PG": 1e-8}
# Atari_A3C: its loss is a policy term, a value term and an entropy bonus of 10-sample batches
# that nearly cancel (1.5e-3 to 1.1e-2 in its trace); unvectorised kernels (ATEN_CPU_CAPABILITY=
# default; 2026-12-01) moved it by 4e-5 (2.6e-2 relative; its weight travel 7.8e-6), while
# the 1e-4 perturbations changed its episodes' actions, its loss by 8e-3 and its weight travel by
# 2.9e-3 relative (learning rate) and 6.0e-3 (discount); 3e-4 sits 7x from the noise
ATOL_OF["Atari_A3C"] = 3e-4
PERTURBATION = 1e-4  # relative change of a hyperparameter that the traces must notice
PERTURBED_FIELDS = ("agent.learning_rate", "agent.algorithm.discount")
# fields a preset's agent never reads: behavioural cloning fits actions, not returns
UNREAD = {("CartPole_BC", "agent.algorithm.discount")}


class _EpisodeActions:
    """The actions of one env's current episode, reduced as they come."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.positive = self.negative = 0.0
        self.discrete = True

    def add(self, action: NDArray) -> None:
        if np.issubdtype(action.dtype, np.integer):
            self.digest.update(action.astype("<i8").tobytes())  # fixed width and byte order
            return
        self.discrete = False
        for value in action.astype(np.float64).ravel().tolist():  # a fixed summation order
            if value > 0:
                self.positive += value
            else:
                self.negative -= value

    def cells(self) -> list[str]:
        if self.discrete:
            return [self.digest.hexdigest()[:16], "", ""]
        return ["", repr(self.positive), repr(self.negative)]


class _Recorder:
    """Records a Trainer's rows at full precision, each training row with its episode's actions.

    Episodes end in env order in one step and the Trainer logs their rows in that order, so
    the action cells of finished episodes queue up and each training row takes the next one.
    With ``stop_unlike`` (stored traces) the run stops at the first row by which it differs
    from each of them.
    """

    def __init__(self, trainer: Trainer,
                 stop_unlike: list[list[list[str]]] | None = None) -> None:
        self.rows: list[list[str]] = []
        self._trainer, self._stop_unlike = trainer, stop_unlike
        self._rtol = RTOL_OF.get(trainer.preset.name, RTOL)
        self._atol = ATOL_OF.get(trainer.preset.name, ATOL)
        self._agent, self._initial = trainer.agent, _weights(trainer.agent)
        self._episodes = [_EpisodeActions() for _ in range(trainer.env.n_envs)]
        self._ended: deque[list[str]] = deque()
        self._step, self._row = trainer.env.step, trainer.logger.row
        trainer.env.step = self.step  # type: ignore[method-assign]
        trainer.logger.row = self.row  # type: ignore[method-assign]

    def step(self, actions: NDArray) -> tuple[StepResult, EpisodeStats]:
        assert not self._ended, "episodes ended without a progress row"
        result, finished = self._step(actions)
        for i in np.flatnonzero(result.valid):  # an invalid step is a reset: its action is unused
            self._episodes[i].add(np.asarray(actions[i]))
            if result.dones[i]:
                self._ended.append(self._episodes[i].cells())
                self._episodes[i] = _EpisodeActions()
        assert len(self._ended) == len(finished), "the env's episode ends are not ours"
        return result, finished

    def row(self, row: dict[str, Any]) -> None:
        self._row(row)
        actions = self._ended.popleft() if "Training Reward" in row else ["", "", ""]
        self.rows.append([_cell(row.get(column, "")) for column in DETERMINISTIC_COLUMNS]
                         + [repr(self._travel()), *actions])
        if self._stop_unlike:
            at = len(self.rows) - 1
            self._stop_unlike = [trace for trace in self._stop_unlike if first_difference(
                self.rows[at:], trace[at:at + 1], self._rtol, self._atol) is None]
            if not self._stop_unlike:  # differs from every one: the rest would only cost time
                self._trainer.request_stop("the trace differs")

    def _travel(self) -> float:
        """Euclidean distance of the trainable weights from where they started."""
        now = _weights(self._agent)
        return math.sqrt(sum(float(np.sum((now[key] - start) ** 2))
                             for key, start in self._initial.items()))


def _weights(agent: Agent) -> dict[str, NDArray]:
    """The agent's trainable float weights, as float64 copies, by network and name."""
    return {f"{name}/{key}": np.array(array, dtype=np.float64)
            for name in agent.trainable
            for key, array in agent.networks[name].get_weights().items()
            if np.issubdtype(array.dtype, np.floating)}


def _cell(value: Any) -> str:
    """A float as its repr (the shortest string that reads back exactly, up to 17 digits)."""
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def _trace_run(name: str, experiment_dir: Path, overrides: tuple[str, ...] = (),
               stop_unlike: list[list[list[str]]] | None = None,
               batch: tuple[str, ...] = ()) -> list[list[str]]:
    """``batch``: a batch-RL preset's dataset and step units (``batch_overrides``); its rows
    are its evaluations, ten over 12,800 transitions trained on."""
    steps, period = (12_800, 1_280) if batch else (TRACE_STEPS, 1000)
    preset = apply_overrides(load_preset(name), [
        f"schedule.improve_steps={steps}", f"schedule.evaluation_period={period}",
        "schedule.evaluation_episodes=3", f"run.seed={TRACE_SEED}",
        f"run.experiment_dir={experiment_dir}", *TRACE_OVERRIDES_OF.get(name, ()), *batch,
        *overrides,
    ])
    trainer = trainer_for(preset, run_dir=create_run_dir(preset), console=False)
    recorder = _Recorder(trainer, stop_unlike)
    trainer.run()
    return recorder.rows


def first_difference(got: list[list[str]], stored: list[list[str]],
                     rtol: float = RTOL, atol: float = ATOL) -> str | None:
    """Where a trace first differs from the stored one beyond the tolerance, or None."""
    for index, (row, want) in enumerate(zip(got, stored, strict=False)):
        for column, a, b in zip(TRACE_COLUMNS, row, want, strict=True):
            if not _same(column, a, b, rtol, atol):
                return f"row {index + 1}, {column}: got {a}, stored {b}"
    if len(got) != len(stored):
        return f"{len(got)} rows, stored {len(stored)}"
    return None


def _same(column: str, got: str, want: str, rtol: float, atol: float) -> bool:
    if got == want:
        return True
    if column in EXACT_COLUMNS or not got or not want:
        return False
    return math.isclose(float(got), float(want), rel_tol=rtol, abs_tol=atol)


def _write(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(TRACE_COLUMNS)
        writer.writerows(rows)


def _read(path: Path) -> list[list[str]]:
    assert path.is_file(), f"no stored trace {path}; run with --regenerate-traces"
    with open(path, newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert tuple(header) == TRACE_COLUMNS, f"{path} has other columns; --regenerate-traces"
    return rows


def _stored_traces(name: str) -> list[Path]:
    """The trace files of ``name``: its own, then one per CPU in ``ALTERNATE_TRACES``."""
    return [TRACES / f"{name}.csv",
            *(TRACES / f"{name}@{cpu}.csv" for cpu in ALTERNATE_TRACES.get(name, ()))]


def _presets() -> list[Any]:
    return [pytest.param(name, marks=pytest.mark.slow) if name in SLOW else name
            for name in sorted(preset_modules())]


@pytest.mark.parametrize("name", _presets())
def test_seeded_short_run_matches_the_stored_trace(
        name: str, tmp_path: Path, request: pytest.FixtureRequest, batch_overrides) -> None:
    rows = _trace_run(name, tmp_path, batch=tuple(batch_overrides(name)))
    path = TRACES / f"{name}.csv"
    if request.config.getoption("--regenerate-traces"):
        TRACES.mkdir(exist_ok=True)
        _write(path, rows)
    differences = {stored.name: first_difference(rows, _read(stored), *_tolerance(name))
                   for stored in _stored_traces(name)}
    assert None in differences.values(), f"{name} differs from every stored trace: {differences}"
    assert len(rows) > 5


@pytest.mark.parametrize(("name", "field"), [  # not slow: stops at the difference
    (name, field) for name in sorted(preset_modules()) for field in PERTURBED_FIELDS
    if (name, field) not in UNREAD])
def test_a_tiny_change_of_a_hyperparameter_changes_the_trace(
        name: str, field: str, tmp_path: Path, batch_overrides) -> None:
    """The tolerance is no blind spot: a 1e-4 relative change must fail the comparison."""
    value = load_preset(name)
    for part in field.split("."):
        value = getattr(value, part)
    assert isinstance(value, float), f"{name}: {field} is {value!r}, not a plain float"
    traces = [_read(path) for path in _stored_traces(name)]
    rows = _trace_run(name, tmp_path, (f"{field}={value * (1 + PERTURBATION)!r}",), traces,
                      batch=tuple(batch_overrides(name)))
    for path, stored in zip(_stored_traces(name), traces, strict=True):
        assert first_difference(rows, stored, *_tolerance(name)) is not None, (
            f"{name}: {field} * {1 + PERTURBATION} leaves the trace within the tolerance of "
            f"{path.name}")


def _tolerance(name: str) -> tuple[float, float]:
    return RTOL_OF.get(name, RTOL), ATOL_OF.get(name, ATOL)


def test_the_same_seed_gives_the_same_run(tmp_path: Path) -> None:
    assert _trace_run("CartPole_DQN", tmp_path / "a") == _trace_run("CartPole_DQN", tmp_path / "b")
