"""Request and response shapes of recommendation."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_K = 1000
Id = Annotated[str, StringConstraints(min_length=1, max_length=256, strip_whitespace=True)]
FilterValue = list[str] | str | float | dict[str, float]


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
    extra: dict[str, Any] | None = None
