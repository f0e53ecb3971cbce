"""Serving benchmark: Limelight against the servers a user would otherwise pick, same models,
same load, same machine, one run.

    benchmarks/serving/setup_envs.sh          # once: one virtualenv per alternative (pinned)
    .venv/bin/python benchmarks/serving/run.py

For each model (TF-IDF + LR, MiniLM + LR) and each server (Limelight, hand-rolled FastAPI,
LitServe, BentoML, MLServer, Ray Serve; plus the bare uvicorn echo floor), the server is
started on 127.0.0.1, checked to give the same labels as the model in process, warmed up, and
loaded by wrk (closed loop, concurrency 1 / 16 / 64, fixed duration, bounded count). The model's
offline batch throughput and its direct in-process latency are measured in the same run.
Writes benchmarks/results/serving.json, serving.png and serving.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
# Before anything loads PyTorch: the offline numbers too (see Running.__init__).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from offline import offline_numbers  # noqa: E402
from prepare import MODELS, home, prepare  # noqa: E402
from report import write_reports  # noqa: E402

console = Console(stderr=True, width=160)
SERVERS = ("limelight", "fastapi", "litserve", "bentoml", "mlserver", "ray")
RESULTS = REPO / "benchmarks" / "results"


@dataclass
class Server:
    name: str
    python: Path
    args: list[str]
    path: str  # request path
    bodies: str  # body format: text | bentoml | mlserver
    env: dict[str, str] = field(default_factory=dict)
    ready_timeout: float = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def env_python(name: str) -> Path:
    return HERE / "envs" / name / "bin" / "python"


def server_spec(name: str, kind: str, port: int, work: Path, limelight_workers: int) -> Server:
    ours = Path(sys.executable)
    servers = HERE / "servers"
    if name == "echo":
        return Server(name, ours, [str(servers / "echo_app.py")], "/", "text")
    if name == "limelight":
        args = ["-m", "limelight", "--home", str(home(work, kind)), "serve", "--host", "127.0.0.1"]
        args += ["--port", str(port), "--workers", str(limelight_workers)]
        return Server(name, ours, args, f"/v1/models/{MODELS[kind][0]}/predict", "text")
    if name == "fastapi":
        return Server(name, ours, [str(servers / "fastapi_app.py")], "/predict", "text")
    if name == "litserve":
        return Server(
            name, env_python(name), [str(servers / "litserve_app.py")], "/predict", "text"
        )
    if name == "bentoml":
        args = ["-m", "bentoml", "serve", "bentoml_service:Sentiment", "--host", "127.0.0.1"]
        return Server(name, env_python(name), [*args, "--port", str(port)], "/predict", "bentoml")
    if name == "mlserver":
        folder = write_mlserver_settings(work, port)
        args = ["-m", "mlserver.cli.main", "start", str(folder)]
        return Server(name, env_python(name), args, "/v2/models/sentiment/infer", "mlserver")
    if name == "ray":
        env = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_DEDUP_LOGS": "0"}
        return Server(name, env_python(name), [str(servers / "ray_app.py")], "/", "text", env, 400)
    raise ValueError(name)


def write_mlserver_settings(work: Path, port: int) -> Path:
    folder = work / "mlserver"
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        "host": "127.0.0.1",
        "http_port": port,
        "grpc_port": free_port(),
        "metrics_port": free_port(),
        "parallel_workers": 0,
        "debug": False,
    }
    model = {
        "name": "sentiment",
        "implementation": "runtime.SentimentRuntime",
        "max_batch_size": 64,
        "max_batch_time": 0.005,
    }
    (folder / "settings.json").write_text(json.dumps(settings))
    (folder / "model-settings.json").write_text(json.dumps(model))
    return folder


def label_of(server: str, body: Any) -> str:
    if server == "bentoml":
        return str(body[0]["label"])
    if server == "mlserver":
        return str(json.loads(body["outputs"][0]["data"][0])["label"])
    return str(body["label"])


class Running:
    def __init__(self, spec: Server, kind: str, port: int, work: Path, log: Path) -> None:
        self.spec = spec
        self.url = f"http://127.0.0.1:{port}{spec.path}"
        pythonpath = os.pathsep.join([str(HERE / "servers"), str(HERE / "servers" / "mlserver")])
        env = {
            **os.environ,
            "BENCH_WORK": str(work),
            "BENCH_MODEL": kind,
            "BENCH_PORT": str(port),
            "PYTHONPATH": pythonpath,
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            # The same for every server: PyTorch's spinning OpenMP threads collapse on shared
            # cores (MiniLM at 0.2 req/s); `limelight serve` sets this itself.
            "OMP_WAIT_POLICY": "PASSIVE",
            **spec.env,
        }
        self.log = log
        with log.open("wb") as handle:
            self.process = subprocess.Popen(
                [str(spec.python), *spec.args],
                cwd=HERE / "servers",
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped as one below
            )

    def wait_ready(self, body: bytes) -> float:
        start = time.monotonic()
        while time.monotonic() - start < self.spec.ready_timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                response = httpx.post(self.url, content=body, timeout=5, headers=JSON)
                if response.status_code == 200:
                    return time.monotonic() - start
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.spec.name} not ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        # helpers the server started in its group (uvicorn workers, raylet, …)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


JSON = {"content-type": "application/json"}


def wrk(
    url: str, bodies: Path, concurrency: int, seconds: float, max_requests: int
) -> dict[str, Any]:
    env = {**os.environ, "BENCH_BODIES": str(bodies), "BENCH_MAX_REQUESTS": str(max_requests)}
    cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds:g}s", "--timeout", "10s"]
    cmd += ["-s", str(HERE / "loadgen.lua"), url]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in run.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {run.stdout}\n{run.stderr}")
    raw = json.loads(line[len("RESULT ") :])
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.endswith("_errors")) + raw["timeouts"]
    ok = raw["requests"] - raw["status_errors"]
    return {
        "concurrency": concurrency,
        "requests": raw["requests"],
        "errors": errors,
        "throughput": ok / seconds_run,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "seconds": seconds_run,
        "raw": raw,
    }


def bench_server(
    name: str, kind: str, args: argparse.Namespace, work: Path, expected: dict[str, str]
) -> dict[str, Any]:
    port = free_port()
    spec = server_spec(name, kind, port, work, args.limelight_workers)
    bodies = work / f"bodies-{spec.bodies}.jsonl"
    lines = bodies.read_text(encoding="utf-8").splitlines()
    log = work / f"{name}-{kind}.log"
    server = Running(spec, kind, port, work, log)
    try:
        startup = server.wait_ready(lines[0].encode())
        sentences = list(expected)
        agree = 0
        for line, sentence in zip(lines[:20], sentences[:20], strict=True):
            response = httpx.post(server.url, content=line.encode(), headers=JSON, timeout=30)
            agree += label_of(name, response.json()) == expected[sentence] if name != "echo" else 1
        # warm up (discarded): one pass over the request bodies, or args.warmup seconds
        wrk(server.url, bodies, 16, args.warmup, len(lines))
        points = []
        for concurrency in args.concurrency:
            point = wrk(server.url, bodies, concurrency, args.seconds, args.max_requests)
            console.print(
                f"  {name:<10} {kind:<7} c={concurrency:<3} {point['throughput']:8.1f} req/s  "
                f"p50 {point['p50_ms']:7.2f} ms  p99 {point['p99_ms']:7.2f} ms  "
                f"errors {point['errors']}"
            )
            points.append(point)
        return {"startup_s": startup, "agree_of_20": agree, "points": points}
    except Exception as exc:  # one server failing must not lose the others' results
        console.print(f"  [red]{name} {kind} failed:[/] {exc}")
        return {"error": str(exc)[-2000:]}
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["tfidf", "minilm"], choices=list(MODELS))
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=SERVERS)
    parser.add_argument("--concurrency", nargs="+", type=int, default=[1, 16, 64])
    parser.add_argument("--seconds", type=float, default=6.0, help="per load point")
    parser.add_argument("--warmup", type=float, default=8.0, help="most seconds of warm-up")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per load point")
    parser.add_argument("--limelight-workers", type=int, default=1)
    parser.add_argument("--work", type=Path, default=HERE / "envs" / "work")
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", default="serving", help="results file stem")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        console.print("error: wrk is missing: apt-get install wrk")
        return 2
    missing = [s for s in args.servers if s != "limelight" and s != "fastapi"]
    missing = [s for s in missing if not env_python(s).exists()]
    if missing:
        console.print(f"error: no virtualenv for {missing}: run benchmarks/serving/setup_envs.sh")
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    console.print("preparing models and request bodies")
    sentences = prepare(args.work, args.data_dir, args.models)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": os.getloadavg(),
        },
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "models": {},
    }
    console.print("HTTP floor (echo)")
    results["floor"] = bench_server("echo", "tfidf", args, args.work, {s: "" for s in sentences})
    for kind in args.models:
        console.print(f"model {kind}: offline numbers")
        offline = offline_numbers(home(args.work, kind), MODELS[kind][0], sentences)
        expected = dict(zip(sentences, offline.pop("labels"), strict=True))
        entry: dict[str, Any] = {"offline": offline, "servers": {}}
        for name in args.servers:
            entry["servers"][name] = bench_server(name, kind, args, args.work, expected)
        results["models"][kind] = entry
    results["machine"]["load_average_at_end"] = os.getloadavg()
    results["total_seconds"] = time.monotonic() - started
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_reports(results, RESULTS / args.out)
    console.print(f"wrote {RESULTS / args.out}.json/.png/.md in {results['total_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
