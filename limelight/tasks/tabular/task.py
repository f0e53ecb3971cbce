"""tabular-classification and tabular-regression: a record -> a label + scores, or a value."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel
from scipy import sparse

from limelight.data import random_split, stratified_split
from limelight.errors import InvalidInput, ModelLoadError
from limelight.tasks import persistence
from limelight.tasks.base import Evaluation, Progress, Task, TrainOptions, TrainOutcome
from limelight.tasks.metrics import classification_metrics, regression_metrics
from limelight.tasks.search import Budget, Candidate, search
from limelight.tasks.tabular.algorithms import (
    CLASSIFICATION,
    CLASSIFIERS,
    REGRESSION,
    REGRESSORS,
    TabularAlgorithm,
)
from limelight.tasks.tabular.cleaning import clean_tabular
from limelight.tasks.tabular.columns import BOOLEAN, CATEGORICAL, NUMERIC, ColumnSpec
from limelight.tasks.tabular.fitting import Fitter, one_blas_thread, score
from limelight.tasks.tabular.predictor import TabularPredictor
from limelight.tasks.tabular.preprocessing import source_columns
from limelight.tasks.tabular.schemas import (
    TabularClassPrediction,
    TabularInput,
    TabularValuePrediction,
    input_model_for,
)

MODEL_FILE = "model.skops"
# Auto mode tries the cheap candidates first, so a small time budget still sees several
# families; the kernel SVM, the slowest to fit, comes last.
AUTO_ORDER = (
    "lightgbm",
    "logistic",
    "ridge",
    "decision-tree",
    "svm-linear",
    "random-forest",
    "mlp",
    "svm-rbf",
)
IMPORTANCE_ROWS = 1000
IMPORTANCE_REPEATS = 3


class _Tabular(Task):
    kind: ClassVar[str]
    roles: ClassVar[dict[str, str]] = {"target": "the column to predict"}
    required_roles = ("target",)
    input_model: ClassVar[type[BaseModel]] = TabularInput
    algorithms: ClassVar[dict[str, type[TabularAlgorithm]]]  # type: ignore[assignment]

    def columns(self, options: TrainOptions) -> list[str] | None:
        wanted = super().columns(options)
        if options.features is None:
            return None
        if not options.features:
            raise InvalidInput("--features lists no column", field="features")
        return list(dict.fromkeys([*options.features, *(wanted or [])]))

    def train(self, frame: pd.DataFrame, options: TrainOptions, progress: Progress) -> TrainOutcome:
        # One BLAS thread: on a busy machine two threads made a logistic regression fit 40x
        # slower (measured on the Criteo sample with a load average of 12 on 2 cores).
        with one_blas_thread():
            return self._train(frame, options, progress)

    def _train(
        self, frame: pd.DataFrame, options: TrainOptions, progress: Progress
    ) -> TrainOutcome:
        names = self.candidates(options.algorithm)
        budget = Budget.parse(options.budget)
        target = options.columns["target"]
        regression = self.kind == REGRESSION
        progress.stage("cleaning", total=None)
        typed, specs, report = clean_tabular(frame, target, options.features, regression=regression)
        for warning in report.warnings:
            progress.log(f"warning: {warning}")
        sizes = {"validation_size": options.validation_size, "test_size": options.test_size}
        if regression:
            split = random_split(typed, seed=options.seed, **sizes)
            labels = None
        else:
            split = stratified_split(typed, "label", seed=options.seed, **sizes)
            labels = sorted(typed["label"].unique().tolist())
        fitter = Fitter(
            specs, split.train, split.validation, kind=self.kind, labels=labels, seed=options.seed
        )
        candidates = [Candidate(n, self.algorithms[n], options.params.get(n, {})) for n in names]
        result = search(
            candidates,
            fitter.fit_score,
            metric=fitter.metric,
            maximize=fitter.maximize,
            budget=budget,
            seed=options.seed,
            progress=progress,
        )
        progress.stage(f"refitting {result.name} on train + validation", total=None)
        pipeline = fitter.refit(result.algorithm)
        progress.stage("evaluating on the test split", total=None)
        columns = [s.name for s in specs]
        x_test, y_test = split.test[columns], fitter.target(split.test)
        output = fitter.output(pipeline, x_test)
        if regression:
            metrics = regression_metrics(y_test, output)
            evaluation = Evaluation("regression", y_test, y_pred=output)
        else:
            assert labels is not None
            metrics = classification_metrics(y_test, output, labels)
            evaluation = Evaluation("classification", y_test, proba=output, labels=labels)
        progress.stage("feature importance (permutation, test split)", total=None)
        evaluation.importance = permutation_importance(
            fitter, pipeline, split.test, seed=options.seed
        )
        evaluation.importance_method = (
            f"drop in test {fitter.metric} when the column is shuffled "
            f"(mean of {IMPORTANCE_REPEATS})"
        )

        def write(folder: Path) -> None:
            persistence.dump_sklearn(pipeline, folder / MODEL_FILE)

        return TrainOutcome(
            algorithm=result.name,
            params=result.algorithm.get_params(),
            metrics=metrics,
            leaderboard=result.leaderboard,
            data={
                "cleaning": report.to_dict(),
                "split": {
                    **split.sizes(),
                    "method": "random" if regression else "stratified",
                    "seed": options.seed,
                    **sizes,
                },
                **({"labels": labels} if labels is not None else {}),
                "columns": dict(options.columns),
                "features": [s.to_dict() for s in specs],
                "baseline": baseline(split.train, specs),
            },
            write=write,
            selection={
                "metric": f"validation_{fitter.metric}",
                "direction": "maximize" if fitter.maximize else "minimize",
                "refit": "train+validation",
                "candidates": names,
                "budget": budget.describe() if budget else None,
                "search": "optuna TPE + median pruning" if budget else "defaults only",
                "trials": result.trials,
                "pruned": result.pruned,
                "search_seconds": result.seconds,
            },
            input_schema=input_model_for(specs).model_json_schema(),
            evaluation=evaluation,
        )

    def load(self, folder: Path, manifest: dict[str, Any]) -> TabularPredictor:
        data = manifest.get("data", {})
        features = data.get("features")
        if not features:
            raise ModelLoadError("the manifest lists no feature columns; the version is incomplete")
        specs = [ColumnSpec.from_dict(f) for f in features]
        labels = data.get("labels")
        if self.kind == CLASSIFICATION and not labels:
            raise ModelLoadError("the manifest lists no labels; the version is incomplete")
        pipeline = persistence.load_sklearn(folder / MODEL_FILE)
        algorithm = self.algorithms.get(manifest.get("algorithm", ""))
        return TabularPredictor(
            pipeline,
            specs,
            kind=self.kind,
            labels=[str(x) for x in labels] if labels else None,
            explainer=algorithm.explainer if algorithm else "occlusion",
            baseline=data.get("baseline", {}),
        )


class TabularClassification(_Tabular):
    name = "tabular-classification"
    description = "record -> label + scores: click prediction, churn, content type, moderation"
    kind = CLASSIFICATION
    algorithms = CLASSIFIERS
    default_candidates = tuple(n for n in AUTO_ORDER if n in CLASSIFIERS)
    output_model = TabularClassPrediction
    selection_metric = "roc_auc (two classes) or f1_macro"


class TabularRegression(_Tabular):
    name = "tabular-regression"
    description = "record -> a number: ratings, watch time, revenue"
    kind = REGRESSION
    algorithms = REGRESSORS
    default_candidates = tuple(n for n in AUTO_ORDER if n in REGRESSORS)
    output_model = TabularValuePrediction
    selection_metric = "rmse"


def baseline(train: pd.DataFrame, specs: list[ColumnSpec]) -> dict[str, Any]:
    """A typical record (median / most frequent value) that occlusion explanations compare to."""
    out: dict[str, Any] = {}
    for spec in specs:
        column = train[spec.name]
        if spec.kind == NUMERIC:
            median = column.median()
            out[spec.name] = None if pd.isna(median) else float(median)
        elif spec.kind == BOOLEAN:
            mode = column.dropna().mode()
            out[spec.name] = bool(mode.iloc[0]) if len(mode) else None
        elif spec.kind == CATEGORICAL:
            mode = column.dropna().mode()
            out[spec.name] = str(mode.iloc[0]) if len(mode) else None
        else:
            out[spec.name] = None
    return out


def permutation_importance(
    fitter: Fitter, pipeline: Any, test: pd.DataFrame, *, seed: int
) -> list[tuple[str, float]]:
    """Per input column: how much the test metric worsens when that column is shuffled.

    Every preprocessing step works row by row, so shuffling an input column equals shuffling
    the block of encoded columns it produced: the test rows are transformed once and only the
    model is called per shuffle.
    """
    rng = np.random.default_rng(seed)
    sample = test
    if len(test) > IMPORTANCE_ROWS:
        sample = test.sample(IMPORTANCE_ROWS, random_state=seed)
    prep, model = pipeline.named_steps["prep"], pipeline.named_steps["model"]
    columns = [s.name for s in fitter.specs]
    x = prep.transform(sample[columns].reset_index(drop=True))
    if sparse.issparse(x):
        x = x.tocsr()
    sources = np.asarray(source_columns(prep))
    y = fitter.target(sample)
    sign = 1.0 if fitter.maximize else -1.0
    reference = score(fitter.metric, y, fitter.output(model, x), fitter.labels)
    out: list[tuple[str, float]] = []
    for column in columns:
        block = (sources == column).astype(np.float64)
        drops = []
        for _ in range(IMPORTANCE_REPEATS):
            shuffled = x[rng.permutation(x.shape[0])]
            if sparse.issparse(x):
                mixed = x @ sparse.diags(1.0 - block) + shuffled @ sparse.diags(block)
            else:
                mixed = x * (1.0 - block) + shuffled * block
            value = score(fitter.metric, y, fitter.output(model, mixed), fitter.labels)
            drops.append(sign * (reference - value))
        out.append((column, round(float(np.mean(drops)), 6)))
    out.sort(key=lambda item: -item[1])
    return out
