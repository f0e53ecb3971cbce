"""Saving fitted estimators without pickle: skops, with an explicit allow-list on load.

Artifacts are only ever loaded after the registry has verified their sha256, and even then
skops refuses any type outside scikit-learn's defaults and the short list below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import skops.io as sio

from limelight.errors import ModelLoadError

TRUSTED_TYPES = frozenset(
    {
        "limelight.embeddings.minilm.SentenceEmbedder",
        # LightGBM: the booster is kept as its own text model format (see tabular/lgbm.py).
        "limelight.tasks.tabular.lgbm.LightGBMClassifier",
        "limelight.tasks.tabular.lgbm.LightGBMRegressor",
        # The target encoder's cross-fitting splitter (a plain scikit-learn class).
        "sklearn.model_selection._split.KFold",
        # CalibratedClassifierCV's fitted parts (linear and RBF SVMs with calibrated scores).
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        # Sparse support vectors (SVMs fitted on sparse features), stored by skops as arrays.
        "scipy.sparse._csr.csr_matrix",
        "scipy.sparse._csc.csc_matrix",
        # Fitted decision trees (decision tree, random forest), reconstructed by skops.
        "sklearn.tree._tree.Tree",
        # The MLP keeps its Adam optimizer state (plain arrays) after fitting.
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "numpy.dtype",
        "builtins.str",
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.tuple",
        "builtins.dict",
        "builtins.list",
        "builtins.NoneType",
    }
)


def dump_sklearn(estimator: Any, path: Path) -> None:
    sio.dump(estimator, path)


def load_sklearn(path: Path) -> Any:
    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if t not in TRUSTED_TYPES]
    if refused:
        raise ModelLoadError(
            f"{path.name} contains types Limelight does not load: {', '.join(refused[:5])}"
        )
    return sio.load(path, trusted=list(untrusted))
