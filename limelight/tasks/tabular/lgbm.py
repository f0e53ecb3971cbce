"""LightGBM behind a scikit-learn estimator that persists without pickle.

The fitted state is the booster's own text format (``model_to_string``) plus the class labels;
the native booster is rebuilt from that text when the estimator is loaded. skops stores this
estimator as plain attributes, so the artifact holds no pickled LightGBM object.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin


def _dense(x: Any) -> Any:
    return x.toarray() if sparse.issparse(x) else x


class _LightGBMBase(BaseEstimator):
    def __init__(
        self,
        *,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        min_child_samples: int = 20,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_lambda: float = 0.0,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.random_state = random_state

    def _lgbm_params(self) -> dict[str, Any]:
        return {
            "n_estimators": self.n_estimators,
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples,
            "subsample": self.subsample,
            "subsample_freq": 1 if self.subsample < 1.0 else 0,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            "random_state": self.random_state,
            "n_jobs": 1,
            "deterministic": True,
            "force_row_wise": True,
            "verbose": -1,
        }

    def booster(self) -> Any:
        cached = self.__dict__.get("_booster")
        if cached is None:
            import lightgbm

            cached = lightgbm.Booster(model_str=self.booster_text_)
            self.__dict__["_booster"] = cached
        return cached

    def raw_score(self, x: Any) -> np.ndarray:
        return np.asarray(self.booster().predict(x, raw_score=True))

    def contributions(self, x: Any) -> np.ndarray:
        """TreeSHAP values: (n, n_features + 1) per output (the last column is the expected
        value); for several classes, shape (n, n_classes, n_features + 1)."""
        contrib = np.asarray(self.booster().predict(_dense(x), pred_contrib=True))
        k = getattr(self, "n_outputs_", 1)
        if k > 1:
            return contrib.reshape(contrib.shape[0], k, -1)
        return contrib

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_booster", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.pop("_booster", None)
        self.__dict__.update(state)


class LightGBMClassifier(ClassifierMixin, _LightGBMBase):
    def fit(self, x: Any, y: Any) -> LightGBMClassifier:
        import lightgbm

        y = np.asarray(y)
        self.classes_ = np.unique(y)
        codes = np.searchsorted(self.classes_, y)
        model = lightgbm.LGBMClassifier(**self._lgbm_params())
        model.fit(x, codes)
        self.booster_text_ = model.booster_.model_to_string()
        self.n_outputs_ = 1 if len(self.classes_) == 2 else len(self.classes_)
        self.n_features_in_ = int(x.shape[1])
        self.__dict__["_booster"] = model.booster_
        return self

    def predict_proba(self, x: Any) -> np.ndarray:
        p = np.asarray(self.booster().predict(x))
        if p.ndim == 1:
            return np.column_stack([1.0 - p, p])
        return p

    def predict(self, x: Any) -> np.ndarray:
        return np.asarray(self.classes_[self.predict_proba(x).argmax(axis=1)])


class LightGBMRegressor(RegressorMixin, _LightGBMBase):
    def fit(self, x: Any, y: Any) -> LightGBMRegressor:
        import lightgbm

        model = lightgbm.LGBMRegressor(**self._lgbm_params())
        model.fit(x, np.asarray(y, dtype=np.float64))
        self.booster_text_ = model.booster_.model_to_string()
        self.n_outputs_ = 1
        self.n_features_in_ = int(x.shape[1])
        self.__dict__["_booster"] = model.booster_
        return self

    def predict(self, x: Any) -> np.ndarray:
        return np.asarray(self.booster().predict(x), dtype=np.float64)
