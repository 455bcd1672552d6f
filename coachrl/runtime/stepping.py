"""One step of every env with the agent acting: the step the Trainer and rollout workers share.

    stepper = EnvStepper(env, agent, filters, heatup=preset.schedule.heatup_steps)
    observations = stepper.reset()
    info, result, finished = stepper.step(observations, env_steps)
    agent.observe(observations, info, result)  # or build transitions, or keep the columns
"""

from __future__ import annotations

from numpy.typing import NDArray

from coachrl.agent import Agent
from coachrl.core.batch import ActionInfo, EpisodeStats, StepResult
from coachrl.core.environment import VectorEnvironment
from coachrl.runtime.build import Filters


class EnvStepper:
    """Acts (uniformly random actions during heatup, the agent's exploring policy after), steps
    the vector env and applies the run's filters to what comes back."""

    def __init__(self, env: VectorEnvironment, agent: Agent, filters: Filters, *,
                 heatup: int) -> None:
        self.env, self.agent, self.filters, self.heatup = env, agent, filters, int(heatup)

    def reset(self) -> NDArray:
        """The filtered first observations of every env."""
        return self.filters.observations_of(self.env.reset(), update=True)

    def step(self, observations: NDArray,
             env_steps: int) -> tuple[ActionInfo, StepResult, EpisodeStats]:
        """One step of every env from ``observations``, ``env_steps`` into training: the actions
        taken, the filtered result and the episodes that ended."""
        if env_steps < self.heatup:
            info = self.agent.random_actions(self.env.n_envs)
        else:
            info = self.agent.act(observations, step=env_steps, explore=True)
        result, finished = self.env.step(info.actions)
        self.agent.forget_ended_episodes(result)
        return info, self.filters.step(result), finished
