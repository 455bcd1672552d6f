"""Observation and reward filters between the environment and the agent."""

from coachrl.filters.observation import ObservationNormalizer
from coachrl.filters.reward import RewardFilter

__all__ = ["ObservationNormalizer", "RewardFilter"]
