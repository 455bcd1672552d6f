"""User-facing error types: each message says what was wrong, the value given and what is valid."""

from __future__ import annotations


class CoachrlError(Exception):
    """Base class of every error the CLI reports without a traceback."""


class ConfigError(CoachrlError, ValueError):
    """A parameter, override or command-line value is invalid."""


class PresetNotFound(CoachrlError, LookupError):
    """No preset has the requested name."""


class IncompatibleSpaces(CoachrlError, TypeError):
    """The environment's observation or action space does not fit the agent."""


class CheckpointError(CoachrlError):
    """A checkpoint or run directory is missing, truncated, foreign or of another format."""


class TrainingDiverged(CoachrlError):
    """Training produced non-finite values too many times in a row."""


class ClusterError(CoachrlError):
    """A Ray cluster cannot be reached or cannot host the requested rollout workers."""


class WorkerFailed(CoachrlError):
    """Rollout workers failed more often than the run's restart limit allows."""


class WorkerHung(CoachrlError):
    """A rollout worker gave no answer within the run's worker timeout."""


class ExportError(CoachrlError):
    """A run's policy cannot be exported in the asked format (what is missing is named)."""
