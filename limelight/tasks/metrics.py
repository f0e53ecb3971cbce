"""Classification metrics, computed on the untouched test split and stored with each version."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn import metrics as skm


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, labels: list[str]
) -> dict[str, Any]:
    """Accuracy, macro and per-class precision/recall/F1, ROC-AUC (two classes), log-loss and
    the confusion matrix (rows: true label, columns: predicted, in ``labels`` order)."""
    y_true = np.asarray(y_true).astype(str)
    y_pred = np.asarray(labels)[proba.argmax(axis=1)]
    precision, recall, f1, support = skm.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    out: dict[str, Any] = {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision_macro": float(np.mean(precision)),
        "recall_macro": float(np.mean(recall)),
        "f1_macro": float(np.mean(f1)),
        "log_loss": float(skm.log_loss(y_true, np.clip(proba, 1e-15, 1), labels=labels)),
        "per_class": {
            label: {
                "precision": float(p),
                "recall": float(r),
                "f1": float(f),
                "support": int(s),
            }
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "confusion_matrix": {
            "labels": list(labels),
            "matrix": skm.confusion_matrix(y_true, y_pred, labels=labels).tolist(),
        },
        "n": len(y_true),
    }
    if len(labels) == 2 and len(set(y_true)) == 2:
        out["roc_auc"] = float(skm.roc_auc_score(y_true == labels[1], proba[:, 1]))
    return out


def macro_f1(y_true: np.ndarray, proba: np.ndarray, labels: list[str]) -> float:
    y_pred = np.asarray(labels)[proba.argmax(axis=1)]
    return float(
        skm.f1_score(
            np.asarray(y_true).astype(str), y_pred, labels=labels, average="macro", zero_division=0
        )
    )


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    """RMSE, MAE and R² (and the row count) of predictions on the test split."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    return {
        "rmse": float(np.sqrt(skm.mean_squared_error(y_true, y_pred))),
        "mae": float(skm.mean_absolute_error(y_true, y_pred)),
        "r2": float(skm.r2_score(y_true, y_pred)) if len(y_true) > 1 else float("nan"),
        "n": len(y_true),
    }
