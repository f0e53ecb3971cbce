"""recommendation: user -> ranked items; item -> similar items."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp

from limelight.data import dataset_fingerprint
from limelight.errors import InvalidInput
from limelight.tasks.base import Progress, Task, TrainOptions, TrainOutcome
from limelight.tasks.recommendation import store
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.memory import remembered
from limelight.tasks.recommendation.catalog import Catalog, embed_texts, read_catalog, tag_matrix
from limelight.tasks.recommendation.evaluation import ranking_metrics
from limelight.tasks.recommendation.interactions import clean_interactions
from limelight.tasks.recommendation.recommender import Recommender
from limelight.tasks.recommendation.schemas import Recommendations, RecommendInput
from limelight.tasks.recommendation.search import SELECTION_METRIC, select
from limelight.tasks.recommendation.split import split

#: options a caller may set in TrainOptions.extra (the CLI sets items, split, rating_threshold)
EXTRA_DEFAULTS: dict[str, Any] = {
    "items": None,  # catalog file (or DataFrame)
    "split": "random",  # or "leave-last-out"
    "train_fraction": 0.75,  # per user, for the random split
    "validation_fraction": 0.25,  # of each user's training part, for model choice
    "rating_threshold": None,  # None: every interaction is positive (the benchmark protocol)
    "min_user_interactions": 1,
    "min_item_interactions": 1,
    "search_budget_seconds": 40.0,
    # item-item models (item-knn, rp3beta, ease, time-ease, hybrid) hold items × items float
    # matrices: at 10,000 items one EASE fit took 26 s and 4.8 GB peak on the 2-core machine
    "max_dense_items": 10_000,
    "refit_on_all": True,
}


def matrix(frame: pd.DataFrame, users: dict[str, int], items: dict[str, int]) -> sp.csr_matrix:
    rows = frame["user"].map(users).to_numpy(dtype=np.int64)
    cols = frame["item"].map(items).to_numpy(dtype=np.int64)
    out = sp.csr_matrix(
        (np.ones(len(frame), np.float32), (rows, cols)), shape=(len(users), len(items))
    )
    out.sum_duplicates()
    out.data[:] = 1.0
    out.sort_indices()
    return out


def time_matrix(
    frame: pd.DataFrame, users: dict[str, int], items: dict[str, int]
) -> sp.csr_matrix | None:
    """Each interaction's time (seconds) with exactly the sparsity of ``matrix(frame, ...)``
    (the latest time of a repeated pair); None when some interaction has no time."""
    times = frame["time"].to_numpy(dtype=np.float64)
    if len(times) == 0 or not np.isfinite(times).all():
        return None
    rows = frame["user"].map(users).to_numpy(dtype=np.int64)
    cols = frame["item"].map(items).to_numpy(dtype=np.int64)
    key = rows * len(items) + cols
    order = np.lexsort((times, key))
    last = np.r_[key[order][1:] != key[order][:-1], True]
    pick = order[last]  # one per (user, item), sorted by user then item
    indptr = np.r_[0, np.cumsum(np.bincount(rows[pick], minlength=len(users)))]
    return sp.csr_matrix((times[pick], cols[pick], indptr), shape=(len(users), len(items)))


def rating_matrix(
    frame: pd.DataFrame, users: dict[str, int], items: dict[str, int]
) -> sp.csr_matrix:
    """Each interaction's rating with exactly the sparsity of ``matrix(frame, ...)`` (the last
    row of a repeated pair), for ``rating_power``."""
    rows = frame["user"].map(users).to_numpy(dtype=np.int64)
    cols = frame["item"].map(items).to_numpy(dtype=np.int64)
    key = rows * len(items) + cols
    order = np.argsort(key, kind="stable")
    last = np.r_[key[order][1:] != key[order][:-1], True]
    pick = order[last]  # one per (user, item), sorted by user then item
    indptr = np.r_[0, np.cumsum(np.bincount(rows[pick], minlength=len(users)))]
    ratings = frame["rating"].to_numpy(dtype=np.float64)[pick]
    return sp.csr_matrix((ratings, cols[pick], indptr), shape=(len(users), len(items)))


class Recommendation(Task):
    name = "recommendation"
    description = "user -> ranked items, item -> similar items, from an interaction log"
    roles: ClassVar[dict[str, str]] = {
        "user": "the user id column",
        "item": "the item id column",
        "rating": "an optional rating or weight column",
        "time": "an optional timestamp column",
    }
    required_roles = ("user", "item")
    string_roles = ("user", "item")
    algorithms = ALGORITHMS  # type: ignore[assignment]
    default_candidates = (
        "popularity", "item-knn", "rp3beta", "ease", "time-ease", "als", "bpr", "content",
        "hybrid",
    )  # fmt: skip
    input_model = RecommendInput
    output_model = Recommendations
    selection_metric = SELECTION_METRIC

    def train(self, frame: pd.DataFrame, options: TrainOptions, progress: Progress) -> TrainOutcome:
        # side matrices (the catalog's text neighbours, time Grams) are computed once for all
        # the fits of this training: the search's, the test fit's and the refit's
        with remembered():
            return self._train(frame, options, progress)

    def _train(
        self, frame: pd.DataFrame, options: TrainOptions, progress: Progress
    ) -> TrainOutcome:
        extra = {**EXTRA_DEFAULTS, **options.extra}
        unknown = set(options.extra) - set(EXTRA_DEFAULTS)
        if unknown:
            raise InvalidInput(
                f"unknown recommendation option(s): {', '.join(sorted(unknown))}", field="extra"
            )
        names = self.candidates(options.algorithm)
        progress.stage("reading the catalog" if extra["items"] is not None else "cleaning")
        catalog = (
            read_catalog(extra["items"], options.columns["item"])
            if extra["items"] is not None
            else None
        )
        threshold = extra["rating_threshold"]
        if threshold is not None and not options.columns.get("rating"):
            raise InvalidInput("a rating threshold needs --rating COLUMN", field="rating")
        clean, report = clean_interactions(
            frame,
            options.columns,
            rating_threshold=None if threshold is None else float(threshold),
            min_user_interactions=int(extra["min_user_interactions"]),
            min_item_interactions=int(extra["min_item_interactions"]),
            catalog_ids=set(catalog.ids) if catalog is not None else None,
        )
        for warning in report.warnings:
            progress.log(f"warning: {warning}")
        users = sorted(clean["user"].unique().tolist())
        items = list(dict.fromkeys(clean["item"].tolist()))
        if catalog is not None:
            seen = set(items)
            items += [i for i in catalog.ids if i not in seen]
            catalog = catalog.aligned(items)
        user_ix = {u: i for i, u in enumerate(users)}
        item_ix = {v: i for i, v in enumerate(items)}
        rated = bool(options.columns.get("rating"))

        def ratings_of(part: pd.DataFrame) -> sp.csr_matrix | None:
            return rating_matrix(part, user_ix, item_ix) if rated else None

        method = str(extra["split"])
        train_part, test_part = split(clean, method, float(extra["train_fraction"]), options.seed)
        fit_part, validation_part = split(
            train_part, method, 1 - float(extra["validation_fraction"]), options.seed + 1
        )
        embeddings = None
        tags = tag_matrix(catalog)
        if catalog is not None:
            progress.stage("embedding the catalog (MiniLM)")
            embeddings = embed_texts(catalog.texts)

        progress.stage("choosing an algorithm", total=len(names))
        choice = select(
            names,
            options.params,
            matrix(fit_part, user_ix, item_ix),
            matrix(validation_part, user_ix, item_ix),
            embeddings,
            times=time_matrix(fit_part, user_ix, item_ix),
            tags=tags,
            ratings=ratings_of(fit_part),
            seed=options.seed,
            progress=progress,
            budget_seconds=float(extra["search_budget_seconds"]),
            max_dense_items=_positive_int(extra["max_dense_items"], "max_dense_items"),
        )
        # what the validated fit derived from the data (ALS's λ) is refitted as it is: a
        # relative setting would move with the bigger training part (see ``als``)
        algorithm = ALGORITHMS[choice.name](**{**choice.params, **choice.fitted})
        progress.stage(f"evaluating {choice.name} on the test split")
        train_matrix = matrix(train_part, user_ix, item_ix)
        test_matrix = matrix(test_part, user_ix, item_ix)
        train_times = time_matrix(train_part, user_ix, item_ix)
        began = time.perf_counter()
        scorer = algorithm.build(options.seed).fit(
            train_matrix,
            embeddings,
            options.seed,
            times=train_times,
            tags=tags,
            ratings=ratings_of(train_part),
        )
        fit_seconds = time.perf_counter() - began
        metrics = ranking_metrics(scorer, train_matrix, test_matrix)
        metrics["fit_seconds"] = round(fit_seconds, 3)
        if choice.name != "popularity":
            baseline = ALGORITHMS["popularity"]().build(options.seed)
            popular = ranking_metrics(
                baseline.fit(train_matrix, None, 0), train_matrix, test_matrix
            )
            metrics["popularity_ndcg@10"] = popular["ndcg@10"]
        full = matrix(clean, user_ix, item_ix)
        if extra["refit_on_all"]:
            progress.stage(f"refitting {choice.name} on every interaction")
            scorer = algorithm.build(options.seed).fit(
                full,
                embeddings,
                options.seed,
                times=time_matrix(clean, user_ix, item_ix),
                tags=tags,
                ratings=ratings_of(clean),
            )
        served = full if extra["refit_on_all"] else train_matrix

        def write(folder: Path) -> None:
            store.save(
                folder,
                scorer=scorer,
                users=users,
                items=items,
                history=served,
                catalog=catalog,
                embeddings=embeddings,
            )

        return TrainOutcome(
            algorithm=choice.name,
            params=algorithm.get_params(),
            metrics=metrics,
            leaderboard=choice.leaderboard,
            data={
                "cleaning": report.to_dict(),
                "split": {
                    "method": method,
                    "train_fraction": extra["train_fraction"] if method == "random" else None,
                    "seed": options.seed,
                    "train": len(train_part),
                    "test": len(test_part),
                    "validation": {
                        "taken_from": "the training part only",
                        "fraction": extra["validation_fraction"],
                        "fit": len(fit_part),
                        "validation": len(validation_part),
                    },
                    "protocol": "top-10 with each user's training items removed",
                },
                "users": len(users),
                "items": len(items),
                "catalog": _catalog_info(catalog, extra["items"]),
                "catalog_tags": 0 if tags is None else int(tags.shape[1]),
                "served_from": "all interactions" if extra["refit_on_all"] else "training part",
                "columns": dict(options.columns),
            },
            write=write,
            selection={
                "metric": f"validation_{SELECTION_METRIC}",
                "candidates": names,
                "skipped": choice.skipped,
                "over_budget": choice.over_budget,
                "budget_seconds": extra["search_budget_seconds"],
                "max_dense_items": extra["max_dense_items"],
                "refit": "train part for the test metrics, then all interactions to serve",
            },
        )

    def load(self, folder: Path, manifest: dict[str, Any]) -> Recommender:
        return store.load(folder, manifest)


def _positive_int(value: Any, name: str) -> int | None:
    """None (no limit) or an integer >= 1, else a clear InvalidInput."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 1:
        raise InvalidInput(f"{name} must be a whole number >= 1 (or None)", field=name)
    if isinstance(value, float) and not value.is_integer():
        raise InvalidInput(f"{name} must be a whole number >= 1 (or None)", field=name)
    return int(value)


def _catalog_info(catalog: Catalog | None, source: Any) -> dict[str, Any] | None:
    if catalog is None:
        return None
    with_text = sum(1 for t in catalog.texts if t)
    frame = pd.DataFrame({"id": catalog.ids, "text": catalog.texts})
    return {
        "source": "<DataFrame>"
        if isinstance(source, pd.DataFrame)
        else str(Path(source).resolve()),
        "items": len(catalog.ids),
        "items_with_text": with_text,
        "fields": catalog.fields(),
        "has_titles": catalog.titles is not None,
        "fingerprint": dataset_fingerprint(frame),
    }
