from limelight.tasks.embedding.task import Embedder, Embedding

__all__ = ["Embedder", "Embedding"]
