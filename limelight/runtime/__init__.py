"""Runtime: loaded models and the manager that keeps them; nothing here knows HTTP."""

from limelight.runtime.manager import ModelManager
from limelight.runtime.model import LoadedModel, load, load_version

__all__ = ["LoadedModel", "ModelManager", "load", "load_version"]
