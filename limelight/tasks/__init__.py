"""Tasks: each fixes its schemas, metrics and candidate algorithms. Register new tasks here."""

from __future__ import annotations

from limelight.errors import InvalidInput
from limelight.tasks.base import (
    Algorithm,
    NullProgress,
    Predictor,
    Progress,
    Task,
    TrainOptions,
    TrainOutcome,
)
from limelight.tasks.embedding import Embedding
from limelight.tasks.recommendation import Recommendation
from limelight.tasks.semantic_search import SemanticSearch
from limelight.tasks.tabular import TabularClassification, TabularRegression
from limelight.tasks.text_classification import TextClassification

TASKS: dict[str, type[Task]] = {
    cls.name: cls
    for cls in (
        TextClassification,
        TabularClassification,
        TabularRegression,
        Recommendation,
        Embedding,
        SemanticSearch,
    )
}


def get_task(name: str) -> Task:
    try:
        return TASKS[name]()
    except KeyError:
        known = ", ".join(TASKS)
        raise InvalidInput(f"unknown task {name!r}; choose one of: {known}", field="task") from None


__all__ = [
    "TASKS",
    "Algorithm",
    "NullProgress",
    "Predictor",
    "Progress",
    "Task",
    "TrainOptions",
    "TrainOutcome",
    "get_task",
]
