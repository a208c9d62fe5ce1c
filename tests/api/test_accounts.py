"""Secrets at rest, session expiry and the ``srs user`` bootstrap command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from srs.cli import main
from srs.storage import Database
from srs.storage.accounts import Accounts, ApiKey, hash_password, split_api_key, verify_password


def test_password_hash_round_trip() -> None:
    stored = hash_password("correct horse", n=2**4)
    assert stored.startswith("scrypt$16$8$1$")
    assert "correct horse" not in stored
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("x", "bcrypt$whatever")
    assert not verify_password("x", "scrypt$garbage")
    assert not verify_password("x", None)
    assert hash_password("same", n=2**4) != hash_password("same", n=2**4)  # salted


def test_api_key_kept_as_digest_and_revocable(database: Database) -> None:
    accounts = Accounts(database, password_cost=2**4)
    accounts.ensure_tenant("t")
    user = accounts.create_user("bob", "agent", "t")
    assert user.id is not None
    row, key = accounts.create_api_key(user.id, "crm")
    assert split_api_key(key) == (row.key_id, key)
    with database.session() as session:
        stored = session.get(ApiKey, row.id)
        assert stored is not None and key not in stored.digest and row.key_id in key
    identity = accounts.authenticate_api_key(key)
    assert identity is not None and identity.username == "bob"
    assert accounts.revoke_api_key(user.id, row.key_id)
    assert accounts.authenticate_api_key(key) is None
    assert not accounts.revoke_api_key(user.id, row.key_id)


def test_ui_session_expires_and_ends_on_password_change(database: Database) -> None:
    accounts = Accounts(database, password_cost=2**4)
    accounts.ensure_tenant("t")
    user = accounts.create_user("sue", "supervisor", "t", password="password1")
    assert user.id is not None
    assert accounts.check_password("sue", "password1") is not None
    assert accounts.check_password("sue", "password2") is None
    assert accounts.check_password("nobody", "password1") is None
    now = datetime.now(UTC)
    _, token = accounts.create_ui_session(user.id, timedelta(minutes=5), now)
    assert accounts.authenticate_ui_session(token, now + timedelta(minutes=4)) is not None
    assert accounts.authenticate_ui_session(token, now + timedelta(minutes=5)) is None
    _, token = accounts.create_ui_session(user.id, timedelta(hours=1))
    accounts.update_user(user.id, password="password3")
    assert accounts.authenticate_ui_session(token) is None
    assert accounts.check_password("sue", "password3") is not None


def test_user_add_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SRS_STORAGE__DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SRS_CONFIG", raising=False)
    argv = ["user", "add", "--role", "system-admin", "--tenant", "default", "admin"]
    assert main([*argv, "--api-key", "boot"]) == 0
    out = capsys.readouterr().out
    assert "user admin (id 1, system-admin, tenant default) created" in out
    key = out.split("API key (shown once): ")[1].strip()
    assert main(argv) == 1  # exists
    assert "user 'admin' exists" in capsys.readouterr().err
    db = Database(f"sqlite:///{tmp_path}/srs.db")
    try:
        identity = Accounts(db).authenticate_api_key(key)
    finally:
        db.dispose()
    assert identity is not None and identity.role == "system-admin"
