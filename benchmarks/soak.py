"""Soak run: the real `limelight serve` on loopback at ~70 % of its measured capacity for a
bounded time, while the `production` alias is moved every minute (a hot swap each time).

The load comes from wrk (C, so the load generator does not take the server's cores): the
capacity is wrk's closed loop at 16 connections; the soak is paced (``soak.lua``: each of 64
connections waits a jittered interval after every answer), run as back-to-back wrk windows of
``--window`` seconds so latency and errors are reported over time. Reports errors (goal 0),
p50/p99 latency per window, resident memory growth of the server (goal < 10 %), the versions
that answered and the swaps; writes JSON and a PNG plot under benchmarks/results/.

    .venv/bin/python benchmarks/soak.py                      # 10 minutes, swap every 60 s
    .venv/bin/python benchmarks/soak.py --duration 120 --swap-every 20   # a quick run

Loopback only; every phase is bounded in time. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from limelight.demo.data import reviews  # noqa: E402
from limelight.registry import Registry  # noqa: E402
from limelight.settings import Settings  # noqa: E402
from limelight.training import train  # noqa: E402
from tests.conftest import start_server  # noqa: E402

PATH = "/v1/models/review-sentiment/predict"
LUA = Path(__file__).resolve().parent / "soak.lua"
CONNECTIONS = 64  # paced connections during the soak


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wrk(url: str, seconds: float, connections: int, pace_ms: float) -> dict[str, Any]:
    """One wrk run of ``seconds`` against the predict route; its RESULT line as a dict."""
    cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s"]
    cmd += ["-s", str(LUA), url + PATH]
    env = {**os.environ, "SOAK_PACE_MS": f"{pace_ms:g}"}
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 90)
    line = next((x for x in run.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {run.stdout}\n{run.stderr}")
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def errors_of(point: dict[str, Any]) -> int:
    transport = sum(point[k] for k in ("connect_errors", "read_errors", "write_errors"))
    return int(point["status_errors"] + point["timeouts"] + transport)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="soak seconds (default 600)")
    parser.add_argument("--swap-every", type=float, default=60, help="seconds between alias moves")
    parser.add_argument("--load", type=float, default=0.7, help="fraction of measured capacity")
    parser.add_argument("--calibrate", type=float, default=10, help="capacity measurement seconds")
    parser.add_argument("--concurrency", type=int, default=16, help="connections while calibrating")
    parser.add_argument("--window", type=float, default=30, help="seconds per reported window")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if shutil.which("wrk") is None:
        sys.exit("error: wrk is missing: apt-get install wrk")

    with tempfile.TemporaryDirectory(prefix="limelight-soak-") as tmp:
        home = Path(tmp) / "home"
        registry = Registry.from_settings(Settings(home=home))
        frame = reviews(rows=2000, seed=3)
        columns = {"text": "review", "target": "sentiment"}
        for seed in (1, 2):
            train(
                registry,
                "text-classification",
                frame,
                name="review-sentiment",
                columns=columns,
                algorithm="tfidf-logreg",
                seed=seed,
            )
        registry.set_alias("review-sentiment", "production", 1, actor="soak")
        server = start_server(home, "--grace-seconds", "10")
        pid = server.process.pid
        try:
            print(
                f"server {server.url} pid {pid}; measuring capacity for {args.calibrate:.0f} s",
                flush=True,
            )
            wrk(server.url, 3, args.concurrency, 0)  # warm up
            calibration = wrk(server.url, args.calibrate, args.concurrency, 0)
            capacity = calibration["requests"] / (calibration["duration_us"] / 1e6)
            rate = capacity * args.load
            pace_ms = 1000.0 * CONNECTIONS / rate
            print(
                f"capacity {capacity:.0f} req/s -> soak at {rate:.0f} req/s for "
                f"{args.duration:.0f} s ({CONNECTIONS} connections, {pace_ms:.1f} ms apart)",
                flush=True,
            )

            windows: list[dict[str, Any]] = []
            rss: list[tuple[float, float]] = []
            swaps: list[tuple[float, int]] = []
            stop = threading.Event()
            t0 = time.monotonic()

            def background() -> None:
                next_swap, target = args.swap_every, 2
                while not stop.wait(1.0):
                    elapsed = time.monotonic() - t0
                    rss.append((elapsed, rss_mb(pid)))
                    if elapsed >= next_swap:
                        registry.set_alias("review-sentiment", "production", target, actor="soak")
                        swaps.append((elapsed, target))
                        print(f"{elapsed:6.0f} s  production -> version {target}", flush=True)
                        target = 1 if target == 2 else 2
                        next_swap += args.swap_every

            watcher = threading.Thread(target=background)
            watcher.start()
            try:
                while (started := time.monotonic() - t0) < args.duration - 1:
                    seconds = min(args.window, args.duration - started)
                    point = wrk(server.url, seconds, CONNECTIONS, pace_ms)
                    windows.append(
                        {
                            "start_s": round(started, 1),
                            "seconds": round(point["duration_us"] / 1e6, 2),
                            "requests": point["requests"],
                            "errors": errors_of(point),
                            "statuses": point["statuses"],
                            "p50_ms": point["p50_us"] / 1000,
                            "p99_ms": point["p99_us"] / 1000,
                            "max_ms": point["max_us"] / 1000,
                            "versions": point["versions"],
                        }
                    )
                    print(
                        f"{started:6.0f} s  {point['requests']} requests, "
                        f"{errors_of(point)} errors, p99 {point['p99_us'] / 1000:.1f} ms, "
                        f"versions {point['versions']}",
                        flush=True,
                    )
            finally:
                stop.set()
                watcher.join()
            ran = time.monotonic() - t0
        finally:
            server.process.send_signal(signal.SIGTERM)
            exit_code = server.process.wait(timeout=60)
        registry.close()

    steady = [m for t, m in rss if t >= min(30.0, args.duration / 4)]
    rss_start = steady[0] if steady else float("nan")
    rss_end = statistics.mean(steady[-5:]) if steady else float("nan")
    requests = sum(w["requests"] for w in windows)
    statuses: dict[str, int] = {}
    for w in windows:
        for status, n in w["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    result = {
        "benchmark": "soak",
        "command": "python " + " ".join(sys.argv),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f} at the end)",
        "model": "review-sentiment, TF-IDF + logistic regression (2 versions, 2000 generated reviews)",
        "capacity_rps": round(capacity, 1),
        "target_rps": round(rate, 1),
        "achieved_rps": round(requests / ran, 1),
        "duration_s": round(ran, 1),
        "requests": requests,
        "errors": sum(w["errors"] for w in windows),
        "statuses": statuses,
        "p99_ms_worst_window": max((w["p99_ms"] for w in windows), default=None),
        "p50_ms_median_window": statistics.median(w["p50_ms"] for w in windows)
        if windows
        else None,
        "swaps": [{"at_s": round(t, 1), "to_version": v} for t, v in swaps],
        "rss_mb": {
            "after_warmup": round(rss_start, 1),
            "end": round(rss_end, 1),
            "max": round(max(m for _, m in rss), 1) if rss else None,
            "growth_pct": round(100 * (rss_end - rss_start) / rss_start, 2) if steady else None,
        },
        "server_exit_code": exit_code,
        "windows": windows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"soak-{int(args.duration)}s"
    (args.out / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(result, rss, args.out / f"{stem}.png")
    print(json.dumps({k: v for k, v in result.items() if k != "windows"}, indent=2))


def plot(result: dict, rss: list[tuple[float, float]], path: Path) -> None:  # type: ignore[type-arg]
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot", file=sys.stderr)
        return
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    w = result["windows"]
    top.plot([x["start_s"] for x in w], [x["p99_ms"] for x in w], marker="o", label="p99")
    top.plot([x["start_s"] for x in w], [x["p50_ms"] for x in w], marker=".", label="p50")
    top.set_ylabel("latency per window (ms)")
    top.set_title(
        f"soak at {result['target_rps']:.0f} req/s (70 % of {result['capacity_rps']:.0f}): "
        f"{result['requests']} requests, {result['errors']} errors"
    )
    top.legend()
    bottom.plot([t for t, _ in rss], [m for _, m in rss], color="tab:green")
    bottom.set_ylabel("server RSS (MB)")
    bottom.set_xlabel("seconds")
    for ax in (top, bottom):
        for swap in result["swaps"]:
            ax.axvline(swap["at_s"], color="grey", linestyle=":", linewidth=1)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
