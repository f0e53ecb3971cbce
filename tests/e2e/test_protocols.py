"""End to end with the official clients: Triton's V2 client and the OpenAI client, against the
real `limelight serve` on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import LiveServer, start_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(embedding_home: Path) -> Iterator[LiveServer]:
    live = start_server(embedding_home)
    yield live
    assert live.stop() == 0


def test_tritonclient_speaks_v2(server: LiveServer) -> None:
    httpclient = pytest.importorskip("tritonclient.http")
    from tritonclient.utils import InferenceServerException

    client = httpclient.InferenceServerClient(url=server.url.removeprefix("http://"))
    assert client.is_server_live()
    assert client.is_server_ready()
    assert client.get_server_metadata()["name"] == "limelight"
    assert client.is_model_ready("review-sentiment")
    assert client.is_model_ready("review-sentiment", model_version="1")
    meta = client.get_model_metadata("review-sentiment")
    assert meta["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1]}]
    assert {o["name"] for o in meta["outputs"]} == {"label", "probabilities"}
    labels = meta["parameters"]["labels"]

    texts = np.array([["What a wonderful film"], ["A dull, lifeless mess"]], dtype=object)
    tensor = httpclient.InferInput("text", [2, 1], "BYTES")
    tensor.set_data_from_numpy(texts, binary_data=False)
    outputs = [
        httpclient.InferRequestedOutput("label", binary_data=False),
        httpclient.InferRequestedOutput("probabilities", binary_data=False),
    ]
    result = client.infer("review-sentiment", [tensor], outputs=outputs, model_version="1")
    got = [x.decode() if isinstance(x, bytes) else x for x in result.as_numpy("label").tolist()]
    assert got == ["positive", "negative"]
    proba = result.as_numpy("probabilities")
    assert proba.shape == (2, len(labels))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-4)
    native = httpx.post(
        f"{server.url}/v1/models/review-sentiment/predict", json={"text": "What a wonderful film"}
    ).json()
    np.testing.assert_allclose(proba[0], [native["scores"][lab] for lab in labels], atol=1e-6)

    emb_in = httpclient.InferInput("text", [1], "BYTES")
    emb_in.set_data_from_numpy(np.array(["A haunted house"], dtype=object), binary_data=False)
    emb = client.infer(
        "minilm",
        [emb_in],
        outputs=[httpclient.InferRequestedOutput("embedding", binary_data=False)],
    ).as_numpy("embedding")
    assert emb.shape == (1, 384)

    with pytest.raises(InferenceServerException, match="no model named"):
        client.get_model_metadata("nope")
    assert not client.is_model_ready("nope")
    client.close()


def test_openai_client_embeddings(server: LiveServer) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="limelight-test", max_retries=0)
    texts = ["A feel-good heist comedy", "A documentary about whales", "ok"]
    native = httpx.post(
        f"{server.url}/v1/models/minilm/predict",
        json={"instances": [{"text": t} for t in texts]},
    ).json()["predictions"]
    expected = np.asarray([p["embedding"] for p in native], dtype=np.float32)

    default = client.embeddings.create(model="minilm", input=texts)  # base64 on the wire
    assert [d.index for d in default.data] == [0, 1, 2]
    np.testing.assert_allclose([d.embedding for d in default.data], expected, atol=1e-6)
    assert default.usage.prompt_tokens == default.usage.total_tokens > 0

    floats = client.embeddings.create(model="minilm", input=texts[0], encoding_format="float")
    np.testing.assert_allclose(floats.data[0].embedding, expected[0], atol=1e-6)
    assert floats.model == "minilm"

    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="nope", input="x")
    with pytest.raises(openai.UnprocessableEntityError):
        client.embeddings.create(model="review-sentiment", input="x")
    client.close()
