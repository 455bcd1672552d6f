"""The columns a memory stores: declared by the agent, preallocated by the memory.

    columns = transition_columns(observation_shape=(4,), observation_dtype=np.float32,
                                 action_shape=(), action_dtype=np.int64,
                                 extra=(Column(B.MASKS, (10,)),))   # Bootstrapped DQN's masks
    memory = ReplayBuffer(capacity=100_000, columns=columns)

Every ``add`` must supply exactly the declared columns (an error names what is missing or not
declared); ``sample`` returns all of them, rows drawn together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.errors import ConfigError


@dataclass(slots=True, frozen=True)
class Column:
    """One stored field: its batch key, the shape of one row, and its dtype."""

    name: str
    shape: tuple[int, ...] = ()
    dtype: Any = np.float32

    def allocate(self, rows: int) -> NDArray:
        return np.zeros((rows, *self.shape), dtype=self.dtype)


def transition_columns(*, observation_shape: tuple[int, ...], observation_dtype: Any,
                       action_shape: tuple[int, ...], action_dtype: Any,
                       extra: Iterable[Column] = ()) -> tuple[Column, ...]:
    """(s, a, r, s', terminated), and the agent's own columns after them."""
    columns = (Column(B.OBSERVATIONS, tuple(observation_shape), observation_dtype),
               Column(B.ACTIONS, tuple(action_shape), action_dtype),
               Column(B.REWARDS), Column(B.NEXT_OBSERVATIONS, tuple(observation_shape),
                                         observation_dtype),
               Column(B.TERMINATED), *extra)
    check_unique(columns)
    return columns


def check_unique(columns: Sequence[Column]) -> None:
    names = [column.name for column in columns]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ConfigError(f"memory columns declared twice: {', '.join(repeated)}")


def check_supplied(columns: Sequence[Column], rows: Mapping[str, Any]) -> None:
    """The rows carry exactly the declared columns; the error names the difference."""
    declared = {column.name for column in columns}
    missing, undeclared = declared - set(rows), set(rows) - declared
    if missing or undeclared:
        raise ConfigError(
            f"a memory declared with columns {', '.join(sorted(declared))} was given "
            + "; ".join(part for part in (
                f"no {', '.join(sorted(missing))}" if missing else "",
                f"undeclared {', '.join(sorted(undeclared))}" if undeclared else "") if part)
            + " (declare extra columns with the agent's memory_columns())")
