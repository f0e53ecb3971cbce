from __future__ import annotations

from typing import Any

from limelight.tasks.text_classification.neural.algorithm import (
    NeuralAlgorithm,
    check_embeddings,
    initial_embeddings,
    make_tokenizer,
)


class BiGRU(NeuralAlgorithm):
    name = "gru"
    description = (
        "Bidirectional GRU over packed sequences in PyTorch; embeddings from MiniLM's word "
        "pieces (or learned from scratch); served with ONNX Runtime"
    )

    def __init__(
        self,
        *,
        embeddings: str = "minilm",
        dim: int = 128,
        hidden: int = 128,
        layers: int = 1,
        dropout: float = 0.3,
        epochs: int = 6,
        batch_size: int = 64,
        lr: float = 2e-3,
        patience: int = 2,
        max_seconds: float = 900.0,
        evaluations_per_epoch: int = 1,
        group_by_length: bool = True,
        max_len: int = 100,
    ) -> None:
        self.embeddings = check_embeddings(embeddings)
        self.dim = dim
        self.hidden = hidden
        self.layers = layers
        self.dropout = dropout
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.patience = patience
        self.max_seconds = max_seconds
        self.evaluations_per_epoch = evaluations_per_epoch
        self.group_by_length = group_by_length
        self.max_len = max_len

    def build(self, seed: int) -> Any:
        from limelight.tasks.text_classification.neural.networks import BiGRU as Network

        def network(tokenizer: Any, classes: int) -> Network:
            return Network(
                tokenizer.vocab_size,
                classes,
                dim=self.dim,
                hidden=self.hidden,
                layers=self.layers,
                dropout=self.dropout,
                init=initial_embeddings(self.embeddings),
            )

        return self.classifier(seed, network, make_tokenizer(self.embeddings))
