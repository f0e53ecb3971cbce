"""The compiled TF-IDF + linear path against scikit-learn, on real Rotten Tomatoes sentences."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from limelight.tasks.text_classification.algorithms import ALGORITHMS
from limelight.tasks.text_classification.compiled import CompiledLinearText
from limelight.tasks.text_classification.task import TextClassifier


@pytest.fixture(scope="module")
def rotten_tomatoes(data_dir: Path) -> tuple[list[str], np.ndarray]:
    folder = data_dir / "rt-polarity" / "utf8"
    neg = folder.joinpath("rt-polarity.neg").read_text(encoding="utf-8").splitlines()
    pos = folder.joinpath("rt-polarity.pos").read_text(encoding="utf-8").splitlines()
    texts = neg + pos
    labels = np.array(["negative"] * len(neg) + ["positive"] * len(pos))
    order = np.random.default_rng(0).permutation(len(texts))
    return [texts[i] for i in order], labels[order]


@pytest.mark.parametrize(
    ("algorithm", "params"),
    [("tfidf-logreg", {}), ("tfidf-logreg", {"char_ngrams": False}), ("naive-bayes", {})],
)
def test_parity_with_scikit_learn(
    rotten_tomatoes: tuple[list[str], np.ndarray], algorithm: str, params: dict[str, object]
) -> None:
    texts, labels = rotten_tomatoes
    train, test = slice(0, 2500), slice(3000, 5000)
    estimator = ALGORITHMS[algorithm](**params).build(0).fit(texts[train], labels[train])  # type: ignore[arg-type]
    compiled = CompiledLinearText.compile(estimator)
    assert compiled is not None
    held_out = texts[test] + ["", "   ", "!!!", "Clichéd, ÉPIQUE and naïve… 10/10"]
    expected = estimator.predict_proba(held_out)
    got = compiled.predict_proba(held_out)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 1e-12
    assert (got.argmax(axis=1) == expected.argmax(axis=1)).all()  # no label flips
    # batch composition does not change an answer
    singles = np.vstack([compiled.predict_proba([t]) for t in held_out[:50]])
    assert np.abs(singles - expected[:50]).max() < 1e-12


def test_multiclass_softmax_parity(rotten_tomatoes: tuple[list[str], np.ndarray]) -> None:
    texts, labels = rotten_tomatoes
    length = np.array(["short" if len(t) < 100 else "long" for t in texts])
    four = np.char.add(np.char.add(labels, "-"), length)  # 4 classes
    estimator = (
        ALGORITHMS["tfidf-logreg"](char_ngrams=False).build(0).fit(texts[:3000], four[:3000])
    )
    compiled = CompiledLinearText.compile(estimator)
    assert compiled is not None and compiled.link == "softmax"
    expected = estimator.predict_proba(texts[3000:5000])
    got = compiled.predict_proba(texts[3000:5000])
    assert np.abs(got - expected).max() < 1e-12


def test_loaded_classifier_uses_the_compiled_path_only_where_supported(
    rotten_tomatoes: tuple[list[str], np.ndarray],
) -> None:
    texts, labels = rotten_tomatoes
    logreg = ALGORITHMS["tfidf-logreg"]().build(0).fit(texts[:1500], labels[:1500])
    svm = ALGORITHMS["tfidf-svm"]().build(0).fit(texts[:1500], labels[:1500])
    assert TextClassifier(logreg, ["negative", "positive"]).compiled is not None
    assert TextClassifier(svm, ["negative", "positive"]).compiled is None
    # label order differing from the estimator's classes is still honoured
    reordered = TextClassifier(logreg, ["positive", "negative"])
    proba = reordered.predict_proba(texts[2000:2100])
    assert np.abs(proba - logreg.predict_proba(texts[2000:2100])[:, ::-1]).max() < 1e-12
