"""TD3 on BipedalWalker-v3 (Box2D; the ``[box2d]`` extra).

Values: RL-zoo's tuned TD3 for BipedalWalker (gamma 0.98, replay 200k, 10k uniform random steps
first, Gaussian action noise 0.1, Adam 1e-3, a gradient step per env step, TD3's twin critics,
delayed actor and smoothed targets) with 256-256 ReLU networks for the zoo's 400-300, which
cost about twice the time a step. Threshold: the env's "solved" mark, 300 over 10 evaluation
episodes, within 300k env steps (the zoo trains 1M; the budget is what a run here reached).

Measured (seed 0, 2026-12-01, the whole budget, two cores shared with two other learning runs
and the test suite): evaluations -3.8 at 10,000, -119.4 at 50,000, -48.1 at 100,000, 239.7 at
150,000, 291.6 at 200,000, then 249.3-291.6, and 309.1 at 260,000 env steps (3,690 s of
training), the first >= 300; 311.2 at 270,000, then 280.7-291.9 to the end of the budget
(4,462 s).
"""

from coachrl.agents.td3 import TD3AlgorithmParams, TD3Params
from coachrl.core.schedules import Constant
from coachrl.exploration import AdditiveGaussian
from coachrl.params import Activation, MemoryParams, NetworkParams, Preset
from coachrl.presets._box2d import run_fields

IMPROVE_STEPS, RANDOM_STEPS = 300_000, 10_000
THRESHOLD = 300.0  # gymnasium.spec("BipedalWalker-v3").reward_threshold

agent = TD3Params(
    algorithm=TD3AlgorithmParams(discount=0.98, learning_starts=RANDOM_STEPS),
    network=NetworkParams(hidden_sizes=(256, 256), activation=Activation.RELU, ortho_init=False),
    memory=MemoryParams(capacity=200_000),
    exploration=AdditiveGaussian(schedule=Constant(constant=0.1)),
    learning_rate=1e-3,
)

preset = Preset(agent=agent, **run_fields(
    env_id="BipedalWalker-v3", n_envs=1, budget=IMPROVE_STEPS, evaluation_period=10_000,
    heatup=RANDOM_STEPS, threshold=THRESHOLD))
