"""The embedding task: registered like any model, loaded, used for zero-shot tags."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from limelight.demo.data import reviews
from limelight.errors import InvalidInput
from limelight.registry import Registry
from limelight.runtime import load
from limelight.settings import Settings
from limelight.tasks.embedding import Embedder
from limelight.tasks.embedding.zero_shot import check_labels, zero_shot
from limelight.training import train
from limelight.training.pretrained import register_pretrained


def test_registered_model_embeds_like_the_encoder(embedding_home: Path) -> None:
    from limelight.embeddings import MiniLMEncoder

    registry = Registry.from_settings(Settings(home=embedding_home))
    model = load(registry, "minilm")
    assert model.task.name == "embedding"
    files = model.manifest["artifact"]["files"]
    assert set(files) == {"model.onnx", "tokenizer.json", "encoder.json"}
    assert model.manifest["metrics"]["dimension"] == 384
    out = model.predict(["A haunted house", "A wedding in Paris"])
    vectors = np.asarray([o["embedding"] for o in out], dtype=np.float32)
    np.testing.assert_allclose(
        vectors, MiniLMEncoder.get().encode(["A haunted house", "A wedding in Paris"]), atol=1e-6
    )
    with pytest.raises(InvalidInput):
        model.predict([{"text": "  "}])
    registry.close()


def test_register_refuses_trained_tasks_and_training_refuses_embedding(registry: Registry) -> None:
    with pytest.raises(InvalidInput, match="trained from data"):
        register_pretrained(registry, "text-classification", name="x")
    with pytest.raises(InvalidInput, match="register"):
        train(registry, "embedding", reviews(rows=20), name="e", columns={})
    assert registry.list_models() == []


def test_zero_shot_tags_by_similarity(embedding_home: Path) -> None:
    registry = Registry.from_settings(Settings(home=embedding_home))
    embedder = load(registry, "minilm").predictor
    assert isinstance(embedder, Embedder)
    labels = ["horror", "romance", "sports", "cooking"]
    texts = [
        "A family moves into a haunted house where a demon terrorizes their children.",
        "Two strangers fall in love during a summer in Rome.",
        "An underdog basketball team fights its way to the championship.",
        "Chefs compete to bake the most spectacular cakes.",
    ]
    results = embedder.zero_shot(texts, labels, template="a {} story")
    assert [r["label"] for r in results] == labels
    for r in results:
        assert abs(sum(r["scores"].values()) - 1) < 1e-4
    multi = zero_shot(embedder.encode, texts[:1], labels, multi_label=True)[0]
    assert all(0 <= s <= 1 for s in multi["scores"].values())
    registry.close()


@pytest.mark.parametrize(
    ("labels", "template"),
    [([], "{}"), (["a", "a"], "{}"), (["a", ""], "{}"), ("horror", "{}"), (["a"], "no slot")],
)
def test_zero_shot_rejects_bad_labels(labels: object, template: str) -> None:
    with pytest.raises(InvalidInput):
        check_labels(labels, template)


def test_int8_embedding_model_registers_with_its_agreement(registry: Registry) -> None:
    from limelight.embeddings import MiniLMEncoder

    version = register_pretrained(
        registry, "embedding", name="minilm-int8", settings={"precision": "int8"}
    )
    assert version.manifest["params"]["precision"] == "int8"
    metrics = version.manifest["metrics"]
    assert 0.97 < metrics["cosine_to_float32_min"] <= metrics["cosine_to_float32_mean"] < 1.0
    model = load(registry, "minilm-int8")
    texts = ["A haunted house", "A wedding in Paris"]
    vectors = np.asarray([o["embedding"] for o in model.predict(texts)], dtype=np.float32)
    np.testing.assert_allclose(vectors, MiniLMEncoder.get("int8").encode(texts), atol=1e-6)
    assert ((vectors * MiniLMEncoder.get().encode(texts)).sum(axis=1) > 0.97).all()
    with pytest.raises(InvalidInput, match="precision"):
        register_pretrained(registry, "embedding", name="bad", settings={"precision": "fp16"})
    assert [m.name for m in registry.list_models()] == ["minilm-int8"]
