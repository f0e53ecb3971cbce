"""Rich tables for the CLI."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from limelight.registry import ModelSummary, ModelVersion

out = Console()
err = Console(stderr=True)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def metrics_table(metrics: dict[str, Any], title: str = "test metrics") -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    table.add_column("value", justify="right")
    first = (
        "accuracy",
        "precision_macro",
        "recall_macro",
        "f1_macro",
        "roc_auc",
        "log_loss",
        "rmse",
        "mae",
        "r2",
    )
    keys = [k for k in first if k in metrics]
    keys += [k for k, v in metrics.items() if isinstance(v, int | float) and k not in keys]
    for key in keys:
        table.add_row(key, _fmt(metrics[key]))
    return table


def per_class_table(metrics: dict[str, Any]) -> Table | None:
    per_class = metrics.get("per_class")
    if not per_class:
        return None
    table = Table(title="per class (test)", title_justify="left")
    for col in ("label", "precision", "recall", "f1", "support"):
        table.add_column(col, justify="left" if col == "label" else "right")
    for label, row in per_class.items():
        table.add_row(
            label, _fmt(row["precision"]), _fmt(row["recall"]), _fmt(row["f1"]), str(row["support"])
        )
    return table


def confusion_table(metrics: dict[str, Any]) -> Table | None:
    cm = metrics.get("confusion_matrix")
    if not cm:
        return None
    table = Table(title="confusion matrix (rows: true, columns: predicted)", title_justify="left")
    table.add_column("")
    for label in cm["labels"]:
        table.add_column(label, justify="right")
    for label, row in zip(cm["labels"], cm["matrix"], strict=True):
        table.add_row(label, *map(str, row))
    return table


def leaderboard_table(rows: list[dict[str, Any]]) -> Table:
    default = "ndcg@10" if rows and "validation_ndcg@10" in rows[0] else "f1_macro"
    metric = next((r["metric"] for r in rows if r.get("metric")), default)
    searched = any("trials" in r for r in rows)
    score_col = f"validation {metric}"
    table = Table(title="leaderboard (validation)", title_justify="left")
    columns = [
        "algorithm",
        score_col,
        "fit s",
        *(["trials", "pruned"] if searched else []),
        "params",
    ]
    for col in columns:
        table.add_column(col, justify="left" if col in ("algorithm", "params") else "right")
    for row in rows:
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in (row.get("params") or {}).items())
        score = row.get("validation_score", row.get("validation_f1_macro", row.get("score", "")))
        extra = [str(row.get("trials", "")), str(row.get("pruned", ""))] if searched else []
        table.add_row(
            row["algorithm"], _fmt(score), _fmt(row.get("fit_seconds", "")), *extra, params
        )
    return table


def models_table(models: list[ModelSummary]) -> Table:
    table = Table(title="models", title_justify="left")
    for col in ("name", "task", "latest", "aliases", "created"):
        table.add_column(col)
    for m in models:
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted(m.aliases.items()))
        table.add_row(
            m.name, m.task, str(m.latest_version), aliases, m.created_at.strftime("%Y-%m-%d %H:%M")
        )
    return table


def versions_table(versions: list[ModelVersion]) -> Table:
    table = Table(title="versions", title_justify="left")
    regression = any("rmse" in v.manifest.get("metrics", {}) for v in versions)
    keys = ("rmse", "r2") if regression else ("accuracy", "f1_macro")
    for col in ("version", "algorithm", "aliases", *keys, "created"):
        table.add_column(col)
    for v in versions:
        metrics = v.manifest.get("metrics", {})
        table.add_row(
            str(v.version),
            v.algorithm,
            ", ".join(v.aliases),
            *(_fmt(metrics.get(k, "")) for k in keys),
            v.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    return table


def show_version(version: ModelVersion) -> None:
    m = version.manifest
    aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
    out.print(
        f"[bold]{version.name}[/bold] version {version.version}{aliases} — "
        f"{version.task}, {version.algorithm}"
    )
    data = m.get("data", {})
    out.print(
        f"data: {data.get('rows', '?')} rows, "
        f"fingerprint {str(data.get('fingerprint', ''))[:19]}…, "
        f"split {data.get('split', {})}"
    )
    out.print(f"artifact sha256 {version.artifact_sha256}")
    metrics = m.get("metrics", {})
    out.print(metrics_table(metrics))
    for table in (per_class_table(metrics), confusion_table(metrics)):
        if table is not None:
            out.print(table)
    if m.get("leaderboard"):
        out.print(leaderboard_table(m["leaderboard"]))
    selection = m.get("selection", {})
    if selection.get("budget"):
        out.print(
            f"search: {selection.get('search')}, budget {selection['budget']}: "
            f"{selection.get('trials')} trials, {selection.get('pruned')} pruned"
        )
    if m.get("report"):
        out.print(
            f"report: `limelight report {version.name}/versions/{version.version} -o report.html`"
        )
