"""coachrl: reinforcement-learning agents from reusable blocks (PyTorch, Gymnasium, Ray, TensorBoard)."""

__version__ = "0.1.0"
