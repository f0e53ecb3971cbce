"""The preprocessing half of every tabular pipeline (a scikit-learn ColumnTransformer).

- numeric and boolean columns: median imputation plus a missing-indicator, then standard scaling;
- low-cardinality categorical columns: one-hot (one transformer per column; categories seen
  fewer than ``min_frequency`` times and unknown ones share an "infrequent" column);
- high-cardinality categorical columns (ad ids, countries…): cross-fitted target encoding, then
  scaling; an unknown category gets the target's mean;
- free-text columns: TF-IDF of word 1-2-grams (one vectorizer per column).

``source_columns`` maps every output column of the fitted transformer back to the input column
it came from, which is how explanations and importances are reported per input column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, TargetEncoder

from limelight.tasks.tabular.columns import BOOLEAN, CATEGORICAL, NUMERIC, ONEHOT, TEXT, ColumnSpec

MISSING = "(missing)"
NUMERIC_STEP = "numeric"
TARGET_STEP = "target_encoded"


def build_preprocessor(
    specs: list[ColumnSpec],
    *,
    seed: int,
    min_frequency: int = 3,
    text_max_features: int = 20_000,
) -> ColumnTransformer:
    transformers: list[tuple[str, Any, Any]] = []
    numeric = [s.name for s in specs if s.kind in (NUMERIC, BOOLEAN)]
    if numeric:
        transformers.append(
            (
                NUMERIC_STEP,
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(
                                strategy="median", add_indicator=True, keep_empty_features=True
                            ),
                        ),
                        ("scale", StandardScaler()),
                    ]
                ),
                numeric,
            )
        )
    for i, spec in enumerate(specs):
        if spec.kind == CATEGORICAL and spec.encoding == ONEHOT:
            transformers.append(
                (
                    f"onehot_{i}",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING)),
                            (
                                "encode",
                                OneHotEncoder(
                                    handle_unknown="infrequent_if_exist",
                                    min_frequency=min_frequency,
                                    sparse_output=True,
                                ),
                            ),
                        ]
                    ),
                    [spec.name],
                )
            )
    high = [s.name for s in specs if s.kind == CATEGORICAL and s.encoding != ONEHOT]
    if high:
        transformers.append(
            (
                TARGET_STEP,
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="constant", fill_value=MISSING)),
                        ("encode", TargetEncoder(cv=KFold(5, shuffle=True, random_state=seed))),
                        ("scale", StandardScaler()),
                    ]
                ),
                high,
            )
        )
    for i, spec in enumerate(specs):
        if spec.kind == TEXT:
            transformers.append(
                (
                    f"text_{i}",
                    TfidfVectorizer(
                        ngram_range=(1, 2),
                        max_features=text_max_features,
                        sublinear_tf=True,
                        token_pattern=r"(?u)\b\w\w+\b",
                    ),
                    spec.name,  # a single name: the vectorizer gets one column of strings
                )
            )
    return ColumnTransformer(transformers, sparse_threshold=0.3, verbose_feature_names_out=True)


def source_columns(prep: ColumnTransformer) -> list[str]:
    """For every output column of the fitted ``prep``, the input column it was computed from."""
    sources: list[str] = [""] * _width(prep)
    for name, transformer, columns in prep.transformers_:
        if name == "remainder" or transformer == "drop":
            continue
        span = prep.output_indices_[name]
        cols = [columns] if isinstance(columns, str) else list(columns)
        if name == NUMERIC_STEP:
            imputer = transformer.named_steps["impute"]
            names = cols + [cols[j] for j in _indicator_features(imputer)]
        elif name == TARGET_STEP:
            per_column = (span.stop - span.start) // max(1, len(cols))
            names = [c for c in cols for _ in range(per_column)]
        else:  # one input column
            names = cols * (span.stop - span.start)
        sources[span.start : span.stop] = names[: span.stop - span.start]
    return sources


def encoded_names(prep: ColumnTransformer) -> list[str]:
    return [str(n) for n in prep.get_feature_names_out()]


def _indicator_features(imputer: SimpleImputer) -> list[int]:
    indicator = getattr(imputer, "indicator_", None)
    if indicator is None:
        return []
    return [int(j) for j in np.asarray(indicator.features_)]


def _width(prep: ColumnTransformer) -> int:
    return max((s.stop for s in prep.output_indices_.values()), default=0)
