"""One ``Logger`` fanning out to TensorBoard, Coach-style progress.csv and the console."""

from coachrl.logging.logger import Logger

__all__ = ["Logger"]
