"""tabular-classification and tabular-regression (records of numeric, boolean, categorical and
free-text columns)."""

from limelight.tasks.tabular.task import TabularClassification, TabularRegression

__all__ = ["TabularClassification", "TabularRegression"]
