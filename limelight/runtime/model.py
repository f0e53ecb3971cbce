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
        # A predictor whose schema depends on its training data (tabular columns) brings its
        # own input model; otherwise the task's fixed one applies.
        self.input_model: type[BaseModel] = getattr(predictor, "input_model", None) or (
            task.input_model
        )
        self._adapter: TypeAdapter[Any] = TypeAdapter(self.input_model)
        fields = self.input_model.model_fields
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
            for key, value in _strings(raw):
                if len(value) > max_text_chars:
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
            message = str(first["msg"]).removeprefix("Value error, ")
            if first["type"] == "extra_forbidden":
                message = f"unknown field (allowed: {self._allowed(first['loc'])})"
            elif first["type"] == "missing" and len(first["loc"]) > 1:
                message = "missing field: send every training column (null lets the model impute)"
            raise InvalidInput(f"{field}: {message}" if field else message, field=field) from exc

    def _allowed(self, loc: Sequence[Any]) -> str:
        model: Any = self.input_model
        for part in loc[:-1]:  # walk down to the nested model that refused the field
            info = getattr(model, "model_fields", {}).get(part)
            annotation = getattr(info, "annotation", None)
            if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
                break
            model = annotation
        names = [f.alias or n for n, f in model.model_fields.items()]
        shown = ", ".join(names[:30]) + (", …" if len(names) > 30 else "")
        return shown

    @property
    def holds_gil(self) -> bool:
        """Whether ``predict_batch`` runs Python code most of its time (the predictor says so
        with a ``holds_gil`` attribute); the batcher then runs its batches on the event loop."""
        return bool(getattr(self.predictor, "holds_gil", False))

    @property
    def can_explain(self) -> bool:
        return callable(getattr(self.predictor, "explain_batch", None))

    def explain_batch(self, inputs: Sequence[BaseModel], top_k: int = 10) -> list[dict[str, Any]]:
        """Prediction plus signed per-feature contributions, for predictors that support it."""
        explain = getattr(self.predictor, "explain_batch", None)
        if not callable(explain):
            raise InvalidInput(
                f"{self.name} ({self.info.algorithm}) cannot explain its predictions",
                field="ref",
            )
        outputs: list[dict[str, Any]] = explain(inputs, top_k=top_k)
        if len(outputs) != len(inputs):
            raise RuntimeError(
                f"{self.name} returned {len(outputs)} explanations for {len(inputs)} inputs"
            )
        return outputs

    def explain(self, items: Sequence[Any], top_k: int = 10) -> list[dict[str, Any]]:
        """Like predict(), with explanations."""
        return self.explain_batch(self._parse_items(items), top_k=top_k)

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]:
        outputs = self.predictor.predict_batch(inputs)
        if len(outputs) != len(inputs):
            raise RuntimeError(
                f"{self.name} returned {len(outputs)} outputs for {len(inputs)} inputs"
            )
        return outputs

    def predict(self, items: Sequence[Any]) -> list[dict[str, Any]]:
        """Convenience for Python callers: plain strings stand for the task's single field."""
        return self.predict_batch(self._parse_items(items))

    def _parse_items(self, items: Sequence[Any]) -> list[BaseModel]:
        if isinstance(items, str | bytes | Mapping):
            raise InvalidInput("predict() takes a list of inputs; wrap a single input in a list")
        parsed = []
        for i, item in enumerate(items):
            raw = (
                {self._single_field: item} if isinstance(item, str) and self._single_field else item
            )
            parsed.append(self.parse(raw, where=f"inputs[{i}]"))
        return parsed

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


def _strings(raw: Mapping[Any, Any]) -> list[tuple[str, str]]:
    """String values of an instance, one level of nesting included ({"features": {...}})."""
    out: list[tuple[str, str]] = []
    for key, value in raw.items():
        if isinstance(value, str):
            out.append((str(key), value))
        elif isinstance(value, Mapping):
            out.extend((f"{key}.{k}", v) for k, v in value.items() if isinstance(v, str))
    return out


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
