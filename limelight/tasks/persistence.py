"""Saving fitted estimators without pickle: skops, with an explicit allow-list on load.

Artifacts are only ever loaded after the registry has verified their sha256, and even then
skops refuses any type outside scikit-learn's defaults and the short list below.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import skops.io as sio

from limelight.errors import ModelLoadError

SKOPS_FILE = "model.skops"

# skops already trusts scikit-learn's public estimators; these are the extra types our
# artifacts hold (private scikit-learn helpers such as calibration internals, our own
# transformers). Anything else in a file is refused.
TRUSTED_PREFIXES = ("sklearn.", "limelight.embeddings.", "numpy.", "scipy.sparse.")
TRUSTED_BUILTINS = frozenset(
    f"builtins.{name}"
    for name in ("str", "int", "float", "bool", "tuple", "dict", "list", "NoneType")
)

# LightGBM: the booster is kept in its own text model format (see tasks/tabular/lgbm.py).
TRUSTED_TYPES = frozenset(
    {
        "limelight.tasks.tabular.lgbm.LightGBMClassifier",
        "limelight.tasks.tabular.lgbm.LightGBMRegressor",
    }
)


def _trusted(type_name: str) -> bool:
    return (
        type_name in TRUSTED_BUILTINS
        or type_name in TRUSTED_TYPES
        or type_name.startswith(TRUSTED_PREFIXES)
    )


def dump_sklearn(estimator: Any, path: Path) -> None:
    sio.dump(estimator, path)


def load_sklearn(path: Path) -> Any:
    untrusted = sio.get_untrusted_types(file=path)
    refused = [t for t in untrusted if not _trusted(t)]
    if refused:
        raise ModelLoadError(
            f"{path.name} contains types Limelight does not load: {', '.join(refused[:5])}"
        )
    return sio.load(path, trusted=list(untrusted))
