"""coachrl: reinforcement-learning agents from reusable blocks.

Built on PyTorch, Gymnasium, Ray and TensorBoard.
"""

__version__ = "0.1.0"
