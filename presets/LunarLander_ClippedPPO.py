"""Clipped PPO on LunarLander-v3 (Box2D; the ``[box2d]`` extra).

Values: RL-zoo's tuned PPO for LunarLander (16 envs, 1,024-step rollouts, 4 epochs of 64-sample
minibatches, gamma 0.999, GAE 0.98, entropy bonus 0.01, 1M env steps) with SB3's PPO defaults
for the rest (Adam 3e-4, clip 0.2, value weight 0.5, gradient norm 0.5, separate 64-64 tanh
towers). Threshold: the env's "solved" mark, 200 over 10 evaluation episodes, within the zoo's
1M steps.

Measured from the CLI (`--stop-at-threshold`, an evaluation per rollout, 2026-12-01, two cores
shared with other runs): seed 0 reached 219.2 at 456,606 env steps (305.6 s of training; 154.4
at 309,318, 197.8 at 440,243); seed 1 reached 205.6 at 571,123
(229.8 s of training).
"""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.params import Activation, NetworkParams, Preset
from coachrl.presets._box2d import LUNAR_LANDER_THRESHOLD, run_fields

N_ENVS, ROLLOUT_LENGTH, IMPROVE_STEPS = 16, 1_024, 1_000_000

agent = ClippedPPOParams(
    algorithm=ClippedPPOAlgorithmParams(discount=0.999, gae_lambda=0.98,
                                        rollout_length=ROLLOUT_LENGTH, epochs=4, batch_size=64,
                                        entropy_weight=0.01),
    network=NetworkParams(hidden_sizes=(64, 64), activation=Activation.TANH, separate_towers=True),
    learning_rate=3e-4,
    max_grad_norm=0.5,
)

preset = Preset(agent=agent, **run_fields(
    env_id="LunarLander-v3", n_envs=N_ENVS, budget=IMPROVE_STEPS,
    evaluation_period=N_ENVS * ROLLOUT_LENGTH,  # one evaluation per rollout
    threshold=LUNAR_LANDER_THRESHOLD))
