from limelight.tasks.text_classification.task import TextClassification, TextClassifier

__all__ = ["TextClassification", "TextClassifier"]
