"""The report's plots, drawn with matplotlib's object API (no pyplot state) into PNG bytes."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

BLUE, ORANGE, GREY = "#1f6feb", "#e36209", "#8b949e"
MAX_CLASS_CURVES = 8
MAX_POINTS = 3000


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(width: float = 5.2, height: float = 4.0) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    ax.grid(alpha=0.3)
    return fig, ax


def confusion_matrix(matrix: Sequence[Sequence[int]], labels: list[str]) -> str:
    cm = np.asarray(matrix, dtype=float)
    size = max(4.0, 0.6 * len(labels) + 2.5)
    fig, ax = _figure(size + 0.8, size)
    ax.grid(False)
    totals = cm.sum(axis=1, keepdims=True)
    share = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true class")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(labels) <= 12:
        for i in range(len(labels)):
            for j in range(len(labels)):
                colour = "white" if share[i, j] > 0.5 else "black"
                ax.text(j, i, f"{int(cm[i, j])}", ha="center", va="center", color=colour)
    ax.set_title("Confusion matrix (test)")
    return _png(fig)


def _one_vs_rest(y_true: np.ndarray, labels: list[str]) -> list[tuple[str, np.ndarray, int]]:
    if len(labels) == 2:
        return [(labels[1], np.asarray(y_true) == labels[1], 1)]
    return [(label, np.asarray(y_true) == label, j) for j, label in enumerate(labels)][
        :MAX_CLASS_CURVES
    ]


def roc_curves(y_true: np.ndarray, proba: np.ndarray, labels: list[str]) -> str:
    fig, ax = _figure()
    for label, positive, j in _one_vs_rest(y_true, labels):
        if positive.all() or not positive.any():
            continue
        fpr, tpr, _ = skm.roc_curve(positive, proba[:, j])
        auc = skm.auc(fpr, tpr)
        ax.plot(fpr, tpr, label=f"{label} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color=GREY, label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curve (test)")
    ax.legend(loc="lower right", fontsize=8)
    return _png(fig)


def pr_curves(y_true: np.ndarray, proba: np.ndarray, labels: list[str]) -> str:
    fig, ax = _figure()
    for label, positive, j in _one_vs_rest(y_true, labels):
        if positive.all() or not positive.any():
            continue
        precision, recall, _ = skm.precision_recall_curve(positive, proba[:, j])
        ap = skm.average_precision_score(positive, proba[:, j])
        ax.step(recall, precision, where="post", label=f"{label} (AP {ap:.3f})")
        ax.axhline(positive.mean(), linestyle=":", color=GREY)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_ylim(0, 1.02)
    ax.set_title("Precision-recall curve (test; dotted: base rate)")
    ax.legend(loc="upper right", fontsize=8)
    return _png(fig)


def calibration(y_true: np.ndarray, proba: np.ndarray, labels: list[str]) -> str:
    fig, ax = _figure()
    bins = 10 if len(y_true) >= 200 else 5
    for label, positive, j in _one_vs_rest(y_true, labels):
        if positive.all() or not positive.any():
            continue
        observed, predicted = calibration_curve(positive, proba[:, j], n_bins=bins)
        ax.plot(predicted, observed, marker="o", label=label)
    ax.plot([0, 1], [0, 1], linestyle="--", color=GREY, label="perfectly calibrated")
    ax.set_xlabel("predicted probability")
    ax.set_ylabel("observed frequency")
    ax.set_title("Calibration (test)")
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def predicted_vs_actual(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    fig, ax = _figure(5.0, 5.0)
    keep = _sample(len(y_true))
    ax.scatter(y_true[keep], y_pred[keep], s=10, alpha=0.5, color=BLUE)
    low = float(min(y_true.min(), y_pred.min()))
    high = float(max(y_true.max(), y_pred.max()))
    ax.plot([low, high], [low, high], linestyle="--", color=GREY, label="perfect")
    ax.set_xlabel("actual")
    ax.set_ylabel("predicted")
    ax.set_title("Predicted vs actual (test)")
    ax.legend(loc="upper left", fontsize=8)
    return _png(fig)


def residuals(y_true: np.ndarray, y_pred: np.ndarray) -> str:
    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    errors = y_true - y_pred
    keep = _sample(len(y_true))
    left.scatter(y_pred[keep], errors[keep], s=10, alpha=0.5, color=BLUE)
    left.axhline(0, linestyle="--", color=GREY)
    left.set_xlabel("predicted")
    left.set_ylabel("actual - predicted")
    left.set_title("Residuals vs predicted")
    left.grid(alpha=0.3)
    right.hist(errors, bins=30, color=BLUE, alpha=0.8)
    right.set_xlabel("actual - predicted")
    right.set_ylabel("rows")
    right.set_title("Residual distribution")
    right.grid(alpha=0.3)
    return _png(fig)


def importance(items: list[tuple[str, float]], title: str, limit: int = 20) -> str:
    shown = items[:limit][::-1]
    fig, ax = _figure(6.5, max(2.5, 0.32 * len(shown) + 1.2))
    values = [v for _, v in shown]
    colours = [BLUE if v >= 0 else ORANGE for v in values]
    ax.barh([_short(n) for n, _ in shown], values, color=colours)
    ax.axvline(0, color=GREY, linewidth=0.8)
    ax.set_title(title)
    return _png(fig)


def leaderboard(rows: list[dict[str, Any]], metric: str) -> str:
    scored = [r for r in rows if isinstance(r.get("validation_score"), int | float)]
    fig, ax = _figure(6.5, max(2.5, 0.4 * len(scored) + 1.2))
    names = [r["algorithm"] for r in scored][::-1]
    values = [float(r["validation_score"]) for r in scored][::-1]
    ax.barh(
        names, values, color=[ORANGE if i == len(names) - 1 else BLUE for i in range(len(names))]
    )
    ax.set_xlabel(f"validation {metric}")
    if values:
        span = max(values) - min(values)
        ax.set_xlim(max(0.0, min(values) - span * 0.5 - 1e-6), max(values) + span * 0.2 + 1e-6)
    ax.set_title("Candidates (best trial each; orange: chosen)")
    return _png(fig)


def _sample(n: int) -> np.ndarray:
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.random.default_rng(0).choice(n, MAX_POINTS, replace=False)


def _short(name: str, limit: int = 32) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
