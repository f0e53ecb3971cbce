"""The neural training loop's parts, without data sets: length-grouped batches, the compact
embedding table, validation within epochs (and the loop's use of them). Fast; see test_neural.py
for trained models on real text, ONNX parity and serving."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import f1_score

from limelight.tasks.text_classification.neural.batches import epoch_batches
from limelight.tasks.text_classification.neural.compact import CompactEmbedding
from limelight.tasks.text_classification.neural.networks import BiGRU, TextCNN
from limelight.tasks.text_classification.neural.tokens import WordVocab
from limelight.tasks.text_classification.neural.training import (
    TrainConfig,
    evaluation_steps,
    fit_network,
    predict_proba,
    split_validation,
)


def text_lengths(n: int, seed: int = 0) -> np.ndarray:
    """Lengths shaped like sentences' (log-normal around 20 tokens, 1 to 128)."""
    rng = np.random.default_rng(seed)
    return np.clip(rng.lognormal(3.0, 0.5, n).astype(np.int64), 1, 128)


def batches(lengths: np.ndarray, seed: int, group_by_length: bool = True) -> list[np.ndarray]:
    generator = torch.Generator().manual_seed(seed)
    return epoch_batches(lengths, 32, generator, group_by_length=group_by_length)


def padded(lengths: np.ndarray, epoch: list[np.ndarray]) -> int:
    """Positions computed over beyond the texts' own when each batch pads to its longest."""
    return sum(len(b) * int(lengths[b].max()) - int(lengths[b].sum()) for b in epoch)


@pytest.mark.parametrize("group_by_length", [True, False])
@pytest.mark.parametrize("n", [1, 31, 32, 1_601, 5_000])
def test_an_epoch_visits_every_row_exactly_once(n: int, group_by_length: bool) -> None:
    epoch = batches(text_lengths(n), 1, group_by_length=group_by_length)
    assert np.array_equal(np.sort(np.concatenate(epoch)), np.arange(n))
    assert len(epoch) == math.ceil(n / 32)  # the loop's steps per epoch
    assert sum(len(b) < 32 for b in epoch) <= 1  # one short batch at most, only if n % 32


def test_the_same_seed_gives_the_same_batches_and_each_epoch_new_ones() -> None:
    lengths = text_lengths(3_000)
    first, again = batches(lengths, 7), batches(lengths, 7)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    other = batches(lengths, 8)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    generator = torch.Generator().manual_seed(7)
    one = epoch_batches(lengths, 32, generator)
    two = epoch_batches(lengths, 32, generator)  # the next epoch from the same generator
    assert not all(np.array_equal(a, b) for a, b in zip(one, two, strict=True))


def test_grouping_by_length_removes_most_of_the_padding() -> None:
    lengths = text_lengths(5_000)
    grouped = padded(lengths, batches(lengths, 1))
    random = padded(lengths, batches(lengths, 1, group_by_length=False))
    assert grouped < 0.1 * random, (grouped, random)  # measured: 6,009 vs 165,913


def test_grouped_batches_come_in_random_order_not_sorted() -> None:
    lengths = text_lengths(32 * 50)  # exactly one chunk: sorted, then the batches shuffled
    epoch = batches(lengths, 3)
    longest = [int(lengths[b].max()) for b in epoch]
    assert longest != sorted(longest) and longest != sorted(longest, reverse=True)
    # a batch is drawn from a random chunk, not from the whole data set sorted
    assert np.corrcoef(np.arange(len(longest)), longest)[0, 1] < 0.5


def test_each_batch_comes_from_one_chunk_of_50_batches_of_a_random_permutation() -> None:
    """Rows are sorted within chunks, not over the whole data set, so a row meets different
    neighbours from epoch to epoch."""
    lengths = text_lengths(5_000)
    order = torch.randperm(5_000, generator=torch.Generator().manual_seed(4)).numpy()
    chunk_of = np.empty(5_000, dtype=np.int64)
    chunk_of[order] = np.arange(5_000) // (32 * 50)
    epoch = batches(lengths, 4)
    assert all(len(set(chunk_of[b])) == 1 for b in epoch)
    assert len({int(chunk_of[b[0]]) for b in epoch}) == 4  # 5,000 rows: 3 full chunks + 1


def test_without_grouping_the_order_is_one_random_permutation() -> None:
    """group_by_length=False keeps the loop's order from before grouping existed."""
    lengths = text_lengths(1_000)
    expected = torch.randperm(1_000, generator=torch.Generator().manual_seed(5)).numpy()
    epoch = batches(lengths, 5, group_by_length=False)
    assert np.array_equal(np.concatenate(epoch), expected)


def varied_texts(n: int = 240, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Texts of 2 to 60 words whose label is carried by one word."""
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(50)]
    texts, labels = [], []
    for _ in range(n):
        label = int(rng.integers(2))
        body = list(rng.choice(words, size=int(rng.integers(2, 60))))
        body[int(rng.integers(len(body)))] = "good" if label else "bad"
        texts.append(" ".join(body))
        labels.append(label)
    return texts, np.asarray(labels, dtype=np.int64)


def small_cnn(vocab_size: int) -> TextCNN:
    torch.manual_seed(0)
    return TextCNN(vocab_size, 2, dim=16, filters=8, kernel_sizes=(3,))


def small_gru(vocab_size: int) -> BiGRU:
    torch.manual_seed(0)
    return BiGRU(vocab_size, 2, dim=16, hidden=8)


@pytest.mark.parametrize("group_by_length", [True, False])
def test_the_loop_pads_less_with_grouping_and_takes_the_same_steps(group_by_length: bool) -> None:
    texts, y = varied_texts()
    vocab = WordVocab.learn(texts)
    config = TrainConfig(epochs=2, batch_size=16, min_len=3, group_by_length=group_by_length)
    report = fit_network(small_cnn(vocab.vocab_size), vocab, texts, y, config)
    assert report.steps == 2 * math.ceil(216 / 16)  # 24 rows of 240 held out
    if group_by_length:
        assert report.padding_fraction < 0.1, report.padding_fraction
    else:
        assert report.padding_fraction > 0.3, report.padding_fraction


def test_the_compact_table_holds_the_seen_ids_and_padding_and_remaps_rows() -> None:
    network = small_cnn(100)
    full = network.get_input_embeddings()
    compact = CompactEmbedding(network, [[5, 7, 7], [42, 5]])
    table = network.get_input_embeddings()
    assert table is not full and table.num_embeddings == 4  # 0 (padding), 5, 7, 42
    assert table.padding_idx == 0
    assert compact.remap([[42, 5], [7]]) == [[3, 1], [2]]
    assert torch.equal(table.weight[3], full.weight[42])
    with torch.no_grad():
        table.weight[1] += 1.0  # "training" id 5
    compact.restore(network, decayed=0.5)
    assert network.get_input_embeddings() is full
    assert torch.equal(full.weight[5], table.weight[1])  # trained rows written back
    assert torch.equal(full.weight[42], table.weight[3])


@pytest.mark.parametrize("make", [small_cnn, small_gru], ids=["textcnn", "gru"])
def test_training_the_compact_table_learns_what_the_full_table_learns(make: object) -> None:
    """Same seed, same batches: the same probabilities, also on words the fit never saw (their
    rows only get AdamW's weight decay, large here so that skipping it would show)."""
    texts, y = varied_texts(seed=1)
    unseen = [f"u{i}" for i in range(30)]
    vocab = WordVocab.learn([*texts, " ".join(unseen)])  # ids the training texts never use
    rng = np.random.default_rng(2)
    probes = [" ".join(rng.choice([*unseen, "good", "bad", "w1"], size=12)) for _ in range(40)]
    probe_rows = [vocab.ids(t, 128) for t in probes]
    results = []
    for compact in (True, False):
        network = make(vocab.vocab_size)  # type: ignore[operator]
        config = TrainConfig(
            epochs=2,
            batch_size=16,
            lr=5e-3,
            weight_decay=0.5,
            min_len=3,
            compact_embeddings=compact,
        )
        report = fit_network(network, vocab, texts, y, config)
        assert network.get_input_embeddings().num_embeddings == vocab.vocab_size
        results.append((predict_proba(network, probe_rows, min_len=3), report))
    (with_compact, a), (with_full, b) = results
    assert a.steps == b.steps
    assert [h["loss"] for h in a.history] == pytest.approx([h["loss"] for h in b.history], abs=1e-4)
    assert float(np.abs(with_compact - with_full).max()) < 1e-5


def test_validation_points_are_evenly_spaced_and_end_the_epoch() -> None:
    assert evaluation_steps(270, 4) == {68, 135, 202, 270}
    assert evaluation_steps(270, 1) == {270}
    assert evaluation_steps(3, 10) == {1, 2, 3}  # at most once a step


def test_patience_counts_validations_within_epochs() -> None:
    texts, y = varied_texts()
    vocab = WordVocab.learn(texts)
    config = TrainConfig(
        epochs=5, batch_size=16, lr=0.0, patience=2, evaluations_per_epoch=4, min_len=3
    )
    report = fit_network(small_cnn(vocab.vocab_size), vocab, texts, y, config)
    # 216 rows -> 14 steps an epoch, validated after steps 4, 7, 10 and 14; with lr 0 nothing
    # improves after the first validation, so two more and it stops, inside epoch 1
    assert [h["epoch"] for h in report.history] == [round(4 / 14, 3), 0.5, round(10 / 14, 3)]
    assert report.stopped == "early-stopping" and report.steps == 10
    assert report.best_epoch == round(4 / 14, 3)


def test_the_weights_kept_are_those_of_the_best_validation_within_an_epoch() -> None:
    texts, y = varied_texts(seed=3)
    vocab = WordVocab.learn(texts)
    config = TrainConfig(
        epochs=2, batch_size=16, lr=3e-3, evaluations_per_epoch=5, patience=10, min_len=3
    )
    network = small_cnn(vocab.vocab_size)
    report = fit_network(network, vocab, texts, y, config)
    assert len(report.history) == 10
    scores = [h["validation_f1_macro"] for h in report.history]
    assert report.best_validation_f1_macro == max(scores)
    assert report.best_epoch == report.history[scores.index(max(scores))]["epoch"]
    _, val = split_validation(len(texts), y, config.validation_fraction, config.seed)
    proba = predict_proba(network, [vocab.ids(texts[i], 128) for i in val], min_len=3)
    kept = f1_score(y[val], proba.argmax(1), average="macro")
    assert kept == pytest.approx(report.best_validation_f1_macro)


def test_the_validation_slice_is_a_tenth_but_at_most_max_rows() -> None:
    y = np.arange(30_000) % 2
    fit, val = split_validation(30_000, y, 0.1, 42, max_rows=2_000)
    assert len(val) == 2_000 and len(fit) == 28_000
    assert set(fit).isdisjoint(val) and np.bincount(y[val]).tolist() == [1_000, 1_000]
    assert len(split_validation(30_000, y, 0.1, 42)[1]) == 3_000
    assert len(split_validation(9_595, y[:9_595], 0.1, 42, max_rows=2_000)[1]) == 960


def test_fused_adamw_makes_the_same_updates_as_foreach() -> None:
    texts, y = varied_texts(seed=4)
    vocab = WordVocab.learn(texts)
    rows = [vocab.ids(t, 128) for t in texts[:50]]
    probabilities = []
    for fused in (True, False):
        network = small_gru(vocab.vocab_size)
        config = TrainConfig(
            epochs=2, batch_size=16, lr=5e-3, weight_decay=0.5, fused_optimizer=fused
        )
        fit_network(network, vocab, texts, y, config)
        probabilities.append(predict_proba(network, rows, min_len=1))
    assert float(np.abs(probabilities[0] - probabilities[1]).max()) < 1e-5
