"""What an endpoint is: a model reference, or a weighted split between references, with
batching settings and a stickiness key. Read from ``limelight.yaml`` or from admin calls.

    endpoints:
      reviews:
        model: review-sentiment@production
        batching: {max_batch_size: 32, max_wait_ms: 2}
      reviews-canary:
        split:
          - {model: review-sentiment@production, weight: 90}
          - {model: review-sentiment@candidate, weight: 10}
        sticky: header:X-User-Id        # or field:user_id (a top-level field of the body)
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from limelight.errors import InvalidInput
from limelight.registry.refs import parse_ref, validate_name


class Target(BaseModel):
    model_config = {"extra": "forbid"}

    model: str = Field(description="Model reference: name, name@alias or name/versions/N")
    weight: float = Field(default=1.0, gt=0, description="Relative share of the traffic")

    @field_validator("model")
    @classmethod
    def _valid_ref(cls, value: str) -> str:
        parse_ref(value)
        return value.strip()


class Batching(BaseModel):
    """Batching settings of an endpoint's models (applied by the adaptive batcher)."""

    model_config = {"extra": "forbid"}

    max_batch_size: int | None = Field(default=None, ge=1, le=4096)
    max_wait_ms: float | None = Field(default=None, ge=0, le=10_000)
    max_queue: int | None = Field(default=None, ge=1)
    timeout_s: float | None = Field(default=None, gt=0)


class EndpointSpec(BaseModel):
    """One endpoint: either ``model`` or ``split`` (two or more weighted targets)."""

    model_config = {"extra": "forbid"}

    model: str | None = Field(default=None, description="Model reference served by the endpoint")
    split: list[Target] | None = Field(default=None, description="Weighted targets (canary)")
    sticky: str | None = Field(
        default=None,
        description="Keep a caller on one target: header:NAME or field:NAME (top-level body "
        "field, removed before validation). Without it each request picks by weight.",
    )
    batching: Batching | None = None

    @field_validator("model")
    @classmethod
    def _valid_ref(cls, value: str | None) -> str | None:
        if value is not None:
            parse_ref(value)
            return value.strip()
        return value

    @field_validator("sticky")
    @classmethod
    def _valid_sticky(cls, value: str | None) -> str | None:
        if value is None:
            return value
        kind, _, name = value.partition(":")
        if kind not in ("header", "field") or not name.strip():
            raise ValueError("sticky must be header:NAME or field:NAME")
        return f"{kind}:{name.strip()}"

    @model_validator(mode="after")
    def _one_of(self) -> EndpointSpec:
        if (self.model is None) == (self.split is None):
            raise ValueError("an endpoint needs exactly one of model or split")
        if self.split is not None and len(self.split) < 1:
            raise ValueError("split needs at least one target")
        return self

    @property
    def targets(self) -> list[Target]:
        if self.split is not None:
            return list(self.split)
        assert self.model is not None
        return [Target(model=self.model, weight=1.0)]

    def choose(self, endpoint: str, key: str | None) -> Target:
        """Pick a target by weight. With a key the pick is a pure function of (endpoint, key),
        so one caller stays on one target while the weights stay the same."""
        targets = self.targets
        if len(targets) == 1:
            return targets[0]
        if key is None:
            point = random.random()
        else:
            digest = hashlib.sha256(f"{endpoint}\0{key}".encode()).digest()
            point = int.from_bytes(digest[:8], "big") / 2**64
        total = sum(t.weight for t in targets)
        running = 0.0
        for target in targets:
            running += target.weight / total
            if point < running:
                return target
        return targets[-1]


def validate_endpoint_name(name: str) -> str:
    return validate_name(name, "endpoint name")


def parse_endpoint(name: str, raw: Any, *, where: str = "") -> EndpointSpec:
    validate_endpoint_name(name)
    try:
        return EndpointSpec.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"])
        field = ".".join(p for p in (where, loc) if p) or None
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(f"{field}: {message}" if field else message, field=field) from exc


def load_file(path: Path) -> dict[str, EndpointSpec]:
    """Read ``limelight.yaml``: ``{endpoints: {NAME: spec}}``."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InvalidInput(f"deployment file {path} does not exist", field="file") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{path} is not valid YAML: {exc}", field="file") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("endpoints"), dict):
        raise InvalidInput(f"{path} needs a top-level 'endpoints:' mapping", field="endpoints")
    unknown = set(raw) - {"endpoints"}
    if unknown:
        raise InvalidInput(f"{path}: unknown top-level key {sorted(unknown)[0]!r}", field="file")
    return {
        str(name): parse_endpoint(str(name), spec, where=f"endpoints.{name}")
        for name, spec in raw["endpoints"].items()
    }


def dump_file(endpoints: dict[str, EndpointSpec]) -> str:
    return yaml.safe_dump(
        {"endpoints": {n: s.model_dump(exclude_none=True) for n, s in endpoints.items()}},
        sort_keys=False,
    )
