"""Clipped PPO with an LSTM on CartPole-v1 without its velocities (observations: cart position
and pole angle only), so the policy must infer the motion from what it remembers.

Values: RL-zoo's RecurrentPPO CartPoleNoVel-v1 settings (8 envs, 32-step rollouts trained as
whole sequences in one 256-step minibatch, 20 epochs, GAE 0.8, gamma 0.98, lr 1e-3 and clip
range 0.2 decayed linearly, observations normalised) and its policy: per tower (separate actor
and critic) an LSTM of 64 cells straight on the observation, then one layer of 64 ReLU units
(``post_lstm_sizes``; zoo's net_arch pi=[64], vf=[64]), no orthogonal init.

Rewards are scaled by 0.1. The zoo's ``normalize: true`` scales them too (VecNormalize divides
by the running std of the discounted return, about 0.1 here); without it the critic regresses
returns of up to 50 with its 1e-3 step size, and seed 0 peaked at 454.7 in 100k steps on an
AVX2 machine (AMD EPYC, 2026-12-02) where an AVX-512 one had reached 500 at 51,203: a preset
that learns or not by the last bits of its CPU's sums. Seeds 0-5 on the EPYC,
`--stop-at-threshold` (2026-12-02): unscaled, seeds 0 and 1 never reached 475 (best 454.7 and
455.9), seeds 2-5 at 30,916, 30,921, 20,660 and 61,467 env steps; scaled by 0.1, every seed
reached it, seeds 0-11 at 30,935, 20,490, 10,325, 25,647, 46,246 (475.4), 25,617, 36,065,
15,446, 30,916, 25,854, 56,439 (496.1) and 36,056 env steps (median 28,385; seed 0's command
took 183 s of wall time on two cores shared with another run and a test run).
Measured before the scaling (seed 0, an AVX-512 machine, 2026-12-01, c50dd46):
- the FC-only variant (`--set agent.network.middleware=fc --set agent.network.hidden_sizes=
  [64,64] --set agent.network.post_lstm_sizes=[]`): best evaluation 47.7 in 100k env steps,
  final 41.1 (33.9 s): below 200, as a memoryless policy must stay.
Earlier tries without the layer after the LSTM (64 tanh cells on the observation, orthogonal
init) peaked at 265-310 in 100k steps.
"""

from coachrl.agents.clipped_ppo import ClippedPPOAlgorithmParams, ClippedPPOParams
from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import Preset, ScheduleParams, Validation
from coachrl.presets._cartpole_novel import environment, recurrent_towers

IMPROVE_STEPS = 100_000

# Graph / schedule
schedule = ScheduleParams(
    improve_steps=EnvSteps(IMPROVE_STEPS),
    evaluation_period=EnvSteps(5_120),
    evaluation_episodes=Episodes(10),
    checkpoint_period=EnvSteps(20_480),
)

# Agent
agent = ClippedPPOParams(
    algorithm=ClippedPPOAlgorithmParams(
        discount=0.98, gae_lambda=0.8, rollout_length=32, epochs=20, batch_size=256,
        sequence_length=32, burn_in=0,
        clip_range=Linear(start=0.2, end=0.0, duration=IMPROVE_STEPS), entropy_weight=0.0,
    ),
    network=recurrent_towers(),
    learning_rate=1e-3,
    learning_rate_decay="linear",
    max_grad_norm=0.5,
)

preset = Preset(
    agent=agent,
    env=environment(reward_scale=0.1),
    schedule=schedule,
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS),
                          episodes=Episodes(10)),
)
