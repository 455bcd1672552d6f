"""A2C on CartPole-v1, 8 envs, RL-zoo hyperparameters: time and env steps to an eval of 475.

coachrl runs its ``CartPole_A2C`` preset (the A3C agent in one process), SB3 its ``A2C`` with the
same values: RL-zoo's A2C for CartPole (8 envs, 500k env steps, no entropy bonus) on SB3's A2C
defaults (5-step rollouts, gamma 0.99, n-step returns (GAE lambda 1), lr 7e-4 constant, value
coefficient 0.5, max grad norm 0.5, no advantage normalisation, orthogonal init). Two settings
are made equal on purpose: both use Adam with eps 1e-5 (SB3's A2C defaults to RMSprop, which
coachrl does not have; ``use_rms_prop=False`` gives SB3's own Adam with that eps), and both
use separate 64-64 tanh actor and critic towers (SB3's MlpPolicy; the preset has them since
2026-12-01, and the coachrl side still sets ``agent.network.separate_towers=true``, which the
first run needed). Issue #17's rule, fixed
before the first run: paired median wall time to threshold <= 0.5x SB3's over at least 5 seeds.
"""

from __future__ import annotations

from benchmarks.common import Options, Report
from benchmarks.threshold import Outcome, PresetAgainstSB3, Protocol, run_sb3

WALL_TARGET = 0.5  # coachrl / SB3, paired median of wall time to threshold

TITLE = "A2C CartPole-v1 (8 envs): time and env steps to eval >= 475"
STEPS = 500_000



def _sb3(protocol: Protocol, seed: int, quick: bool) -> Outcome:
    del quick  # the quick protocol's short budget is enough
    from stable_baselines3 import A2C
    from stable_baselines3.common.env_util import make_vec_env

    model = A2C(
        "MlpPolicy",
        make_vec_env(protocol.env_id, n_envs=8, seed=seed),
        n_steps=5,
        gamma=0.99,
        gae_lambda=1.0,
        ent_coef=0.0,
        vf_coef=0.5,
        max_grad_norm=0.5,
        learning_rate=7e-4,
        use_rms_prop=False,
        seed=seed,
        device="cpu",
        verbose=0,
    )
    return run_sb3(model, protocol, seed)


BENCHMARK = PresetAgainstSB3(
    title=TITLE, preset="CartPole_A2C", env_id="CartPole-v1", budget=STEPS,
    eval_period=5_000, quick_budget=800, quick_period=400, wall_target=WALL_TARGET,
    overrides=("agent.network.separate_towers=true",),
)


def run(options: Options) -> Report:
    return BENCHMARK.run(options, _sb3)


def summarise(report: Report, quick: bool = False) -> None:
    BENCHMARK.summarise(report, quick)
