from __future__ import annotations

from typing import Any

from limelight.tasks.text_classification.neural.algorithm import NeuralAlgorithm


class MiniLMFineTune(NeuralAlgorithm):
    name = "minilm-finetune"
    description = (
        "all-MiniLM-L6-v2 fine-tuned end to end (all layers) with a classification head, "
        "linear warm-up/decay; the most accurate and the slowest to train; ONNX Runtime serving"
    )

    def __init__(
        self,
        *,
        epochs: int = 3,
        batch_size: int = 32,
        lr: float = 5e-5,
        weight_decay: float = 0.01,
        warmup: float = 0.1,
        dropout: float = 0.1,
        patience: int = 4,
        max_seconds: float = 3600.0,
        evaluations_per_epoch: int = 4,
        group_by_length: bool = True,
        max_len: int = 128,
    ) -> None:
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup = warmup
        self.dropout = dropout
        self.patience = patience
        self.max_seconds = max_seconds
        self.evaluations_per_epoch = evaluations_per_epoch
        self.group_by_length = group_by_length
        self.max_len = max_len

    def build(self, seed: int) -> Any:
        from limelight.tasks.text_classification.neural import minilm
        from limelight.tasks.text_classification.neural.networks import MiniLMClassifier
        from limelight.tasks.text_classification.neural.tokens import WordPiece

        def network(tokenizer: Any, classes: int) -> MiniLMClassifier:
            return MiniLMClassifier(minilm.transformer(), classes, dropout=self.dropout)

        return self.classifier(
            seed,
            network,
            lambda texts: WordPiece.minilm(),
            weight_decay=self.weight_decay,
            schedule="linear",
            warmup=self.warmup,
        )
