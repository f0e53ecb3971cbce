"""Results of a serving benchmark run: JSON, a PNG plot (throughput vs p99 per server per
concurrency) and a Markdown table with the goal ratios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LABELS = {
    "limelight": "Limelight",
    "fastapi": "FastAPI (hand-rolled)",
    "litserve": "LitServe",
    "bentoml": "BentoML",
    "mlserver": "MLServer",
    "ray": "Ray Serve",
    "echo": "HTTP floor (echo)",
}


def _point(entry: dict[str, Any], concurrency: int) -> dict[str, Any] | None:
    return next((p for p in entry.get("points", []) if p["concurrency"] == concurrency), None)


def goals(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    floor = _point(results.get("floor", {}), 64)
    for kind, entry in results["models"].items():
        servers = entry["servers"]
        ours = _point(servers.get("limelight", {}), 64)
        ours_c1 = _point(servers.get("limelight", {}), 1)
        others = {n: _point(s, 64) for n, s in servers.items() if n != "limelight"}
        others = {n: p for n, p in others.items() if p is not None}
        g: dict[str, Any] = {}
        if ours and others:
            best = max(others, key=lambda n: others[n]["throughput"])
            g["best_alternative_c64"] = best
            g["throughput_ratio_c64"] = ours["throughput"] / others[best]["throughput"]
            g["p99_ms_limelight_c64"] = ours["p99_ms"]
            g["p99_ms_best_alternative_c64"] = others[best]["p99_ms"]
            g["goal_2x_met"] = (
                g["throughput_ratio_c64"] >= 2 and ours["p99_ms"] <= others[best]["p99_ms"]
            )
        if ours:
            g["offline_best_throughput"] = entry["offline"]["best_throughput"]
            g["served_over_offline"] = ours["throughput"] / entry["offline"]["best_throughput"]
            if floor:
                g["served_over_http_floor"] = ours["throughput"] / floor["throughput"]
        if ours_c1:
            g["c1_p50_overhead_ms"] = ours_c1["p50_ms"] - entry["offline"]["direct_call_p50_ms"]
        out[kind] = g
    return out


def markdown(results: dict[str, Any], ratios: dict[str, dict[str, Any]]) -> str:
    lines = []
    floor = results.get("floor", {})
    for kind, entry in results["models"].items():
        off = entry["offline"]
        lines.append(
            f"**{kind}** — offline in process: {off['best_throughput']:.0f} predictions/s at batch "
            f"{off['best_batch_size']}; one direct call p50 {off['direct_call_p50_ms']:.2f} ms"
        )
        lines.append("")
        lines.append(
            "| server | c=1 req/s | c=1 p50 ms | c=16 req/s | c=16 p99 ms | c=64 req/s "
            "| c=64 p50 ms | c=64 p99 ms | errors |"
        )
        lines.append("|---|---|---|---|---|---|---|---|---|")
        rows = [("echo", floor), *entry["servers"].items()]
        for name, server in rows:
            if "error" in server:
                lines.append(f"| {LABELS[name]} | failed: {server['error'][:80]} |||||||")
                continue
            c1, c16, c64 = (_point(server, c) for c in (1, 16, 64))
            errors = sum(p["errors"] for p in server.get("points", []))

            def f(p: dict[str, Any] | None, key: str, digits: int = 0) -> str:
                return "–" if p is None else f"{p[key]:.{digits}f}"

            lines.append(
                f"| {LABELS[name]} | {f(c1, 'throughput')} | {f(c1, 'p50_ms', 2)} | "
                f"{f(c16, 'throughput')} | {f(c16, 'p99_ms', 1)} | {f(c64, 'throughput')} | "
                f"{f(c64, 'p50_ms', 1)} | {f(c64, 'p99_ms', 1)} | {errors} |"
            )
        g = ratios.get(kind, {})
        if g:
            parts = []
            if "throughput_ratio_c64" in g:
                parts.append(
                    f"c=64 throughput {g['throughput_ratio_c64']:.2f}x the best alternative "
                    f"({LABELS[g['best_alternative_c64']]}), "
                    f"p99 {g['p99_ms_limelight_c64']:.1f} vs "
                    f"{g['p99_ms_best_alternative_c64']:.1f} ms"
                )
            if kind == "minilm" and "served_over_offline" in g:
                parts.append(f"served/offline {100 * g['served_over_offline']:.0f} %")
            if kind == "tfidf" and "served_over_http_floor" in g:
                parts.append(f"served/HTTP floor {100 * g['served_over_http_floor']:.0f} %")
            if "c1_p50_overhead_ms" in g:
                parts.append(
                    f"c=1 p50 overhead over a direct call {g['c1_p50_overhead_ms']:.2f} ms"
                )
            lines.append("")
            lines.append("Goals: " + "; ".join(parts) + ".")
        lines.append("")
    return "\n".join(lines)


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = list(results["models"])
    fig, axes = plt.subplots(1, len(kinds), figsize=(7 * len(kinds), 5.5), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=True):
        servers = {"echo": results.get("floor", {}), **results["models"][kind]["servers"]}
        for name, server in servers.items():
            # a point with no answer at all has no latency to place on a log axis
            points = [
                p for p in server.get("points", []) if p["throughput"] > 0 and p["p99_ms"] > 0
            ]
            if not points:
                continue
            xs = [p["p99_ms"] for p in points]
            ys = [p["throughput"] for p in points]
            style = (
                {"linewidth": 3}
                if name == "limelight"
                else {"linestyle": "--"}
                if name == "echo"
                else {}
            )
            ax.plot(xs, ys, marker="o", label=LABELS[name], **style)
            for p in points:
                ax.annotate(
                    f"c={p['concurrency']}",
                    (p["p99_ms"], p["throughput"]),
                    fontsize=7,
                    textcoords="offset points",
                    xytext=(4, 3),
                )
        offline = results["models"][kind]["offline"]["best_throughput"]
        ax.axhline(offline, color="grey", linewidth=1, linestyle=":")
        ax.annotate(
            "offline batch throughput",
            (1, offline),
            xycoords=("axes fraction", "data"),
            ha="right",
            va="bottom",
            fontsize=8,
            color="grey",
        )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("p99 latency (ms, log)")
        ax.set_ylabel("throughput (requests/s, log)")
        ax.set_title(f"{kind}: throughput vs p99 at concurrency 1 / 16 / 64")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(
        f"Serving on {results['machine']['cpus']} cores (127.0.0.1, wrk closed loop) — "
        f"{results['started_at']}"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_reports(results: dict[str, Any], stem: Path) -> None:
    ratios = goals(results)
    results["goals"] = ratios
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(results, ratios), encoding="utf-8")
    plot(results, stem.with_suffix(".png"))
