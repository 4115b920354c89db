"""The training loop shared by every paper (:mod:`.loop`) and its registry of measurements
(:mod:`.measurements`); ``critbatch.run(TrainConfig(...))`` loads or trains a run."""

from .loop import TrainConfig, train
from .measurements import measurement

__all__ = ["TrainConfig", "measurement", "train"]
