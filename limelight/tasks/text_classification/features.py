"""Text features shared by the TF-IDF candidates."""

from __future__ import annotations

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

# scikit-learn's default pattern: two or more Unicode word characters ("clichéd" stays whole).
TOKEN_PATTERN = r"(?u)\b\w\w+\b"


def word_char_tfidf(
    word_ngrams: tuple[int, int], char_ngrams: tuple[int, int] | None, min_df: int
) -> FeatureUnion | TfidfVectorizer:
    """Word n-gram TF-IDF, joined with character n-gram TF-IDF when ``char_ngrams`` is set."""
    words = TfidfVectorizer(
        ngram_range=word_ngrams,
        min_df=min_df,
        sublinear_tf=True,
        lowercase=True,
        token_pattern=TOKEN_PATTERN,
        strip_accents=None,
    )
    if char_ngrams is None:
        return words
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=char_ngrams, min_df=min_df, sublinear_tf=True
    )
    return FeatureUnion([("word", words), ("char", chars)])
