"""Training: read, clean, split, select among candidates, register."""

from limelight.training.trainer import library_versions, train

__all__ = ["library_versions", "train"]
