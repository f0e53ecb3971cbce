"""`limelight keys`, `limelight audit`, audited CLI alias moves and deletions, serve's refusal."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from limelight.cli import main
from limelight.registry import Registry
from limelight.registry.audit import AuditLog
from limelight.registry.keys import KeyStore
from tests.conftest import train_tiny


def run(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_keys_create_list_revoke_and_audit(
    capsys: pytest.CaptureFixture[str], home: Path, registry: Registry
) -> None:
    code, out, err = run(
        capsys,
        home,
        "keys", "create", "--name", "mobile-app",
        "--scopes", "predict:review-sentiment,predict:movie-*",
        "--expires", "30d", "--rate", "50/s", "--burst", "100", "--quota", "100000/day",
    )  # fmt: skip
    assert code == 0, err
    secret = out.strip()
    assert re.fullmatch(r"ll_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", secret)  # the key alone on stdout
    assert out == secret + "\n"
    assert "shown this once" in err
    store = KeyStore(registry.database_url)
    key = store.authenticate(secret)
    assert key.scopes == ("predict:review-sentiment", "predict:movie-*")
    assert (key.rate, key.burst, key.quota) == (50.0, 100, 100000)
    assert key.expires_at is not None

    code, out, _ = run(capsys, home, "keys", "list", "--json")
    listed = json.loads(out)
    assert [k["name"] for k in listed] == ["mobile-app"] and secret not in out

    code, out, err = run(
        capsys, home, "keys", "create", "--name", "mobile-app", "--scopes", "admin"
    )
    assert code == 2 and out == "" and err.startswith("error: an active key is already named")
    code, _, err = run(capsys, home, "keys", "create", "--name", "x", "--scopes", "root")
    assert code == 2 and err.startswith("error: unknown scope 'root'") and err.count("\n") == 1
    code, _, err = run(
        capsys, home, "keys", "create", "--name", "x", "--scopes", "train", "--rate", "fast"
    )
    assert code == 2 and "rate 'fast'" in err

    code, _, err = run(capsys, home, "keys", "revoke", key.key_id)
    assert code == 0 and "revoked" in err
    with pytest.raises(Exception, match="revoked"):
        store.authenticate(secret)
    code, out, _ = run(capsys, home, "keys", "list", "--all", "--json")
    assert json.loads(out)[0]["status"] == "revoked"

    code, out, _ = run(capsys, home, "audit", "--json")
    events = [json.loads(line) for line in out.splitlines()]
    assert [e["action"] for e in events] == ["key.revoke", "key.create"]
    assert all(e["actor"] == "cli" for e in events)


def test_cli_alias_moves_and_deletions_are_audited(
    capsys: pytest.CaptureFixture[str], home: Path, registry: Registry
) -> None:
    train_tiny(registry)
    train_tiny(registry)
    assert run(capsys, home, "models", "promote", "review-sentiment", "2")[0] == 0
    assert run(capsys, home, "models", "delete", "review-sentiment/versions/1", "--yes")[0] == 0
    assert run(capsys, home, "models", "delete", "review-sentiment", "--yes")[0] == 0
    events = AuditLog(registry.database_url).list()
    assert [(e.action, e.target, e.actor) for e in events] == [
        ("model.delete", "review-sentiment", "cli"),
        ("version.delete", "review-sentiment/versions/1", "cli"),
        ("alias.set", "review-sentiment@production", "cli"),
    ]
    assert events[-1].detail == {"from": None, "to": 2}
    code, out, _ = run(capsys, home, "audit", "--action", "alias.set")
    assert code == 0 and "review-sentiment@production" in out and "by cli" in out


def test_serve_refuses_a_public_address_without_keys(
    capsys: pytest.CaptureFixture[str], home: Path, registry: Registry
) -> None:
    code, _, err = run(capsys, home, "serve", "--host", "0.0.0.0", "--port", "1")
    assert code == 2
    assert err.startswith("error: refusing to serve on 0.0.0.0 with no API key configured")


def test_demo_creates_and_prints_a_key(
    capsys: pytest.CaptureFixture[str], home: Path, registry: Registry
) -> None:
    keys = []
    for _ in range(2):
        code, out, err = run(capsys, home, "demo", "--no-serve", "--algorithm", "tfidf-logreg")
        assert code == 0, err
        found = re.search(r"demo API key \(admin; [^)]*\): (ll_\S+)", out)
        assert found, out
        keys.append(found.group(1))
    store = KeyStore(registry.database_url)
    assert store.authenticate(keys[1]).scopes == ("admin",)
    with pytest.raises(Exception, match="revoked"):
        store.authenticate(keys[0])  # a rerun replaces the demo key
