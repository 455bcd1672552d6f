"""DDPG (Lillicrap et al. 2016): a deterministic tanh policy trained through a Q(s, a) critic,
with target networks of both that follow by Polyak averaging, and exploration noise on the
actions (Gaussian by default; Ornstein-Uhlenbeck as the paper, ``exploration=
OrnsteinUhlenbeck()``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from coachrl.agent import (
    DeterministicActorCriticAgent,
    DeterministicActorCriticParams,
    DeterministicAlgorithmParams,
)


@dataclass(slots=True, kw_only=True)
class DDPGAlgorithmParams(DeterministicAlgorithmParams):
    """One critic, an actor step with every critic step, no target smoothing."""

    critics: int = 1
    policy_delay: int = 1
    target_noise: float = 0.0


@dataclass(slots=True, kw_only=True)
class DDPGParams(DeterministicActorCriticParams):
    """SB3's DDPG defaults: 400-300 ReLU actor and critic, Adam 1e-3, batch 256, tau 0.005."""

    agent_path: ClassVar[str] = "coachrl.agents.ddpg:DDPGAgent"
    algorithm: DDPGAlgorithmParams = field(default_factory=DDPGAlgorithmParams)


class DDPGAgent(DeterministicActorCriticAgent):
    """y = r + gamma Q_target(s', mu_target(s')); the actor ascends Q(s, mu(s))."""

    params: DDPGParams
