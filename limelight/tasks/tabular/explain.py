"""Per-prediction explanations: signed contributions of each input column.

- ``linear`` (logistic, ridge, linear SVM): exact. The model's decision value is
  ``intercept + sum(coef * x)`` over the preprocessed features; each input column gets the sum
  of its features' terms, so ``base_value + sum(contributions) == output_value``.
- ``lightgbm``: TreeSHAP values computed by LightGBM itself (``pred_contrib``), in raw score
  units (log-odds for classification); they sum with the expected value to the raw score.
- ``tree`` (decision tree, random forest): TreeSHAP of the scikit-learn trees (shap package),
  in probability units (classification) or target units (regression); additive as well.
- ``occlusion`` (RBF SVM, MLP): model-agnostic; a column's contribution is how much the
  predicted probability / value changes when that column alone is set to its typical training
  value. Not additive: ``additive`` is false.

For a two-class model the contributions are reported toward the predicted label.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import sparse

from limelight.tasks.tabular.algorithms import REGRESSION
from limelight.tasks.tabular.preprocessing import source_columns

if TYPE_CHECKING:
    from limelight.tasks.tabular.predictor import TabularPredictor


def explain_rows(
    predictor: TabularPredictor, frame: pd.DataFrame, output: np.ndarray, *, top_k: int
) -> list[dict[str, Any]]:
    prep = predictor.pipeline.named_steps["prep"]
    model = predictor.pipeline.named_steps["model"]
    method = predictor.explainer
    if method == "occlusion":
        return _occlusion(predictor, frame, output, top_k)
    x = prep.transform(frame)
    x = x.toarray() if sparse.issparse(x) else np.asarray(x, dtype=np.float64)
    sources = source_columns(prep)
    columns = [s.name for s in predictor.specs]
    results = []
    for i in range(x.shape[0]):
        cls = None if predictor.kind == REGRESSION else int(np.asarray(output[i]).argmax())
        if method == "linear":
            terms, base, what = _linear(model, x[i], cls)
        elif method == "lightgbm":
            terms, base, what = _lightgbm(model, x[i : i + 1], cls)
        else:
            terms, base, what = _tree(model, x[i : i + 1], cls)
        per_column = _aggregate(terms, sources, columns)
        results.append(
            _result(method, what, base, per_column, top_k, predictor, cls, additive=True)
        )
    return results


def _sign_for(model: Any, cls: int | None) -> tuple[int, float]:
    """(row of coef to use, sign) for the predicted class: binary models keep one row for
    classes_[1]; explaining classes_[0] flips the sign."""
    if cls is None:
        return 0, 1.0
    n_classes = len(model.classes_)
    if n_classes == 2:
        return 0, 1.0 if cls == 1 else -1.0
    return cls, 1.0


def _linear(model: Any, x: np.ndarray, cls: int | None) -> tuple[np.ndarray, float, str]:
    if hasattr(model, "calibrated_classifiers_"):  # calibrated linear SVM: mean of the folds
        coefs = np.mean(
            [np.atleast_2d(c.estimator.coef_) for c in model.calibrated_classifiers_], 0
        )
        intercepts = np.mean(
            [np.atleast_1d(c.estimator.intercept_) for c in model.calibrated_classifiers_], 0
        )
        unit = "SVM margin (mean of the calibration folds)"
    else:
        inner, scale, shift = _unscaled(model)
        coefs = np.atleast_2d(inner.coef_) * scale
        intercepts = np.atleast_1d(inner.intercept_) * scale + shift
        unit = "decision value (log-odds)" if cls is not None else "predicted value"
    row, sign = _sign_for(model, cls) if cls is not None else (0, 1.0)
    terms = sign * coefs[row] * x
    return terms, float(sign * intercepts[row]), unit


def _unscaled(model: Any) -> tuple[Any, float, float]:
    """(inner regressor, scale, shift) of a regressor fitted on a standardized target."""
    if hasattr(model, "regressor_"):
        scaler = model.transformer_
        return model.regressor_, float(scaler.scale_[0]), float(scaler.mean_[0])
    return model, 1.0, 0.0


def _lightgbm(model: Any, x: np.ndarray, cls: int | None) -> tuple[np.ndarray, float, str]:
    contrib = model.contributions(x)[0]
    if contrib.ndim == 2:  # several classes: (n_classes, n_features + 1)
        contrib = contrib[cls]
        unit = "raw score (softmax input)"
    elif cls is not None:
        _row, sign = _sign_for(model, cls)
        contrib = sign * contrib
        unit = "raw score (log-odds)"
    else:
        unit = "predicted value"
    return contrib[:-1], float(contrib[-1]), unit


def _tree(model: Any, x: np.ndarray, cls: int | None) -> tuple[np.ndarray, float, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import shap

        explainer = shap.TreeExplainer(model)
        values = np.asarray(explainer.shap_values(x))
    expected = np.atleast_1d(explainer.expected_value)
    if cls is None:
        return values[0], float(expected[0]), "predicted value"
    if values.ndim == 3:  # (n, features, classes)
        return values[0, :, cls], float(expected[cls]), "probability"
    return values[0], float(expected[0]), "probability"


def _aggregate(terms: np.ndarray, sources: list[str], columns: list[str]) -> dict[str, float]:
    totals = dict.fromkeys(columns, 0.0)
    for value, source in zip(terms, sources, strict=True):
        totals[source] += float(value)
    return totals


def _result(
    method: str,
    what: str,
    base: float,
    per_column: dict[str, float],
    top_k: int,
    predictor: TabularPredictor,
    cls: int | None,
    *,
    additive: bool,
) -> dict[str, Any]:
    ranked = sorted(per_column.items(), key=lambda item: -abs(item[1]))
    top = ranked[:top_k]
    rest = float(sum(v for _, v in ranked[top_k:]))
    total = base + sum(per_column.values())
    target = predictor.labels[cls] if cls is not None and predictor.labels else None
    return {
        "method": method,
        "explains": f"{what} of {target!r}" if target is not None else what,
        "additive": additive,
        "base_value": round(base, 8),
        "output_value": round(total, 8) if additive else None,
        "contributions": [
            {"feature": name, "contribution": round(value, 8)} for name, value in top
        ],
        "rest": round(rest, 8),
    }


def _occlusion(
    predictor: TabularPredictor, frame: pd.DataFrame, output: np.ndarray, top_k: int
) -> list[dict[str, Any]]:
    columns = [s.name for s in predictor.specs]
    base_frame = predictor.frame([predictor.baseline])
    base_out = predictor.output(base_frame)[0]
    results = []
    for i in range(len(frame)):
        row = frame.iloc[[i]]
        variants = pd.concat([row] * len(columns), ignore_index=True)
        for j, column in enumerate(columns):
            variants.loc[j, column] = base_frame.loc[0, column]
        for spec in predictor.specs:
            if variants[spec.name].dtype != frame[spec.name].dtype:
                variants[spec.name] = variants[spec.name].astype(frame[spec.name].dtype)
        occluded = predictor.output(variants)
        cls = None if predictor.kind == REGRESSION else int(np.asarray(output[i]).argmax())
        if cls is None:
            full, others, base = float(output[i]), occluded, float(base_out)
        else:
            full, others, base = float(output[i][cls]), occluded[:, cls], float(base_out[cls])
        per_column = {c: full - float(others[j]) for j, c in enumerate(columns)}
        what = "predicted value" if cls is None else "probability"
        results.append(
            _result("occlusion", what, base, per_column, top_k, predictor, cls, additive=False)
        )
    return results
