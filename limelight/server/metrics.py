"""Prometheus metrics (prometheus-client), one collector registry per app.

Every metric is documented in the README ("Metrics"). The objects are public attributes of
:class:`Metrics` so other parts feed them directly: ``metrics.batch_size.labels(model,
version).observe(n)`` (a batcher), ``metrics.rate_limited.labels(route, reason).inc()`` (a rate
limiter). Gauges that describe the model manager's state are read at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from limelight.registry.refs import parse_ref
from limelight.runtime.manager import ModelManager

LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
LOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The server's metrics. Implements :class:`limelight.runtime.manager.ManagerEvents`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "limelight_requests",
            "HTTP requests answered, by model, version, route template, method and status.",
            ["model", "version", "route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "limelight_request_duration_seconds",
            "Time from a request's arrival to the end of its response, by model, version, route.",
            ["model", "version", "route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.batch_size = Histogram(
            "limelight_batch_size",
            "Inputs per predict_batch call of a model version.",
            ["model", "version"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.model_load_seconds = Histogram(
            "limelight_model_load_seconds",
            "Time to verify and load a model version (successful loads).",
            ["model"],
            buckets=LOAD_BUCKETS,
            registry=r,
        )
        self.model_load_failures = Counter(
            "limelight_model_load_failures",
            "Model versions that failed to load (e.g. artifact checksum mismatch).",
            ["model"],
            registry=r,
        )
        self.model_unloads = Counter(
            "limelight_model_unloads",
            "Model versions unloaded, by reason: swapped, evicted, idle, released, deleted.",
            ["model", "reason"],
            registry=r,
        )
        self.rate_limited = Counter(
            "limelight_rate_limited",
            "Requests refused with 429 (rate limit or quota), by route and reason.",
            ["route", "reason"],
            registry=r,
        )
        self.endpoint_requests = Counter(
            "limelight_endpoint_requests",
            "Requests routed by a deployment endpoint, by endpoint and the target that answered.",
            ["endpoint", "target", "version"],
            registry=r,
        )

    def bind(self, manager: ModelManager) -> None:
        """Expose the manager's state (loaded models, queue depth, in-flight) at scrape time."""
        self.registry.register(_ManagerCollector(manager))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # ManagerEvents
    def model_loaded(self, name: str, version: int, seconds: float) -> None:
        self.model_load_seconds.labels(name).observe(seconds)

    def model_load_failed(self, name: str, version: int, seconds: float) -> None:
        self.model_load_failures.labels(name).inc()

    def model_unloaded(self, name: str, version: int, reason: str) -> None:
        self.model_unloads.labels(name, reason).inc()

    def batch(self, name: str, version: int, size: int) -> None:
        self.batch_size.labels(name, str(version)).observe(size)


class _ManagerCollector(Collector):
    def __init__(self, manager: ModelManager) -> None:
        self.manager = manager

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        held = self.manager.versions()
        loaded = GaugeMetricFamily(
            "limelight_models_loaded", "Model versions loaded in this process now."
        )
        loaded.add_metric([], sum(1 for v in held if v["state"] == "loaded"))
        size = GaugeMetricFamily(
            "limelight_models_loaded_bytes",
            "Estimated size (artifact bytes) of the loaded model versions.",
        )
        size.add_metric([], self.manager.loaded_bytes())
        failed = GaugeMetricFamily(
            "limelight_models_failed", "Model versions whose last load failed."
        )
        failed.add_metric([], sum(1 for v in held if v["state"] == "failed"))
        queue = GaugeMetricFamily(
            "limelight_queue_depth",
            "Inputs queued in a model version's batcher, waiting for their batch.",
            labels=["model", "version"],
        )
        inflight = GaugeMetricFamily(
            "limelight_inflight_requests",
            "Requests holding a model version (waiting or predicting).",
            labels=["model", "version"],
        )
        for v in held:
            if v["state"] in ("loaded", "draining"):
                labels = [v["name"], str(v["version"])]
                queue.add_metric(labels, v["queued"])
                inflight.add_metric(labels, v["inflight"])
        yield from (loaded, size, failed, queue, inflight)


class MetricsMiddleware:
    """Counts and times every HTTP request. The model label is the model a request named when
    the server knows that model (so unknown names cannot blow up the label set), and the version
    label comes from the ``X-Limelight-Model-Version`` response header."""

    def __init__(self, app: ASGIApp, metrics: Metrics, manager: ModelManager) -> None:
        self.app = app
        self.metrics = metrics
        self.manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        headers: dict[str, str] = {}

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for raw_key, raw_value in message.get("headers", []):
                    key = raw_key.decode("latin-1").lower()
                    if key.startswith("x-limelight-") or key == "x-quota-remaining":
                        headers[key] = raw_value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            self._record(scope, status, headers, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, headers: dict[str, str], seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "<unmatched>"
        model = headers.get("x-limelight-model") or self._model_of(scope.get("path_params", {}))
        version = headers.get("x-limelight-model-version", "")
        m = self.metrics
        m.requests.labels(model, version, template, scope["method"], str(status)).inc()
        m.latency.labels(model, version, template).observe(seconds)
        if status == 429:  # refused by the rate limiter: quota when the daily quota is used up
            reason = "quota" if headers.get("x-quota-remaining") == "0" else "rate"
            m.rate_limited.labels(template, reason).inc()

    def _model_of(self, params: dict[str, Any]) -> str:
        ref = params.get("ref") or params.get("model_name")
        if not isinstance(ref, str):
            return ""
        try:
            name = parse_ref(ref.removesuffix("/predict")).name
        except Exception:  # an invalid reference is labelled as no model
            return ""
        return name if name in self.manager.known_names() else ""
