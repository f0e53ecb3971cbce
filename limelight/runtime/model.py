"""A loaded model: validated inputs in, ``predict_batch`` out. Knows nothing of HTTP, so the same
object serves inside uvicorn, inside a Ray replica or in a batch job."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from limelight.errors import InvalidInput, PayloadTooLarge
from limelight.registry import ModelVersion, Registry
from limelight.registry.refs import ModelRef
from limelight.tasks import Predictor, Task, get_task


class LoadedModel:
    def __init__(self, version: ModelVersion, task: Task, predictor: Predictor) -> None:
        self.info = version
        self.task = task
        self.predictor = predictor
        self._adapter: TypeAdapter[Any] = TypeAdapter(task.input_model)
        fields = task.input_model.model_fields
        self._single_field = next(iter(fields)) if len(fields) == 1 else None

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def version(self) -> int:
        return self.info.version

    @property
    def manifest(self) -> dict[str, Any]:
        return self.info.manifest

    def parse(self, raw: Any, *, max_text_chars: int | None = None, where: str = "") -> BaseModel:
        """Validate one raw instance against the task's input schema."""
        if not isinstance(raw, Mapping):
            raise InvalidInput(
                f"{where or 'the request body'} must be a JSON object like "
                f'{{"{self._single_field or "field"}": ...}}',
                field=where or None,
            )
        if max_text_chars is not None:
            for key, value in raw.items():
                if isinstance(value, str) and len(value) > max_text_chars:
                    raise PayloadTooLarge(
                        f"{_join(where, key)} has {len(value)} characters; the limit is "
                        f"{max_text_chars}",
                        field=_join(where, key),
                    )
        try:
            return self._adapter.validate_python(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            loc = ".".join(str(p) for p in first["loc"]) or None
            field = _join(where, loc) if loc else (where or None)
            message = first["msg"]
            if first["type"] == "extra_forbidden":
                allowed = ", ".join(self.task.input_model.model_fields)
                message = f"unknown field (allowed: {allowed})"
            raise InvalidInput(f"{field}: {message}" if field else message, field=field) from exc

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]:
        outputs = self.predictor.predict_batch(inputs)
        if len(outputs) != len(inputs):
            raise RuntimeError(
                f"{self.name} returned {len(outputs)} outputs for {len(inputs)} inputs"
            )
        return outputs

    def predict(self, items: Sequence[Any]) -> list[dict[str, Any]]:
        """Convenience for Python callers: plain strings stand for the task's single field."""
        if isinstance(items, str | bytes | Mapping):
            raise InvalidInput("predict() takes a list of inputs; wrap a single input in a list")
        parsed = []
        for i, item in enumerate(items):
            raw = (
                {self._single_field: item} if isinstance(item, str) and self._single_field else item
            )
            parsed.append(self.parse(raw, where=f"inputs[{i}]"))
        return self.predict_batch(parsed)

    def describe(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "name": self.name,
            "version": self.version,
            "task": self.task.name,
            "algorithm": self.info.algorithm,
            "aliases": list(self.info.aliases),
            "input_schema": m.get("input_schema"),
            "output_schema": m.get("output_schema"),
            "metrics": m.get("metrics"),
            "created_at": self.info.created_at.isoformat(),
        }


def load_version(registry: Registry, version: ModelVersion) -> LoadedModel:
    """Verify the artifact's checksum, then load it with the task that trained it."""
    folder = registry.artifact_dir(version)
    task = get_task(version.task)
    return LoadedModel(version, task, task.load(folder, version.manifest))


def load(registry: Registry, ref: str | ModelRef) -> LoadedModel:
    return load_version(registry, registry.resolve(ref))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
