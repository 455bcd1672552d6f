"""PPO on CartPole-v1, 8 envs, RL-zoo hyperparameters: time and env steps to an eval of 475.

coachrl runs its ``CartPole_ClippedPPO`` preset, SB3 its ``PPO`` with the same values:
n_envs 8, n_steps 32, batch 256, 20 epochs, gamma 0.98, GAE lambda 0.8, lr 1e-3 -> 0 linearly,
clip 0.2 -> 0 linearly, entropy 0, value coefficient 0.5, max grad norm 0.5, Adam eps 1e-5,
separate 64-64 tanh actor and critic with orthogonal init, per-minibatch advantage normalisation.
"""

from __future__ import annotations

from benchmarks.common import Options, Report
from benchmarks.threshold import Outcome, PresetAgainstSB3, Protocol, run_sb3

WALL_TARGET = 0.3  # coachrl / SB3, paired median of wall time to threshold (issue #21; 0.5 before)

TITLE = "PPO CartPole-v1 (8 envs): time and env steps to eval >= 475"
STEPS = 100_000



def _sb3(protocol: Protocol, seed: int, quick: bool) -> Outcome:
    del quick  # the quick protocol's short budget is enough
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env

    model = PPO(
        "MlpPolicy",
        make_vec_env(protocol.env_id, n_envs=8, seed=seed),
        n_steps=32,
        batch_size=256,
        n_epochs=20,
        gamma=0.98,
        gae_lambda=0.8,
        ent_coef=0.0,
        learning_rate=lambda remaining: 1e-3 * remaining,
        clip_range=lambda remaining: 0.2 * remaining,
        seed=seed,
        device="cpu",
        verbose=0,
    )
    return run_sb3(model, protocol, seed)


BENCHMARK = PresetAgainstSB3(
    title=TITLE, preset="CartPole_ClippedPPO", env_id="CartPole-v1", budget=STEPS,
    eval_period=2_560, quick_budget=1_024, quick_period=512, wall_target=WALL_TARGET,
)


def run(options: Options) -> Report:
    return BENCHMARK.run(options, _sb3)


def summarise(report: Report, quick: bool = False) -> None:
    BENCHMARK.summarise(report, quick)
