"""TD3 (Fujimoto et al. 2018): DDPG with twin critics whose minimum makes the target, target
policy smoothing (clipped Gaussian noise on the target action) and an actor step, with the
target updates, every ``policy_delay`` critic steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from coachrl.agent import (
    DeterministicActorCriticAgent,
    DeterministicActorCriticParams,
    DeterministicAlgorithmParams,
)


@dataclass(slots=True, kw_only=True)
class TD3AlgorithmParams(DeterministicAlgorithmParams):
    """The paper's: twin critics, policy delay 2, smoothing noise 0.2 clipped at 0.5."""

    critics: int = 2
    policy_delay: int = 2
    target_noise: float = 0.2
    target_noise_clip: float = 0.5


@dataclass(slots=True, kw_only=True)
class TD3Params(DeterministicActorCriticParams):
    """SB3's TD3 defaults: Adam 1e-3, batch 256, tau 0.005, Gaussian exploration 0.1."""

    agent_path: ClassVar[str] = "coachrl.agents.td3:TD3Agent"
    algorithm: TD3AlgorithmParams = field(default_factory=TD3AlgorithmParams)


class TD3Agent(DeterministicActorCriticAgent):
    """y = r + gamma min_i Q_target,i(s', clip(mu_target(s') + clip(eps, -c, c), -1, 1))."""

    params: TD3Params
