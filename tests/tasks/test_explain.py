"""Explanations: exact for linear models (they sum with the intercept to the decision value),
TreeSHAP for trees (they sum to the model's output), top tokens for TF-IDF text models."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from limelight.registry import Registry
from limelight.runtime import LoadedModel, load
from limelight.settings import Settings
from tests.conftest import train_tiny
from tests.tasks.tabular_data import GOOD, classification, fitted, regression

ROWS = [
    GOOD,
    {**GOOD, "country": "US", "premium": False, "age": None},
    {**GOOD, "country": "Atlantis", "user": "new", "bio": "dull plot"},
]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, LoadedModel]]:
    root = tmp_path_factory.mktemp("models")
    registry = Registry.from_settings(Settings(home=root / "home"))
    out: dict[str, LoadedModel] = {}
    for algorithm in ("logistic", "svm-linear", "lightgbm", "random-forest", "mlp"):
        out[f"c-{algorithm}"] = fitted(
            "tabular-classification", classification(240), "clicked", algorithm, root / algorithm
        )
    for algorithm in ("ridge", "lightgbm"):
        out[f"r-{algorithm}"] = fitted(
            "tabular-regression", regression(240), "watch", algorithm, root / f"r-{algorithm}"
        )
    train_tiny(registry, name="text")
    out["text"] = load(registry, "text")
    yield out
    registry.close()


def _full(model: LoadedModel, rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return model.explain([{"features": r} for r in rows], top_k=100)


def _parts(model: LoadedModel, rows: list[dict[str, object]]) -> tuple[object, object, object]:
    predictor = model.predictor
    frame = predictor.frame(rows)  # type: ignore[attr-defined]
    prep = predictor.pipeline.named_steps["prep"]  # type: ignore[attr-defined]
    return predictor, prep.transform(frame), predictor.pipeline.named_steps["model"]  # type: ignore[attr-defined]


def _total(explanation: dict[str, object]) -> float:
    contributions = explanation["contributions"]
    assert isinstance(contributions, list)
    return float(explanation["base_value"]) + sum(c["contribution"] for c in contributions)  # type: ignore[arg-type]


def test_logistic_contributions_sum_with_the_intercept_to_the_decision_value(
    models: dict[str, LoadedModel],
) -> None:
    model = models["c-logistic"]
    explanations = _full(model, ROWS)
    _predictor, x, estimator = _parts(model, ROWS)
    decision = estimator.decision_function(x)  # type: ignore[attr-defined]
    classes = list(estimator.classes_)  # type: ignore[attr-defined]
    for explanation, value in zip(explanations, decision, strict=True):
        label = explanation["prediction"]["label"]
        signed = value if label == classes[1] else -value  # toward the predicted label
        assert _total(explanation) == pytest.approx(signed, abs=1e-6)
        assert explanation["output_value"] == pytest.approx(signed, abs=1e-6)
        assert explanation["method"] == "linear" and explanation["additive"] is True
        assert explanation["base_value"] == pytest.approx(
            estimator.intercept_[0] * (1 if label == classes[1] else -1)  # type: ignore[attr-defined]
        )
        assert {c["feature"] for c in explanation["contributions"]} == set(GOOD)
        # positive log-odds toward the predicted label: it won
        assert signed > 0


def test_ridge_contributions_sum_with_the_intercept_to_the_prediction(
    models: dict[str, LoadedModel],
) -> None:
    model = models["r-ridge"]
    explanations = _full(model, ROWS)
    predicted = [out["value"] for out in model.predict([{"features": r} for r in ROWS])]
    for explanation, value in zip(explanations, predicted, strict=True):
        assert _total(explanation) == pytest.approx(value, abs=1e-5)
    top = model.explain([{"features": GOOD}], top_k=2)[0]
    assert len(top["contributions"]) == 2
    assert _total(top) + top["rest"] == pytest.approx(predicted[0], abs=1e-5)
    by_name = {c["feature"]: c for c in _full(model, [GOOD])[0]["contributions"]}
    assert by_name["age"]["value"] == 30 and by_name["age"]["contribution"] < 0  # younger


def test_calibrated_linear_svm_contributions_sum_to_the_mean_margin(
    models: dict[str, LoadedModel],
) -> None:
    model = models["c-svm-linear"]
    _predictor, x, estimator = _parts(model, ROWS)
    folds = [c.estimator for c in estimator.calibrated_classifiers_]  # type: ignore[attr-defined]
    margin = np.mean([f.decision_function(x) for f in folds], axis=0)
    classes = list(estimator.classes_)  # type: ignore[attr-defined]
    for explanation, value in zip(_full(model, ROWS), margin, strict=True):
        signed = value if explanation["prediction"]["label"] == classes[1] else -value
        assert _total(explanation) == pytest.approx(signed, abs=1e-6)


def test_tree_shap_sums_to_the_model_output(models: dict[str, LoadedModel]) -> None:
    lgbm = models["c-lightgbm"]
    _p, x, estimator = _parts(lgbm, ROWS)
    raw = estimator.raw_score(x)  # type: ignore[attr-defined]
    for explanation, value in zip(_full(lgbm, ROWS), raw, strict=True):
        signed = value if explanation["prediction"]["label"] == "yes" else -value
        assert explanation["method"] == "lightgbm"
        assert _total(explanation) == pytest.approx(signed, abs=1e-6)
    forest = models["c-random-forest"]
    for explanation in _full(forest, ROWS):
        label = explanation["prediction"]["label"]
        assert explanation["method"] == "tree"
        assert _total(explanation) == pytest.approx(explanation["prediction"]["scores"][label])
    reg = models["r-lightgbm"]
    values = [o["value"] for o in reg.predict([{"features": r} for r in ROWS])]
    for explanation, value in zip(_full(reg, ROWS), values, strict=True):
        assert _total(explanation) == pytest.approx(value, abs=1e-5)


def test_occlusion_for_models_without_exact_attributions(models: dict[str, LoadedModel]) -> None:
    explanation = _full(models["c-mlp"], [GOOD])[0]
    assert explanation["method"] == "occlusion"
    assert explanation["additive"] is False
    assert len(explanation["contributions"]) == len(GOOD)


def test_text_model_explains_with_top_tokens(models: dict[str, LoadedModel]) -> None:
    model = models["text"]
    explanation = model.explain(["What a wonderful film, I loved it"], top_k=5)[0]
    assert explanation["prediction"]["label"] == "positive"
    assert len(explanation["contributions"]) == 5
    assert all(c["contribution"] != 0 for c in explanation["contributions"])
    full = model.explain(["What a wonderful film, I loved it"], top_k=100_000)[0]
    estimator = model.predictor.estimator  # type: ignore[attr-defined]
    decision = estimator.decision_function(["What a wonderful film, I loved it"])[0]
    signed = decision if list(estimator.classes_).index("positive") == 1 else -decision
    assert _total(full) == pytest.approx(signed, abs=1e-6)
    tokens = [c["feature"] for c in explanation["contributions"]]
    assert any("wonderful" in t or "loved" in t for t in tokens), tokens
