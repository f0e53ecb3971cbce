"""Zero-shot tagging: score texts against labels given at request time by embedding similarity.

Each label is embedded through a template (``"{}"`` by default, e.g. ``"a {} story"``); a text's
score for a label is the cosine similarity of the two vectors, and a softmax over the
similarities (temperature 0.05) turns them into probabilities that sum to 1.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from limelight.errors import InvalidInput

MAX_LABELS = 100
TEMPERATURE = 0.05


def check_labels(labels: Any, template: str) -> list[str]:
    if not isinstance(labels, list) or not labels:
        raise InvalidInput("labels must be a non-empty list of strings", field="labels")
    if len(labels) > MAX_LABELS:
        raise InvalidInput(f"at most {MAX_LABELS} labels per request", field="labels")
    if not all(isinstance(x, str) and x.strip() for x in labels):
        raise InvalidInput("every label must be a non-empty string", field="labels")
    if len(set(labels)) != len(labels):
        raise InvalidInput("labels must be distinct", field="labels")
    if template.count("{}") != 1:
        raise InvalidInput('template must contain "{}" exactly once', field="template")
    return list(labels)


def zero_shot(
    encode: Callable[[Sequence[str]], np.ndarray],
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    template: str = "{}",
    multi_label: bool = False,
) -> list[dict[str, Any]]:
    """One result per text: the best label, a probability per label, and the similarities.

    With ``multi_label`` every label is judged on its own (a sigmoid of the similarity centred
    at 0.25) instead of a softmax across labels."""
    label_vectors = encode([template.format(label) for label in labels])
    text_vectors = encode(list(texts))
    similarity = text_vectors @ label_vectors.T
    if multi_label:
        scores = 1.0 / (1.0 + np.exp(-(similarity - 0.25) / TEMPERATURE))
    else:
        logits = similarity / TEMPERATURE
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        scores = exp / exp.sum(axis=1, keepdims=True)
    results = []
    for sim_row, score_row in zip(similarity, scores, strict=True):
        best = int(np.argmax(sim_row))
        results.append(
            {
                "label": labels[best],
                "scores": {
                    lab: round(float(s), 6) for lab, s in zip(labels, score_row, strict=True)
                },
                "similarities": {
                    lab: round(float(s), 6) for lab, s in zip(labels, sim_row, strict=True)
                },
            }
        )
    return results
