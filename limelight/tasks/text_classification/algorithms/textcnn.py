from __future__ import annotations

from typing import Any

from limelight.tasks.text_classification.neural.algorithm import (
    NeuralAlgorithm,
    check_embeddings,
    initial_embeddings,
    make_tokenizer,
)


class TextCNN(NeuralAlgorithm):
    name = "textcnn"
    description = (
        "Kim (2014) CNN in PyTorch: 3/4/5-word convolutions, max-pooling, dropout; embeddings "
        "from MiniLM's word pieces (or learned from scratch); served with ONNX Runtime"
    )

    def __init__(
        self,
        *,
        embeddings: str = "minilm",
        dim: int = 128,
        kernel_sizes: tuple[int, ...] = (3, 4, 5),
        filters: int = 100,
        dropout: float = 0.5,
        epochs: int = 8,
        batch_size: int = 50,
        lr: float = 1e-3,
        patience: int = 2,
        max_seconds: float = 300.0,
        evaluations_per_epoch: int = 1,
        group_by_length: bool = True,
        max_len: int = 100,
    ) -> None:
        self.embeddings = check_embeddings(embeddings)
        self.dim = dim
        self.kernel_sizes = tuple(kernel_sizes)
        self.filters = filters
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
        from limelight.tasks.text_classification.neural.networks import TextCNN as Network

        def network(tokenizer: Any, classes: int) -> Network:
            return Network(
                tokenizer.vocab_size,
                classes,
                dim=self.dim,
                kernel_sizes=self.kernel_sizes,
                filters=self.filters,
                dropout=self.dropout,
                init=initial_embeddings(self.embeddings),
            )

        return self.classifier(
            seed, network, make_tokenizer(self.embeddings), min_len=max(self.kernel_sizes)
        )
