"""What the Atari presets share: their levels (``--level Pong|Breakout|...``, ALE v5 games),
DeepMind's preprocessing (``env.preprocessing=atari``), the Nature network, Pong's threshold,
and the replay agents' cadence and memory.

The env is ALE's v5 version of each game as Machado et al. (2018) recommend it: sticky actions
(``repeat_action_probability`` 0.25, kept from v5 and written out here), the minimal action set,
a 108,000-frame episode limit; the pipeline makes it with ``frameskip=1`` and repeats each
action 4 times itself, max-pooling the last two frames, then 84x84 grayscale frames stacked 4
deep, uint8 and channels first; lost lives end learning episodes and rewards are clipped to
their sign during training only (docs/environments.md). One env step is 4 frames.

The network is the Nature DQN's (Mnih et al. 2015): convolutions 32 8x8 stride 4, 64 4x4
stride 2, 64 3x3 stride 1 (coachrl's image embedder), then 512 ReLU units, then the heads.

The threshold is on Pong (returns -21..21): the mean of 10 evaluation episodes >= 18 within 10M
env steps, RL-zoo's Atari budget, in which its DQN, QR-DQN and PPO reached 20.6, 20.5 and 21.0
on PongNoFrameskip-v4 (rl-baselines3-zoo benchmark.md; no sticky actions there, so 18 leaves
room for them). The Nature paper's DQN scored 18.9 on Pong. Another ``--level`` trains on that
game with the same values; the threshold stays Pong's (none is measured for the others here).
None of these learning runs has been measured here (tests/e2e/golden.py's LONG).
"""

from __future__ import annotations

from typing import Any

from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import EGreedy
from coachrl.params import (
    Activation,
    EnvironmentParams,
    ImageChannels,
    MemoryParams,
    NetworkParams,
    Preprocessing,
    ScheduleParams,
    Validation,
)

GAMES = ("Pong", "Breakout", "SpaceInvaders", "Qbert", "Seaquest", "BeamRider")
LEVELS = {game: f"ALE/{game}-v5" for game in GAMES}
THRESHOLD = 18.0  # Pong: points won minus points lost, -21..21
BUDGET = 10_000_000  # env steps (40M frames): RL-zoo's n_timesteps for Atari
EVALUATION_PERIOD = 250_000  # env steps: Dopamine's iteration (1M frames)
# v5's sticky actions (Machado et al. 2018), written out so that config.json shows them
STICKY_ACTIONS = {"repeat_action_probability": 0.25}


def run_fields(*, n_envs: int = 1, heatup: int = 0, threshold: float = THRESHOLD
               ) -> dict[str, Any]:
    """The preset's env (Pong through DeepMind's pipeline, ``n_envs`` of them), levels,
    schedule (``BUDGET`` env steps, ``heatup`` of them uniformly random first, an evaluation of
    10 episodes every ``EVALUATION_PERIOD``) and its ``threshold`` on Pong."""
    return {"env": EnvironmentParams(env_id=LEVELS["Pong"], n_envs=n_envs,
                                     preprocessing=Preprocessing.ATARI,
                                     env_kwargs=dict(STICKY_ACTIONS)),
            "levels": dict(LEVELS),
            "schedule": ScheduleParams(heatup_steps=EnvSteps(heatup),
                                       improve_steps=EnvSteps(BUDGET),
                                       evaluation_period=EnvSteps(EVALUATION_PERIOD),
                                       evaluation_episodes=Episodes(10),
                                       checkpoint_period=EnvSteps(500_000)),
            "validation": Validation(min_reward=threshold, max_env_steps=EnvSteps(BUDGET),
                                     episodes=Episodes(10))}


def nature_network(*, ortho_init: bool) -> NetworkParams:
    """The Nature CNN on [4, 84, 84] uint8 frames, then 512 ReLU units; one tower that every
    head shares (the actor-critic papers share it too)."""
    return NetworkParams(hidden_sizes=(512,), activation=Activation.RELU, separate_towers=False,
                         ortho_init=ortho_init, image_channels=ImageChannels.FIRST)


def replay(*, learning_starts: int, target_update_period: int, **changes: Any
           ) -> dict[str, Any]:
    """The replay agents' algorithm fields (DQN's cadence: a gradient step on 32 transitions
    every 4 env steps, gamma 0.99), with ``changes``. ``target_update_period`` counts gradient
    steps: the literature's env steps divided by 4."""
    return {"discount": 0.99, "batch_size": 32, "train_frequency": 4, "gradient_steps": 1,
            "learning_starts": learning_starts,
            "target_update_period": target_update_period} | changes


def replay_memory(capacity: int, **changes: Any) -> MemoryParams:
    """``capacity`` transitions, each distinct frame kept once (a stack of 4 shares 3 frames
    with the one before): about 7.3 kB a transition instead of 56 kB."""
    return MemoryParams(capacity=capacity, store_frames_once=True, **changes)


def e_greedy(*, decay_steps: int) -> EGreedy:
    """Epsilon from 1 to 0.01 over ``decay_steps`` env steps; greedy when evaluating, as every
    preset here (an exported policy acts as the evaluation did). Dopamine evaluates with 0.001,
    the Nature paper with 0.05: a greedy policy that never serves Breakout's ball plays until
    the 108,000-frame limit."""
    return EGreedy(schedule=Linear(start=1.0, end=0.01, duration=decay_steps))
