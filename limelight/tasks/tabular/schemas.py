"""Input and output schemas of the tabular tasks.

The input schema depends on the columns a version was trained on, so each loaded version builds
its own pydantic model from the manifest (``input_model_for``): a wrong type, a missing or an
unknown column, NaN or infinity is a 422 naming the field. ``null`` is allowed for every column
and means "missing": the pipeline imputes it, as it did in training. Unknown categories are
accepted and encoded as the pipeline learned to (infrequent bucket or all zeros).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    create_model,
    model_validator,
)

from limelight.tasks.tabular.columns import BOOLEAN, CATEGORICAL, NUMERIC, TEXT, ColumnSpec

NULL = {"type": "null"}


class _WrapFeatures(BaseModel):
    """Accepts ``{"features": {...}}`` and, as a shorthand, the bare ``{...}`` of features."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _wrap(cls, data: Any) -> Any:
        if isinstance(data, dict) and "features" not in data:
            return {"features": data}
        return data


class TabularInput(_WrapFeatures):
    """One record. The columns are those of the training data (see the version's schema)."""

    features: dict[str, Any] = Field(
        description='Column values, e.g. {"country": "France", "release_year": 2019}; '
        "null means missing (imputed)."
    )


class TabularClassPrediction(BaseModel):
    label: str = Field(description="The most probable label.")
    scores: dict[str, float] = Field(description="Probability of every label; they sum to 1.")


class TabularValuePrediction(BaseModel):
    value: float = Field(description="The predicted value.")


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number or null, got {_kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("expected a finite number (NaN and infinity are not accepted)")
    return number


def _boolean(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"expected true, false or null, got {_kind(value)}")


def _category(value: Any) -> str | int | None:
    if value is None or (isinstance(value, str | int) and not isinstance(value, bool)):
        return value
    raise ValueError(f"expected a category (a string or an integer) or null, got {_kind(value)}")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError(f"expected a string or null, got {_kind(value)}")


def _kind(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    for cls, name in names.items():
        if isinstance(value, cls):
            return (
                f"{name} ({value!r})" if not isinstance(value, str) else f"{name} ({value[:40]!r})"
            )
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


_VALIDATORS: dict[str, tuple[Any, dict[str, Any]]] = {
    NUMERIC: (_number, {"anyOf": [{"type": "number"}, NULL]}),
    BOOLEAN: (_boolean, {"anyOf": [{"type": "boolean"}, NULL]}),
    CATEGORICAL: (_category, {"anyOf": [{"type": "string"}, {"type": "integer"}, NULL]}),
    TEXT: (_text, {"anyOf": [{"type": "string"}, NULL]}),
}


def _field_type(spec: ColumnSpec) -> Any:
    check, schema = _VALIDATORS[spec.kind]
    return Annotated[Any, PlainValidator(check), WithJsonSchema(schema)]


def input_model_for(specs: list[ColumnSpec]) -> type[BaseModel]:
    """A pydantic model for ``{"features": {...}}`` with exactly the training columns."""
    fields: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        description = f"{spec.kind}" + (f" ({spec.encoding} encoded)" if spec.encoding else "")
        fields[f"f{i}"] = (
            _field_type(spec),
            Field(..., alias=spec.name, description=description),
        )
    features = create_model(
        "Features",
        __config__=ConfigDict(extra="forbid", strict=True, populate_by_name=False),
        **fields,
    )
    return create_model(
        "TabularInput",
        __base__=_WrapFeatures,
        features=(features, Field(..., description="Column values; null means missing.")),
    )


def features_of(item: BaseModel) -> dict[str, Any]:
    """The validated column values of one parsed input, keyed by column name."""
    features = item.features  # type: ignore[attr-defined]
    if isinstance(features, dict):
        return features
    return dict(features.model_dump(by_alias=True))
