"""DQN on CartPole-v1, RL-zoo hyperparameters: time and env steps to an eval of 475.

coachrl runs its ``CartPole_DQN`` preset, SB3 its ``DQN`` with the same values: 1 env,
lr 2.3e-3, batch 64, buffer 100k, learning starts 1000, gamma 0.99, train every 256 env steps
with 128 gradient steps, target synced once per training round (SB3: every 10 env steps),
epsilon 1 -> 0.04 over 8000 env steps, 256-256 ReLU Q-network with torch's default init,
Huber loss; for coachrl the benchmark also sets SB3's defaults max grad norm 10, Adam eps 1e-8.
"""

from __future__ import annotations

from benchmarks.common import Options, Report
from benchmarks.threshold import Outcome, PresetAgainstSB3, Protocol, run_sb3

WALL_TARGET = 0.5  # coachrl / SB3, paired median of wall time to threshold (issue #21; 0.7 before)

TITLE = "DQN CartPole-v1: time and env steps to eval >= 475"
STEPS = 50_000



def _sb3(protocol: Protocol, seed: int, quick: bool) -> Outcome:
    from stable_baselines3 import DQN
    from stable_baselines3.common.env_util import make_vec_env

    model = DQN(
        "MlpPolicy",
        make_vec_env(protocol.env_id, n_envs=1, seed=seed),
        learning_rate=2.3e-3,
        batch_size=64,
        buffer_size=100_000,
        learning_starts=1_000,
        gamma=0.99,
        target_update_interval=10,
        train_freq=256,
        gradient_steps=8 if quick else 128,
        exploration_fraction=8_000 / protocol.budget,
        exploration_final_eps=0.04,
        policy_kwargs={"net_arch": [256, 256]},
        seed=seed,
        device="cpu",
        verbose=0,
    )
    return run_sb3(model, protocol, seed)


BENCHMARK = PresetAgainstSB3(
    title=TITLE, preset="CartPole_DQN", env_id="CartPole-v1", budget=STEPS,
    eval_period=2_560, quick_budget=1_600, quick_period=800, wall_target=WALL_TARGET,
    every_seed=True, quick_overrides=("agent.algorithm.gradient_steps=8",),
)


def run(options: Options) -> Report:
    return BENCHMARK.run(options, _sb3)


def summarise(report: Report, quick: bool = False) -> None:
    BENCHMARK.summarise(report, quick)
