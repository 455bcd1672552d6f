"""A2C with an LSTM (the A3C agent in one process, recurrent) on CartPole-v1 without its
velocities (cart position and pole angle only); with ``--workers N``, asynchronous gradients
(A3C-LSTM), each worker normalising observations with the run's merged statistics:
`--workers 2 --envs-per-worker 4` reached 500 at 60,039 env steps (seed 0, 65.6 s; one run).
Without the normalisation seeds 0-2 ended at 285-391 in 300k env steps.

Network as CartPoleNoVel_ClippedPPO_LSTM's: per tower (separate actor and critic) an LSTM of 64
cells on the normalised observation, then 64 ReLU units. A2C's update: 8 envs, 32-step rollouts
trained as whole sequences (one gradient step per rollout), GAE 0.95, gamma 0.98, no entropy
bonus, Adam 7e-4 decayed linearly to 0 over the 300k budget, gradient clip 0.5.

Measured from the CLI (2026-12-01, `--stop-at-threshold`, evaluation every 10k env steps): seeds
0-4 reached 475 at 90,105, 110,196, 100,133, 100,237 and 80,113 env steps (21-38 s of training
on two busy cores). The FC-only variant (`--set agent.network.middleware=fc --set
agent.network.hidden_sizes=[64,64] --set agent.network.post_lstm_sizes=[]`): best evaluation 49.8
in 300k env steps. Tried and dropped: 16-step rollouts at 1e-3 (seed 1 never passed 233 in 500k;
over a 200k budget seeds 0 and 1 ended near 140), 32 steps at 1e-3 (seed 2 ended at 220).
"""

from coachrl.agents.a3c import A3CAlgorithmParams, A3CParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import Preset, ScheduleParams, Validation
from coachrl.presets._cartpole_novel import environment, recurrent_towers

IMPROVE_STEPS = 300_000

# Graph / schedule
schedule = ScheduleParams(
    improve_steps=EnvSteps(IMPROVE_STEPS),
    evaluation_period=EnvSteps(10_000),
    evaluation_episodes=Episodes(10),
    checkpoint_period=EnvSteps(50_000),
)

# Agent
agent = A3CParams(
    algorithm=A3CAlgorithmParams(discount=0.98, rollout_length=32, gae_lambda=0.95,
                                 entropy_weight=0.0, sequence_length=32, burn_in=0),
    network=recurrent_towers(),
    learning_rate=7e-4,
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
