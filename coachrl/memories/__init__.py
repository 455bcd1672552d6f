"""Experience memories: preallocated numpy buffers with declared columns, vectorised, saveable."""

from coachrl.memories.columns import Column, transition_columns
from coachrl.memories.dnd import DifferentiableNeuralDictionary
from coachrl.memories.episode_returns import EPISODE_STEPS, MC_RETURNS, EpisodeReturnsBuilder
from coachrl.memories.episodic import Episode, EpisodicMemory
from coachrl.memories.frames import FrameReplay, FrameStore, PrioritizedFrameReplay
from coachrl.memories.hindsight import GoalReward, GoalStrategy, hindsight_relabel
from coachrl.memories.nstep import NStepBuilder
from coachrl.memories.prioritized import PrioritizedReplay, SumTree
from coachrl.memories.replay import ReplayBuffer
from coachrl.memories.rollout import RolloutBuffer
from coachrl.memories.segments import SegmentReplay

__all__ = ["EPISODE_STEPS", "MC_RETURNS", "Column", "DifferentiableNeuralDictionary", "Episode",
           "EpisodeReturnsBuilder", "EpisodicMemory", "FrameReplay", "FrameStore", "GoalReward",
           "GoalStrategy", "NStepBuilder",
           "PrioritizedFrameReplay", "PrioritizedReplay", "ReplayBuffer", "RolloutBuffer",
           "SegmentReplay", "SumTree", "hindsight_relabel", "transition_columns"]
