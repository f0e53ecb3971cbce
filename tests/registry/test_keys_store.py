"""The key store and the audit log on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from limelight.errors import Conflict, InvalidInput, NotFound, Unauthorized
from limelight.registry.audit import AuditLog
from limelight.registry.keys import KeyStore, hash_key, parse_duration, parse_quota, parse_rate


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    server = request.getfixturevalue("postgres")
    return str(server.create_database(f"keys_{uuid.uuid4().hex[:12]}"))


def test_keys_lifecycle_and_audit(db_url: str) -> None:
    store, audit = KeyStore(db_url), AuditLog(db_url)
    try:
        assert store.any_keys() is False
        key, secret = store.create("mobile-app", "predict:movie-*, predict:review-sentiment")
        assert store.any_keys() is True
        assert secret.startswith(f"ll_{key.key_id}_") and len(secret) == 59
        found = store.authenticate(secret)
        assert found.name == "mobile-app" and found.created_at.tzinfo is not None
        assert found.can_predict("movie-recs") and found.can_predict("review-sentiment")
        assert not found.can_predict("review-sentiment-v2") and not found.can_train()
        with pytest.raises(Conflict):
            store.create("mobile-app", "admin")
        for wrong in (secret[:-1] + ("A" if secret[-1] != "A" else "B"), "ll_x", ""):
            with pytest.raises(Unauthorized):
                store.authenticate(wrong)
        _old, old_secret = store.create("old", "train", expires_in=timedelta(seconds=-1))
        with pytest.raises(Unauthorized, match="expired"):
            store.authenticate(old_secret)
        store.revoke("mobile-app", actor="ops")
        with pytest.raises(Unauthorized, match="revoked"):
            store.authenticate(secret)
        with pytest.raises(NotFound):
            store.revoke("mobile-app")
        assert store.any_keys() is True  # revoking never reopens the server
        again, _ = store.create("mobile-app", "predict:*")  # the name is free again
        assert again.key_id != key.key_id
        assert [k.name for k in store.list(include_revoked=True)] == [
            "mobile-app",
            "old",
            "mobile-app",
        ]
        events = audit.list()
        assert [e.action for e in events] == [
            "key.create",
            "key.revoke",
            "key.create",
            "key.create",
        ]
        assert events[1].actor == "ops" and events[1].at.tzinfo is not None
        assert audit.list(actor="ops", limit=5)[0].target == f"key mobile-app ({key.key_id})"
        assert hash_key(secret) != secret
    finally:
        store.close()
        audit.close()


def test_option_parsing() -> None:
    assert parse_rate("50/s") == 50 and parse_rate("600/min") == 10 and parse_rate("3600/h") == 1
    assert parse_quota("100000/day") == 100000 and parse_quota("7") == 7
    assert parse_duration("30d") == timedelta(days=30) and parse_duration("2w") == timedelta(
        weeks=2
    )
    for bad in ("fast", "0/s", "-1/s", "5/fortnight"):
        with pytest.raises(InvalidInput):
            parse_rate(bad)
    for bad in ("lots", "5/week", "0"):
        with pytest.raises(InvalidInput):
            parse_quota(bad)
    for bad in ("soon", "0d", "1000y", "999999w"):
        with pytest.raises(InvalidInput):
            parse_duration(bad)
