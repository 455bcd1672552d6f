"""N-step Q-learning on CartPole-v1: 8 envs, 8-step rollouts, four gradient steps on each
(the whole rollout a batch), the target network copied every 100 gradient steps; with
--workers N, asynchronous (Mnih et al. 2016). Measured (2026-11-30, seed 0): 494 at 10,048 env
steps (45 s on two busy cores); with 16-step rollouts and one gradient step each (1,562 in
200k steps) its best was 291.

With workers each worker runs 2 envs (``run.envs_per_worker``): many small actors, as the
paper's, each sending one gradient per 2 x 8-step rollout. With the preset's 8 envs per worker
the learner got an eighth of one process's gradient steps per env step and 2 async workers
peaked at 134 in 200k steps. ``--workers 2 --mode async``, first evaluation >= 475 (2026-12-01):
seed 0 at 60k, 95k and 130k env steps (three runs: async is not deterministic), seeds 1-5 at
50k, 115k, 85k, 135k and 65k; 18-49 s each. On two cores shared with other runs (2026-12-01):
seed 0 at 130k, seeds 4 and 5 at 110k and 135k, while one CI run was still at 416 when its
200k steps ran out; its evaluations swing between about 150 and 450 for tens of thousands of
steps before the first >= 475, so the budget is 300k (in one process it stops at 10k)."""

from coachrl.agents.n_step_q import NStepQAlgorithmParams, NStepQParams
from coachrl.core.schedules import Linear
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import EGreedy
from coachrl.params import (
    Activation,
    EnvironmentParams,
    NetworkParams,
    Preset,
    RunParams,
    ScheduleParams,
    Validation,
)

BUDGET = 300_000

preset = Preset(
    agent=NStepQParams(
        algorithm=NStepQAlgorithmParams(discount=0.99, rollout_length=8, epochs=4,
                                        target_update_period=100),
        network=NetworkParams(hidden_sizes=(256, 256), activation=Activation.RELU,
                              ortho_init=False),
        exploration=EGreedy(schedule=Linear(start=1.0, end=0.04, duration=40_000)),
        learning_rate=1e-3, adam_epsilon=1e-8, max_grad_norm=10.0),
    env=EnvironmentParams(env_id="CartPole-v1", n_envs=8),
    schedule=ScheduleParams(improve_steps=EnvSteps(BUDGET), evaluation_period=EnvSteps(5_000),
                            evaluation_episodes=Episodes(10), checkpoint_period=EnvSteps(20_000)),
    validation=Validation(min_reward=475.0, max_env_steps=EnvSteps(BUDGET)),
    run=RunParams(envs_per_worker=2))
