"""DDPG with hindsight experience replay (Andrychowicz et al. 2017) on Gymnasium-Robotics' Fetch
arm (the ``[robotics]`` extra; ``--level Reach|Push|PickAndPlace|Slide``, default Reach).

Values: RL-zoo's HER values for FetchReach (its off-policy agents share them): 64-64 ReLU actor
and critic, Adam 1e-3, batches of 256, gamma 0.95, a gradient step per env step after 1,000
uniform random steps, Polyak targets with tau 0.005; Gaussian action noise 0.1 (DDPG's
default). Whole 50-step episodes in replay, each stored with 4 copies relabelled by future
achieved goals, the reward the env's own (0 within 5 cm of the goal, -1 elsewhere), and no
termination on reaching it (Fetch runs to its time limit). The observation is the env's Dict
(observation, achieved and desired goal) as one record; the actor and critic read its fields
concatenated. Threshold: evaluation success rate (the env's ``is_success``) >= 0.9 over 20
episodes within the zoo's 20k env steps.

Tried first (seed 0, 2026-12-01): Baselines' HER values on one worker (256-256-256, gamma 0.98,
20 gradient steps after each episode, targets with tau 0.05 every 20) reached a success rate of
0.65 at 12,500 env steps and 0.3 at 15,000.
"""

from coachrl.agents.ddpg import DDPGAlgorithmParams, DDPGParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.params import (
    Activation,
    EnvironmentParams,
    Hindsight,
    MemoryKind,
    MemoryParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
    ValidationMetric,
)

LEVELS = {name: f"Fetch{name}-v4" for name in ("Reach", "Push", "PickAndPlace", "Slide")}
BUDGET, RANDOM_STEPS, EVALUATION_EPISODES = 20_000, 1_000, 20

agent = DDPGParams(
    algorithm=DDPGAlgorithmParams(
        discount=0.95, batch_size=256, train_frequency=1, gradient_steps=1,
        learning_starts=RANDOM_STEPS, target_update_period=1, target_update_tau=0.005),
    network=NetworkParams(hidden_sizes=(64, 64), activation=Activation.RELU, ortho_init=False),
    memory=MemoryParams(capacity=1_000_000, kind=MemoryKind.EPISODIC, hindsight=Hindsight.FUTURE,
                        hindsight_goals=4, goal_tolerance=0.05, goal_terminates=False),
    learning_rate=1e-3,
    adam_epsilon=1e-8,
)

preset = Preset(
    agent=agent,
    env=EnvironmentParams(env_id=LEVELS["Reach"]),
    levels=dict(LEVELS),
    schedule=ScheduleParams(heatup_steps=EnvSteps(RANDOM_STEPS), improve_steps=EnvSteps(BUDGET),
                            evaluation_period=EnvSteps(2_500),
                            evaluation_episodes=Episodes(EVALUATION_EPISODES),
                            checkpoint_period=EnvSteps(10_000)),
    validation=Validation(min_reward=0.9, max_env_steps=EnvSteps(BUDGET),
                          episodes=Episodes(EVALUATION_EPISODES),
                          metric=ValidationMetric.SUCCESS_RATE),
)
