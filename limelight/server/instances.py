"""Reading the inputs of a predict-shaped body: one instance, or ``{"instances": [...]}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from limelight.errors import InvalidInput, PayloadTooLarge
from limelight.runtime import LoadedModel
from limelight.settings import Settings


def parse_instances(
    body: Any, model: LoadedModel, settings: Settings, *, allowed: tuple[str, ...] = ()
) -> tuple[list[BaseModel], bool]:
    """(validated inputs, whether the body was a batch). ``allowed`` names extra top-level
    keys the route itself reads (e.g. ``top_k``); they are removed before validation."""
    if isinstance(body, dict) and allowed:
        body = {k: v for k, v in body.items() if k not in allowed}
    limit = settings.max_text_chars
    if isinstance(body, dict) and "instances" in body:
        instances = body["instances"]
        if len(body) > 1:
            extra = next(k for k in body if k != "instances")
            raise InvalidInput(f"unknown field {extra!r} beside instances", field=extra)
        if not isinstance(instances, list) or not instances:
            raise InvalidInput("instances must be a non-empty list of objects", field="instances")
        if len(instances) > settings.max_instances:
            raise PayloadTooLarge(
                f"{len(instances)} instances in one request; the limit is {settings.max_instances}",
                field="instances",
            )
        parsed = [
            model.parse(item, max_text_chars=limit, where=f"instances[{i}]")
            for i, item in enumerate(instances)
        ]
        return parsed, True
    return [model.parse(body, max_text_chars=limit)], False
