"""`limelight models …`: list, show, promote, delete."""

from __future__ import annotations

import json

import typer

from limelight.cli.app import app, registry
from limelight.cli.render import err, models_table, out, show_version, versions_table
from limelight.errors import InvalidInput
from limelight.registry.audit import AuditLog
from limelight.registry.refs import parse_ref

models_app = typer.Typer(help="Registered models, versions and aliases.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@models_app.command("list")
def list_models(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List models with their latest version and aliases."""
    models = registry().list_models()
    if as_json:
        print(
            json.dumps(
                [
                    {
                        "name": m.name,
                        "task": m.task,
                        "latest_version": m.latest_version,
                        "aliases": m.aliases,
                    }
                    for m in models
                ]
            )
        )
        return
    if not models:
        err.print("no models yet: train one with `limelight train` or run `limelight demo`")
        return
    out.print(models_table(models))


@models_app.command("show")
def show(
    ref: str = typer.Argument(..., help="name, name@alias or name/versions/N"),
    as_json: bool = typer.Option(False, "--json", help="Print the full manifest as JSON."),
) -> None:
    """Show a version's manifest: metrics, leaderboard, data, and every version of the model."""
    reg = registry()
    version = reg.resolve(ref)
    if as_json:
        print(
            json.dumps(
                {**version.manifest, "aliases": list(version.aliases)}, indent=2, default=str
            )
        )
        return
    show_version(version)
    out.print(versions_table(reg.list_versions(version.name)))


@models_app.command("promote")
def promote(
    name: str = typer.Argument(..., help="Model name"),
    version: int = typer.Argument(..., help="Version number to point the alias at"),
    alias: str = typer.Option("production", "--alias", "-a", help="Alias to move"),
) -> None:
    """Point an alias (default production) at a version: promotion and rollback."""
    if version < 1:
        raise InvalidInput("the version must be a positive integer", field="version")
    reg = registry()
    previous = reg.set_alias(name, alias, version, actor="cli")
    AuditLog(reg.database_url).record(
        actor="cli",
        action="alias.set",
        target=f"{name}@{alias}",
        detail={"from": previous, "to": version},
    )
    moved = f"from version {previous} " if previous is not None else ""
    err.print(f"{name}@{alias} moved {moved}to version {version}")


@models_app.command("history")
def history(name: str = typer.Argument(..., help="Model name")) -> None:
    """Every alias move of a model, oldest first."""
    for event in registry().alias_history(name):
        out.print(
            f"{event.at:%Y-%m-%d %H:%M:%S}  {event.alias}: {event.from_version} -> "
            f"{event.to_version}  ({event.actor or '-'})"
        )


@models_app.command("delete")
def delete(
    ref: str = typer.Argument(..., help="name (the whole model) or name/versions/N"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete a version (refused while an alias points at it) or a whole model."""
    parsed = parse_ref(ref)
    if parsed.alias is not None:
        raise InvalidInput("delete takes a name or name/versions/N, not an alias", field="ref")
    reg = registry()
    if parsed.version is not None:  # fail on a missing model or version before asking
        reg.resolve(ref)
    else:
        reg.list_versions(parsed.name)
    if not yes:
        typer.confirm(f"delete {ref}?", abort=True, err=True)
    audit = AuditLog(reg.database_url)
    if parsed.version is not None:
        reg.delete_version(parsed.name, parsed.version)
        audit.record(actor="cli", action="version.delete", target=ref)
    else:
        reg.delete_model(parsed.name)
        audit.record(actor="cli", action="model.delete", target=parsed.name)
    err.print(f"deleted {ref}")
