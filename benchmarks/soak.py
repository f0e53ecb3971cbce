"""Soak run: the real `limelight serve` on loopback at ~70 % of its measured capacity for a
bounded time, while the `production` alias is moved every minute (a hot swap each time).

Reports errors (goal 0), p50/p99 latency per window, resident memory growth of the server
(goal < 10 %), and the swaps; writes JSON and a PNG plot under benchmarks/results/.

    .venv/bin/python benchmarks/soak.py                      # 10 minutes, swap every 60 s
    .venv/bin/python benchmarks/soak.py --duration 120 --swap-every 20   # a quick run

Loopback only; every phase is bounded in time. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from limelight.demo.data import reviews  # noqa: E402
from limelight.registry import Registry  # noqa: E402
from limelight.settings import Settings  # noqa: E402
from limelight.training import train  # noqa: E402
from tests.conftest import start_server  # noqa: E402

PATH = "/v1/models/review-sentiment/predict"
TEXTS = [
    "What a wonderful film",
    "A dull, lifeless mess",
    "I loved every minute of it",
    "The plot made no sense and the acting was wooden",
]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def closed_loop(url: str, seconds: float, concurrency: int) -> float:
    """Requests/s with ``concurrency`` clients calling back to back (the capacity)."""
    done = 0
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient, i: int) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            r = await client.post(PATH, json={"text": TEXTS[(done + i) % len(TEXTS)]})
            r.raise_for_status()
            done += 1

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client, i) for i in range(concurrency)))
        return done / (time.monotonic() - started)


async def open_loop(
    url: str, rate: float, seconds: float, records: list[tuple[float, float, int, int | None]]
) -> None:
    """Send ``rate`` requests/s on a fixed schedule for ``seconds`` (at most 256 in flight)."""
    start = time.monotonic()
    gate = asyncio.Semaphore(256)
    tasks: set[asyncio.Task[None]] = set()

    async def one(client: httpx.AsyncClient, n: int) -> None:
        async with gate:
            sent = time.monotonic()
            try:
                r = await client.post(PATH, json={"text": TEXTS[n % len(TEXTS)]})
                status: int | str = r.status_code
                version = r.json().get("version") if status == 200 else None
            except httpx.HTTPError as exc:  # no answer (e.g. a client timeout): named by type
                status, version = type(exc).__name__, None
            records.append((sent - start, time.monotonic() - sent, status, version))

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        n = 0
        while True:
            due = start + n / rate
            now = time.monotonic()
            if due - start >= seconds:
                break
            if due > now:
                await asyncio.sleep(due - now)
            task = asyncio.get_running_loop().create_task(one(client, n))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            n += 1
        await asyncio.gather(*tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600, help="soak seconds (default 600)")
    parser.add_argument("--swap-every", type=float, default=60, help="seconds between alias moves")
    parser.add_argument("--load", type=float, default=0.7, help="fraction of measured capacity")
    parser.add_argument("--calibrate", type=float, default=10, help="capacity measurement seconds")
    parser.add_argument("--concurrency", type=int, default=16, help="clients while calibrating")
    parser.add_argument("--window", type=float, default=30, help="seconds per reported window")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

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
            asyncio.run(closed_loop(server.url, 3, args.concurrency))  # warm up
            capacity = asyncio.run(closed_loop(server.url, args.calibrate, args.concurrency))
            rate = capacity * args.load
            print(
                f"capacity {capacity:.0f} req/s -> soak at {rate:.0f} req/s for {args.duration:.0f} s",
                flush=True,
            )

            records: list[tuple[float, float, int | str, int | None]] = []
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
                asyncio.run(open_loop(server.url, rate, args.duration, records))
            finally:
                stop.set()
                watcher.join()
            ran = time.monotonic() - t0
        finally:
            server.process.send_signal(signal.SIGTERM)
            exit_code = server.process.wait(timeout=60)
        registry.close()

    windows = []
    for start in range(0, int(args.duration), int(args.window)):
        inside = [r for r in records if start <= r[0] < start + args.window]
        ok = [r[1] for r in inside if r[2] == 200]
        windows.append(
            {
                "start_s": start,
                "requests": len(inside),
                "errors": sum(1 for r in inside if r[2] != 200),
                "p50_ms": round(1000 * (percentile(ok, 0.50) or 0), 2),
                "p99_ms": round(1000 * (percentile(ok, 0.99) or 0), 2),
                "versions": sorted({r[3] for r in inside if r[3] is not None}),
            }
        )
    steady = [m for t, m in rss if t >= min(30.0, args.duration / 4)]
    rss_start = steady[0] if steady else float("nan")
    rss_end = statistics.mean(steady[-5:]) if steady else float("nan")
    errors: dict[str, int] = {}
    for r in records:
        if r[2] != 200:
            errors[str(r[2])] = errors.get(str(r[2]), 0) + 1
    latencies = [r[1] for r in records if r[2] == 200]
    result = {
        "benchmark": "soak",
        "command": "python " + " ".join(sys.argv),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, shared with other work (load average {os.getloadavg()[0]:.1f} at the end)",
        "model": "review-sentiment, TF-IDF + logistic regression (2 versions, 2000 generated reviews)",
        "capacity_rps": round(capacity, 1),
        "target_rps": round(rate, 1),
        "achieved_rps": round(len(records) / ran, 1),
        "duration_s": round(ran, 1),
        "requests": len(records),
        "errors": sum(errors.values()),
        "errors_by_status": errors,
        "p50_ms": round(1000 * (percentile(latencies, 0.5) or 0), 2),
        "p99_ms": round(1000 * (percentile(latencies, 0.99) or 0), 2),
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
