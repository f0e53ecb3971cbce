"""Input and output schema of the embedding task."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class EmbeddingInput(BaseModel):
    """One text to embed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(description="The text to embed (a title, a description, a query…).")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty: send at least one non-space character")
        return value


class EmbeddingOutput(BaseModel):
    embedding: list[float] = Field(description="L2-normalized vector (384 numbers for MiniLM).")
