"""Input and output schema of text classification."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class TextInput(BaseModel):
    """One text to classify."""

    model_config = ConfigDict(extra="forbid", strict=True)

    text: str = Field(description="The text to classify (review, comment, title…).")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text is empty: send at least one non-space character")
        return value


class TextPrediction(BaseModel):
    label: str = Field(description="The most probable label.")
    scores: dict[str, float] = Field(description="Probability of every label; they sum to 1.")
