"""An exact, faster execution of TF-IDF + linear pipelines, compiled once at load.

A fitted ``Pipeline([features, classifier])`` whose features are a ``TfidfVectorizer`` (or a
``FeatureUnion`` of them) and whose classifier is a ``LogisticRegression`` or a
``MultinomialNB`` is linear in the TF-IDF features. At load we fold each vectorizer's idf into
the classifier's weights (one ``(n_features, n_classes)`` array per vectorizer); at predict time
we run scikit-learn's own analyzer (so tokens and n-grams are identical), count the terms, look
them up, and compute, per text and vectorizer, ``sum(tf' * idf * w) / ||tf' * idf||`` with
numpy (``tf' = 1 + ln tf`` when ``sublinear_tf``). No sparse matrices, no per-call validation.

Why not ONNX Runtime here (measured by benchmarks/serving/onnx_tfidf.py): skl2onnx 1.20 refuses
the ``char_wb`` analyzer of the default tfidf-logreg ("only tokenizer='word' is fully
supported"); for word n-grams alone it densifies the TF-IDF matrix, runs far slower than this
path at batch 1 and 64, and computes ``sublinear_tf`` as ``ln(tf + 1)`` (labels flip). This path
is exact to floating-point rounding (parity-tested against scikit-learn on Rotten Tomatoes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import chain
from typing import Any

import numpy as np
from scipy.special import expit, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import FeatureUnion, Pipeline

WORD_CACHE_SIZE = 200_000  # char_wb: words whose n-gram columns are remembered


class _Block:
    """One vectorizer: its analyzer, vocabulary and the classifier weights times idf."""

    def __init__(self, vec: TfidfVectorizer, coef: np.ndarray) -> None:
        n = len(vec.vocabulary_)
        self.vocabulary: dict[str, int] = dict(vec.vocabulary_)
        self.size = n
        self.idf = np.asarray(vec.idf_, dtype=np.float64) if vec.use_idf else np.ones(n)
        self.weights = np.ascontiguousarray((coef * self.idf).T)  # (n_features, n_outputs)
        self.sublinear = bool(vec.sublinear_tf)
        self.binary = bool(vec.binary)
        self.l2 = vec.norm == "l2"
        self.analyze: Callable[[str], list[str]] = vec.build_analyzer()
        # char_wb n-grams never cross a word boundary: a text's terms are the concatenation of
        # its words' terms, so each distinct word is analyzed once and its columns remembered.
        self.per_word = vec.analyzer == "char_wb"
        self.preprocess: Callable[[str], str] = vec.build_preprocessor()
        self.ngram_range: tuple[int, int] = tuple(vec.ngram_range)
        self.words: dict[str, list[int]] = {}

    def columns(self, text: str) -> list[int]:
        """Vocabulary columns of the text's terms, one per occurrence (unknown terms dropped)."""
        if not self.per_word:
            get = self.vocabulary.get
            return [j for j in map(get, self.analyze(text)) if j is not None]
        words = self.words
        out: list[int] = []
        for word in self.preprocess(text).split():
            cols = words.get(word)
            if cols is None:
                cols = self._word_columns(word)
                if len(words) >= WORD_CACHE_SIZE:
                    words.clear()
                words[word] = cols
            out.extend(cols)
        return out

    def _word_columns(self, word: str) -> list[int]:
        # scikit-learn's _char_wb_ngrams for one word: pad with spaces; every n-gram of each
        # length; a padded word no longer than n counts once, and ends the longer lengths.
        padded = f" {word} "
        size = len(padded)
        get = self.vocabulary.get
        cols: list[int] = []
        low, high = self.ngram_range
        for n in range(low, high + 1):
            if size <= n:
                j = get(padded)
                if j is not None:
                    cols.append(j)
                break
            cols.extend(
                j
                for j in map(get, (padded[i : i + n] for i in range(size - n + 1)))
                if j is not None
            )
        return cols


class CompiledLinearText:
    """``predict_proba(texts)`` of a TF-IDF + linear pipeline, equal to scikit-learn's."""

    def __init__(self, blocks: list[_Block], intercept: np.ndarray, link: str) -> None:
        self.blocks = blocks
        self.intercept = intercept
        self.link = link  # "expit" (binary logistic regression) or "softmax"

    @classmethod
    def compile(cls, estimator: Any) -> CompiledLinearText | None:
        """The compiled form of ``estimator``, or None when it is not of a supported shape."""
        if not isinstance(estimator, Pipeline) or len(estimator.steps) != 2:
            return None
        features, classifier = estimator.steps[0][1], estimator.steps[1][1]
        vectorizers = _vectorizers(features)
        if vectorizers is None:
            return None
        if isinstance(classifier, LogisticRegression):
            coef = np.asarray(classifier.coef_, dtype=np.float64)
            intercept = np.asarray(classifier.intercept_, dtype=np.float64)
            if coef.shape[0] == 1 and len(classifier.classes_) == 2:
                link = "expit"
            elif coef.shape[0] == len(classifier.classes_):  # scikit-learn >= 1.8: multinomial
                link = "softmax"
            else:
                return None
        elif isinstance(classifier, MultinomialNB):
            coef = np.asarray(classifier.feature_log_prob_, dtype=np.float64)
            intercept = np.asarray(classifier.class_log_prior_, dtype=np.float64)
            link = "softmax"
        else:
            return None
        blocks = []
        offset = 0
        for vec in vectorizers:
            n = len(vec.vocabulary_)
            blocks.append(_Block(vec, coef[:, offset : offset + n]))
            offset += n
        if offset != coef.shape[1]:
            return None
        return cls(blocks, intercept, link)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        rows = len(texts)
        total = np.zeros((rows, self.intercept.shape[0]), dtype=np.float64)
        for block in self.blocks:
            total += _block_scores(block, texts)
        return total + self.intercept

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = self.decision(texts)
        if self.link == "expit":
            p = expit(scores[:, 0])
            return np.column_stack([1.0 - p, p])
        return np.asarray(softmax(scores, axis=1))


def _block_scores(block: _Block, texts: Sequence[str]) -> np.ndarray:
    rows = len(texts)
    per_text = [block.columns(text) for text in texts]
    lengths = np.fromiter(map(len, per_text), dtype=np.intp, count=rows)
    outputs = block.weights.shape[1]
    if not lengths.any():
        return np.zeros((rows, outputs))
    flat = np.fromiter(chain.from_iterable(per_text), dtype=np.intp, count=int(lengths.sum()))
    keys = np.repeat(np.arange(rows, dtype=np.intp), lengths) * block.size + flat
    keys, counts = np.unique(keys, return_counts=True)  # term frequencies per (text, column)
    row, cols = np.divmod(keys, block.size)
    tf = np.ones(len(cols)) if block.binary else counts.astype(np.float64)
    if block.sublinear and not block.binary:
        tf = np.log(tf) + 1.0
    if block.l2:
        value = tf * block.idf[cols]
        norm = np.sqrt(np.bincount(row, weights=value * value, minlength=rows))
        norm[norm == 0.0] = 1.0
        tf = tf / norm[row]
    contributions = block.weights[cols] * tf[:, None]
    return np.stack(
        [np.bincount(row, weights=contributions[:, k], minlength=rows) for k in range(outputs)],
        axis=1,
    )


def _vectorizers(features: Any) -> list[TfidfVectorizer] | None:
    parts = (
        [t for _, t in features.transformer_list]
        if isinstance(features, FeatureUnion) and features.transformer_weights is None
        else [features]
    )
    for part in parts:
        if type(part) is not TfidfVectorizer or part.norm not in ("l2", None):
            return None
        if not callable(part.analyzer) and part.analyzer not in ("word", "char", "char_wb"):
            return None
    return parts
