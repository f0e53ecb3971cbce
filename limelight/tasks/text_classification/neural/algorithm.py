"""What the three neural algorithms share: their estimator trains with progress, is not refitted
on train + validation (it already early-stopped on a held-out slice), and saves itself as ONNX."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from limelight.tasks.base import Algorithm
from limelight.tasks.text_classification.neural.tokens import Tokenizer, WordPiece, WordVocab

EMBEDDINGS = ("minilm", "scratch")


class NeuralAlgorithm(Algorithm):
    reports_progress: ClassVar[bool] = True
    refit: ClassVar[bool] = False
    artifact_format: ClassVar[str] = "onnx"

    def save(self, estimator: Any, folder: Path) -> None:
        estimator.save(folder)

    @classmethod
    def load(cls, folder: Path) -> Any:
        from limelight.tasks.text_classification.neural.serving import OnnxTextClassifier

        return OnnxTextClassifier(folder)


def check_embeddings(value: str) -> str:
    from limelight.errors import InvalidInput

    if value not in EMBEDDINGS:
        raise InvalidInput(
            f"embeddings must be one of {', '.join(EMBEDDINGS)}, not {value!r}", field="params"
        )
    return value


def make_tokenizer(embeddings: str) -> Any:
    """MiniLM's word pieces when its embeddings initialise the network, else learned words."""

    def build(texts: Sequence[str]) -> Tokenizer:
        if embeddings == "minilm":
            return WordPiece.minilm()
        return WordVocab.learn(texts, min_count=1)

    return build


def initial_embeddings(embeddings: str) -> Any:
    if embeddings != "minilm":
        return None
    from limelight.tasks.text_classification.neural.minilm import token_embeddings

    return token_embeddings()
