"""Frame-efficient replay of stacked image observations (Mnih et al. 2015's replay memory).

A stack of k frames (Gymnasium's frame stacking: [k, H, W], or [H, W, k]) shares k - 1 frames
with the next observation and with the previous transition's. Stored as they are, an 84x84x4
uint8 transition costs 2 x 28,224 bytes (s and s'); here each distinct frame is stored once, in
a content-addressed store (a 16-byte BLAKE2 digest per frame) with reference counts, and a
transition keeps 2k frame indices. A frame is freed when the last transition using it is
overwritten, so the memory holds about one frame per transition (the exact figures are in
benchmarks/, ``frame_memory``). Deduplication by content makes no assumption about how the env
stacks or pads frames at a reset, nor about n-step transitions (s' is n steps on).

    memory = FrameReplay(capacity=1_000_000, columns=columns, stack_axis=0)
    memory.add(transitions)            # full observations in, as any replay memory
    batch = memory.sample(32, rng)     # full observations out
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
from numpy.typing import NDArray

from coachrl.core import batch as B
from coachrl.errors import CheckpointError, ConfigError
from coachrl.memories.columns import Column
from coachrl.memories.prioritized import PrioritizedReplay
from coachrl.memories.replay import ReplayBuffer

OBSERVATION_KEYS = (B.OBSERVATIONS, B.NEXT_OBSERVATIONS)
CHUNK = 4096  # frames per block of the store: it grows by blocks, never by copying
DIGEST = 16


class FrameStore:
    """Distinct frames, each stored once, found by content, freed when unreferenced."""

    def __init__(self, frame_shape: tuple[int, ...], dtype: Any) -> None:
        self.frame_shape, self.dtype = tuple(frame_shape), np.dtype(dtype)
        self._empty()

    def _empty(self) -> None:
        self.blocks: list[NDArray] = []
        self.references = np.zeros(0, np.int32)
        self.digests: list[bytes] = []
        self.slot_of: dict[bytes, int] = {}
        self.free: list[int] = []

    def __len__(self) -> int:
        """Frames held."""
        return len(self.slot_of)

    @property
    def nbytes(self) -> int:
        """Bytes allocated for frames and their bookkeeping arrays."""
        return sum(block.nbytes for block in self.blocks) + self.references.nbytes

    def _grow(self) -> None:
        first = len(self.blocks) * CHUNK
        self.blocks.append(np.empty((CHUNK, *self.frame_shape), self.dtype))
        self.references = np.concatenate([self.references, np.zeros(CHUNK, np.int32)])
        self.digests += [b""] * CHUNK
        self.free.extend(range(first + CHUNK - 1, first - 1, -1))  # lowest slot first

    def intern(self, frames: NDArray) -> NDArray:
        """The slots of ``frames`` [m, *frame_shape], storing those not held yet; each use is
        one reference."""
        slots = np.empty(len(frames), np.int64)
        for index, frame in enumerate(frames):
            digest = hashlib.blake2b(np.ascontiguousarray(frame).data,
                                     digest_size=DIGEST).digest()
            slot = self.slot_of.get(digest)
            if slot is None:
                if not self.free:
                    self._grow()
                slot = self.free.pop()
                self.blocks[slot // CHUNK][slot % CHUNK] = frame
                self.slot_of[digest] = slot
                self.digests[slot] = digest
            slots[index] = slot
        np.add.at(self.references, slots, 1)
        return slots

    def release(self, slots: NDArray) -> None:
        """Drop one reference per slot; a frame nobody uses any more is freed."""
        if not len(slots):  # the stacks a memory overwrites before it first fills
            return
        np.subtract.at(self.references, slots, 1)
        unused = slots[self.references[slots] == 0]
        if not len(unused):
            return
        for slot in np.unique(unused):
            del self.slot_of[self.digests[slot]]
            self.free.append(int(slot))

    def gather(self, slots: NDArray) -> NDArray:
        flat = slots.ravel()
        out = np.empty((len(flat), *self.frame_shape), self.dtype)
        blocks, offsets = np.divmod(flat, CHUNK)
        for block in np.unique(blocks):
            where = blocks == block
            out[where] = self.blocks[block][offsets[where]]
        return out.reshape(*slots.shape, *self.frame_shape)

    def state_dict(self) -> dict[str, Any]:
        held = np.array(sorted(self.slot_of.values()), np.int64)
        return {"slots": held, "frames": self.gather(held), "references": self.references[held]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._empty()
        held = np.asarray(state["slots"], np.int64)
        while len(self.blocks) * CHUNK < (int(held.max()) + 1 if len(held) else 0):
            self._grow()
        frames = np.asarray(state["frames"])
        for slot, frame in zip(held, frames, strict=True):
            digest = hashlib.blake2b(np.ascontiguousarray(frame).data,
                                     digest_size=DIGEST).digest()
            self.blocks[slot // CHUNK][slot % CHUNK] = frame
            self.slot_of[digest], self.digests[slot] = int(slot), digest
        self.references[held] = state["references"]
        taken = set(held.tolist())
        self.free = [slot for slot in self.free if slot not in taken]


class FrameReplay(ReplayBuffer):
    """A replay memory (uniform; ``PrioritizedFrameReplay`` for priorities) whose observations
    and next observations are frame stacks kept in a ``FrameStore``."""

    def __init__(self, *, stack_axis: int = 0, **memory: Any) -> None:
        declared = {column.name: column for column in memory["columns"]}
        observation = declared[B.OBSERVATIONS]
        if len(observation.shape) != 3 or stack_axis not in (0, -1, 2):
            raise ConfigError(f"frame storage needs stacked images [k, H, W] or [H, W, k]; the "
                              f"observations are {observation.shape} (stack_axis={stack_axis})")
        self.stack_axis = 0 if stack_axis == 0 else -1
        shape = observation.shape
        self.stack = shape[0] if self.stack_axis == 0 else shape[-1]
        frame_shape = shape[1:] if self.stack_axis == 0 else shape[:-1]
        self.frames = FrameStore(frame_shape, observation.dtype)
        super().__init__(**memory)

    def _allocate(self, column: Column) -> NDArray:
        # frame indices instead of the pixels, never allocated: 1M stacks of 4 84x84 frames
        # are 26 GiB, more than many machines let a process map even for a moment
        if column.name in OBSERVATION_KEYS:
            return np.full((self.capacity, self.stack), -1, np.int32)
        return super()._allocate(column)

    @property
    def nbytes(self) -> int:
        """Bytes allocated: the frames, and every column (frame indices included)."""
        return self.frames.nbytes + sum(array.nbytes for array in self.storage.values())

    def _split(self, stacks: NDArray) -> NDArray:
        """[m, k, H, W] or [m, H, W, k] -> frames [m * k, H, W]."""
        if self.stack_axis != 0:
            stacks = np.moveaxis(stacks, -1, 1)
        return stacks.reshape(-1, *self.frames.frame_shape)

    def _put(self, slots: slice | NDArray, transitions: dict[str, NDArray]) -> None:
        for key in OBSERVATION_KEYS:
            old = self.storage[key][slots]
            self.frames.release(old[old >= 0])
        for key, array in self.storage.items():
            if key in OBSERVATION_KEYS:
                stacks = transitions[key]
                array[slots] = self.frames.intern(self._split(stacks)).reshape(len(stacks), -1)
            else:
                array[slots] = transitions[key]

    def _gather(self, indices: NDArray) -> dict[str, NDArray]:
        batch = {key: array[indices] for key, array in self.storage.items()
                 if key not in OBSERVATION_KEYS}
        for key in OBSERVATION_KEYS:
            stacks = self.frames.gather(self.storage[key][indices])  # [B, k, H, W]
            batch[key] = stacks if self.stack_axis == 0 else np.moveaxis(stacks, 1, -1)
        return batch

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()  # frame indices in place of the observations
        state["frames"] = self.frames.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "frames" not in state:
            raise CheckpointError("this checkpoint's replay memory stores whole observations; "
                                  "this run stores frames once (memory.store_frames_once)")
        super().load_state_dict(state)
        self.frames.load_state_dict(state["frames"])


class PrioritizedFrameReplay(FrameReplay, PrioritizedReplay):
    """Prioritised replay (Schaul et al. 2016) over frame-efficient storage."""
