"""UCB DQN on a 25-state exploration chain (Osband et al. 2016): the far end pays 1, the
near end 0.001, so dithering exploration settles for the near end; 10 heads with masks
p = 0.5. Threshold: the evaluation reaches the far end (return 1) within 100k env steps.
Measured, seed 0: with ReLU units the far end at 66,000 env steps (32.9 s of training,
2026-12-01, two cores shared with the test suite); with tanh units (the registered Bootstrapped
preset's) it missed in 100k steps."""

from coachrl.agents.bootstrapped_dqn import BootstrappedAlgorithmParams, BootstrappedDQNParams
from coachrl.core.steps import EnvSteps, Episodes
from coachrl.exploration import UCB
from coachrl.params import (
    Activation,
    EnvironmentParams,
    MemoryParams,
    NetworkParams,
    Preset,
    ScheduleParams,
    Validation,
)

BUDGET = 100_000

preset = Preset(
    agent=BootstrappedDQNParams(
        algorithm=BootstrappedAlgorithmParams(
            heads=10, mask_probability=0.5, discount=0.99, batch_size=64, train_frequency=16,
            gradient_steps=4, learning_starts=500, target_update_period=100),
        network=NetworkParams(hidden_sizes=(64,), activation=Activation.RELU, ortho_init=False),
        memory=MemoryParams(capacity=100_000),
        exploration=UCB(bonus=1.0),
        learning_rate=1e-3, adam_epsilon=1e-8, max_grad_norm=10.0),
    env=EnvironmentParams(env_id="coachrl/ExplorationChain-v0", env_kwargs={"n": 25}),
    schedule=ScheduleParams(heatup_steps=EnvSteps(500), improve_steps=EnvSteps(BUDGET),
                            evaluation_period=EnvSteps(2_000), evaluation_episodes=Episodes(1),
                            checkpoint_period=EnvSteps(20_000)),
    validation=Validation(min_reward=1.0, max_env_steps=EnvSteps(BUDGET), episodes=Episodes(1)),
)
