"""Tenant claims of live sessions in batches (the server's database thread), against a
real database (SQLite file; PostgreSQL when configured): the same rules as one claim."""

from __future__ import annotations

import pytest

from srs.storage import Database, Repository
from srs.storage.catalog import Catalog, CatalogError, TenantRules
from srs.storage.examples import example_snapshot
from srs.storage.models import RecordingAnnotation


def _tenants(db: Database, *ids: str) -> list[str | None]:
    with db.session() as session:
        rows = [session.get(RecordingAnnotation, rid) for rid in ids]
    return [row.tenant_id if row is not None else None for row in rows]


def test_claim_many_fills_missing_and_replaces_on_explicit(
    database: Database, repo: Repository
) -> None:
    catalog = Catalog(database, TenantRules(sources={"127.0.0.1": "lab"}))
    derived, named, kept = (example_snapshot(rid) for rid in ("d1", "n1", "k1"))
    named["facts"]["tenant"] = "acme"
    repo.upsert_sessions([derived, named, kept])
    # k1 already has a tenant and people's notes: a derived claim keeps both
    with database.writing() as session:
        session.add(RecordingAnnotation(recording_id="k1", tenant_id="globex", notes="vip"))

    assert catalog.claim_many([derived, named, kept]) == ["d1", "n1", "k1"]
    assert _tenants(database, "d1", "n1", "k1") == ["lab", "acme", "globex"]

    kept["facts"]["tenant"] = "initech"  # a later metadata version names the tenant
    derived["facts"]["tenant"] = ""  # an empty tenant fact is not explicit
    catalog.claim_many([kept, derived, named])
    assert _tenants(database, "d1", "n1", "k1") == ["lab", "acme", "initech"]
    with database.session() as session:
        row = session.get(RecordingAnnotation, "k1")
        assert row is not None and row.notes == "vip"


def test_claim_many_rejects_a_snapshot_without_id_and_writes_nothing(
    database: Database,
) -> None:
    catalog = Catalog(database)
    good = example_snapshot("g1")
    with pytest.raises(CatalogError, match=r"^snapshot.recording_id: must be a non-empty string$"):
        catalog.claim_many([good, {"recording_id": ""}])
    assert _tenants(database, "g1") == [None]


def test_claim_returns_the_stored_tenant(database: Database, repo: Repository) -> None:
    catalog = Catalog(database, TenantRules(default="house"))
    snapshot = example_snapshot("c1")
    repo.upsert_session(snapshot)
    assert catalog.claim(snapshot) == "house"
    snapshot["facts"]["tenant"] = "acme"
    assert catalog.claim(snapshot) == "acme"
    del snapshot["facts"]["tenant"]
    assert catalog.claim(snapshot) == "acme"
