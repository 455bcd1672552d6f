"""Clipped PPO with an LSTM on CartPole-v1 without its velocities (observations: cart position
and pole angle only), so the policy must infer the motion from what it remembers.

Values: RL-zoo's RecurrentPPO CartPoleNoVel-v1 settings (8 envs, 32-step rollouts trained as
whole sequences in one 256-step minibatch, 20 epochs, GAE 0.8, gamma 0.98, lr 1e-3 and clip
range 0.2 decayed linearly, observations normalised, rewards not) and its policy: per tower
(separate actor and critic) an LSTM of 64 cells straight on the observation, then one layer of
64 ReLU units (``post_lstm_sizes``; zoo's net_arch pi=[64], vf=[64]), no orthogonal init.
Measured seed 0, `--stop-at-threshold`, two cores shared with a test run (2026-12-01, c50dd46):
- this preset: 500 at 51,203 env steps (72.6 s of training; 81 s for the whole command);
  evaluations before it 110, 85, 124, 147, 146, 109, 178, 248, 199;
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
    env=environment(),
    schedule=schedule,
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(IMPROVE_STEPS),
                          episodes=Episodes(10)),
)
