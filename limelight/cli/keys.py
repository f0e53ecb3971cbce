"""`limelight keys create | list | revoke` and `limelight audit`."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from limelight.cli.app import app, settings
from limelight.cli.render import err, out
from limelight.registry.audit import ACTIONS, AuditLog
from limelight.registry.keys import KeyStore, parse_duration, parse_quota, parse_rate

keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def key_store() -> KeyStore:
    return KeyStore(settings().resolved_database_url)


def audit_log() -> AuditLog:
    return AuditLog(settings().resolved_database_url)


@keys_app.command("create")
def create(
    name: str = typer.Option(..., "--name", "-n", help="Who uses the key, e.g. mobile-app"),
    scopes: str = typer.Option(
        ..., "--scopes", "-s", help='Comma-separated: "predict:<model glob>", train, admin'
    ),
    expires: str | None = typer.Option(None, "--expires", help="Lifetime: 12h, 30d, 2w"),
    rate: str | None = typer.Option(None, "--rate", help="Rate limit: 50/s, 600/min, 1000/h"),
    burst: int | None = typer.Option(None, "--burst", help="Bucket size (default: the rate/s)"),
    quota: str | None = typer.Option(None, "--quota", help="Daily quota: 100000/day"),
) -> None:
    """Create a key. The key alone goes to standard output (shown once: it is stored hashed)."""
    key, secret = key_store().create(
        name,
        scopes,
        expires_in=parse_duration(expires) if expires else None,
        rate=parse_rate(rate) if rate else None,
        burst=burst,
        quota=parse_quota(quota) if quota else None,
        actor="cli",
    )
    err.print(
        f"created key {key.key_id} ({key.name}) with scopes {', '.join(key.scopes)}"
        + (f", expires {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else "")
        + "; it is shown this once:"
    )
    print(secret, flush=True)


@keys_app.command("list")
def list_keys(
    include_revoked: bool = typer.Option(False, "--all", help="Also list revoked keys"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List keys (ids, names, scopes, limits; never the keys themselves)."""
    keys = key_store().list(include_revoked=include_revoked)
    if as_json:
        print(json.dumps([k.to_dict() for k in keys]))
        return
    if not keys:
        err.print(
            "no keys: the server runs open on loopback; create one with `limelight keys create`"
        )
        return
    table = Table()
    for column in ("id", "name", "scopes", "status", "rate/s", "burst", "quota/day", "expires"):
        table.add_column(column)
    for k in keys:
        table.add_row(
            k.key_id,
            k.name,
            " ".join(k.scopes),
            k.status(),
            f"{k.rate:g}" if k.rate is not None else "-",
            str(k.burst or "-"),
            str(k.quota or "-"),
            f"{k.expires_at:%Y-%m-%d %H:%M}" if k.expires_at else "never",
        )
    out.print(table)


@keys_app.command("revoke")
def revoke(key: str = typer.Argument(..., help="Key name or key id")) -> None:
    """Revoke a key: every server refuses it within a second."""
    revoked = key_store().revoke(key, actor="cli")
    err.print(f"revoked key {revoked.key_id} ({revoked.name})")


@app.command()
def audit(
    limit: int = typer.Option(50, "--limit", min=1, help="How many events"),
    action: str | None = typer.Option(None, "--action", help=f"Only one of {', '.join(ACTIONS)}"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """The audit log of admin actions, newest first."""
    if action is not None and action not in ACTIONS:
        raise typer.BadParameter(f"--action must be one of {', '.join(ACTIONS)}")
    events = audit_log().list(limit=limit, action=action)
    for event in events:
        if as_json:
            print(json.dumps(event.to_dict()))
        else:
            out.print(
                f"{event.at:%Y-%m-%d %H:%M:%S}  {event.action:<15} {event.target}  "
                f"by {event.actor}" + (f" ({event.key_id})" if event.key_id else ""),
                highlight=False,
            )
    if not events and not as_json:
        err.print("no audit events yet")
