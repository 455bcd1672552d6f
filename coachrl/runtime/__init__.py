"""The training loop, evaluation, run directories and checkpoints."""
