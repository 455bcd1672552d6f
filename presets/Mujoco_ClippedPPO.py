"""Clipped PPO on MuJoCo (default InvertedPendulum-v5; ``--level HalfCheetah|Hopper``).

Values: CleanRL's ppo_continuous_action (the PPO paper's MuJoCo settings): one env, 2,048-step
rollouts, 10 epochs of 64-step minibatches, gamma 0.99, GAE 0.95, clip range 0.2 on the
surrogate and on the value, entropy 0, value weight 0.5, Adam 3e-4 decayed linearly, gradient
norm 0.5, separate 64-64 tanh actor and critic with orthogonal init, a state-independent
log-std from 0, observations normalised and clipped at 10. Changed: the learning rate decays
to 0 over this preset's budget, not CleanRL's 1M steps; rewards are not normalised (coachrl
has no running return normaliser; InvertedPendulum pays 1 a step). With ``--workers`` each
worker normalises with the run's merged statistics. On ``--level HalfCheetah|Hopper`` the
budget is 1M env steps, so the learning rate decays as CleanRL's does.
Measured (`--stop-at-threshold`, 2026-12-01, two cores shared with other runs): seed 0 1000.0
at the first evaluation, 11,684 env steps, 5.4 s of training; seed 1 1000.0 at 21,855 (461.6 at
11,667), 9.0 s.
"""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.core.schedules import Constant
from coachrl.params import Activation, FilterParams, NetworkParams, Preset
from coachrl.presets._mujoco import run_fields

IMPROVE_STEPS = 200_000

agent = ClippedPPOParams(
    algorithm=ClippedPPOAlgorithmParams(
        discount=0.99, gae_lambda=0.95, rollout_length=2_048, epochs=10, batch_size=64,
        clip_range=Constant(constant=0.2), value_clip_range=0.2, value_weight=0.5,
        entropy_weight=0.0,
    ),
    network=NetworkParams(hidden_sizes=(64, 64), activation=Activation.TANH, separate_towers=True,
                          ortho_init=True),
    learning_rate=3e-4,
    learning_rate_decay="linear",
    adam_epsilon=1e-5,
    max_grad_norm=0.5,
)

preset = Preset(agent=agent, **run_fields(
    budget=IMPROVE_STEPS, evaluation_period=10_240,
    filters=FilterParams(normalize_observations=True, observation_clip=10.0)))
