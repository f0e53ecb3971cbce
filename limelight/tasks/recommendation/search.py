"""Auto mode: every candidate and its hyperparameter search space, scored by nDCG@10 on a
validation split taken from the training part only."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from limelight.errors import InvalidInput
from limelight.tasks.base import Progress
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.memory import remembered
from limelight.tasks.recommendation.evaluation import ranking_metrics

SELECTION_METRIC = "ndcg@10"


@dataclass
class Choice:
    name: str
    params: dict[str, Any]
    #: the winner's ``fitted_params``: what the refit on the whole training part reuses as is
    fitted: dict[str, Any]
    leaderboard: list[dict[str, Any]]
    skipped: list[str]
    over_budget: int


def configurations(
    name: str, given: dict[str, Any] | None, best: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The parameter sets to try: the user's, if given; else the algorithm's search space. The
    hybrid takes its collaborative part's L2, tag weight, text weight and dropout from the best
    EASE found so far."""
    algorithm = ALGORITHMS[name]
    if given:
        return [dict(given)]
    space = [dict(p) for p in algorithm.grid]
    if name == "hybrid" and "ease" in best:
        for params in space:
            params.setdefault("l2", best["ease"]["l2"])
            params.setdefault("rating_power", best["ease"].get("rating_power", 0.0))
            params.setdefault("tag_weight", best["ease"].get("tag_weight", 0.0))
            params.setdefault("dropout", best["ease"].get("dropout", 0.0))
            params.setdefault("text_weight", best["ease"].get("text_weight", 0.0))
    return space


def refinements(
    given: dict[str, Any] | None, best: dict[str, Any] | None, key: str, values: tuple[float, ...]
) -> list[dict[str, Any]]:
    """A later stage of the search: the best parameters so far with ``key`` set to each of
    ``values`` (nothing when the user gave parameters or no earlier stage found any)."""
    if given or best is None:
        return []
    return [{**best, key: v} for v in values]


def select(
    names: list[str],
    given: dict[str, dict[str, Any]],
    fit: sp.csr_matrix,
    validation: sp.csr_matrix,
    content: np.ndarray | None,
    *,
    times: sp.csr_matrix | None = None,
    tags: sp.csr_matrix | None = None,
    ratings: sp.csr_matrix | None = None,
    seed: int,
    progress: Progress,
    budget_seconds: float,
    max_dense_items: int | None = None,
) -> Choice:
    started = time.perf_counter()
    leaderboard: list[dict[str, Any]] = []
    best_params: dict[str, dict[str, Any]] = {}
    best_scores: dict[str, float] = {}
    skipped: list[str] = []
    reasons: list[str] = []
    over_budget = 0

    def skip(name: str, reason: str) -> None:
        skipped.append(name)
        reasons.append(f"{name} {reason}")
        progress.log(f"{name}: skipped ({reason})")

    def trial(name: str, params: dict[str, Any]) -> None:
        nonlocal over_budget
        if leaderboard and time.perf_counter() - started > budget_seconds:
            over_budget += 1
            return
        algorithm = ALGORITHMS[name](**params)  # names checked by training.check_params
        algorithm.check_numbers()
        began = time.perf_counter()
        scorer = algorithm.build(seed).fit(
            fit, content, seed, times=times, tags=tags, ratings=ratings
        )
        fit_seconds = time.perf_counter() - began
        metrics = ranking_metrics(scorer, fit, validation)
        score = metrics[SELECTION_METRIC]
        row = {
            "algorithm": name,
            "params": algorithm.get_params(),
            "score": score,
            "validation_ndcg@10": score,
            "validation_recall@10": metrics["recall@10"],
            "fit_seconds": round(fit_seconds, 3),
        }
        if fitted := scorer.fitted_params():
            row["fitted"] = fitted
        leaderboard.append(row)
        progress.log(f"{name} {params}: validation nDCG@10 {score:.4f} ({fit_seconds:.1f} s)")
        if score > best_scores.get(name, -1.0):
            best_scores[name] = score
            best_params[name] = algorithm.get_params()

    n_items = fit.shape[1]
    has_text = content is not None and bool(np.any(content))
    # ratings that can weigh interactions: all positive, and not all the same
    weighable = (
        ratings is not None
        and ratings.nnz > 0
        and float(ratings.data.min()) > 0
        and float(ratings.data.max()) > float(ratings.data.min())
    )

    def search(name: str) -> None:
        algorithm_cls = ALGORITHMS[name]
        if algorithm_cls.needs_content and content is None:
            skip(name, "needs an item catalog with text: --items FILE")
            return
        if algorithm_cls.needs_time and times is None:
            skip(name, "needs the time of every interaction: --time COLUMN")
            return
        if algorithm_cls.dense_items and max_dense_items is not None and n_items > max_dense_items:
            skip(
                name,
                f"holds items × items matrices and {n_items:,} items exceed "
                f"max_dense_items={max_dense_items:,}",
            )
            return
        for params in configurations(name, given.get(name), best_params):
            trial(name, params)
        # later stages, each on top of the best so far: the parameters the grid brackets only
        # coarsely, refined by a factor; the ratings' weight (when the log has ratings), catalog
        # tags (when the catalog has any), catalog-text neighbours (when it has text), then
        # EDLAE's dropout regularizer
        for key, factors in algorithm_cls.rescale_grid:
            best = best_params.get(name)
            values = tuple(float(f"{best[key] * f:.4g}") for f in factors) if best else ()
            for params in refinements(given.get(name), best, key, values):
                trial(name, params)
        stages = (
            ("rating_power", algorithm_cls.rating_grid if weighable else ()),
            ("tag_weight", algorithm_cls.tag_grid if tags is not None else ()),
            ("text_weight", algorithm_cls.text_grid if has_text else ()),
            ("dropout", algorithm_cls.dropout_grid),
        )
        for key, values in stages:
            for params in refinements(given.get(name), best_params.get(name), key, values):
                trial(name, params)
        progress.advance(1)

    with remembered():  # the later stages reuse the best tau/beta's time Gram, the text neighbours
        for name in names:
            search(name)
    if not leaderboard:
        raise InvalidInput(
            "no candidate could be trained: " + "; ".join(reasons or ["nothing to try"]),
            field="algorithm",
        )
    leaderboard.sort(key=lambda row: -row["score"])
    winner = leaderboard[0]
    if over_budget:
        progress.log(
            f"{over_budget} configuration(s) skipped: over the {budget_seconds:.0f} s budget"
        )
    return Choice(
        winner["algorithm"],
        dict(winner["params"]),
        dict(winner.get("fitted", {})),
        leaderboard,
        skipped,
        over_budget,
    )
