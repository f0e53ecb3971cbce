"""Request and response shapes of recommendation."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

MAX_K = 1000
Id = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]


def _one_filter_error(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One error for a filter condition, not one per branch of the union ("filter.year.list[str]:
    Input should be a valid list" for a bad {"min": ...})."""
    try:
        return handler(value)
    except ValidationError as exc:
        raise PydanticCustomError(
            "filter_value",
            'a filter condition is a string, a list of strings, a number, or {"min": a, "max": b} '
            "with numbers a and b",
        ) from exc


FilterValue = Annotated[
    list[str] | str | float | dict[str, float], WrapValidator(_one_filter_error)
]


class RecommendInput(BaseModel):
    """Recommendations for one user."""

    model_config = ConfigDict(extra="forbid", strict=True)

    user_id: Id | None = Field(
        default=None, description="The user; unknown or absent users get cold-start answers."
    )
    k: int = Field(default=10, ge=1, le=MAX_K, description="How many items to return.")
    exclude_seen: bool = Field(default=True, description="Leave out items the user already has.")
    filter: dict[str, FilterValue] | None = Field(
        default=None,
        description='Catalog conditions, e.g. {"genres": ["Comedy"]} (any of the tags), '
        '{"year": {"min": 1990, "max": 1999}} (numbers), {"language": "en"} (values).',
    )
    recent_items: list[Id] | None = Field(
        default=None,
        max_length=1000,
        description="Items the user interacted with recently (session-based recommendations "
        "for users the model does not know; added to the history of known users).",
    )


class SimilarInput(BaseModel):
    """Items similar to one item."""

    model_config = ConfigDict(extra="forbid", strict=True)

    item_id: Id = Field(description="The item to find neighbours of.")
    k: int = Field(default=10, ge=1, le=MAX_K)
    filter: dict[str, FilterValue] | None = None


class RecommendedItem(BaseModel):
    item_id: str
    score: float
    title: str | None = None
    because: list[str] | None = Field(
        default=None, description="Items from the user's history that drove this one."
    )


class Recommendations(BaseModel):
    items: list[RecommendedItem]
    strategy: str = Field(
        description="personalized (known user), session (from recent_items), popular "
        "(nothing known), collaborative or content (similar items)."
    )
    model: str | None = None
    version: int | None = None
    unknown_items: list[str] | None = Field(
        default=None, description="recent_items the model does not know (ignored)."
    )
    unknown_filter_values: dict[str, list[str]] | None = Field(
        default=None,
        description="Filter values no catalog item holds, per field (they match nothing).",
    )


class Forgotten(BaseModel):
    user_id: str
    interactions_removed: int
    forgotten: str = Field(description="What was removed from the serving state.")
    kept_until_retrain: str = Field(description="What still carries the user until retraining.")
    versions: list[int] = Field(description="Loaded versions the user was removed from.")
    model: str
    version: int


def parse_request(model: type[BaseModel], raw: Any) -> Any:
    """Validate a request body against ``model``; InvalidInput (422) names the first bad field."""
    from pydantic import ValidationError

    from limelight.errors import InvalidInput

    if not isinstance(raw, dict):
        raise InvalidInput("the request body must be a JSON object")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in first["loc"]) or None
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = f"unknown field (allowed: {', '.join(model.model_fields)})"
        raise InvalidInput(f"{loc}: {message}" if loc else message, field=loc) from exc
