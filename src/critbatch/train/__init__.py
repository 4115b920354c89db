"""The training loop shared by every paper (:mod:`.loop`) and its registry of measurements
(:mod:`.measurements`, with the curvature scales of :mod:`.curvature`); ``critbatch.run(TrainConfig(...))`` loads or trains a run."""

from . import curvature  # registers the curvature measurements
from .loop import TrainConfig, train
from .measurements import measurement

__all__ = ["TrainConfig", "measurement", "train"]
