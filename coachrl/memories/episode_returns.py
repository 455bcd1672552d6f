"""Monte-Carlo returns for replay (mixed Monte-Carlo targets, Ostrovski et al. 2017; Coach's
MMC agent): each env's transitions wait until its episode ends, then leave together, each with
its discounted return to the episode's end in the ``mc_returns`` column and its index in the
episode in ``episode_steps``.

    builder = EpisodeReturnsBuilder(discount=0.99, n_envs=8)
    transitions = builder.add(step_transitions, dones=result.dones, valid=result.valid)
    memory.add(transitions)   # the finished episodes' transitions, maybe none

A truncated episode's returns stop at the truncation (no bootstrap: the tail is unknown). The
waiting transitions are part of the agent's checkpoint, so resume loses none.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.core.returns import returns_to_go
from coachrl.errors import CheckpointError

MC_RETURNS = "mc_returns"
EPISODE_STEPS = "episode_steps"  # each transition's index in its episode (0 starts one)


class EpisodeReturnsBuilder:
    """Per-env open episodes of transitions; ``add`` releases the finished ones with returns."""

    def __init__(self, *, discount: float, n_envs: int) -> None:
        self.discount, self.n_envs = discount, n_envs
        self.open: list[list[dict[str, NDArray]]] = [[] for _ in range(n_envs)]

    def pending(self) -> int:
        """Transitions waiting for their episode to end."""
        return sum(len(rows) for rows in self.open)

    def add(self, transitions: dict[str, NDArray], *, dones: NDArray,
            valid: NDArray) -> dict[str, NDArray]:
        """One step's transition of every env ([N, ...] rows; env i's row counts where
        ``valid[i]``); returns the transitions of the episodes this step ended."""
        finished: list[dict[str, NDArray]] = []
        for env in np.flatnonzero(valid):
            self.open[env].append({name: np.array(value[env]) for name, value in
                                   transitions.items()})
            if dones[env]:
                finished.append(self._release(int(env)))
        if not finished:
            empty = {name: value[:0] for name, value in transitions.items()}
            return empty | {MC_RETURNS: np.zeros(0, np.float32),
                            EPISODE_STEPS: np.zeros(0, np.int64)}
        return {name: np.concatenate([f[name] for f in finished]) for name in finished[0]}

    def _release(self, env: int) -> dict[str, NDArray]:
        rows, self.open[env] = self.open[env], []
        episode = {name: np.stack([row[name] for row in rows]) for name in rows[0]}
        returns = returns_to_go(episode[B.REWARDS], self.discount)
        return episode | {MC_RETURNS: returns.astype(np.float32),
                          EPISODE_STEPS: np.arange(len(rows), dtype=np.int64)}

    def state_dict(self) -> dict[str, Any]:
        return {"open": [{name: np.stack([row[name] for row in rows]) for name in rows[0]}
                         if rows else {} for rows in self.open]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if len(state["open"]) != self.n_envs:
            raise CheckpointError(f"the checkpoint's open episodes are for {len(state['open'])} "
                                  f"envs; this run has {self.n_envs}")
        self.open = [[{name: np.array(column[t]) for name, column in episode.items()}
                      for t in range(len(next(iter(episode.values()))) if episode else 0)]
                     for episode in state["open"]]
