"""The training loop shared by the neural text classifiers.

Mini-batch AdamW on cross-entropy, an optional linear warm-up/decay schedule, batches grouped by
length (``batches``), only the embedding rows the data uses trained (``compact``), validation on
a held-out slice of the training texts one or more times per epoch with early stopping on its
macro-F1 (the best weights are kept), a fixed seed, a wall-clock budget, and progress (loss,
validation score, ETA through the bar).
"""

from __future__ import annotations

import copy
import math
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.metrics import f1_score
from sklearn.model_selection import train_test_split
from torch import nn

from limelight.tasks.base import NullProgress, Progress
from limelight.tasks.text_classification.neural.batches import epoch_batches
from limelight.tasks.text_classification.neural.compact import CompactEmbedding, HasTokenEmbedding
from limelight.tasks.text_classification.neural.tokens import Tokenizer, pad


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.01
    schedule: str = "constant"  # or "linear": warm-up over `warmup` of the steps, then decay to 0
    warmup: float = 0.1
    patience: int = 2  # validations without a better macro-F1 before stopping
    evaluations_per_epoch: int = 1  # validations per epoch, evenly spaced, the last at its end
    max_seconds: float = 1800.0  # wall-clock budget of the whole fit
    max_len: int = 128
    min_len: int = 1
    validation_fraction: float = 0.1
    validation_max_rows: int = 2000  # the held-out slice is the fraction, at most this many rows
    group_by_length: bool = True  # batches of similar lengths (see ``batches``); False: random
    compact_embeddings: bool = True  # train only the embedding rows the texts use (``compact``)
    fused_optimizer: bool = True  # AdamW's fused kernel (same update, one pass); False: foreach
    seed: int = 42
    label: str = "network"


@dataclass
class TrainReport:
    stopped: str = "completed"  # completed | early-stopping | budget
    epochs_run: float = 0.0
    best_epoch: float = 0.0
    best_validation_f1_macro: float = 0.0
    seconds: float = 0.0
    steps: int = 0
    padding_fraction: float = 0.0  # of the positions the training batches computed over
    history: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def torch_threads() -> int:
    """Intra-op threads for training: LIMELIGHT_TORCH_THREADS, default every core."""
    from limelight.settings import Settings

    return Settings().torch_threads or os.cpu_count() or 1


def seed_everything(seed: int) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def split_validation(
    n: int, y: np.ndarray, fraction: float, seed: int, max_rows: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and early-stopping parts (``fraction`` of the rows, at most
    ``max_rows``); tiny data validates on everything."""
    index = np.arange(n)
    held = round(n * fraction)
    if max_rows is not None:
        held = min(held, max_rows)
    if held < 2 or n - held < 2:
        return index, index
    counts = np.bincount(y)
    stratify = y if counts[counts > 0].min() >= 2 and held >= len(counts) else None
    fit, val = train_test_split(index, test_size=held, random_state=seed, stratify=stratify)
    return np.sort(fit), np.sort(val)


def evaluation_steps(steps_per_epoch: int, per_epoch: int) -> set[int]:
    """The steps of an epoch (1-based) after which to validate: evenly spaced, the last one."""
    per_epoch = max(1, min(per_epoch, steps_per_epoch))
    return {round(steps_per_epoch * k / per_epoch) for k in range(1, per_epoch + 1)}


def predict_proba(
    network: nn.Module,
    rows: Sequence[list[int]],
    *,
    min_len: int,
    batch_size: int = 128,
) -> np.ndarray:
    """Probabilities for already tokenized rows, batched by length (padding-invariant nets)."""
    network.eval()
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    out: np.ndarray | None = None
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            ids, mask = pad([rows[i] for i in chunk], min_len)
            proba = torch.softmax(network(torch.from_numpy(ids), torch.from_numpy(mask)), dim=-1)
            if out is None:
                out = np.zeros((len(rows), proba.shape[1]), dtype=np.float32)
            out[chunk] = proba.numpy()
    assert out is not None
    return out


def fit_network(
    network: nn.Module,
    tokenizer: Tokenizer,
    texts: Sequence[str],
    y: np.ndarray,
    config: TrainConfig,
    progress: Progress | None = None,
) -> TrainReport:
    """Train ``network`` in place on integer labels ``y``; it ends with the best weights seen."""
    progress = progress or NullProgress()
    started = time.monotonic()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(torch_threads())
    try:
        rows = [tokenizer.ids(t, config.max_len) or [1] for t in texts]
        if not (config.compact_embeddings and isinstance(network, HasTokenEmbedding)):
            return _Fit(network, rows, y, config, progress, started).run()
        compact = CompactEmbedding(network, rows)
        fit = _Fit(network, compact.remap(rows), y, config, progress, started)
        report = fit.run()
        compact.restore(network, fit.best_decay)
        return report
    finally:
        torch.set_num_threads(previous_threads)


class _Fit:
    """One fit: ``run`` trains, validates, early-stops and ends with the best weights loaded."""

    def __init__(
        self,
        network: nn.Module,
        rows: list[list[int]],
        y: np.ndarray,
        config: TrainConfig,
        progress: Progress,
        started: float,
    ) -> None:
        self.network, self.rows, self.y, self.config = network, rows, y, config
        self.progress, self.started = progress, started
        self.generator = seed_everything(config.seed)
        self.fit_idx, val_idx = split_validation(
            len(rows), y, config.validation_fraction, config.seed, config.validation_max_rows
        )
        self.val_rows = [rows[i] for i in val_idx]
        self.val_y = y[val_idx]
        self.labels = np.arange(int(y.max()) + 1)
        self.report = TrainReport()
        self.best_state: dict[str, torch.Tensor] | None = None
        self.since_best = 0
        self.decay = 1.0  # what AdamW's weight decay alone has multiplied a weight by so far
        self.best_decay = 1.0  # ... at the best weights
        self.last = ""

    def run(self) -> TrainReport:
        config, network, report = self.config, self.network, self.report
        lengths = np.array([len(self.rows[i]) for i in self.fit_idx], dtype=np.int64)
        steps_per_epoch = math.ceil(len(self.fit_idx) / config.batch_size)
        checkpoints = evaluation_steps(steps_per_epoch, config.evaluations_per_epoch)
        optimizer = torch.optim.AdamW(
            network.parameters(),
            lr=config.lr,
            weight_decay=config.weight_decay,
            fused=config.fused_optimizer,
            foreach=not config.fused_optimizer,
        )
        total_steps = steps_per_epoch * config.epochs
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _schedule(config, total_steps))
        loss_fn = nn.CrossEntropyLoss()
        computed = real = 0
        for epoch in range(1, config.epochs + 1):
            self.progress.stage(
                f"{config.label} epoch {epoch}/{config.epochs}"
                + (f" · {self.last}" if self.last else ""),
                total=steps_per_epoch,
            )
            network.train()
            batches = epoch_batches(
                lengths, config.batch_size, self.generator, group_by_length=config.group_by_length
            )
            losses: list[float] = []
            stop = ""
            for step, positions in enumerate(batches, start=1):
                batch = self.fit_idx[positions]
                ids, mask = pad([self.rows[i] for i in batch], config.min_len)
                computed, real = computed + ids.size, real + int(lengths[positions].sum())
                logits = network(torch.from_numpy(ids), torch.from_numpy(mask))
                loss = loss_fn(logits, torch.from_numpy(self.y[batch]).long())
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                nn.utils.clip_grad_norm_(network.parameters(), 1.0)
                group = optimizer.param_groups[0]
                self.decay *= 1.0 - float(group["lr"]) * float(group["weight_decay"])
                optimizer.step()
                scheduler.step()
                losses.append(float(loss.detach()))
                report.steps += 1
                self.progress.advance(1)
                out_of_time = time.monotonic() - self.started > config.max_seconds
                if step in checkpoints or out_of_time:
                    done = epoch - 1 + step / steps_per_epoch
                    report.epochs_run = round(done, 3)
                    self.validate(done, float(np.mean(losses)))
                    losses = []
                    network.train()
                    if out_of_time:
                        stop = "budget"
                    elif self.since_best >= config.patience:
                        stop = "early-stopping"
                if stop:
                    break
            if stop:
                report.stopped = stop
                break
        report.padding_fraction = round(1 - real / computed, 4) if computed else 0.0
        assert self.best_state is not None
        network.load_state_dict(self.best_state)
        network.eval()
        report.seconds = round(time.monotonic() - self.started, 3)
        return report

    def validate(self, epoch: float, loss: float) -> None:
        """Score on the held-out slice; keep these weights when they are the best so far."""
        config, report = self.config, self.report
        proba = predict_proba(self.network, self.val_rows, min_len=config.min_len)
        score = float(f1_score(self.val_y, proba.argmax(1), labels=self.labels, average="macro"))
        report.history.append(
            {"epoch": round(epoch, 3), "loss": round(loss, 5), "validation_f1_macro": score}
        )
        better = self.best_state is None or score > report.best_validation_f1_macro
        if better:
            self.best_state = copy.deepcopy(self.network.state_dict())
            self.best_decay = self.decay
            report.best_validation_f1_macro, report.best_epoch = score, round(epoch, 3)
            self.since_best = 0
        else:
            self.since_best += 1
        self.last = f"loss {loss:.4f} · validation macro-F1 {score:.4f}"
        self.progress.log(
            f"{config.label} epoch {round(epoch, 2):g}/{config.epochs}: {self.last}"
            f"{' (best)' if better else ''} · {time.monotonic() - self.started:.0f} s"
        )


def _schedule(config: TrainConfig, total_steps: int) -> Any:
    if config.schedule == "constant":
        return lambda step: 1.0
    warm = max(1, int(total_steps * config.warmup))

    def linear(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    return linear
