from limelight.tasks.semantic_search.task import SemanticSearch, VectorIndex

__all__ = ["SemanticSearch", "VectorIndex"]
