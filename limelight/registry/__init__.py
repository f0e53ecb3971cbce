"""Model registry: metadata store (SQLAlchemy) plus artifact store (local folder)."""

from limelight.registry.artifacts import LocalArtifactStore
from limelight.registry.refs import ModelRef, parse_ref
from limelight.registry.registry import AliasEvent, ModelSummary, ModelVersion, Registry

__all__ = [
    "AliasEvent",
    "LocalArtifactStore",
    "ModelRef",
    "ModelSummary",
    "ModelVersion",
    "Registry",
    "parse_ref",
]
