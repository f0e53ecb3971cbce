"""What the three neural algorithms share: their estimator trains with progress, is not refitted
on train + validation (it already early-stopped on a held-out slice), and saves itself as ONNX."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

    def classifier(
        self,
        seed: int,
        make_network: Callable[[Any, int], Any],
        make_tokenizer: Callable[[Sequence[str]], Tokenizer],
        **config: Any,
    ) -> Any:
        """The estimator: ``make_network(tokenizer, classes)`` trained with this algorithm's
        training hyperparameters (each subclass declares epochs, batch_size, lr, patience,
        evaluations_per_epoch, group_by_length, max_seconds and max_len) plus ``config`` (other
        TrainConfig fields)."""
        from limelight.tasks.text_classification.neural.estimator import NeuralTextClassifier
        from limelight.tasks.text_classification.neural.training import TrainConfig

        params = self.get_params()
        training = TrainConfig(
            **{k: params[k] for k in _TRAINING},
            **config,
            seed=seed,
            label=self.name,
        )
        return NeuralTextClassifier(
            architecture=self.name,
            params=params,
            make_tokenizer=make_tokenizer,
            make_network=make_network,
            config=training,
        )


_TRAINING = (
    "epochs",
    "batch_size",
    "lr",
    "patience",
    "evaluations_per_epoch",
    "group_by_length",
    "max_seconds",
    "max_len",
)


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
