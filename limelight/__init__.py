"""Limelight: self-hosted Model-as-a-Service for entertainment products.

import limelight
limelight.train("text-classification", "reviews.csv", text="review", target="sentiment",
                name="review-sentiment", alias="production")
limelight.load("review-sentiment@production").predict(["What a wonderful film"])
"""

from __future__ import annotations

__version__ = "0.1.0"

from limelight.api import load, train
from limelight.client import Client
from limelight.errors import (
    ArtifactIntegrityError,
    DataError,
    InvalidInput,
    LimelightError,
    ModelNotFound,
    NotFound,
    PayloadTooLarge,
    VersionNotFound,
)
from limelight.registry import ModelVersion, Registry
from limelight.runtime import LoadedModel
from limelight.settings import Settings

__all__ = [
    "ArtifactIntegrityError",
    "Client",
    "DataError",
    "InvalidInput",
    "LimelightError",
    "LoadedModel",
    "ModelNotFound",
    "ModelVersion",
    "NotFound",
    "PayloadTooLarge",
    "Registry",
    "Settings",
    "VersionNotFound",
    "__version__",
    "load",
    "train",
]
