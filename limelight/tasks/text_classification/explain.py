"""Explanations of text classifiers: which tokens pushed the prediction, and how hard.

For the TF-IDF models the decision is linear in the TF-IDF features, so a token's contribution
is exact: its TF-IDF value times its weight for the predicted label (logistic regression: the
log-odds; linear SVM: the margin, averaged over the calibration folds; naive Bayes: the log
likelihood of the label against the mean of the others). ``base_value`` plus every token's
contribution is ``output_value``. Models without token weights (MiniLM embeddings) are
explained by occlusion: how much the predicted label's probability drops without each word.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from limelight.tasks.text_classification.task import TextClassifier

MAX_OCCLUDED_WORDS = 40
_WORD = re.compile(r"\S+")


def linear_view(estimator: Any) -> tuple[Any, np.ndarray, np.ndarray, str] | None:
    """(vectorizer, weights (k, n_features), intercepts (k,), unit) of a TF-IDF linear model,
    or None. With two classes there is one row, oriented toward the second class."""
    steps = getattr(estimator, "named_steps", {})
    features, model = steps.get("features"), steps.get("classifier")
    if features is None or model is None or not hasattr(features, "get_feature_names_out"):
        return None
    if hasattr(model, "calibrated_classifiers_"):
        folds = [c.estimator for c in model.calibrated_classifiers_]
        if not all(hasattr(f, "coef_") for f in folds):
            return None
        weights = np.mean([np.atleast_2d(f.coef_) for f in folds], axis=0)
        intercepts = np.mean([np.atleast_1d(f.intercept_) for f in folds], axis=0)
        return features, weights, intercepts, "SVM margin (mean of the calibration folds)"
    if hasattr(model, "feature_log_prob_"):
        theta, prior = np.asarray(model.feature_log_prob_), np.asarray(model.class_log_prior_)
        if len(theta) == 2:
            return features, theta[1:] - theta[:1], prior[1:] - prior[:1], "log-likelihood ratio"
        k = len(theta)
        others = (theta.sum(axis=0, keepdims=True) - theta) / (k - 1)
        prior_others = (prior.sum() - prior) / (k - 1)
        return features, theta - others, prior - prior_others, "log-likelihood vs other labels"
    if hasattr(model, "coef_"):
        unit = "decision value (log-odds)"
        return features, np.atleast_2d(model.coef_), np.atleast_1d(model.intercept_), unit
    return None


def top_weighted_tokens(
    estimator: Any, labels: list[str], limit: int = 25
) -> list[tuple[str, float]]:
    """The tokens with the largest absolute weights (for the report)."""
    view = linear_view(estimator)
    if view is None:
        return []
    features, weights, _intercepts, _unit = view
    names = features.get_feature_names_out()
    if weights.shape[0] == 1:
        strongest = weights[0]
    else:
        strongest = weights[np.abs(weights).argmax(axis=0), np.arange(weights.shape[1])]
    order = np.argsort(-np.abs(strongest))[:limit]
    return [(str(names[j]), round(float(strongest[j]), 6)) for j in order]


def explain_texts(
    classifier: TextClassifier, texts: list[str], *, top_k: int
) -> list[dict[str, Any]]:
    proba = classifier.predict_proba(texts)
    view = linear_view(classifier.estimator)
    if view is None:
        return [
            _occlusion(classifier, text, row, top_k) for text, row in zip(texts, proba, strict=True)
        ]
    features, weights, intercepts, unit = view
    names = _names(classifier, features)
    classes = [str(c) for c in classifier.estimator.classes_]
    x = features.transform(texts).tocsr()
    out = []
    for i, row in enumerate(proba):
        cls = int(row.argmax())
        label = classifier.labels[cls]
        k = classes.index(label)
        if weights.shape[0] == 1:
            w, b = weights[0] * (1.0 if k == 1 else -1.0), intercepts[0] * (1.0 if k == 1 else -1.0)
        else:
            w, b = weights[k], intercepts[k]
        start, end = x.indptr[i], x.indptr[i + 1]
        cols, values = x.indices[start:end], x.data[start:end]
        terms = values * w[cols]
        order = np.argsort(-np.abs(terms))
        top = order[:top_k]
        out.append(
            {
                "prediction": classifier.format(row),
                "method": "linear",
                "explains": f"{unit} of {label!r}",
                "additive": True,
                "base_value": round(float(b), 8),
                "output_value": round(float(b + terms.sum()), 8),
                "contributions": [
                    {
                        "feature": str(names[cols[j]]),
                        "value": round(float(values[j]), 6),
                        "contribution": round(float(terms[j]), 8),
                    }
                    for j in top
                ],
                "rest": round(float(terms[order[top_k:]].sum()), 8),
            }
        )
    return out


def _names(classifier: TextClassifier, features: Any) -> np.ndarray:
    cached = getattr(classifier, "_token_names", None)
    if cached is None:
        cached = features.get_feature_names_out()
        classifier._token_names = cached
    return np.asarray(cached)


def _occlusion(
    classifier: TextClassifier, text: str, row: np.ndarray, top_k: int
) -> dict[str, Any]:
    cls = int(row.argmax())
    words = list(dict.fromkeys(_WORD.findall(text)))[:MAX_OCCLUDED_WORDS]
    variants = [" ".join(w for w in _WORD.findall(text) if w != word) or "." for word in words]
    occluded = classifier.predict_proba(variants)[:, cls] if variants else np.zeros(0)
    terms = float(row[cls]) - occluded
    order = np.argsort(-np.abs(terms))[:top_k]
    return {
        "prediction": classifier.format(row),
        "method": "occlusion",
        "explains": f"probability of {classifier.labels[cls]!r}",
        "additive": False,
        "base_value": None,
        "output_value": None,
        "contributions": [
            {"feature": words[j], "value": None, "contribution": round(float(terms[j]), 8)}
            for j in order
        ],
        "rest": None,
    }
