"""Experience memories: preallocated numpy buffers, vectorised, saveable."""

from coachrl.memories.prioritized import PrioritizedReplay, SumTree
from coachrl.memories.replay import ReplayBuffer
from coachrl.memories.rollout import RolloutBuffer

__all__ = ["PrioritizedReplay", "ReplayBuffer", "RolloutBuffer", "SumTree"]
