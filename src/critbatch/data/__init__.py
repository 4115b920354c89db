"""Data: official archives verified by checksum (:mod:`.archives`) and the device-resident
batch server whose batch size may change at any step (:mod:`.loader`).

``python -m critbatch.data NAME ...`` fetches and verifies archives ahead of a run.
"""

from .archives import (NORMALIZATION, SOURCES, FEATURE_SETS, ChecksumError, DataUnavailable, Dataset, fetch,
                       load, load_features, main, random_crop_flip, subset_indices)
from .loader import DeviceLoader

__all__ = ["ChecksumError", "DataUnavailable", "Dataset", "DeviceLoader", "FEATURE_SETS", "NORMALIZATION",
           "SOURCES", "fetch", "load", "load_features", "random_crop_flip", "subset_indices"]
