"""Input and output schema of semantic search."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class SearchInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    query: str = Field(description='What to look for, e.g. "feel-good heist comedy"')
    k: int = Field(10, ge=1, le=100, description="How many items to return")
    filter: dict[str, Any] | None = Field(
        None,
        description='Stored-field conditions: {"type": "Movie"}, {"rating": ["PG", "PG-13"]}, '
        '{"listed_in": {"contains": "Comedies"}}',
    )

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query is empty: send at least one non-space character")
        return value


class SearchHit(BaseModel):
    id: str
    score: float = Field(description="Cosine similarity to the query")
    fields: dict[str, Any]


class SearchOutput(BaseModel):
    results: list[SearchHit]
