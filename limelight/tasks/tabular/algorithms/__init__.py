"""Candidate algorithms of the tabular tasks: one module per family, registered here."""

from limelight.tasks.tabular.algorithms.base import CLASSIFICATION, REGRESSION, TabularAlgorithm
from limelight.tasks.tabular.algorithms.decision_tree import (
    DecisionTreeClassifierAlgo,
    DecisionTreeRegressorAlgo,
)
from limelight.tasks.tabular.algorithms.gradient_boosting import (
    LightGBMClassifierAlgo,
    LightGBMRegressorAlgo,
)
from limelight.tasks.tabular.algorithms.logistic import Logistic
from limelight.tasks.tabular.algorithms.mlp import MLPClassifierAlgo, MLPRegressorAlgo
from limelight.tasks.tabular.algorithms.random_forest import (
    RandomForestClassifierAlgo,
    RandomForestRegressorAlgo,
)
from limelight.tasks.tabular.algorithms.ridge import Ridge
from limelight.tasks.tabular.algorithms.svm_linear import LinearSVMClassifier, LinearSVMRegressor
from limelight.tasks.tabular.algorithms.svm_rbf import RbfSVMClassifier, RbfSVMRegressor

CLASSIFIERS: dict[str, type[TabularAlgorithm]] = {
    cls.name: cls
    for cls in (
        Logistic,
        LinearSVMClassifier,
        RbfSVMClassifier,
        DecisionTreeClassifierAlgo,
        RandomForestClassifierAlgo,
        LightGBMClassifierAlgo,
        MLPClassifierAlgo,
    )
}
REGRESSORS: dict[str, type[TabularAlgorithm]] = {
    cls.name: cls
    for cls in (
        Ridge,
        LinearSVMRegressor,
        RbfSVMRegressor,
        DecisionTreeRegressorAlgo,
        RandomForestRegressorAlgo,
        LightGBMRegressorAlgo,
        MLPRegressorAlgo,
    )
}

__all__ = ["CLASSIFICATION", "CLASSIFIERS", "REGRESSION", "REGRESSORS", "TabularAlgorithm"]
