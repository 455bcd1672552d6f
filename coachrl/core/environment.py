"""The vector-environment interface the runtime drives; adapters live in ``environments/``.

    env = adapter(params, seed=seed)
    observations = env.reset()
    while training:
        result, finished = env.step(actions)   # StepResult, EpisodeStats of episodes that ended
"""

from __future__ import annotations

from typing import Any, Protocol

from numpy.typing import NDArray

from coachrl.core.batch import EpisodeStats, StepResult
from coachrl.core.spaces import EnvSpaces


class VectorEnvironment(Protocol):
    """N environments stepped together, with explicit autoreset steps (``StepResult.valid``)."""

    spaces: EnvSpaces
    n_envs: int

    def reset(self) -> NDArray:
        """New episodes in every env: seeded on the first call, continuing the envs' random
        streams after it (so repeated evaluations meet new initial states)."""
        ...

    def step(self, actions: NDArray) -> tuple[StepResult, EpisodeStats]: ...

    def render_frames(self) -> list[NDArray]:
        """RGB frames of each env, for video; empty when the env cannot render."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """Plain-data state for exact resume; empty when the env cannot be snapshotted."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> bool:
        """Restore ``state_dict``; False when nothing was restored (the run resets instead)."""
        ...

    def close(self) -> None: ...
