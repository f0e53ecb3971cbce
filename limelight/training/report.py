"""The training report: one self-contained HTML page per version (plots embedded as PNG).

Classification: confusion matrix, ROC and precision-recall curves, calibration. Regression:
predicted vs actual and residuals. Both: feature importance, the leaderboard of candidates,
test metrics and the cleaning report.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np

from limelight.tasks.base import Evaluation
from limelight.training import plots

REPORT_FILE = "report.html"

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:1100px;color:#1f2328;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
.sub{color:#57606a;margin-top:0}.grid{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem;background:#fff}
img{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.kpi{display:flex;gap:1rem;flex-wrap:wrap}.kpi div{border:1px solid #d0d7de;border-radius:6px;
padding:.5rem 1rem;min-width:7rem}.kpi b{display:block;font-size:1.3rem}
.warn{color:#9a6700}code{font-size:.85rem}
"""

HEADLINE = ("accuracy", "f1_macro", "roc_auc", "log_loss", "rmse", "mae", "r2")


def render_report(
    name: str,
    task: str,
    algorithm: str,
    manifest: dict[str, Any],
    evaluation: Evaluation | None,
) -> str:
    metrics = manifest.get("metrics", {})
    data = manifest.get("data", {})
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(name)} — training report</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(name)} <span class='sub'>· {_e(task)} · {_e(algorithm)}</span></h1>",
        f"<p class='sub'>trained {_e(manifest.get('created_at', ''))} on "
        f"{_e(data.get('rows', '?'))} rows ({_e(data.get('source', ''))}), "
        f"seed {_e(manifest.get('seed', ''))}, {_e(manifest.get('training_seconds', '?'))} s</p>",
        _kpis(metrics),
    ]
    if evaluation is not None:
        parts.append(_plots(evaluation, metrics))
    parts.append(_leaderboard(manifest))
    parts.append(_metrics_table(metrics))
    parts.append(_cleaning(data))
    parts.append(
        "<h2>Parameters</h2><pre><code>"
        + _e(json.dumps(manifest.get("params", {}), indent=2, default=str))
        + "</code></pre></body></html>"
    )
    return "\n".join(parts)


def _e(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if value is None:
        return "—"
    return str(value)


def _img(b64: str, alt: str) -> str:
    return f"<div class='card'><img alt='{_e(alt)}' src='data:image/png;base64,{b64}'></div>"


def _kpis(metrics: dict[str, Any]) -> str:
    cells = [
        f"<div>{_e(k)}<b>{_fmt(metrics[k])}</b></div>"
        for k in HEADLINE
        if isinstance(metrics.get(k), int | float)
    ]
    return "<h2>Test metrics</h2><div class='kpi'>" + "".join(cells) + "</div>"


def _plots(ev: Evaluation, metrics: dict[str, Any]) -> str:
    images: list[str] = []
    if ev.kind == "classification" and ev.labels is not None:
        y = np.asarray(ev.y_true).astype(str)
        proba = np.asarray(ev.proba, dtype=np.float64)
        cm = metrics.get("confusion_matrix")
        if cm:
            images.append(_img(plots.confusion_matrix(cm["matrix"], cm["labels"]), "confusion"))
        images.append(_img(plots.roc_curves(y, proba, ev.labels), "ROC curve"))
        images.append(_img(plots.pr_curves(y, proba, ev.labels), "precision-recall curve"))
        images.append(_img(plots.calibration(y, proba, ev.labels), "calibration curve"))
    elif ev.kind == "regression":
        y = np.asarray(ev.y_true, dtype=np.float64)
        pred = np.asarray(ev.y_pred, dtype=np.float64)
        images.append(_img(plots.predicted_vs_actual(y, pred), "predicted vs actual"))
        images.append(_img(plots.residuals(y, pred), "residuals"))
    out = "<h2>Evaluation on the test split</h2><div class='grid'>" + "".join(images) + "</div>"
    if ev.importance:
        out += "<h2>Feature importance</h2>"
        out += f"<p class='sub'>{_e(ev.importance_method)}</p>"
        out += _img(plots.importance(ev.importance, "Feature importance"), "feature importance")
    return out


def _score(row: dict[str, Any]) -> Any:
    return row.get("validation_score", row.get("validation_f1_macro"))


def _leaderboard(manifest: dict[str, Any]) -> str:
    rows = manifest.get("leaderboard") or []
    if not rows:
        return ""
    selection = manifest.get("selection", {})
    metric = str(selection.get("metric", "validation score")).removeprefix("validation_")
    normalized = [{**r, "validation_score": _score(r)} for r in rows]
    head = (
        "<h2>Leaderboard</h2><p class='sub'>"
        f"search: {_e(selection.get('search', 'defaults only'))}; budget "
        f"{_e(selection.get('budget') or '—')}; {_e(selection.get('trials', len(rows)))} trials, "
        f"{_e(selection.get('pruned', 0))} pruned; chosen on validation {_e(metric)}, "
        "then refitted on train + validation</p>"
    )
    table = [
        "<table><tr><th>algorithm</th><th>validation</th><th>fit s</th><th>trials</th>"
        "<th>pruned</th><th>best params</th></tr>"
    ]
    for r in normalized:
        params = ", ".join(f"{k}={_fmt(v)}" for k, v in (r.get("params") or {}).items())
        table.append(
            f"<tr><td>{_e(r['algorithm'])}</td><td class='num'>{_fmt(r['validation_score'])}</td>"
            f"<td class='num'>{_fmt(r.get('fit_seconds'))}</td>"
            f"<td class='num'>{_e(r.get('trials', 1))}</td>"
            f"<td class='num'>{_e(r.get('pruned', 0))}</td><td><code>{_e(params)}</code></td></tr>"
        )
    table.append("</table>")
    chart = ""
    if sum(1 for r in normalized if isinstance(r["validation_score"], int | float)) > 1:
        chart = _img(plots.leaderboard(normalized, metric), "leaderboard")
    return head + "".join(table) + chart


def _metrics_table(metrics: dict[str, Any]) -> str:
    rows = [
        f"<tr><td>{_e(k)}</td><td class='num'>{_fmt(v)}</td></tr>"
        for k, v in metrics.items()
        if isinstance(v, int | float)
    ]
    out = "<h2>All test metrics</h2><table>" + "".join(rows) + "</table>"
    per_class = metrics.get("per_class")
    if per_class:
        out += "<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th>"
        out += "<th>support</th></tr>"
        for label, r in per_class.items():
            out += (
                f"<tr><td>{_e(label)}</td><td class='num'>{_fmt(r['precision'])}</td>"
                f"<td class='num'>{_fmt(r['recall'])}</td><td class='num'>{_fmt(r['f1'])}</td>"
                f"<td class='num'>{_e(r['support'])}</td></tr>"
            )
        out += "</table>"
    return out


def _cleaning(data: dict[str, Any]) -> str:
    cleaning = data.get("cleaning") or {}
    if not cleaning:
        return ""
    out = ["<h2>Cleaning report</h2><table>"]
    for key, value in cleaning.items():
        if key == "warnings":
            continue
        if isinstance(value, dict):
            shown = ", ".join(f"{k}: {v}" for k, v in value.items()) or "—"
        else:
            shown = str(value)
        out.append(f"<tr><td>{_e(key.replace('_', ' '))}</td><td>{_e(shown)}</td></tr>")
    out.append("</table>")
    for warning in cleaning.get("warnings", []):
        out.append(f"<p class='warn'>⚠ {_e(warning)}</p>")
    split = data.get("split")
    if split:
        out.append(f"<p class='sub'>split: {_e(json.dumps(split))}</p>")
    return "".join(out)
