"""The emulator's persistence: a SQLite database (WAL) and one transaction per API operation."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS organizations (
    id            TEXT PRIMARY KEY,
    partner       TEXT NOT NULL,
    name          TEXT NOT NULL,
    sso_kind      TEXT NOT NULL,
    sso_tenant_id TEXT NOT NULL,
    sso_url       TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id              TEXT PRIMARY KEY,
    -- UNIQUE: an organization has at most one (first) user; a second activate is a conflict.
    organization_id TEXT NOT NULL UNIQUE REFERENCES organizations(id),
    email           TEXT NOT NULL,
    given_name      TEXT NOT NULL,
    family_name     TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entitlements (
    id                 TEXT PRIMARY KEY,
    partner            TEXT NOT NULL,
    -- NULL until a signup links it (an entitlement created alone, then referenced by URL).
    organization_id    TEXT REFERENCES organizations(id),
    external_id        TEXT NOT NULL,
    name               TEXT NOT NULL,
    plan_id            TEXT NOT NULL,
    product_id         TEXT NOT NULL,
    usage_reporting_id TEXT,
    resource_id        TEXT,
    created_at         TEXT NOT NULL,
    -- Safe re-runs: one entitlement per external_id and partner.
    UNIQUE (partner, external_id)
);
CREATE TABLE IF NOT EXISTS link_tokens (
    token_hash      TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    created_at      TEXT NOT NULL
);
"""

# A whole signup as ONE statement (an INSTEAD OF trigger on a view), which SQLite runs as one atomic,
# auto-committed transaction: one call into SQLite instead of six, so the handler threads hand the GIL
# around far less. TEMP: it belongs to this connection and is not written into the state file.
_SIGNUP_VIEW = """
CREATE TEMP VIEW IF NOT EXISTS signup_rows (
    org_id, partner, name, sso_kind, tenant_id, sso_url, created_at,
    user_id, email, given_name, family_name,
    entitlement_id, external_id, entitlement_name, plan_id, product_id, usage_reporting_id, resource_id
) AS SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
            NULL, NULL, NULL, NULL, NULL, NULL, NULL;
CREATE TEMP TRIGGER IF NOT EXISTS signup_rows_insert INSTEAD OF INSERT ON signup_rows
BEGIN
    INSERT INTO organizations
        VALUES (NEW.org_id, NEW.partner, NEW.name, NEW.sso_kind, NEW.tenant_id, NEW.sso_url, NEW.created_at);
    INSERT INTO users
        SELECT NEW.user_id, NEW.org_id, NEW.email, NEW.given_name, NEW.family_name, NEW.created_at
        WHERE NEW.user_id IS NOT NULL;
    INSERT INTO entitlements
        VALUES (NEW.entitlement_id, NEW.partner, NEW.org_id, NEW.external_id, NEW.entitlement_name,
                NEW.plan_id, NEW.product_id, NEW.usage_reporting_id, NEW.resource_id, NEW.created_at);
END;
"""
_INSERT_SIGNUP = "INSERT INTO signup_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


class StoreError(Exception):
    """The state file cannot be used (not a SQLite database, a newer schema, unwritable)."""


@dataclass(frozen=True)
class NewOrganization:
    """The organization a signup creates."""

    name: str
    sso_kind: str
    tenant_id: str


@dataclass(frozen=True)
class NewUser:
    """The organization's first user."""

    email: str
    given_name: str
    family_name: str


@dataclass(frozen=True)
class NewEntitlement:
    """Entitlement details given in a request."""

    external_id: str
    name: str
    plan_id: str
    product_id: str
    usage_reporting_id: str | None = None
    resource_id: str | None = None


@dataclass(frozen=True)
class EntitlementLink:
    """A reference to an entitlement created before, by its id (taken from its `related` URL)."""

    entitlement_id: str
    pointer: str = "/entitlement/related"


@dataclass(frozen=True)
class Created:
    """The operation succeeded (and was committed unless it was a dry run)."""

    organization_id: str
    sso_url: str
    entitlement_id: str | None = None


@dataclass(frozen=True)
class Conflict:
    """The operation conflicts with the state; nothing was created."""

    detail: str
    entitlement_id: str | None = None


@dataclass(frozen=True)
class Rejected:
    """The request names something that does not exist; nothing was created."""

    pointer: str
    detail: str


Outcome = Created | Conflict | Rejected


@dataclass(frozen=True)
class EntitlementRecord:
    """One stored entitlement, with its organization when linked."""

    id: str
    partner: str
    organization_id: str | None
    external_id: str
    name: str
    plan_id: str
    product_id: str
    usage_reporting_id: str | None
    resource_id: str | None
    created_at: str


@dataclass(frozen=True)
class OrganizationRecord:
    """One stored organization."""

    id: str
    partner: str
    name: str
    sso_kind: str
    sso_tenant_id: str
    sso_url: str
    created_at: str


_ORGANIZATION_FIELDS = "id, partner, name, sso_kind, sso_tenant_id, sso_url, created_at"
_ENTITLEMENT_FIELDS = (
    "id, partner, organization_id, external_id, name, plan_id, product_id, usage_reporting_id, resource_id,"
    " created_at"
)

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list; `last` is the position to continue after, None when this is the last page."""

    records: list[T]
    total: int
    last: int | None


def now_iso() -> str:
    """The current UTC time as RFC 3339 with milliseconds (without datetime: this runs per request)."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def sso_url_for(organization_id: str) -> str:
    """The login URL of an organization: derived from its id, so it is stable and unique."""
    return f"https://confluent.cloud/login/sso/AzureAD-OIDC-{organization_id}"


def quoted(value: str, limit: int = 64) -> str:
    """A client-supplied value for an error detail, cut short so a huge value stays readable."""
    return f"'{value}'" if len(value) <= limit else f"'{value[:limit]}...'"


class Store:
    """SQLite state behind one connection; a lock makes each operation one serialised transaction.

    One connection with a process lock, rather than a connection per thread: SQLite admits one writer
    anyway, and its busy handler sleeps in milliseconds, which would cap throughput far below the lock.
    """

    def __init__(self, path: Path | str | None) -> None:
        self._tempdir: str | None = None
        if path is None:
            # No --state: a temporary file (not :memory:, so WAL and one code path apply), removed on close.
            self._tempdir = tempfile.mkdtemp(prefix="stackql-signups-emulator-")
            path = Path(self._tempdir) / "state.sqlite3"
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                str(self.path), isolation_level=None, check_same_thread=False, cached_statements=64
            )
            self._prepare()
        except sqlite3.Error as exc:
            self._remove_tempdir()
            raise StoreError(f"{self.path}: cannot use this file as the emulator's state ({exc})") from None

    def _prepare(self) -> None:
        db = self._db
        db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives a killed process (only an OS crash can lose the last ones).
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=5000")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise sqlite3.DatabaseError(
                f"schema version {version} is newer than this emulator's {SCHEMA_VERSION}"
            )
        db.executescript(_SCHEMA)
        db.executescript(_SIGNUP_VIEW)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database (waiting for a running transaction) and remove a temporary one."""
        with self._lock:
            self._db.close()
        self._remove_tempdir()

    def _remove_tempdir(self) -> None:
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def _transaction(self, work: Callable[[sqlite3.Connection], Outcome], dry_run: bool) -> Outcome:
        """Run `work` in one write transaction; commit only a success that is not a dry run."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                outcome = work(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            # A dry run performs every insert, so constraints are checked too, then undoes them.
            db.execute("COMMIT" if isinstance(outcome, Created) and not dry_run else "ROLLBACK")
            return outcome

    # --- operations -----------------------------------------------------------------------------

    def signup(
        self,
        partner: str,
        organization: NewOrganization,
        user: NewUser | None,
        entitlement: NewEntitlement | EntitlementLink,
        dry_run: bool = False,
    ) -> Outcome:
        """Create an organization with its entitlement (new or linked) and, when given, its user."""
        if isinstance(entitlement, NewEntitlement) and not dry_run:
            return self._signup_at_once(partner, organization, user, entitlement)

        def work(db: sqlite3.Connection) -> Outcome:
            org_id = str(uuid.uuid4())
            sso_url = sso_url_for(org_id)
            created = now_iso()
            db.execute(
                "INSERT INTO organizations VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    org_id,
                    partner,
                    organization.name,
                    organization.sso_kind,
                    organization.tenant_id,
                    sso_url,
                    created,
                ),
            )
            if user is not None:
                _insert_user(db, org_id, user, created)
            outcome = _attach_entitlement(db, partner, org_id, entitlement, created)
            return Created(org_id, sso_url, outcome) if isinstance(outcome, str) else outcome

        return self._transaction(work, dry_run)

    def _signup_at_once(
        self, partner: str, organization: NewOrganization, user: NewUser | None, entitlement: NewEntitlement
    ) -> Outcome:
        """The common signup (new entitlement, not a dry run) as one statement; a duplicate aborts it all."""
        org_id = str(uuid.uuid4())
        sso_url = sso_url_for(org_id)
        entitlement_id = str(uuid.uuid4())
        created = now_iso()
        user_row = (
            (None,) * 4 if user is None else (_user_id(), user.email, user.given_name, user.family_name)
        )
        params = (
            *(
                org_id,
                partner,
                organization.name,
                organization.sso_kind,
                organization.tenant_id,
                sso_url,
                created,
            ),
            *user_row,
            *(entitlement_id, entitlement.external_id, entitlement.name, entitlement.plan_id),
            *(entitlement.product_id, entitlement.usage_reporting_id, entitlement.resource_id),
        )
        with self._lock:
            try:
                self._db.execute(_INSERT_SIGNUP, params)
            except sqlite3.IntegrityError:
                existing = _existing_entitlement(self._db, partner, entitlement.external_id)
                if existing is None:
                    raise
                return existing
        return Created(org_id, sso_url, entitlement_id)

    def activate(self, partner: str, organization_id: str, user: NewUser) -> Outcome:
        """Create the first user of an organization that has none."""

        def work(db: sqlite3.Connection) -> Outcome:
            row = db.execute(
                "SELECT sso_url FROM organizations WHERE id = ? AND partner = ?", (organization_id, partner)
            ).fetchone()
            if row is None:
                return Rejected(
                    "/organization_id", f"The organization {quoted(organization_id)} does not exist"
                )
            if db.execute("SELECT 1 FROM users WHERE organization_id = ?", (organization_id,)).fetchone():
                return Conflict(f"The signup of organization '{organization_id}' is already complete")
            _insert_user(db, organization_id, user, now_iso())
            return Created(organization_id, row[0])

        return self._transaction(work, dry_run=False)

    def link(
        self,
        partner: str,
        token_hash: str,
        entitlement: NewEntitlement | EntitlementLink,
        dry_run: bool = False,
    ) -> Outcome:
        """Add an entitlement to the organization a link token was issued for."""

        def work(db: sqlite3.Connection) -> Outcome:
            row = db.execute(
                "SELECT o.id, o.sso_url FROM link_tokens t JOIN organizations o ON o.id = t.organization_id"
                " WHERE t.token_hash = ?",
                (token_hash,),
            ).fetchone()
            if row is None:
                return Rejected("/token", "The link token is not valid: it was not issued by this API")
            outcome = _attach_entitlement(db, partner, row[0], entitlement, now_iso())
            return Created(row[0], row[1], outcome) if isinstance(outcome, str) else outcome

        return self._transaction(work, dry_run)

    def create_entitlement(
        self, partner: str, entitlement: NewEntitlement, organization_id: str | None = None
    ) -> Outcome:
        """Create an entitlement for an organization, or linked to none yet (a later signup references it)."""

        def work(db: sqlite3.Connection) -> Outcome:
            if organization_id is not None:
                row = db.execute(
                    "SELECT 1 FROM organizations WHERE id = ? AND partner = ?", (organization_id, partner)
                ).fetchone()
                if row is None:
                    return Rejected(
                        "/organization/id", f"The organization {quoted(organization_id)} does not exist"
                    )
            outcome = _attach_entitlement(db, partner, organization_id, entitlement, now_iso())
            return Created(organization_id or "", "", outcome) if isinstance(outcome, str) else outcome

        return self._transaction(work, dry_run=False)

    def issue_link_token(self, organization_id: str, token_hash: str) -> bool:
        """Record a link token (by its hash) for an organization; False when there is no such organization."""

        def work(db: sqlite3.Connection) -> Outcome:
            row = db.execute("SELECT sso_url FROM organizations WHERE id = ?", (organization_id,)).fetchone()
            if row is None:
                return Rejected("/organization_id", "no such organization")
            db.execute("INSERT INTO link_tokens VALUES (?, ?, ?)", (token_hash, organization_id, now_iso()))
            return Created(organization_id, row[0])

        return isinstance(self._transaction(work, dry_run=False), Created)

    # --- reads ----------------------------------------------------------------------------------

    def entitlement(self, partner: str, entitlement_id: str) -> EntitlementRecord | None:
        """The partner's entitlement with this id, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_ENTITLEMENT_FIELDS} FROM entitlements WHERE id = ? AND partner = ?",
                (entitlement_id, partner),
            ).fetchone()
        return EntitlementRecord(*row) if row is not None else None

    def organization(self, partner: str, organization_id: str) -> OrganizationRecord | None:
        """The partner's organization with this id, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT {_ORGANIZATION_FIELDS} FROM organizations WHERE id = ? AND partner = ?",
                (organization_id, partner),
            ).fetchone()
        return OrganizationRecord(*row) if row is not None else None

    def organizations_page(self, partner: str, after: int, limit: int) -> Page[OrganizationRecord]:
        """The partner's organizations in creation order, `limit` of them after position `after`."""
        sql = (
            f"SELECT rowid, {_ORGANIZATION_FIELDS} FROM organizations WHERE partner = ? AND rowid > ?"
            " ORDER BY rowid LIMIT ?"
        )
        with self._lock:
            self._db.execute("BEGIN")  # the page and its total from one snapshot
            try:
                rows = self._db.execute(sql, (partner, after, limit + 1)).fetchall()
                total = self._db.execute(
                    "SELECT count(*) FROM organizations WHERE partner = ?", (partner,)
                ).fetchone()[0]
            finally:
                self._db.execute("COMMIT")
        records = [OrganizationRecord(*r[1:]) for r in rows[:limit]]
        last = rows[limit - 1][0] if len(rows) > limit else None
        return Page(records, total, last)

    def entitlements_page(
        self, partner: str, organization_id: str | None, after: int, limit: int
    ) -> Page[EntitlementRecord]:
        """The partner's entitlements (of one organization when given) in creation order, after `after`."""
        where = "partner = ?" + (" AND organization_id = ?" if organization_id is not None else "")
        args: tuple[Any, ...] = (partner,) if organization_id is None else (partner, organization_id)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                rows = self._db.execute(
                    f"SELECT rowid, {_ENTITLEMENT_FIELDS} FROM entitlements WHERE {where} AND rowid > ?"
                    " ORDER BY rowid LIMIT ?",
                    (*args, after, limit + 1),
                ).fetchall()
                total = self._db.execute(f"SELECT count(*) FROM entitlements WHERE {where}", args).fetchone()[
                    0
                ]
            finally:
                self._db.execute("COMMIT")
        records = [EntitlementRecord(*r[1:]) for r in rows[:limit]]
        last = rows[limit - 1][0] if len(rows) > limit else None
        return Page(records, total, last)

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        """Every row of the three tables, oldest first, as plain JSON-ready dicts (no token hashes)."""
        queries = {
            "organizations": "SELECT id, name, sso_url, created_at, partner, sso_kind, sso_tenant_id"
            " FROM organizations ORDER BY rowid",
            "users": "SELECT id, organization_id, email, given_name, family_name, created_at"
            " FROM users ORDER BY rowid",
            "entitlements": "SELECT id, organization_id, external_id, name, plan_id, product_id, partner,"
            " usage_reporting_id, resource_id, created_at FROM entitlements ORDER BY rowid",
        }
        out: dict[str, list[dict[str, Any]]] = {}
        with self._lock:
            # One read transaction, so the three lists are consistent with each other.
            self._db.execute("BEGIN")
            try:
                for table, sql in queries.items():
                    cursor = self._db.execute(sql)
                    names = [d[0] for d in cursor.description]
                    out[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            finally:
                self._db.execute("COMMIT")
        return out


def _user_id() -> str:
    return f"u-{uuid.uuid4().hex[:12]}"


def _insert_user(db: sqlite3.Connection, organization_id: str, user: NewUser, created: str) -> None:
    db.execute(
        "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?)",
        (_user_id(), organization_id, user.email, user.given_name, user.family_name, created),
    )


def _existing_entitlement(db: sqlite3.Connection, partner: str, external_id: str) -> Conflict | None:
    """The conflict with the partner's entitlement that already has this external_id, if there is one."""
    row = db.execute(
        "SELECT id FROM entitlements WHERE partner = ? AND external_id = ?", (partner, external_id)
    ).fetchone()
    if row is None:
        return None
    return Conflict(f"The entitlement with external_id {quoted(external_id)} already exists", row[0])


def _attach_entitlement(
    db: sqlite3.Connection,
    partner: str,
    organization_id: str | None,
    entitlement: NewEntitlement | EntitlementLink,
    created: str,
) -> str | Conflict | Rejected:
    """Create (or link) the entitlement for an organization; its id, or why not."""
    if isinstance(entitlement, EntitlementLink):
        row = db.execute(
            "SELECT organization_id FROM entitlements WHERE id = ? AND partner = ?",
            (entitlement.entitlement_id, partner),
        ).fetchone()
        if row is None:
            return Rejected(
                entitlement.pointer, f"The entitlement {quoted(entitlement.entitlement_id)} does not exist"
            )
        if row[0] is not None:
            return Conflict(
                f"The entitlement '{entitlement.entitlement_id}' is already linked to an organization",
                entitlement.entitlement_id,
            )
        db.execute(
            "UPDATE entitlements SET organization_id = ? WHERE id = ?",
            (organization_id, entitlement.entitlement_id),
        )
        return entitlement.entitlement_id
    existing = _existing_entitlement(db, partner, entitlement.external_id)
    if existing is not None:
        return existing
    entitlement_id = str(uuid.uuid4())
    db.execute(
        "INSERT INTO entitlements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entitlement_id,
            partner,
            organization_id,
            entitlement.external_id,
            entitlement.name,
            entitlement.plan_id,
            entitlement.product_id,
            entitlement.usage_reporting_id,
            entitlement.resource_id,
            created,
        ),
    )
    return entitlement_id
