"""ONNX Runtime sessions as Limelight runs them: one place for threads and session options.

- ``intra_op_num_threads``: ``LIMELIGHT_ONNX_THREADS``, default every core this process may use
  (the server batches requests, so one batch at a time uses the cores).
- ``inter_op_num_threads`` 1: the graphs here are sequential.
- every graph optimization on.
- ``session.intra_op.allow_spinning``: ``LIMELIGHT_ONNX_SPIN``, default on (ONNX Runtime's own
  default). Measured with the MiniLM classifier served on a quiet 2-core machine: 240 req/s
  with spinning and 180 without at concurrency 1, the same at 64; on a machine other busy
  processes share, spinning threads wait for cores that are taken, and off was twice as fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from limelight.errors import ModelLoadError


def _settings() -> Any:
    from limelight.settings import Settings

    return Settings()


def default_threads() -> int:
    """Intra-op threads: ``LIMELIGHT_ONNX_THREADS``, or the cores this process may run on."""
    configured = _settings().onnx_threads
    if configured:
        return configured
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def session(model_file: Path, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU; a file it cannot load is a
    :class:`ModelLoadError` naming the file."""
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise ModelLoadError(f"ONNX models need onnxruntime: {exc}") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    spin = "1" if _settings().onnx_spin else "0"
    options.add_session_config_entry("session.intra_op.allow_spinning", spin)
    try:
        return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"ONNX Runtime cannot load {model_file.name}: {exc}") from exc
