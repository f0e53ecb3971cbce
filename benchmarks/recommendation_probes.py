"""Probes toward the 0.50 nDCG@10 goal on MovieLens-100K: what was tried on top of `time-ease`.

    .venv/bin/python benchmarks/recommendation_probes.py [--data ../shared/data]

Not a benchmark of a shipped algorithm: every probe here was tried and *not* added, and this
script keeps the evidence reproducible. Same protocol as benchmarks/recommendation.py
(per-user stratified 75/25 split, seed 42 — Microsoft Recommenders' split row for row — top-10
with training items removed). Model choice
uses a validation split of the training part (per-user 75/25, seed 43); each probe's
configurations are scored on validation, and the test figure of the configuration validation
prefers is the honest one (the other test figures are reported to show the spread, not to
choose). Blends add per-user standardized scores: z(time-ease) + w · z(other).

Probes: blends of `time-ease` with every other collaborative algorithm; catalog genres (and
release decades) as pseudo-user rows in the time-weighted Gram; time-local popularity
(what other users took in the days the user was active); the best of the user's sittings
scored separately (max over sessions of summed within-session co-occurrence); Mult-VAE (Liang
et al. 2018, PyTorch) alone and blended; the history weighted by how dense its sittings are;
and, blended with auto's own choice (time-ease with genre tags at 0.1 and dropout 0.5), the
user-side models: user-user EASE over plain or time-weighted co-rating (users who took the same
item within days of each other) and session-kNN (each sitting's nearest sittings of other
users); and higher-order EASE (Steck & Liang 2021: the most co-rated item pairs as extra
inputs) on top of auto's choice; ∞-AE (Sachdeva et al. 2022: kernel ridge regression over users
with a one-hidden-layer ReLU NTK), users who joined in the same days (popularity in other users'
first sittings, weighted by how close their first interaction is) and, in the Gram, each item's
nearest items by mean-centred explicit ratings; and a learning-to-rank second stage
(LightGBM over auto's top 50 with 18 score, time, popularity, genre and rating features,
trained on validation's held-out items). With --ceiling, the time-ease family with tags,
text and dropout on a 288-point grid scored on two validation splits and on test (the test
column only to show how high the family can go under any tuning: ~3 min).
Writes benchmarks/results/recommendation_probes.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from limelight.data.datasets import movielens_items, movielens_ratings
from limelight.settings import Settings
from limelight.tasks.recommendation.algorithms import ALGORITHMS
from limelight.tasks.recommendation.algorithms.base import Scorer
from limelight.tasks.recommendation.algorithms.ease import (
    ease_weights,
    text_neighbours,
    with_share,
    with_tags,
    with_text,
)
from limelight.tasks.recommendation.algorithms.time_ease import time_gram
from limelight.tasks.recommendation.catalog import embed_texts, read_catalog
from limelight.tasks.recommendation.evaluation import ranking_metrics, top_k
from limelight.tasks.recommendation.interactions import clean_interactions
from limelight.tasks.recommendation.split import per_user_split
from limelight.tasks.recommendation.task import matrix, time_matrix

RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "time": "timestamp"}
DAY = 86400.0


class Fixed(Scorer):
    """Precomputed scores (users × items) behind the Scorer interface, for ranking_metrics."""

    def __init__(self, scores: np.ndarray) -> None:
        self.scores = scores

    def fit(self, X: sp.csr_matrix, content: Any, seed: int, *, times: Any = None) -> Fixed:
        return self

    def score(self, rows: sp.csr_matrix, users: np.ndarray) -> np.ndarray:
        return self.scores[users]

    def arrays(self) -> dict[str, np.ndarray]:
        return {}

    def restore(self, arrays: dict[str, np.ndarray], content: Any) -> Fixed:
        return self


class Part:
    """One (history, held-out) pair: fit → validation, or train → test."""

    def __init__(self, history: pd.DataFrame, held_out: pd.DataFrame, users: Any, items: Any):
        self.X = matrix(history, users, items)
        self.T = time_matrix(history, users, items)
        self.Y = matrix(held_out, users, items)
        self.history = history
        self.users, self.items = users, items

    def ndcg(self, scores: np.ndarray) -> float:
        return float(ranking_metrics(Fixed(scores), self.X, self.Y)["ndcg@10"])

    def algorithm(self, name: str, **params: Any) -> np.ndarray:
        scorer = ALGORITHMS[name](**params).build(42).fit(self.X, None, 42, times=self.T)
        return np.asarray(scorer.score(self.X, np.arange(self.X.shape[0])), dtype=np.float64)

    def z(self, scores: np.ndarray) -> np.ndarray:
        """Per-user standardized scores over the items not in the history."""
        s = scores.astype(np.float64, copy=True)
        s[self.X.nonzero()] = np.nan
        mean = np.nanmean(s, axis=1, keepdims=True)
        std = np.nanstd(s, axis=1, keepdims=True) + 1e-12
        return np.nan_to_num((s - mean) / std, nan=-1e9)


def time_local_popularity(part: Part, width_days: float, tau_days: float) -> np.ndarray:
    """Σ over the user's active days d of kernel(d, d') × the item's share of day d' volume."""
    T = part.T
    assert T is not None
    day = ((T.data - T.data.min()) // (DAY * width_days)).astype(int)
    n_days = int(day.max()) + 1
    users = np.repeat(np.arange(T.shape[0]), np.diff(T.indptr))
    counts = sp.csr_matrix((np.ones_like(T.data), (T.indices, day)), (T.shape[1], n_days))
    activity = sp.csr_matrix((np.ones_like(T.data), (users, day)), (T.shape[0], n_days))
    a = activity.toarray()
    a /= a.sum(axis=1, keepdims=True)
    d = np.arange(n_days)
    kernel = np.exp(-np.abs(d[:, None] - d[None, :]) * width_days / tau_days)
    c = counts.toarray()
    share = c / np.maximum(c.sum(axis=0, keepdims=True), 1)
    return np.log1p(1e3 * (a @ kernel) @ share.T)


def sittings(part: Part, gap: float) -> list[list[np.ndarray]]:
    """Each user's items cut into sittings at gaps longer than ``gap`` seconds."""
    T = part.T
    assert T is not None
    out = []
    for u in range(T.shape[0]):
        lo, hi = T.indptr[u], T.indptr[u + 1]
        order = np.argsort(T.data[lo:hi], kind="stable")
        times, items = T.data[lo:hi][order], T.indices[lo:hi][order]
        out.append(np.split(items, np.flatnonzero(np.diff(times) > gap) + 1))
    return out


def best_sitting(part: Part, gap: float) -> np.ndarray:
    """max over the user's sittings of Σ P(j in the same sitting | h) over the sitting's h."""
    n_items = part.X.shape[1]
    per_user = sittings(part, gap)
    co = np.zeros((n_items, n_items))
    for user_sittings in per_user:
        for s in user_sittings:
            co[np.ix_(s, s)] += 1
    degree = np.diag(co).copy()
    np.fill_diagonal(co, 0)
    conditional = co / np.maximum(degree[:, None], 1)
    return np.stack([np.max([conditional[s].sum(0) for s in ss], axis=0) for ss in per_user])


def mult_vae(part: Part, epochs: int, hidden: int, latent: int, seed: int = 42) -> np.ndarray:
    """Mult-VAE (Liang et al. 2018): input dropout 0.5, tanh MLP, multinomial likelihood,
    KL annealed linearly to 0.2 over 2,000 steps, Adam 1e-3, batches of 128 users."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(seed)
    n_items = part.X.shape[1]
    encoder = nn.Sequential(nn.Linear(n_items, hidden), nn.Tanh(), nn.Linear(hidden, 2 * latent))
    decoder = nn.Sequential(nn.Linear(latent, hidden), nn.Tanh(), nn.Linear(hidden, n_items))
    optimizer = torch.optim.Adam([*encoder.parameters(), *decoder.parameters()], lr=1e-3)
    data = torch.tensor(part.X.toarray(), dtype=torch.float32)
    step = 0
    for _ in range(epochs):
        for batch in torch.randperm(data.shape[0]).split(128):
            x = data[batch]
            mu, logvar = encoder(F.dropout(F.normalize(x, dim=1), 0.5)).chunk(2, dim=1)
            sample = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            nll = -(F.log_softmax(decoder(sample), dim=1) * x).sum(1).mean()
            kl = (-0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(1)).mean()
            loss = nll + min(0.2, 0.2 * step / 2000) * kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
    with torch.no_grad():
        mu, _ = encoder(F.normalize(data, dim=1)).chunk(2, dim=1)
        return np.asarray(decoder(mu).numpy(), dtype=np.float64)


def side_rows(catalog: pd.DataFrame, items: dict[str, int], decades: bool) -> np.ndarray:
    """Item side information as pseudo-user rows (tags × items, 0/1): one row per genre, and
    with ``decades`` one per release decade."""
    order = np.empty(len(items), dtype=object)
    for item, index in items.items():
        order[index] = item
    frame = catalog.set_index("item_id").reindex(order)
    tags = frame["genres"].fillna("").str.get_dummies("|")
    if decades:
        decade = (frame["year"] // 10 * 10).dropna().astype(int).astype(str)
        dummies = pd.get_dummies(decade, prefix="decade", dtype=float)
        tags = tags.join(dummies.reindex(frame.index, fill_value=0.0))
    return np.asarray(tags.fillna(0).to_numpy(dtype=np.float64).T)


def user_ease(part: Part, l2: float, tau_days: float | None = None) -> np.ndarray:
    """EASE with users in the place of items: a user's score for item j is Σ_v B[v, u] X[v, j],
    B the ridge weights of each user on every other (users × users Gram). With ``tau_days`` two
    users' common item counts exp(-|t_u - t_v| / tau) + 0.2 (taken within days of each other
    counts up to 6× more)."""
    if tau_days is None:
        X = part.X.astype(np.float64)
        gram = np.asarray((X @ X.T).toarray())
    else:
        assert part.T is not None
        gram = time_gram(sp.csr_matrix(part.T.T, dtype=np.float64), tau_days * DAY, 0.2)
    return np.asarray(ease_weights(gram, l2).T @ part.X.toarray(), dtype=np.float64)


def session_knn(part: Part, gap: float, k: int) -> np.ndarray:
    """Session-kNN: the user's items cut into sittings at ``gap`` seconds; each sitting takes
    the items of the ``k`` most similar sittings (cosine) of other users, weighted by the
    similarity; the user's score is the sum over their sittings."""
    per_user = sittings(part, gap)
    owner = np.concatenate([np.full(len(ss), u) for u, ss in enumerate(per_user)])
    flat = [s for ss in per_user for s in ss]
    rows = np.repeat(np.arange(len(flat)), [len(s) for s in flat])
    S = sp.csr_matrix(
        (np.ones(len(rows)), (rows, np.concatenate(flat))), shape=(len(flat), part.X.shape[1])
    )
    N = sp.csr_matrix(sp.diags(1.0 / np.sqrt(np.asarray(S.sum(axis=1)).ravel())) @ S)
    NT = sp.csr_matrix(N.T)
    scores = np.zeros(part.X.shape)
    for lo in range(0, len(flat), 2000):
        sim = np.asarray((N[lo : lo + 2000] @ NT).toarray())
        sim[owner[lo : lo + 2000, None] == owner[None, :]] = 0.0
        top = np.argpartition(-sim, k, axis=1)[:, :k]
        kept = np.zeros_like(sim)
        np.put_along_axis(kept, top, np.take_along_axis(sim, top, axis=1), axis=1)
        np.add.at(scores, owner[lo : lo + 2000], (sp.csr_matrix(kept) @ S).toarray())
    return scores


def higher_order(
    part: Part, gram: np.ndarray, pairs: int, l2: float, l2_pairs: float
) -> np.ndarray:
    """Higher-order EASE (Steck & Liang 2021) on top of auto's choice: the ``pairs`` most
    co-rated item pairs (i, j) join the items as inputs, a user's pair feature
    x_i x_j (exp(-|t_i - t_j| / 60 s) + 0.2) (time-weighted like ``time-ease``), and each item
    is regressed on every item but itself and every pair but those containing it (exact
    constrained ridge: w_k = W_k - P_S (P_SS)^-1 W_Sk). ``gram`` is the items' block (auto's
    time-weighted Gram with tags); EDLAE's dropout 0.5 on both, items' l2 ``l2``, pairs'
    ``l2_pairs``."""
    assert part.T is not None
    X = part.X.toarray().astype(np.float64)
    T = part.T.toarray()
    n = X.shape[1]
    co = X.T @ X
    iu, ju = np.triu_indices(n, 1)
    top = np.argpartition(-co[iu, ju], pairs)[:pairs]
    first, second = iu[top], ju[top]
    both = X[:, first] * X[:, second]
    Z = both * (np.exp(-np.abs(T[:, first] - T[:, second]) / 60.0) + 0.2)
    G = np.block([[gram, X.T @ Z], [Z.T @ X, Z.T @ Z]])
    diag = np.diag(G).copy()
    A = G.copy()
    A[np.diag_indices_from(A)] += np.r_[l2 + diag[:n], l2_pairs + diag[n:]]
    P = np.linalg.inv(A)
    W = P @ G[:, :n]
    excluded: list[list[int]] = [[k] for k in range(n)]
    for p, (i, j) in enumerate(zip(first, second, strict=True)):
        excluded[i].append(n + p)
        excluded[j].append(n + p)
    for k, s in enumerate(map(np.asarray, excluded)):
        W[:, k] -= P[:, s] @ np.linalg.solve(P[np.ix_(s, s)], W[s, k])
    return np.asarray(np.hstack([X, both]) @ W, dtype=np.float64)


def row(parts: tuple[Part, Part], scores: list[np.ndarray], **key: Any) -> dict[str, Any]:
    """One configuration's validation and test nDCG@10, with what identifies it."""
    return {**key, "validation": parts[0].ndcg(scores[0]), "test": parts[1].ndcg(scores[1])}


def finish(
    name: str, table: list[dict[str, Any]], seconds: float, alone: str = ""
) -> dict[str, Any]:
    """The configuration validation prefers, printed and returned with the whole table."""
    chosen = max(table, key=lambda r: r["validation"])
    picked = ", ".join(f"{k} {v}" for k, v in chosen.items() if k not in ("validation", "test"))
    print(
        f"{name:<44} {alone}validation picks {picked}: {chosen['validation']:.4f}/"
        f"{chosen['test']:.4f}  (test spread {min(r['test'] for r in table):.4f}-"
        f"{max(r['test'] for r in table):.4f}; {seconds:.1f} s)",
        flush=True,
    )
    return {"probe": name, "seconds_both_parts": round(seconds, 2), "rows": table, "chosen": chosen}


def time_grams(parts: tuple[Part, ...], tau: float = 60.0, beta: float = 0.2) -> list[np.ndarray]:
    """time-ease's Gram (defaults: tau 60 s, beta 0.2) on each part."""
    grams = []
    for part in parts:
        assert part.T is not None
        grams.append(time_gram(sp.csr_matrix(part.T, dtype=np.float64), tau, beta))
    return grams


def infinite_ae(part: Part, l2: float) -> np.ndarray:
    """∞-AE (Sachdeva et al. 2022): kernel ridge regression of each user's items on every
    user's, the kernel a one-hidden-layer ReLU network's NTK over the users' item vectors."""
    X = part.X.toarray().astype(np.float64)
    dot = X @ X.T
    norms = np.sqrt(np.diag(dot)) + 1e-12
    cos = np.clip(dot / np.outer(norms, norms), -1.0, 1.0)
    angle = np.arccos(cos)
    nngp = np.outer(norms, norms) / (2 * np.pi) * (np.sin(angle) + (np.pi - angle) * cos)
    kernel = nngp + dot * (np.pi - angle) / (2 * np.pi)
    return np.asarray(kernel @ np.linalg.solve(kernel + l2 * np.eye(len(kernel)), X))


def cohort_first_sittings(part: Part, tau_days: float, gap: float = 3600.0) -> np.ndarray:
    """Users who joined in the same days: Σ_v exp(-|join_u - join_v| / tau) × the share of
    v's first sitting (items until the first gap of over ``gap`` seconds) each item has —
    MovieLens asked new users to rate movies it picked at the time."""
    T = part.T
    assert T is not None
    first = np.zeros(T.shape)
    joined = np.zeros(T.shape[0])
    for u in range(T.shape[0]):
        items, times = (
            T.indices[T.indptr[u] : T.indptr[u + 1]],
            T.data[T.indptr[u] : T.indptr[u + 1]],
        )
        if len(items) == 0:
            continue
        order = np.argsort(times, kind="stable")
        items, times = items[order], times[order]
        cuts = np.flatnonzero(np.diff(times) > gap)
        end = cuts[0] + 1 if len(cuts) else len(items)
        first[u, items[:end]] = 1.0 / end
        joined[u] = times[0]
    near = np.exp(-np.abs(joined[:, None] - joined[None, :]) / (tau_days * DAY))
    np.fill_diagonal(near, 0.0)
    return np.asarray(near @ first)


def rating_neighbours(part: Part, k: int = 10, shrink: float = 10.0) -> np.ndarray:
    """items × items: each item's ``k`` nearest items by the cosine of their mean-centred
    explicit ratings (each user's mean removed), shrunk by co-rating count n/(n + shrink),
    positive part, symmetric."""
    h = part.history
    rows = h["user"].map(part.users).to_numpy()
    cols = h["item"].map(part.items).to_numpy()
    r = h["rating"].to_numpy(dtype=np.float64)
    r = r - pd.Series(r).groupby(rows).transform("mean").to_numpy()
    R = sp.csr_matrix((r, (rows, cols)), shape=part.X.shape)
    dot = np.asarray((R.T @ R).toarray())
    norms = np.sqrt(np.diag(dot)) + 1e-9
    co = np.asarray((part.X.T @ part.X).toarray(), dtype=np.float64)
    sim = dot / np.outer(norms, norms) * co / (co + shrink)
    np.fill_diagonal(sim, -np.inf)
    top = np.argpartition(-sim, k, axis=1)[:, :k]
    out = np.zeros_like(sim)
    np.put_along_axis(out, top, np.take_along_axis(sim, top, axis=1), axis=1)
    return np.maximum(np.maximum(out, out.T), 0.0)


def ceiling(
    train: pd.DataFrame, test_part: Part, users: Any, items: Any, tags: Any, content: np.ndarray
) -> dict[str, Any]:
    """The time-ease family with tags, text and dropout on a wide grid (tau 30/60/120 s, beta
    0.2/0.35/0.5, tag_weight 0.1/0.2, text_weight 0/0.1, l2 50/100/150/250, dropout
    0.5/0.67), each scored on two validation splits of the training part (seeds 43, 44) and on
    test: how high the family goes under any tuning, and what validation would pick."""
    started = time.perf_counter()
    named: dict[str, Part] = {"test": test_part}
    for seed in (43, 44):
        f, v = per_user_split(train, 0.75, seed)
        named[str(seed)] = Part(f, v, users, items)
    neighbours = text_neighbours(content)
    table = []
    for tau in (30.0, 60.0, 120.0):
        for beta in (0.2, 0.35, 0.5):
            raw = dict(zip(named, time_grams(tuple(named.values()), tau, beta), strict=True))
            for tag_w in (0.1, 0.2):
                for text_w in (0.0, 0.1):
                    grams = {}
                    for key, g in raw.items():
                        grams[key] = with_share(
                            with_tags(g, tags, tag_w), text_w, "text_weight", lambda: neighbours
                        )
                    for l2 in (50.0, 100.0, 150.0, 250.0):
                        for dropout in (0.5, 0.67):
                            entry: dict[str, Any] = {
                                "tau": tau, "beta": beta, "tag_weight": tag_w,
                                "text_weight": text_w, "l2": l2, "dropout": dropout,
                            }  # fmt: skip
                            for key, part in named.items():
                                w = ease_weights(grams[key], l2, dropout)
                                entry[key] = part.ndcg(np.asarray(part.X @ w, dtype=np.float64))
                            entry["validation"] = (entry["43"] + entry["44"]) / 2
                            table.append(entry)
    picked = max(table, key=lambda r: r["validation"])
    top = max(table, key=lambda r: r["test"])
    seconds = time.perf_counter() - started
    print(
        f"ceiling: validation picks {picked} -> test {picked['test']:.4f}; best on test "
        f"{top['test']:.4f} ({seconds:.0f} s)",
        flush=True,
    )
    return {"rows": table, "validation_picks": picked, "best_on_test": top, "seconds": seconds}


def rerank_features(
    part: Part, base: np.ndarray, other: np.ndarray, genres: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each user's ``n`` best unseen items by ``base`` (the candidates, users × n), one feature
    row per (user, candidate) and its label (1 when held out for the user). Features: the
    base score raw, standardized over the user's unseen items, over the user's best, and its
    position; ``other``'s standardized score and rank; item popularity; the item's first,
    median and last interaction against the user's first, median and last (days); the user's
    span and history size; time-local popularity (1-day bins, kernels of 2 and 7 days); the
    user's genre share on the item's genres; item and user mean rating."""
    X, T = part.X, part.T
    assert T is not None
    n_users = X.shape[0]
    seen = X.toarray() > 0
    masked = np.where(seen, -np.inf, base)
    candidates = top_k(masked, n)
    z_base, z_other = part.z(base), part.z(other)
    rank_other = np.argsort(np.argsort(-np.where(seen, -np.inf, other), axis=1), axis=1)
    count = np.asarray(X.sum(axis=0)).ravel()
    size = np.diff(X.indptr)

    def spread(m: sp.csr_matrix) -> np.ndarray:
        return np.array(
            [
                [t.min(), np.median(t), t.max()] if len(t) else [np.nan] * 3
                for t in np.split(m.data, m.indptr[1:-1])
            ]
        )

    item_t, user_t = spread(sp.csr_matrix(T.T)), spread(T)
    G = genres.T
    share = X @ G
    share = share / np.maximum(share.sum(axis=1, keepdims=True), 1)
    affinity = share @ (G / np.maximum(G.sum(axis=1, keepdims=True), 1)).T
    h = part.history
    R = sp.csr_matrix(
        (h["rating"].to_numpy(float), (h["user"].map(part.users), h["item"].map(part.items))),
        shape=X.shape,
    )
    item_mean = np.asarray(R.sum(axis=0)).ravel() / np.maximum(count, 1)
    user_mean = np.asarray(R.sum(axis=1)).ravel() / np.maximum(size, 1)
    local = [time_local_popularity(part, 1, tau) for tau in (2, 7)]
    u, i = np.repeat(np.arange(n_users), n), candidates.ravel()
    features = np.column_stack(
        [
            base[u, i],
            z_base[u, i],
            base[u, i] / np.maximum(np.abs(masked.max(axis=1)), 1e-9)[u],
            np.tile(np.arange(n), n_users),
            z_other[u, i],
            rank_other[u, i],
            np.log1p(count[i]) - np.log(n_users),
            (item_t[i, 0] - user_t[u, 2]) / DAY,
            (user_t[u, 0] - item_t[i, 0]) / DAY,
            (item_t[i, 1] - user_t[u, 1]) / DAY,
            (item_t[i, 2] - user_t[u, 0]) / DAY,
            (user_t[u, 2] - user_t[u, 0]) / DAY,
            np.log1p(size[u]),
            local[0][u, i],
            local[1][u, i],
            affinity[u, i],
            item_mean[i],
            user_mean[u],
        ]
    )
    labels = (np.asarray(part.Y[u, i]).ravel() > 0).astype(int)
    return candidates, features, labels


def reranker(
    parts: tuple[Part, Part],
    base: tuple[np.ndarray, ...],
    other: tuple[np.ndarray, ...],
    genres: np.ndarray,
    n: int = 50,
) -> dict[str, Any]:
    """A learning-to-rank second stage (LightGBM, lambdarank or binary) over ``base``'s top
    ``n``: trained on the fit part's candidates with validation's held-out items as labels.
    Its validation figure is cross-fitted (two halves of the users, each scored by a ranker
    trained on the other half; mean over two random halvings); its test figure comes from a
    ranker trained on all validation users, applied to candidates of the models refitted on
    the whole training part."""
    import lightgbm as lgb

    started = time.perf_counter()
    (c0, f0, y0), (c1, f1, _) = (
        rerank_features(p, b, o, genres, n) for p, b, o in zip(parts, base, other, strict=True)
    )
    n_users = parts[0].X.shape[0]

    def scores(part: Part, candidates: np.ndarray, order: np.ndarray) -> np.ndarray:
        full = np.full(part.X.shape, -1e9)
        np.put_along_axis(full, candidates, order.reshape(-1, n), axis=1)
        return full

    def rows_of(users: np.ndarray) -> np.ndarray:
        return (users[:, None] * n + np.arange(n)).ravel()

    position = -np.tile(np.arange(n, dtype=float), n_users)
    table = [
        row(
            parts,
            [scores(p, c, position) for p, c in ((parts[0], c0), (parts[1], c1))],
            ranker="none",
        )
    ]
    for objective, leaves, min_leaf, rounds in (
        ("lambdarank", 15, 100, 100), ("lambdarank", 4, 500, 50), ("lambdarank", 4, 500, 150),
        ("binary", 4, 500, 100), ("binary", 8, 200, 200),
    ):  # fmt: skip
        params = {
            "objective": objective, "num_leaves": leaves, "min_data_in_leaf": min_leaf,
            "learning_rate": 0.05, "feature_fraction": 0.8, "bagging_fraction": 0.8,
            "bagging_freq": 1, "metric": "None", "verbose": -1, "seed": 0, "num_threads": 2,
        }  # fmt: skip

        def train(users: np.ndarray, p: dict[str, Any] = params, r: int = rounds) -> Any:
            data = lgb.Dataset(f0[rows_of(users)], y0[rows_of(users)], group=[n] * len(users))
            return lgb.train(p, data, r)

        crossfit = []
        for seed in (0, 1):
            half = np.random.RandomState(seed).rand(n_users) < 0.5
            predicted = np.zeros(n_users * n)
            for side in (True, False):
                model = train(np.flatnonzero(half == side))
                held = rows_of(np.flatnonzero(half != side))
                predicted[held] = model.predict(f0[held])
            crossfit.append(parts[0].ndcg(scores(parts[0], c0, predicted)))
        final = train(np.arange(n_users))
        table.append(
            {
                "ranker": f"{objective}, {leaves} leaves, min {min_leaf}, {rounds} rounds",
                "validation": float(np.mean(crossfit)),
                "test": parts[1].ndcg(scores(parts[1], c1, final.predict(f1))),
            }
        )
    return finish(
        f"auto's choice re-ranked by LightGBM (top {n})", table, time.perf_counter() - started
    )


def side_information(
    parts: tuple[Part, Part], rows: np.ndarray, weights: tuple[float, ...], label: str
) -> dict[str, Any]:
    """time-ease (defaults) with ``rows`` as tags in its Gram (``with_tags``, the mechanism
    behind ``tag_weight``): items that share tags are pulled together."""
    started = time.perf_counter()
    grams = time_grams(parts)
    tags = sp.csr_matrix(rows.T)
    table = []
    for w in (0.0, *weights):
        scores = [
            np.asarray(p.X @ ease_weights(with_tags(g, tags, w), 100.0), dtype=np.float64)
            for p, g in zip(parts, grams, strict=True)
        ]
        table.append(row(parts, scores, tag_weight=w))
    return finish(f"time-ease + {label} rows in the Gram", table, time.perf_counter() - started)


def sitting_weighted_history(
    parts: tuple[Part, Part],
    rows: np.ndarray,
    windows: tuple[float, ...],
    gammas: tuple[float, ...],
) -> dict[str, Any]:
    """time-ease with genre tags at 0.1 (what auto picks), scored from a history whose items
    weigh (1 + other history items within ``window`` seconds)^gamma instead of 1: dense
    sittings, where most held-out items are, count more (gamma > 0) or less (gamma < 0)."""
    started = time.perf_counter()
    tags = sp.csr_matrix(rows.T)
    weights = [ease_weights(with_tags(g, tags, 0.1), 100.0) for g in time_grams(parts)]
    table = []
    for window in windows:
        for gamma in (0.0, *gammas):
            scores = []
            for part, b in zip(parts, weights, strict=True):
                T = part.T
                assert T is not None
                data = np.empty_like(T.data)
                for u in range(T.shape[0]):
                    t = T.data[T.indptr[u] : T.indptr[u + 1]]
                    near = (np.abs(t[:, None] - t[None, :]) <= window).sum(axis=1) - 1
                    data[T.indptr[u] : T.indptr[u + 1]] = (1.0 + near) ** gamma
                history = sp.csr_matrix((data, T.indices, T.indptr), shape=T.shape)
                scores.append(np.asarray(history @ b, dtype=np.float64))
            table.append(row(parts, scores, window_s=window, gamma=gamma))
    return finish(
        "time-ease + genres, history weighted by sitting density",
        table,
        time.perf_counter() - started,
    )


def probe(
    name: str,
    parts: tuple[Part, Part],
    make: Callable[[Part], np.ndarray],
    weights: tuple[float, ...],
    base: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """The probe alone and blended with time-ease at each weight, on validation and test."""
    started = time.perf_counter()
    other = tuple(make(p) for p in parts)
    seconds = time.perf_counter() - started
    table = [row(parts, list(other), blend_weight=None)]
    for w in weights:
        scores = [p.z(b) + w * p.z(o) for p, b, o in zip(parts, base, other, strict=True)]
        table.append(row(parts, scores, blend_weight=w))
    alone = f"alone {table[0]['validation']:.4f}/{table[0]['test']:.4f}  "
    return finish(name, table, seconds, alone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Settings().resolved_data_dir)
    parser.add_argument("--ceiling", action="store_true", help="also the ~3 min family grid")
    args = parser.parse_args()
    if args.data is None:
        raise SystemExit("set --data or LIMELIGHT_DATA_DIR to the shared data folder")
    clean, _ = clean_interactions(movielens_ratings(args.data), COLUMNS)
    users = {u: i for i, u in enumerate(sorted(clean["user"].unique(), key=int))}
    items = {v: i for i, v in enumerate(dict.fromkeys(clean["item"].tolist()))}
    train, test = per_user_split(clean, 0.75, 42)
    fit, validation = per_user_split(train, 0.75, 43)
    parts = (Part(fit, validation, users, items), Part(train, test, users, items))
    base = tuple(p.algorithm("time-ease") for p in parts)
    reference = {"validation": parts[0].ndcg(base[0]), "test": parts[1].ndcg(base[1])}
    print(
        f"time-ease (defaults) validation {reference['validation']:.4f} test {reference['test']:.4f}"
    )
    blend = (0.1, 0.25, 0.5)
    probes = []
    others: list[tuple[str, dict[str, Any]]] = [
        ("ease", {"l2": 500.0}),
        ("item-knn", {}),
        ("rp3beta", {}),
        ("als", {}),
        ("time-ease", {"tau": 1200.0, "beta": 0.05, "l2": 300.0}),
    ]
    for other, params in others:
        probes.append(
            probe(
                f"time-ease + {other} {params or ''}".strip(),
                parts,
                lambda p, o=other, kw=params: p.algorithm(o, **kw),
                blend,
                base,
            )
        )
    for width, tau in ((1, 3), (1, 7), (7, 14)):
        probes.append(
            probe(
                f"time-local popularity (bins {width} d, kernel {tau} d)",
                parts,
                lambda p, w=width, t=tau: time_local_popularity(p, w, t),
                (0.05, 0.1, 0.2, 0.3),
                base,
            )
        )
    for gap in (60.0, 600.0):
        probes.append(
            probe(
                f"best sitting (gap {gap:.0f} s)",
                parts,
                lambda p, g=gap: best_sitting(p, g),
                (0.1, 0.2, 0.4),
                base,
            )
        )
    for epochs, hidden, latent in ((100, 600, 200), (300, 200, 64)):
        probes.append(
            probe(
                f"Mult-VAE ({epochs} epochs, {hidden}-{latent})",
                parts,
                lambda p, e=epochs, h=hidden, z=latent: mult_vae(p, e, h, z),
                (0.25, 0.5, 1.0),
                base,
            )
        )
    catalog = movielens_items(args.data)
    genres = side_rows(catalog, items, False)
    for decades in (False, True):
        probes.append(
            side_information(
                parts,
                side_rows(catalog, items, decades) if decades else genres,
                (0.03, 0.1, 0.3, 1.0),
                "genre and decade" if decades else "genre",
            )
        )
    probes.append(
        sitting_weighted_history(parts, genres, (60.0, 600.0, 3600.0), (-0.3, -0.1, 0.1, 0.3))
    )
    tags = sp.csr_matrix(genres.T)
    content = embed_texts(read_catalog(catalog, "item_id").aligned(list(items)).texts)
    # auto's choice: time-ease tau 60 s, beta 0.35, l2 150, tags 0.1, text 0.1, dropout 0.5
    chosen_grams = [
        with_text(with_tags(g, tags, 0.1), content, 0.1) for g in time_grams(parts, 60.0, 0.35)
    ]
    chosen = tuple(
        np.asarray(p.X @ ease_weights(g, 150.0, 0.5), dtype=np.float64)
        for p, g in zip(parts, chosen_grams, strict=True)
    )
    print(
        f"auto's choice (time-ease, tags 0.1, text 0.1, dropout 0.5) validation "
        f"{parts[0].ndcg(chosen[0]):.4f} test {parts[1].ndcg(chosen[1]):.4f}"
    )
    user_side: list[tuple[str, Callable[[Part], np.ndarray]]] = [
        *((f"user-EASE (l2 {l2:.0f})", lambda p, l2=l2: user_ease(p, l2)) for l2 in (200.0, 800.0)),
        *(
            (
                f"user-EASE, time-weighted (tau {tau:.0f} d, l2 {l2:.0f})",
                lambda p, l2=l2, tau=tau: user_ease(p, l2, tau),
            )
            for tau in (3.0, 30.0)
            for l2 in (100.0, 400.0)
        ),
        *(
            (f"session-kNN (gap {gap:.0f} s, 50 sittings)", lambda p, g=gap: session_knn(p, g, 50))
            for gap in (600.0, 3600.0)
        ),
        *(
            (f"∞-AE (l2 {l2:.0f})", lambda p, l2=l2: infinite_ae(p, l2))
            for l2 in (30.0, 100.0, 300.0)
        ),
        *(
            (
                f"first sittings of users who joined within {tau:.0f} d",
                lambda p, tau=tau: cohort_first_sittings(p, tau),
            )
            for tau in (1.0, 3.0, 10.0)
        ),
    ]
    started = time.perf_counter()
    table = []
    for w in (0.0, 0.03, 0.1):
        scores = []
        for p, g in zip(parts, chosen_grams, strict=True):
            rated = with_share(g, w, "rating_weight", lambda p=p: rating_neighbours(p))
            scores.append(np.asarray(p.X @ ease_weights(rated, 150.0, 0.5), dtype=np.float64))
        table.append(row(parts, scores, rating_weight=w))
    probes.append(
        finish(
            "auto's choice + explicit-rating neighbours in the Gram",
            table,
            time.perf_counter() - started,
        )
    )
    started = time.perf_counter()
    table = [
        row(
            parts,
            [
                higher_order(p, g, pairs, 150.0, l2)
                for p, g in zip(parts, chosen_grams, strict=True)
            ],
            pairs=pairs,
            l2_pairs=l2,
        )
        for pairs in (1000, 3000)
        for l2 in (3000.0, 10000.0, 30000.0)
    ]
    probes.append(
        finish("auto's choice + higher-order pairs", table, time.perf_counter() - started)
    )
    for name, make in user_side:
        probes.append(
            probe(f"auto's choice + {name}", parts, make, (0.05, 0.1, 0.2, 0.35, 0.5), chosen)
        )
    ease = tuple(p.algorithm("ease", l2=500.0) for p in parts)
    probes.append(reranker(parts, chosen, ease, genres))
    best = max(probes, key=lambda r: r["chosen"]["validation"])
    result: dict[str, Any] = {
        "dataset": "MovieLens-100K u.data",
        "protocol": "per-user 75/25 seed 42; validation: per-user 75/25 of the training part, seed 43",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at the end",
        "time_ease_defaults": reference,
        "probes": probes,
        "best_on_validation": {"probe": best["probe"], **best["chosen"]},
    }
    if args.ceiling:
        result["ceiling"] = ceiling(train, parts[1], users, items, tags, content)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "recommendation_probes.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"best on validation: {best['probe']} -> test {best['chosen']['test']:.4f}")


if __name__ == "__main__":
    main()
