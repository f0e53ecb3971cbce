"""text-classification: text -> label + scores (sentiment, moderation, genre tagging…)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel

from limelight.data import clean_text_labels, stratified_split
from limelight.errors import ModelLoadError
from limelight.tasks import persistence
from limelight.tasks.base import Evaluation, Progress, Task, TrainOptions, TrainOutcome
from limelight.tasks.search import Budget
from limelight.tasks.selection import _ordered_proba, select_classifier
from limelight.tasks.text_classification.algorithms import ALGORITHMS
from limelight.tasks.text_classification.compiled import CompiledLinearText
from limelight.tasks.text_classification.explain import explain_texts, top_weighted_tokens
from limelight.tasks.text_classification.schemas import TextInput, TextPrediction
from limelight.tasks.text_classification.tuning import search_text

NO_REFIT = "none: the winner early-stopped on a held-out slice of train and is kept as fitted"


class TextClassifier:
    """A loaded text classifier: scores every label for a batch of texts in one call.

    TF-IDF + linear pipelines run through :class:`CompiledLinearText` (exact, faster), after a
    parity check against scikit-learn at load; anything else runs through scikit-learn."""

    def __init__(self, estimator: Any, labels: list[str], *, compile: bool = True) -> None:
        self.estimator = estimator
        self.labels = labels
        self._token_names: Any = None  # filled on the first explanation
        classes = [str(c) for c in estimator.classes_]
        self._order = None if classes == labels else [classes.index(label) for label in labels]
        self.compiled = CompiledLinearText.compile(estimator) if compile else None
        if self.compiled is not None and not self._compiled_agrees(self.compiled):
            self.compiled = None
        # the compiled path is scikit-learn's analyzer plus a few numpy calls: Python-bound
        self.holds_gil = self.compiled is not None

    def _compiled_agrees(self, compiled: CompiledLinearText) -> bool:
        vocabulary = list(compiled.blocks[0].vocabulary)
        probes = ["", "a", " ".join(vocabulary[:40]), " ".join(vocabulary[-40:]) + "  ÉTÉ!"]
        expected = np.asarray(self.estimator.predict_proba(probes), dtype=np.float64)
        return bool(np.allclose(compiled.predict_proba(probes), expected, rtol=0, atol=1e-9))

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self.compiled is not None:
            proba = self.compiled.predict_proba(texts)
        else:
            proba = np.asarray(self.estimator.predict_proba(list(texts)), dtype=np.float64)
        return proba if self._order is None else proba[:, self._order]

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]:
        texts = [item.text for item in inputs]  # type: ignore[attr-defined]
        return [self.format(row) for row in self.predict_proba(texts)]

    def format(self, row: np.ndarray) -> dict[str, Any]:
        labels = self.labels
        return {
            "label": labels[int(row.argmax())],
            "scores": {label: round(float(p), 6) for label, p in zip(labels, row, strict=True)},
        }

    def explain_batch(self, inputs: Sequence[BaseModel], top_k: int = 10) -> list[dict[str, Any]]:
        """The prediction plus the tokens that pushed it most (signed), per text."""
        texts = [item.text for item in inputs]  # type: ignore[attr-defined]
        return explain_texts(self, texts, top_k=top_k)


class TextClassification(Task):
    name = "text-classification"
    description = "text -> label + scores: sentiment, moderation, tagging of reviews and comments"
    roles: ClassVar[dict[str, str]] = {"text": "the text column", "target": "the label column"}
    required_roles = ("text", "target")
    algorithms = ALGORITHMS
    # auto: the fast candidates plus TextCNN and the GRU (each bounded by its wall-clock budget;
    # about 20 s and 1 min on Rotten Tomatoes); fine-tuning MiniLM takes about a quarter of an
    # hour there on 2 cores, so it joins by name: `auto,minilm-finetune` (README, benchmark).
    default_candidates = (
        "tfidf-logreg",
        "tfidf-svm",
        "naive-bayes",
        "minilm-logreg",
        "textcnn",
        "gru",
    )
    input_model = TextInput
    output_model = TextPrediction
    selection_metric = "f1_macro"

    def train(self, frame: pd.DataFrame, options: TrainOptions, progress: Progress) -> TrainOutcome:
        names = self.candidates(options.algorithm)
        progress.stage("cleaning", total=None)
        clean, report = clean_text_labels(frame, options.columns["text"], options.columns["target"])
        for warning in report.warnings:
            progress.log(f"warning: {warning}")
        split = stratified_split(
            clean,
            validation_size=options.validation_size,
            test_size=options.test_size,
            seed=options.seed,
        )
        labels = sorted(clean["label"].unique().tolist())
        candidates = [(n, self.algorithms[n](**options.params.get(n, {}))) for n in names]

        def part(df: pd.DataFrame) -> tuple[list[str], np.ndarray]:
            return df["text"].tolist(), df["label"].to_numpy(dtype=str)

        uses_embeddings = any(n.startswith("minilm") for n in names)
        cache = _embedding_cache() if uses_embeddings else contextlib.nullcontext()
        budget = Budget.parse(options.budget)
        with cache:
            if budget is None:
                progress.stage("fitting candidates", total=len(candidates))
                selected = select_classifier(
                    candidates,
                    part(split.train),
                    part(split.validation),
                    part(split.test),
                    labels,
                    seed=options.seed,
                    progress=progress,
                    concat=lambda a, b: list(a) + list(b),
                )
            else:
                selected = search_text(
                    names,
                    self.algorithms,
                    options,
                    budget,
                    part(split.train),
                    part(split.validation),
                    part(split.test),
                    labels,
                    progress,
                )
            test_proba = _ordered_proba(selected.estimator, part(split.test)[0], labels)
        estimator = selected.estimator
        chosen = selected.algorithm

        def write(folder: Path) -> None:
            chosen.save(estimator, folder)

        return TrainOutcome(
            algorithm=selected.name,
            params=selected.algorithm.get_params(),
            metrics=selected.metrics,
            leaderboard=selected.leaderboard,
            data={
                "cleaning": report.to_dict(),
                "split": {
                    **split.sizes(),
                    "method": "stratified",
                    "seed": options.seed,
                    "validation_size": options.validation_size,
                    "test_size": options.test_size,
                },
                "labels": labels,
                "columns": dict(options.columns),
                "saved_by": selected.name,
                "artifact_format": chosen.artifact_format,
            },
            write=write,
            selection={
                "metric": "validation_f1_macro",
                "refit": "train+validation" if chosen.refit else NO_REFIT,
                "candidates": names,
                **(
                    {"budget": budget.describe(), "search": "optuna TPE + median pruning"}
                    if budget
                    else {}
                ),
            },
            evaluation=Evaluation(
                "classification",
                split.test["label"].to_numpy(dtype=str),
                proba=test_proba,
                labels=labels,
                importance=top_weighted_tokens(estimator, labels),
                importance_method="largest absolute token weights of the linear model "
                "(positive: pushes toward the second label for two classes)",
            ),
        )

    def load(self, folder: Path, manifest: dict[str, Any]) -> TextClassifier:
        saved_by = manifest.get("data", {}).get("saved_by")
        if saved_by is None:  # versions saved before algorithms could own their files: skops
            estimator = persistence.load_sklearn(folder / persistence.SKOPS_FILE)
        elif saved_by in self.algorithms:
            estimator = self.algorithms[saved_by].load(folder)
        else:
            raise ModelLoadError(
                f"this version was saved by algorithm {saved_by!r}, which this Limelight does "
                "not have; upgrade Limelight to serve it"
            )
        labels = manifest.get("data", {}).get("labels")
        if not labels:
            raise ModelLoadError("the manifest lists no labels; the version is incomplete")
        return TextClassifier(estimator, [str(x) for x in labels])


def _embedding_cache() -> contextlib.AbstractContextManager[None]:
    from limelight.embeddings import embedding_cache

    return embedding_cache()
