"""SAC on LunarLanderContinuous-v3 (Box2D; the ``[box2d]`` extra).

Values: RL-zoo's tuned SAC for LunarLanderContinuous (batch 256, Adam 7.3e-4, replay 1M, gamma
0.99, tau 0.01, a gradient step per env step after 10k uniform random steps, the temperature
tuned toward entropy -|A|), with 256-256 ReLU networks (SB3's default) for the zoo's 400-300,
which cost about twice the time a step; the learning rate is constant (the zoo decays it
linearly over 500k steps). Threshold: the env's "solved" mark, 200 over 10 evaluation episodes,
within 300k env steps (the zoo trains 500k).

Measured (seed 0, `--stop-at-threshold`, 2026-12-01, two cores shared with two other learning
runs and the test suite): 207.9 at 140,000 env steps, 2,815 s of training (evaluations -298.9 at
10,000, 108.6 at 80,000, 177.4 at 120,000, 133.9 at 130,000); seed 1: 220.7 at 100,000 env
steps, 1,803 s (4.1 at 90,000).
"""

from coachrl.agents.sac import SACAlgorithmParams, SACParams
from coachrl.params import Activation, MemoryParams, NetworkParams, Preset
from coachrl.presets._box2d import LUNAR_LANDER_THRESHOLD, run_fields

IMPROVE_STEPS, RANDOM_STEPS = 300_000, 10_000

agent = SACParams(
    algorithm=SACAlgorithmParams(
        discount=0.99, batch_size=256, train_frequency=1, gradient_steps=1,
        learning_starts=RANDOM_STEPS, target_update_tau=0.01, target_update_period=1,
        initial_temperature=1.0,
    ),
    network=NetworkParams(hidden_sizes=(256, 256), activation=Activation.RELU, ortho_init=False),
    memory=MemoryParams(capacity=1_000_000),
    learning_rate=7.3e-4,
    adam_epsilon=1e-8,
)

preset = Preset(agent=agent, **run_fields(
    env_id="LunarLanderContinuous-v3", n_envs=1, budget=IMPROVE_STEPS, evaluation_period=10_000,
    heatup=RANDOM_STEPS, threshold=LUNAR_LANDER_THRESHOLD))
