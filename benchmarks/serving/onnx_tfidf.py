"""ONNX Runtime (skl2onnx) vs scikit-learn vs Limelight's compiled path, for the TF-IDF +
logistic regression models, in process: parity on held-out Rotten Tomatoes sentences and
predictions/s at batch 1 and 64. Decides which execution Limelight uses for these models.

    .venv/bin/pip install onnxruntime==1.31.1 skl2onnx==1.20.0 onnx==1.23.2
    .venv/bin/python benchmarks/serving/onnx_tfidf.py

Writes benchmarks/results/onnx-tfidf.json.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from prepare import rotten_tomatoes  # noqa: E402

from limelight.tasks.text_classification.algorithms import ALGORITHMS  # noqa: E402
from limelight.tasks.text_classification.compiled import CompiledLinearText  # noqa: E402


def rate(
    fn: Callable[[list[str]], Any], texts: list[str], size: int, seconds: float = 1.5
) -> float:
    done, start, i = 0, time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        batch = texts[i : i + size] or texts[:size]
        i = (i + size) % len(texts)
        fn(batch)
        done += len(batch)
    return done / (time.perf_counter() - start)


def onnx_predictor(estimator: Any) -> Callable[[list[str]], np.ndarray]:
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import StringTensorType

    options = {
        id(step): {"tokenexp": r"[\p{L}\p{N}_]{2,}", "locale": "C.UTF-8"}
        for step in _vectorizers(estimator)
    }
    options[id(estimator.steps[-1][1])] = {"zipmap": False}
    model = to_onnx(
        estimator, initial_types=[("text", StringTensorType([None, 1]))], options=options
    )
    session_options = ort.SessionOptions()
    session_options.intra_op_num_threads = 2
    session = ort.InferenceSession(model.SerializeToString(), session_options)
    output = session.get_outputs()[1].name

    def predict(texts: list[str]) -> np.ndarray:
        return np.asarray(session.run([output], {"text": np.array(texts).reshape(-1, 1)})[0])

    return predict


def _vectorizers(estimator: Any) -> list[Any]:
    features = estimator.steps[0][1]
    return [t for _, t in getattr(features, "transformer_list", [("x", features)])]


def main() -> int:
    data_dir = HERE.parent.parent.parent / "shared" / "data"
    texts, labels = rotten_tomatoes(data_dir)
    train, held_out = texts[:8000], texts[9000:11000]
    results: dict[str, Any] = {}
    for variant, params in (("word 1-2 + char_wb 2-5", {}), ("word 1-2", {"char_ngrams": False})):
        estimator = ALGORITHMS["tfidf-logreg"](**params).build(0).fit(train, labels[:8000])
        expected = estimator.predict_proba(held_out)
        compiled = CompiledLinearText.compile(estimator)
        assert compiled is not None
        entry: dict[str, Any] = {}
        candidates: dict[str, Callable[[list[str]], Any]] = {
            "scikit-learn": estimator.predict_proba,
            "compiled (Limelight)": compiled.predict_proba,
        }
        try:
            candidates["onnxruntime (skl2onnx)"] = onnx_predictor(estimator)
        except Exception as exc:  # the converter refuses some pipelines
            entry["onnxruntime (skl2onnx)"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
        for name, fn in candidates.items():
            got = np.asarray(fn(held_out), dtype=np.float64)
            entry[name] = {
                "max_abs_diff": float(np.abs(got - expected).max()),
                "label_flips": int((got.argmax(1) != expected.argmax(1)).sum()),
                "per_s_batch_1": rate(fn, held_out, 1),
                "per_s_batch_64": rate(fn, held_out, 64),
            }
            print(variant, name, entry[name], flush=True)
        results[variant] = entry
    out = HERE.parent / "results" / "onnx-tfidf.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
