"""`limelight deploy …`: endpoints from limelight.yaml, or one at a time (the HTTP admin calls'
equivalents). Changes reach running servers within LIMELIGHT_DEPLOYMENT_CACHE_SECONDS."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from limelight.cli.app import app, registry
from limelight.cli.render import err, out
from limelight.deployments import DeploymentStore, EndpointSpec, dump_file, load_file
from limelight.deployments.spec import parse_endpoint
from limelight.errors import InvalidInput
from limelight.registry.audit import AuditLog

deploy_app = typer.Typer(
    help="Deployment endpoints: model refs and canary splits.", no_args_is_help=True
)
app.add_typer(deploy_app, name="deploy")


def _store() -> DeploymentStore:
    return DeploymentStore.for_registry(registry())


def _audit(action: str, target: str, detail: dict[str, object] | None = None) -> None:
    AuditLog(registry().database_url).record(
        actor="cli", action=action, target=target, detail=detail
    )


def _check_targets(spec: EndpointSpec) -> None:
    reg = registry()
    for target in spec.targets:
        reg.resolve(target.model)  # unknown model/alias/version: one error line


@deploy_app.command("apply")
def apply(
    file: Path = typer.Argument(..., help="limelight.yaml"),
    prune: bool = typer.Option(False, "--prune", help="Remove endpoints the file does not name"),
) -> None:
    """Make the deployed endpoints match FILE."""
    specs = load_file(file)
    for spec in specs.values():
        _check_targets(spec)
    store = _store()
    changes = store.apply(specs, prune=prune, actor="cli")
    for name in changes["created"] + changes["updated"]:
        _audit("endpoint.set", name, specs[name].model_dump(exclude_none=True))
    for name in changes["removed"]:
        _audit("endpoint.delete", name)
    for what, names in changes.items():
        for name in names:
            err.print(f"{what} {name}")
    if not any(changes.values()):
        err.print("no changes")


@deploy_app.command("set")
def set_endpoint(
    name: str = typer.Argument(..., help="Endpoint name"),
    model: str | None = typer.Option(None, "--model", "-m", help="Model reference to serve"),
    split: list[str] = typer.Option(
        [], "--split", help="REF=WEIGHT, repeatable: a weighted split (canary)"
    ),
    sticky: str | None = typer.Option(None, "--sticky", help="header:NAME or field:NAME"),
) -> None:
    """Create or replace one endpoint."""
    raw: dict[str, object] = {"sticky": sticky} if sticky else {}
    if model is not None:
        raw["model"] = model
    if split:
        targets = []
        for item in split:
            ref, sep, weight = item.rpartition("=")
            if not sep or not ref:
                raise InvalidInput(f"--split takes REF=WEIGHT, got {item!r}", field="split")
            try:
                targets.append({"model": ref, "weight": float(weight)})
            except ValueError as exc:
                raise InvalidInput(
                    f"--split weight must be a number: {item!r}", field="split"
                ) from exc
        raw["split"] = targets
    spec = parse_endpoint(name, raw)
    _check_targets(spec)
    store = _store()
    created = store.put(name, spec, actor="cli")
    _audit("endpoint.set", name, spec.model_dump(exclude_none=True))
    err.print(f"{'created' if created else 'updated'} endpoint {name}")


@deploy_app.command("list")
def list_endpoints(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List endpoints and their targets."""
    store = _store()
    specs = store.all()
    if as_json:
        print(json.dumps({n: s.model_dump(exclude_none=True) for n, s in specs.items()}))
        return
    if not specs:
        err.print("no endpoints: `limelight deploy set NAME --model REF` or `deploy apply FILE`")
    for name, spec in specs.items():
        total = sum(t.weight for t in spec.targets)
        targets = ", ".join(f"{t.model} {100 * t.weight / total:.0f}%" for t in spec.targets)
        sticky = f"  (sticky {spec.sticky})" if spec.sticky else ""
        out.print(f"{name}: {targets}{sticky}")


@deploy_app.command("export")
def export() -> None:
    """Print the endpoints as limelight.yaml."""
    store = _store()
    print(dump_file(store.all()), end="")


@deploy_app.command("delete")
def delete(name: str = typer.Argument(..., help="Endpoint name")) -> None:
    """Delete an endpoint."""
    store = _store()
    store.delete(name)
    _audit("endpoint.delete", name)
    err.print(f"deleted endpoint {name}")
