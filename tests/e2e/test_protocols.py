"""End to end with the official clients: Triton's V2 client and the OpenAI client, against the
real `limelight serve` on a free loopback port, with auth on (keys made by `limelight keys
create`).

The home holds the MiniLM embedding model, a text classifier and a tabular classifier and
regressor trained with `limelight.train` on small generated tables (under a second each)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import limelight
from limelight.cli import main
from limelight.registry import Registry
from limelight.settings import Settings
from limelight.training.pretrained import register_pretrained
from tests.conftest import LiveServer, start_server, train_tiny
from tests.tasks.tabular_data import classification, regression

pytestmark = pytest.mark.e2e

SERVED = ("minilm", "review-sentiment", "clicks", "watch-time")
UNKNOWN_KEY = "ll_000000000000_" + "x" * 43  # shaped like a key, never created


@dataclass
class Served:
    server: LiveServer
    key: str  # predict scope on the served models only
    other: str  # predict scope on other models: refused here with 403

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def predict(self, model: str, body: dict[str, Any]) -> dict[str, Any]:
        """The native answer, for comparison."""
        answer = httpx.post(f"{self.url}/v1/models/{model}/predict", json=body, headers=self.auth)
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result


def create_key(home: Path, name: str, scopes: str) -> str:
    """`limelight keys create`: the key alone is printed on standard output."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as env, contextlib.redirect_stdout(out):
        env.setenv("LIMELIGHT_HOME", str(home))
        assert main(["keys", "create", "--name", name, "--scopes", scopes]) == 0
    return out.getvalue().strip()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("protocols") / "home"
    registry = Registry.from_settings(Settings(home=home))
    register_pretrained(registry, "embedding", name="minilm", alias="production")
    train_tiny(registry, alias="production")
    limelight.train(
        "tabular-classification",
        classification(240),
        target="clicked",
        name="clicks",
        algorithm="logistic",
        registry=registry,
    )
    limelight.train(
        "tabular-regression",
        regression(240),
        target="watch",
        name="watch-time",
        algorithm="ridge",
        registry=registry,
    )
    registry.close()
    key = create_key(home, "apps", ",".join(f"predict:{m}" for m in SERVED))
    other = create_key(home, "other-apps", "predict:movie-*")
    live = start_server(home)
    yield Served(live, key, other)
    assert live.stop() == 0


# ------------------------------------------------------------------------------- tritonclient
@pytest.fixture(scope="module")
def triton(served: Served) -> Iterator[Any]:
    httpclient = pytest.importorskip("tritonclient.http")
    client = httpclient.InferenceServerClient(url=served.url.removeprefix("http://"))
    yield client
    client.close()


def test_tritonclient_speaks_v2(served: Served, triton: Any) -> None:
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException

    auth = served.auth
    assert triton.is_server_live()  # the health probes are public
    assert triton.is_server_ready()
    assert triton.get_server_metadata(headers=auth)["name"] == "limelight"
    assert triton.is_model_ready("review-sentiment", headers=auth)
    assert triton.is_model_ready("review-sentiment", model_version="1", headers=auth)
    meta = triton.get_model_metadata("review-sentiment", headers=auth)
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
    result = triton.infer(
        "review-sentiment", [tensor], outputs=outputs, model_version="1", headers=auth
    )
    got = [x.decode() if isinstance(x, bytes) else x for x in result.as_numpy("label").tolist()]
    assert got == ["positive", "negative"]
    proba = result.as_numpy("probabilities")
    assert proba.shape == (2, len(labels))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-4)
    native = served.predict("review-sentiment", {"text": "What a wonderful film"})
    np.testing.assert_allclose(proba[0], [native["scores"][lab] for lab in labels], atol=1e-6)

    emb_in = httpclient.InferInput("text", [1], "BYTES")
    emb_in.set_data_from_numpy(np.array(["A haunted house"], dtype=object), binary_data=False)
    emb = triton.infer(
        "minilm",
        [emb_in],
        outputs=[httpclient.InferRequestedOutput("embedding", binary_data=False)],
        headers=auth,
    ).as_numpy("embedding")
    assert emb.shape == (1, 384)

    # "nope" is not in the key's scopes: refused before the lookup, as on the native routes
    with pytest.raises(InferenceServerException, match="no predict scope") as refused:
        triton.get_model_metadata("nope", headers=auth)
    assert refused.value.status() == "403"
    with pytest.raises(InferenceServerException, match="no version 9") as missing:
        triton.get_model_metadata("minilm", model_version="9", headers=auth)
    assert missing.value.status() == "404"
    assert not triton.is_model_ready("minilm", model_version="9", headers=auth)


RECORDS = pd.DataFrame(
    {
        "age": [30, 61, 45],
        "country": ["FR", "JP", "US"],
        "user": ["u1", "u7", "u30"],
        "premium": [True, False, True],
        "bio": ["great film", "dull plot long story", "music"],
    }
)
NUMPY = {"FP32": np.float32, "INT64": np.int64, "BOOL": np.bool_, "BYTES": np.object_}


def column_tensors(meta: dict[str, Any], types: dict[str, str] | None = None) -> list[Any]:
    """RECORDS as one tensor per input of the model's metadata (datatype as declared there,
    unless ``types`` says otherwise)."""
    import tritonclient.http as httpclient

    tensors = []
    for spec in meta["inputs"]:
        name = spec["name"]
        datatype = (types or {}).get(name, spec["datatype"])
        tensor = httpclient.InferInput(name, [len(RECORDS)], datatype)
        tensor.set_data_from_numpy(
            RECORDS[name].to_numpy().astype(NUMPY[datatype]), binary_data=False
        )
        tensors.append(tensor)
    return tensors


def native_instances() -> dict[str, Any]:
    return {"instances": [{"features": r} for r in RECORDS.to_dict(orient="records")]}


def test_tritonclient_tabular_models_answer_as_native_predict(served: Served, triton: Any) -> None:
    auth = served.auth
    meta = triton.get_model_metadata("clicks", headers=auth)
    assert meta["platform"] == "limelight_tabular-classification"
    assert [(i["name"], i["datatype"]) for i in meta["inputs"]] == [
        ("age", "FP32"),
        ("country", "BYTES"),
        ("user", "BYTES"),
        ("premium", "BOOL"),
        ("bio", "BYTES"),
    ]
    labels = meta["parameters"]["labels"]
    assert sorted(labels) == ["no", "yes"]
    result = triton.infer("clicks", column_tensors(meta), headers=auth)
    native = served.predict("clicks", native_instances())["predictions"]
    got = [x.decode() if isinstance(x, bytes) else x for x in result.as_numpy("label").tolist()]
    assert got == [p["label"] for p in native]
    np.testing.assert_allclose(
        result.as_numpy("probabilities"),
        [[p["scores"][lab] for lab in labels] for p in native],
        atol=1e-6,
    )

    meta = triton.get_model_metadata("watch-time", headers=auth)
    assert meta["outputs"] == [{"name": "value", "datatype": "FP32", "shape": [-1]}]
    # whole ages as INT64 into the FP32 column: V2 lets a client send the integers it holds
    result = triton.infer("watch-time", column_tensors(meta, {"age": "INT64"}), headers=auth)
    native = served.predict("watch-time", native_instances())["predictions"]
    np.testing.assert_allclose(result.as_numpy("value"), [p["value"] for p in native], rtol=1e-6)


def test_tritonclient_bad_tensors_are_4xx(served: Served, triton: Any) -> None:
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException

    auth = served.auth
    meta = triton.get_model_metadata("clicks", headers=auth)
    cases: dict[str, tuple[list[Any], str]] = {}
    cases["datatype"] = (column_tensors(meta, {"age": "BYTES"}), "input 'age' must be FP32")
    cases["bool"] = (column_tensors(meta, {"premium": "INT64"}), "input 'premium' must be BOOL")
    longer = column_tensors(meta)
    longer[0].set_shape([len(RECORDS) + 1])  # the shape claims a row the data does not hold
    cases["shape"] = (longer, "holds 4 values but data has 3")
    mixed = column_tensors(meta)
    mixed[1] = httpclient.InferInput("country", [1], "BYTES")
    mixed[1].set_data_from_numpy(np.array(["FR"], dtype=object), binary_data=False)
    cases["batch"] = (mixed, "same batch size")
    cases["missing"] = (column_tensors(meta)[:2], "missing input 'user'")
    for what, (tensors, needle) in cases.items():
        with pytest.raises(InferenceServerException) as refused:
            triton.infer("clicks", tensors, headers=auth)
        assert refused.value.status() == "400", what
        assert needle in refused.value.message(), (what, refused.value.message())


def test_tritonclient_needs_a_key(served: Served, triton: Any) -> None:
    import tritonclient.http as httpclient
    from tritonclient.utils import InferenceServerException

    text = httpclient.InferInput("text", [1], "BYTES")
    text.set_data_from_numpy(np.array(["Loved it"], dtype=object), binary_data=False)
    refusals = {
        None: ("401", "needs an API key"),
        UNKNOWN_KEY: ("401", "unknown API key"),
        "not-a-key": ("401", "malformed"),
        served.other: ("403", "no predict scope"),  # a key, but for other models
    }
    for key, (status, needle) in refusals.items():
        headers = {"Authorization": f"Bearer {key}"} if key else None
        calls = [
            partial(triton.get_model_metadata, "review-sentiment", headers=headers),
            partial(triton.infer, "review-sentiment", [text], headers=headers),
        ]
        if key != served.other:  # any predict key may read the server metadata
            calls.append(partial(triton.get_server_metadata, headers=headers))
        for call in calls:
            with pytest.raises(InferenceServerException) as refused:
                call()
            assert refused.value.status() == status, (key, refused.value)
            message = refused.value.message()  # V2's shape: {"error": "message"}
            assert isinstance(message, str) and needle in message, (key, message)
        assert not triton.is_model_ready("review-sentiment", headers=headers)
    assert triton.is_server_live() and triton.is_server_ready()  # the probes stay public


# ------------------------------------------------------------------------------- openai
def test_openai_client_embeddings(served: Served) -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(base_url=f"{served.url}/v1", api_key=served.key, max_retries=0)
    texts = ["A feel-good heist comedy", "A documentary about whales", "ok"]
    native = served.predict("minilm", {"instances": [{"text": t} for t in texts]})
    expected = np.asarray([p["embedding"] for p in native["predictions"]], dtype=np.float32)

    default = client.embeddings.create(model="minilm", input=texts)  # base64 on the wire
    assert [d.index for d in default.data] == [0, 1, 2]
    np.testing.assert_allclose([d.embedding for d in default.data], expected, atol=1e-6)
    assert default.usage.prompt_tokens == default.usage.total_tokens > 0

    floats = client.embeddings.create(model="minilm", input=texts[0], encoding_format="float")
    np.testing.assert_allclose(floats.data[0].embedding, expected[0], atol=1e-6)
    assert floats.model == "minilm"

    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="minilm/versions/9", input="x")
    with pytest.raises(openai.UnprocessableEntityError):
        client.embeddings.create(model="review-sentiment", input="x")
    with pytest.raises(openai.PermissionDeniedError) as denied:
        client.embeddings.create(model="nope", input="x")  # not in the key's scopes
    assert denied.value.code == "forbidden"
    client.close()


def test_openai_client_needs_a_key(served: Served) -> None:
    openai = pytest.importorskip("openai")
    refusals = {
        None: (openai.AuthenticationError, "needs an API key"),
        UNKNOWN_KEY: (openai.AuthenticationError, "unknown API key"),
        "sk-not-limelight": (openai.AuthenticationError, "malformed"),
        served.other: (openai.PermissionDeniedError, "no predict scope"),
    }
    for key, (error, needle) in refusals.items():
        # the client insists on a key: "no key" is one whose header is left out of the request
        client = openai.OpenAI(base_url=f"{served.url}/v1", api_key=key or "-", max_retries=0)
        omit = {"Authorization": openai.Omit()} if key is None else None
        with pytest.raises(error) as refused:
            client.embeddings.create(model="minilm", input="A haunted house", extra_headers=omit)
        body = refused.value.body  # OpenAI's shape: {"error": {"code", "message"}}
        assert isinstance(body, dict) and needle in body["message"], (key, body)
        assert refused.value.code == ("forbidden" if key == served.other else "unauthorized")
        client.close()
