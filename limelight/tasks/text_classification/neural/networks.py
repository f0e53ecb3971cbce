"""The three networks. Each maps (input_ids, attention_mask) [batch, length] to logits [batch,
classes]; padding never changes a text's result, so a text scores the same alone or in a batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence


def embedding(vocab_size: int, dim: int, init: torch.Tensor | None) -> nn.Embedding:
    if init is None:
        return nn.Embedding(vocab_size, dim, padding_idx=0)
    return nn.Embedding.from_pretrained(init.clone(), freeze=False, padding_idx=0)


class TextCNN(nn.Module):
    """Kim (2014): parallel 1-D convolutions over word embeddings, max-pooling over time, dropout,
    a linear layer. Positions whose window runs past the text are masked before pooling."""

    def __init__(
        self,
        vocab_size: int,
        classes: int,
        *,
        dim: int = 128,
        kernel_sizes: Sequence[int] = (3, 4, 5),
        filters: int = 100,
        dropout: float = 0.5,
        init: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.embed = embedding(vocab_size, init.shape[1] if init is not None else dim, init)
        width = self.embed.embedding_dim
        self.kernel_sizes = tuple(kernel_sizes)
        self.convs = nn.ModuleList(nn.Conv1d(width, filters, k) for k in self.kernel_sizes)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(filters * len(self.kernel_sizes), classes)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed = value

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.embed(input_ids).transpose(1, 2)  # [B, D, T]
        valid = attention_mask.bool()
        pooled = []
        for k, conv in zip(self.kernel_sizes, self.convs, strict=True):
            h = torch.relu(conv(x))  # [B, F, T-k+1]; callers pad T to at least max(k)
            ok = valid[:, k - 1 :].clone()
            ok[:, 0] = True  # a text shorter than k still keeps its first window
            h = h.masked_fill(~ok.unsqueeze(1), -1e4)
            pooled.append(h.max(dim=2).values)
        return self.out(self.dropout(torch.cat(pooled, dim=1)))


class BiGRU(nn.Module):
    """Bidirectional GRU over packed sequences (padding is never read); the last hidden states
    of both directions, concatenated, feed a linear layer."""

    def __init__(
        self,
        vocab_size: int,
        classes: int,
        *,
        dim: int = 128,
        hidden: int = 128,
        layers: int = 1,
        dropout: float = 0.3,
        init: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.embed = embedding(vocab_size, init.shape[1] if init is not None else dim, init)
        self.gru = nn.GRU(
            self.embed.embedding_dim,
            hidden,
            num_layers=layers,
            batch_first=True,
            bidirectional=True,
            dropout=dropout if layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden, classes)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embed

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embed = value

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        lengths = attention_mask.sum(dim=1).clamp(min=1)
        packed = pack_padded_sequence(
            self.embed(input_ids), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, h = self.gru(packed)  # [layers * 2, B, H]
        last = torch.cat([h[-2], h[-1]], dim=1)
        return self.out(self.dropout(last))

    def exportable(self) -> nn.Module:
        """The same function without packing (the ONNX exporter cannot trace packed sequences
        here): each direction runs as its own GRU, the backward one over every text reversed
        within its own length, so padding is never read. Shares this module's weights."""
        return _UnpackedBiGRU(self)


class _UnpackedBiGRU(nn.Module):
    def __init__(self, trained: BiGRU) -> None:
        super().__init__()
        self.embed, self.out = trained.embed, trained.out
        gru = trained.gru
        self.forward_layers = nn.ModuleList()
        self.backward_layers = nn.ModuleList()
        for layer in range(gru.num_layers):
            for suffix, target in (("", self.forward_layers), ("_reverse", self.backward_layers)):
                single = nn.GRU(
                    gru.input_size if layer == 0 else 2 * gru.hidden_size,
                    gru.hidden_size,
                    batch_first=True,
                )
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    source = getattr(gru, f"{name}_l{layer}{suffix}")
                    setattr(single, f"{name}_l0", nn.Parameter(source.detach().clone()))
                target.append(single)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        lengths = attention_mask.sum(dim=1).clamp(min=1)
        positions = torch.arange(input_ids.shape[1]).unsqueeze(0)  # [1, T]
        flipped = torch.where(
            positions < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - positions, positions
        )
        last = (lengths - 1).view(-1, 1, 1)
        x = self.embed(input_ids)
        final: list[torch.Tensor] = []
        for fwd, bwd in zip(self.forward_layers, self.backward_layers, strict=True):
            index = flipped.unsqueeze(-1).expand(-1, -1, x.shape[2])
            ahead, _ = fwd(x)
            behind_reversed, _ = bwd(torch.gather(x, 1, index))
            width = ahead.shape[2]
            pick = last.expand(-1, 1, width)
            final = [
                torch.gather(ahead, 1, pick).squeeze(1),
                torch.gather(behind_reversed, 1, pick).squeeze(1),
            ]
            back_index = flipped.unsqueeze(-1).expand(-1, -1, width)
            x = torch.cat([ahead, torch.gather(behind_reversed, 1, back_index)], dim=2)
        return self.out(torch.cat(final, dim=1))


class MiniLMClassifier(nn.Module):
    """MiniLM (all layers trainable), mean-pooled over the real tokens as in sentence-transformers,
    dropout, a linear head."""

    def __init__(self, encoder: Any, classes: int, *, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        hidden = int(encoder.config.hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(hidden, classes)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.encoder.get_input_embeddings()

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.encoder.set_input_embeddings(value)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.encoder(input_ids=input_ids, attention_mask=attention_mask)[0]
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return self.out(self.dropout(pooled))


class WithSoftmax(nn.Module):
    """What is exported: probabilities, so the runtime only has to read them."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.network(input_ids, attention_mask), dim=-1)
