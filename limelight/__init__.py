"""Limelight: self-hosted Model-as-a-Service for entertainment products.

    import limelight
    limelight.train("text-classification", "reviews.csv", text="review", target="sentiment",
                    name="review-sentiment", alias="production")
    limelight.load("review-sentiment@production").predict(["What a wonderful film"])

Names are imported on first use, so ``import limelight`` (and every CLI command) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "train": "limelight.api",
    "load": "limelight.api",
    "Client": "limelight.client",
    "ArtifactIntegrityError": "limelight.errors",
    "DataError": "limelight.errors",
    "InvalidInput": "limelight.errors",
    "LimelightError": "limelight.errors",
    "ModelNotFound": "limelight.errors",
    "NotFound": "limelight.errors",
    "PayloadTooLarge": "limelight.errors",
    "VersionNotFound": "limelight.errors",
    "ModelVersion": "limelight.registry",
    "Registry": "limelight.registry",
    "LoadedModel": "limelight.runtime",
    "Settings": "limelight.settings",
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'limelight' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
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
