"""Input and output schemas of the tabular tasks.

The input schema depends on the columns a version was trained on, so each loaded version builds
its own pydantic model from the manifest (``input_model_for``): a wrong type, a missing or an
unknown column, NaN or infinity is a 422 naming the field. ``null`` is allowed for every column
and means "missing": the pipeline imputes it, as it did in training. Unknown categories are
accepted and encoded as the pipeline learned to (infrequent bucket or all zeros).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, create_model
from pydantic import model_validator

from limelight.tasks.tabular.columns import BOOLEAN, CATEGORICAL, NUMERIC, ColumnSpec

FiniteNumber = Annotated[float, Field(strict=False, allow_inf_nan=False)]


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


def _field_type(spec: ColumnSpec) -> Any:
    if spec.kind == NUMERIC:
        return FiniteNumber | None
    if spec.kind == BOOLEAN:
        return StrictBool | None
    if spec.kind == CATEGORICAL:
        return StrictStr | StrictInt | None
    return StrictStr | None



def input_model_for(specs: list[ColumnSpec]) -> type[BaseModel]:
    """A pydantic model for ``{"features": {...}}`` with exactly the training columns."""
    fields: dict[str, Any] = {}
    for i, spec in enumerate(specs):
        description = f"{spec.kind}" + (f" ({spec.encoding} encoded)" if spec.encoding else "")
        fields[f"f{i}"] = (
            _field_type(spec),
            Field(..., alias=spec.name, description=description),
        )
    features = create_model(  # type: ignore[call-overload]
        "Features",
        __config__=ConfigDict(extra="forbid", strict=True, populate_by_name=False),
        **fields,
    )
    return create_model(  # type: ignore[call-overload,no-any-return]
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
