"""Recommendation on MovieLens-100K: every algorithm, auto mode, cold start, latency.

    .venv/bin/python benchmarks/recommendation.py [--data ../shared/data] [--skip-auto] [--splits 5]

Protocol (Microsoft Recommenders' MovieLens benchmark): per-user stratified random 75/25 split
with seed 42 — row for row the split of their python_stratified_split, so the test set is the
one behind their published figures — every rating is an interaction, top-10 with each user's
training items removed.
The ratings' timestamps are passed as the time column (used by time-ease only).
Writes benchmarks/results/recommendation.json and recommendation.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from limelight.data.datasets import movielens_items, movielens_ratings
from limelight.settings import Settings
from limelight.tasks import NullProgress, TrainOptions
from limelight.tasks.recommendation import Recommendation, store
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.catalog import embed_texts, read_catalog, tag_matrix
from limelight.tasks.recommendation.evaluation import ranking_metrics, top_k
from limelight.tasks.recommendation.interactions import clean_interactions
from limelight.tasks.recommendation.schemas import RecommendInput, SimilarInput
from limelight.tasks.recommendation.split import per_user_split
from limelight.tasks.recommendation.task import matrix, rating_matrix, time_matrix

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "time": "timestamp"}
# Microsoft Recommenders, MovieLens-100K, same protocol (their published table), nDCG@10.
REFERENCE = {"BiVAE": 0.475, "BPR (cornac)": 0.442, "LightGCN": 0.420, "NCF": 0.396, "SAR": 0.382}


def prepared(root: Path) -> dict[str, Any]:
    ratings = movielens_ratings(root)
    catalog = read_catalog(movielens_items(root), "item_id")
    clean, _ = clean_interactions(ratings, COLUMNS)
    users = sorted(clean["user"].unique(), key=int)
    items = list(dict.fromkeys(clean["item"].tolist()))
    items += [i for i in catalog.ids if i not in set(items)]
    catalog = catalog.aligned(items)
    started = time.perf_counter()
    embeddings = embed_texts(catalog.texts)
    embed_seconds = time.perf_counter() - started
    return {
        "ratings": ratings,
        "clean": clean,
        "users": {u: i for i, u in enumerate(users)},
        "items": {v: i for i, v in enumerate(items)},
        "catalog_frame": movielens_items(root),
        "embeddings": embeddings,
        "tags": tag_matrix(catalog),
        "embed_seconds": embed_seconds,
    }


def every_algorithm(data: dict[str, Any]) -> list[dict[str, Any]]:
    train, test = per_user_split(data["clean"], 0.75, 42)
    x_train = matrix(train, data["users"], data["items"])
    x_test = matrix(test, data["users"], data["items"])
    t_train = time_matrix(train, data["users"], data["items"])
    r_train = rating_matrix(train, data["users"], data["items"])
    rows = []
    # every algorithm with its defaults, then the two that take catalog tags with the middle
    # of their tag_weight grid, with catalog-text neighbours (text_weight 0.1), and with
    # EDLAE's dropout 0.5, and the ratings as confidence (rating_power 0.5), alone and with all
    # three (not tuned: auto's choice is in the auto row)
    runs: list[tuple[str, str, dict[str, Any]]] = [(n, n, {}) for n in ALGORITHMS]
    runs += [(f"{n} + ratings", n, {"rating_power": 0.5}) for n in ("ease", "time-ease")]
    side = {"tag_weight": 0.1}
    for label, extra in (
        ("tags", {}),
        ("tags + text", {"text_weight": 0.1}),
        ("tags + dropout", {"dropout": 0.5}),
        ("tags + text + dropout", {"text_weight": 0.1, "dropout": 0.5}),
        (
            "tags + text + dropout + ratings",
            {"text_weight": 0.1, "dropout": 0.5, "rating_power": 0.5},
        ),
    ):
        runs += [(f"{n} + {label}", n, {**side, **extra}) for n in ("ease", "time-ease")]
    for label, name, params in runs:
        algorithm = ALGORITHMS[name](**params)
        started = time.perf_counter()
        scorer = algorithm.build(42).fit(
            x_train, data["embeddings"], 42, times=t_train, tags=data["tags"], ratings=r_train
        )
        seconds = time.perf_counter() - started
        metrics = ranking_metrics(scorer, x_train, x_test)
        rows.append(
            {
                "algorithm": label,
                "params": algorithm.get_params(),
                "train_seconds": round(seconds, 2),
                **metrics,
            }
        )
        print(f"{label:<34} nDCG@10 {metrics['ndcg@10']:.4f}  ({seconds:.1f} s)", flush=True)
    rows.append(implicit_direct(x_train, x_test))
    return rows


def implicit_direct(x_train: sp.csr_matrix, x_test: sp.csr_matrix) -> dict[str, Any]:
    """The alternative a user would pick first: `implicit` ALS with its defaults, called
    directly (recommend(..., filter_already_liked_items=True))."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(random_state=42)
        started = time.perf_counter()
        model.fit(x_train, show_progress=False)
        seconds = time.perf_counter() - started
    users = np.flatnonzero(np.diff(x_test.indptr) > 0)
    ids, _ = model.recommend(users, x_train[users], N=10, filter_already_liked_items=True)
    discount = 1 / np.log2(np.arange(2, 12))
    ndcg = []
    for row, user in zip(ids, users, strict=True):
        relevant = set(x_test[user].indices)
        gains = np.array([item in relevant for item in row], dtype=float)
        ideal = discount[: min(10, len(relevant))].sum()
        ndcg.append((gains * discount).sum() / ideal)
    return {
        "algorithm": "implicit ALS, library defaults (direct)",
        "params": {"factors": 100, "regularization": 0.01, "iterations": 15},
        "train_seconds": round(seconds, 2),
        "ndcg@10": round(float(np.mean(ndcg)), 6),
    }


def auto_mode(
    data: dict[str, Any], folder: Path | None, seed: int = 42, columns: dict[str, str] = COLUMNS
) -> dict[str, Any]:
    task = Recommendation()
    options = TrainOptions(
        columns=columns, algorithm="auto", seed=seed, extra={"items": data["catalog_frame"]}
    )
    started = time.perf_counter()
    outcome = task.train(data["ratings"], options, NullProgress())
    seconds = time.perf_counter() - started
    if folder is not None:
        outcome.write(folder)
    print(
        f"auto (split seed {seed}{'' if 'rating' in columns else ', no ratings'}) -> "
        f"{outcome.algorithm} nDCG@10 {outcome.metrics['ndcg@10']:.4f} ({seconds:.1f} s)",
        flush=True,
    )
    return {
        "algorithm": outcome.algorithm,
        "params": outcome.params,
        "train_seconds_total": round(seconds, 2),
        "metrics": outcome.metrics,
        "leaderboard": outcome.leaderboard,
        "selection": outcome.selection,
    }


def across_splits(
    data: dict[str, Any], seeds: list[int], known: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """auto on several per-user 75/25 splits (the split seed, and with it validation's), with
    and without the rating column (without it every interaction weighs the same, as before
    rating_power): how much of a figure is the split, and whether what the ratings add holds
    beyond seed 42's split. ``known`` holds runs already made (seed 42's, with ratings)."""
    unrated = {k: v for k, v in COLUMNS.items() if k != "rating"}
    rows = []
    for seed in seeds:
        rated = known.get(seed) or auto_mode(data, None, seed)
        plain = auto_mode(data, None, seed, unrated)
        rows.append(
            {
                "seed": seed,
                "with_ratings": rated["metrics"]["ndcg@10"],
                "with_ratings_params": rated["params"],
                "without_ratings": plain["metrics"]["ndcg@10"],
                "without_ratings_params": plain["params"],
            }
        )
    gains = [r["with_ratings"] - r["without_ratings"] for r in rows]
    return {
        "splits": rows,
        "mean_with_ratings": round(float(np.mean([r["with_ratings"] for r in rows])), 6),
        "mean_without_ratings": round(float(np.mean([r["without_ratings"] for r in rows])), 6),
        "mean_gain": round(float(np.mean(gains)), 6),
        "splits_gaining": int(sum(g > 0 for g in gains)),
    }


def latency(folder: Path, algorithm: str, params: dict[str, Any]) -> dict[str, Any]:
    recommender = store.load(folder, {"algorithm": algorithm, "params": params, "seed": 42})
    users = [str(u) for u in range(1, 944)]
    timings = []
    for user in users:
        query = RecommendInput(user_id=user, k=10)
        started = time.perf_counter()
        recommender.recommend(query)
        timings.append(time.perf_counter() - started)
    similar = []
    for item in [str(i) for i in range(1, 301)]:
        started = time.perf_counter()
        recommender.similar(SimilarInput(item_id=item, k=10))
        similar.append(time.perf_counter() - started)
    filtered = []
    for user in users[:300]:
        query = RecommendInput(user_id=user, k=10, filter={"genres": ["Comedy"]})
        started = time.perf_counter()
        recommender.recommend(query)
        filtered.append(time.perf_counter() - started)

    def summary(values: list[float]) -> dict[str, float]:
        ms = np.asarray(values) * 1000
        return {
            k: round(float(np.percentile(ms, q)), 3) for k, q in (("p50_ms", 50), ("p99_ms", 99))
        }

    started = time.perf_counter()
    recommender.forget("196")
    forget_seconds = time.perf_counter() - started
    return {
        "algorithm": algorithm,
        "recommend_with_because": summary(timings),
        "recommend_filtered": summary(filtered),
        "similar": summary(similar),
        "forget_user_seconds": round(forget_seconds, 3),
    }


def cold_start(data: dict[str, Any]) -> dict[str, Any]:
    """Users and items held out of training entirely."""
    clean = data["clean"]
    rng = np.random.RandomState(42)
    users = sorted(clean["user"].unique())
    cold_users = set(rng.choice(users, size=len(users) // 5, replace=False).tolist())
    items = sorted(clean["item"].unique())
    cold_items = set(rng.choice(items, size=len(items) // 10, replace=False).tolist())
    embeddings = data["embeddings"]
    u_ix, i_ix = data["users"], data["items"]

    # Cold users: train without them; each gives 5 random items as recent_items (a session)
    # and is scored on the rest of their items.
    warm = clean[~clean["user"].isin(cold_users)]
    x_warm = matrix(warm, u_ix, i_ix)
    session_rows, target_rows = [], []
    for user in sorted(cold_users):
        mine = clean.loc[clean["user"] == user, "item"].to_numpy()
        order = rng.permutation(len(mine))
        session_rows.append([i_ix[i] for i in mine[order[:5]]])
        target_rows.append([i_ix[i] for i in mine[order[5:]]])
    n_items = len(i_ix)
    sessions = _rows(session_rows, n_items)
    targets = _rows(target_rows, n_items)

    # Cold items: train without any interaction on them; for each user who has some, rank the
    # cold items alone by the user's (warm) history.
    without = clean[~clean["item"].isin(cold_items)]
    x_without = matrix(without, u_ix, i_ix)
    cold_cols = np.asarray(sorted(i_ix[i] for i in cold_items))
    truth = matrix(clean[clean["item"].isin(cold_items)], u_ix, i_ix)[:, cold_cols].tocsr()

    out: dict[str, Any] = {"cold_users": len(cold_users), "cold_items": len(cold_items)}
    tags = data["tags"]
    ties = np.random.RandomState(
        43
    )  # its own draws: the other figures' tie-breaks stay as they were
    for label, name, params in COLD_START_MODELS:
        scorer_users = ALGORITHMS[name](**params).build(42).fit(x_warm, embeddings, 42, tags=tags)
        users_metrics = ranking_metrics(_Session(scorer_users), sessions, targets)
        scorer_items = (
            ALGORITHMS[name](**params).build(42).fit(x_without, embeddings, 42, tags=tags)
        )
        items_ndcg = _cold_item_ndcg(scorer_items, x_without, truth, cold_cols, rng)
        among_all = _cold_item_ndcg(scorer_items, x_without, truth, cold_cols, ties, among_all=True)
        out[label] = {
            "params": params,
            "cold_users_ndcg@10": users_metrics["ndcg@10"],
            "cold_users_recall@10": users_metrics["recall@10"],
            "cold_items_ndcg@10": items_ndcg,
            "cold_items_among_all_ndcg@10": among_all,
        }
        print(
            f"cold start {label:<18} users {users_metrics['ndcg@10']:.4f}  items {items_ndcg:.4f}"
            f"  items among all {among_all:.4f}"
        )
    return out


COLD_START_MODELS: list[tuple[str, str, dict[str, Any]]] = [
    ("popularity", "popularity", {}),
    ("ease", "ease", {"l2": 500.0}),
    ("ease + tags", "ease", {"l2": 500.0, "tag_weight": 0.1}),
    ("ease + text", "ease", {"l2": 500.0, "text_weight": 0.1}),
    ("ease + tags + text", "ease", {"l2": 500.0, "tag_weight": 0.1, "text_weight": 0.1}),
    ("content", "content", {}),
    ("hybrid", "hybrid", {}),
    ("hybrid + tags", "hybrid", {"tag_weight": 0.1}),
    ("hybrid + tags + text", "hybrid", {"tag_weight": 0.1, "text_weight": 0.1}),
    (
        "hybrid + tags + text, content 0.03",
        "hybrid",
        {"tag_weight": 0.1, "text_weight": 0.1, "content_weight": 0.03},
    ),
    (
        "hybrid + tags + text, content 2, shrink 0.5",
        "hybrid",
        {"tag_weight": 0.1, "text_weight": 0.1, "content_weight": 2.0, "shrink": 0.5},
    ),
]


class _Session:
    """Scores session rows as users the model has never seen (fold-in)."""

    def __init__(self, scorer: Any) -> None:
        self.scorer = scorer

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return self.scorer.score(rows, np.full(len(users), -1))


def _rows(lists: list[list[int]], n: int) -> sp.csr_matrix:
    indptr = np.cumsum([0, *[len(r) for r in lists]])
    indices = np.asarray([i for r in lists for i in r], dtype=np.int32)
    return sp.csr_matrix(
        (np.ones(len(indices), np.float32), indices, indptr), shape=(len(lists), n)
    )


def _cold_item_ndcg(
    scorer: Any,
    history: sp.csr_matrix,
    truth: sp.csr_matrix,
    cold: np.ndarray,
    rng: Any,
    among_all: bool = False,
) -> float:
    """nDCG@10 of each user's new items (``truth``: users × ``cold`` columns), ranked among the
    new items only, or with ``among_all`` against every item the user has not taken (new and
    known alike: whether a new item reaches the users who take it)."""
    users = np.flatnonzero((np.diff(truth.indptr) > 0) & (np.diff(history.indptr) > 0))
    rows = history[users]
    scores = scorer.score(rows, np.full(len(users), -1)).astype(np.float64)
    if not among_all:
        scores = scores[:, cold]
    scores += rng.uniform(0, 1e-9, size=scores.shape)  # ties (all-zero scores) broken at random
    if among_all:
        scores[rows.nonzero()] = -np.inf
    top = top_k(scores, 10)
    discount = 1 / np.log2(np.arange(2, 12))
    values = []
    for row, user in zip(top, users, strict=True):
        taken = truth[user].indices
        relevant = set((cold[taken] if among_all else taken).tolist())
        gains = np.array([c in relevant for c in row], dtype=float)
        values.append((gains * discount).sum() / discount[: min(10, len(relevant))].sum())
    return round(float(np.mean(values)), 6)


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["algorithms"]
    names = [r["algorithm"].split(",")[0] for r in rows]
    values = [r["ndcg@10"] for r in rows]
    splits = result.get("auto_across_splits")
    fig, axes = plt.subplots(
        1, 3 if splits else 2, figsize=(21 if splits else 15, 6), squeeze=False
    )
    left, right = axes[0][0], axes[0][1]
    groups = [left.barh(names, values, color="#4c72b0")]
    if "auto" in result:
        groups.append(
            left.barh(
                ["auto (" + result["auto"]["algorithm"] + ")"],
                [result["auto"]["metrics"]["ndcg@10"]],
                color="#dd8452",
            )
        )
    groups.append(
        left.barh(
            [f"{name} (MS Recommenders, published)" for name in REFERENCE],
            list(REFERENCE.values()),
            color="#bbbbbb",
        )
    )
    for bars in groups:
        left.bar_label(bars, fmt="%.3f", fontsize=8)
    left.axvline(0.5, color="red", linestyle="--", linewidth=1)
    left.set_xlabel("nDCG@10 (MovieLens-100K, per-user 75/25, seed 42)")
    left.invert_yaxis()
    cold = result["cold_start"]
    kinds = [label for label, _, _ in COLD_START_MODELS]
    x = np.arange(len(kinds))
    right.bar(
        x - 0.27,
        [cold[k]["cold_users_ndcg@10"] for k in kinds],
        0.27,
        label="cold users (5-item session)",
    )
    right.bar(
        x,
        [cold[k]["cold_items_ndcg@10"] for k in kinds],
        0.27,
        label="cold items (ranked among cold items)",
    )
    right.bar(
        x + 0.27,
        [cold[k]["cold_items_among_all_ndcg@10"] for k in kinds],
        0.27,
        label="cold items (ranked among all items)",
    )
    right.set_xticks(x, kinds, fontsize=7, rotation=35, ha="right")
    right.set_ylabel("nDCG@10")
    right.set_ylim(0, 0.8)
    right.legend(fontsize=8, loc="upper right")
    right.set_title("cold start")
    if splits:
        ax = axes[0][2]
        seeds = [str(r["seed"]) for r in splits["splits"]]
        x = np.arange(len(seeds))
        ax.bar(x - 0.2, [r["without_ratings"] for r in splits["splits"]], 0.4,
               label="auto, every interaction weighs 1", color="#8c8c8c")  # fmt: skip
        ax.bar(x + 0.2, [r["with_ratings"] for r in splits["splits"]], 0.4,
               label="auto with the ratings (rating_power)", color="#dd8452")  # fmt: skip
        ax.axhline(0.5, color="red", linestyle="--", linewidth=1)
        ax.set_xticks(x, [f"seed {s}" for s in seeds], fontsize=8)
        ax.set_ylim(0.47, 0.51)
        ax.set_ylabel("test nDCG@10")
        ax.legend(fontsize=8, loc="lower right")
        ax.set_title("auto on other per-user 75/25 splits")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Settings().resolved_data_dir)
    parser.add_argument("--skip-auto", action="store_true")
    parser.add_argument(
        "--splits",
        type=int,
        default=0,
        help="also run auto without the rating column on seed 42's split, and with and without "
        "it on this many other split seeds (1, 2, ...): ~45 s per seed",
    )
    args = parser.parse_args()
    if args.data is None:
        raise SystemExit("set --data or LIMELIGHT_DATA_DIR to the shared data folder")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    data = prepared(args.data)
    result: dict[str, Any] = {
        "dataset": "MovieLens-100K (u.data + u.item as catalog)",
        "protocol": "per-user stratified random 75/25 split, seed 42 (Microsoft Recommenders' "
        "python_stratified_split, row for row); top-10 with training items removed",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
        "catalog_embedding_seconds": round(data["embed_seconds"], 2),
        "reference_ms_recommenders_ndcg@10": REFERENCE,
        "algorithms": every_algorithm(data),
        "cold_start": cold_start(data),
    }
    if not args.skip_auto:
        with tempfile.TemporaryDirectory() as tmp:
            result["auto"] = auto_mode(data, Path(tmp))
            result["latency"] = latency(
                Path(tmp), result["auto"]["algorithm"], result["auto"]["params"]
            )
            print("latency", result["latency"])
        if args.splits:
            seeds = [42, *range(1, args.splits + 1)]
            result["auto_across_splits"] = across_splits(data, seeds, {42: result["auto"]})
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "recommendation.json").write_text(json.dumps(result, indent=2, default=str))
    plot(result, RESULTS / "recommendation.png")
    print(f"wrote {RESULTS / 'recommendation.json'}")


if __name__ == "__main__":
    main()
