"""Agent base classes: what the runtime calls, the two drivers, and the family bases on them.

    info = agent.act(observations, step=env_steps, explore=True)
    result, finished = env.step(info.actions)
    agent.observe(observations, info, result)
    if agent.ready_to_train(env_steps):
        metrics = agent.train(env_steps)

Drivers: ``ReplayAgent`` (replay.py: a memory of declared columns, n-step transitions, gradient
steps on sampled batches, target updates) and ``RolloutAgent`` (rollout.py: collect, finish with
GAE, epochs of minibatches). Families on them: ``ValueOptimizationAgent`` (value.py: the DQN
family), ``PolicyOptimizationAgent`` (policy.py: actor-critics) and
``DeterministicActorCriticAgent`` (deterministic.py: DDPG, TD3); SAC sits on ``ReplayAgent``
directly. A concrete agent adds its params, its heads and one ``learn_from_batch``. The runtime
and distributed/ ask what an agent can do through the protocols in base.py
(``LearnsFromReplay``, ``LearnsFromRollouts``, ``LearnsFromStaleRollouts``,
``ComputesGradients``, ``EstimatesValues``),
never which class it is.
"""

from coachrl.agent.base import (
    Agent,
    AgentContext,
    ComputesGradients,
    EstimatesValues,
    LearnsFromReplay,
    LearnsFromRollouts,
    LearnsFromStaleRollouts,
    PolicyExport,
)
from coachrl.agent.continuous import ContinuousActorCriticAgent
from coachrl.agent.deterministic import (
    DeterministicActorCriticAgent,
    DeterministicActorCriticParams,
    DeterministicAlgorithmParams,
)
from coachrl.agent.policy import (
    PolicyOptimizationAgent,
    PolicyOptimizationAlgorithmParams,
    PolicyOptimizationParams,
    policy_head,
)
from coachrl.agent.replay import NSTEP_COMPUTED, ReplayAgent, ReplayAlgorithmParams
from coachrl.agent.rollout import WHOLE_ROLLOUT, RolloutAgent, RolloutAlgorithmParams
from coachrl.agent.value import (
    NOISE_BUFFERS,
    QLearningAlgorithmParams,
    ValueOptimizationAgent,
    ValueOptimizationAlgorithmParams,
    ValueOptimizationParams,
    taken_values,
)

__all__ = [
    "NOISE_BUFFERS",
    "NSTEP_COMPUTED",
    "WHOLE_ROLLOUT",
    "Agent",
    "AgentContext",
    "ComputesGradients",
    "ContinuousActorCriticAgent",
    "DeterministicActorCriticAgent",
    "DeterministicActorCriticParams",
    "DeterministicAlgorithmParams",
    "EstimatesValues",
    "LearnsFromReplay",
    "LearnsFromRollouts",
    "LearnsFromStaleRollouts",
    "PolicyExport",
    "PolicyOptimizationAgent",
    "PolicyOptimizationAlgorithmParams",
    "PolicyOptimizationParams",
    "QLearningAlgorithmParams",
    "ReplayAgent",
    "ReplayAlgorithmParams",
    "RolloutAgent",
    "RolloutAlgorithmParams",
    "ValueOptimizationAgent",
    "ValueOptimizationAlgorithmParams",
    "ValueOptimizationParams",
    "policy_head",
    "taken_values",
]
