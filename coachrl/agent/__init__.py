"""Agent base classes: what the runtime calls, and the shared machinery of the two big families.

    info = agent.act(observations, step=env_steps, explore=True)
    result, finished = env.step(info.actions)
    agent.observe(observations, info, result)
    if agent.ready_to_train(env_steps):
        metrics = agent.train(env_steps)

``ValueOptimizationAgent`` (DQN family: replay + e-greedy + target network) and
``PolicyOptimizationAgent`` (PPO/A2C family: rollout buffer + stochastic policy) hold all the
bookkeeping; a concrete agent adds its params, its heads and one ``learn_from_batch``.
"""

from coachrl.agent.base import (
    Agent,
    AgentContext,
    EstimatesValues,
    LearnsFromReplay,
    LearnsFromRollouts,
)
from coachrl.agent.policy import (
    PolicyOptimizationAgent,
    PolicyOptimizationAlgorithmParams,
    PolicyOptimizationParams,
)
from coachrl.agent.replay import NSTEP_COMPUTED, ReplayAgent, ReplayAlgorithmParams
from coachrl.agent.value import (
    NOISE_BUFFERS,
    ValueOptimizationAgent,
    ValueOptimizationAlgorithmParams,
    ValueOptimizationParams,
)

__all__ = ["NOISE_BUFFERS", "NSTEP_COMPUTED", "Agent", "AgentContext", "EstimatesValues",
           "LearnsFromReplay", "LearnsFromRollouts",
           "PolicyOptimizationAgent", "PolicyOptimizationAlgorithmParams",
           "PolicyOptimizationParams", "ReplayAgent", "ReplayAlgorithmParams",
           "ValueOptimizationAgent", "ValueOptimizationAlgorithmParams", "ValueOptimizationParams"]
