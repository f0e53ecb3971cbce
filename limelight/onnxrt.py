"""ONNX Runtime sessions as Limelight runs them: one place for threads and session options.

- ``intra_op_num_threads``: ``LIMELIGHT_ONNX_THREADS``, default every core this process may use
  (the server batches requests, so one batch at a time uses the cores).
- ``inter_op_num_threads`` 1: the graphs here are sequential.
- every graph optimization on.
- ``session.intra_op.allow_spinning`` off: worker threads sleep between operators instead of
  spinning, because in a server the event loop, the tokenizer and other models need the same
  cores between ONNX calls (measured on the serving benchmark, README "Execution").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from limelight.errors import ModelLoadError


def default_threads() -> int:
    """Intra-op threads: ``LIMELIGHT_ONNX_THREADS``, or the cores this process may run on."""
    from limelight.settings import Settings

    configured = Settings().onnx_threads
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
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise ModelLoadError(f"ONNX Runtime cannot load {model_file.name}: {exc}") from exc
