"""A local SQLite copy of registry studies, upserted by NCT id, with fetch dates.

Each study keeps the date it was first and last fetched, the registry's raw JSON (the record can
always be re-parsed from it) and the parsed fields as columns, so counts by condition and start
year are plain SQL. A fetch is one transaction: the pages of a search are consumed inside it, so a
failure on page 3 leaves the store exactly as it was before page 1.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType

from mscsim.evidence.registry._parse import Page, RegistryError, TrialRecord, parse_study

__all__ = ["COUNT_KEYS", "FetchSummary", "RegistryStore", "StoredStudy", "default_db_path"]

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    nct_id          TEXT PRIMARY KEY,
    title           TEXT NOT NULL,
    status          TEXT,
    study_type      TEXT,
    phases          TEXT NOT NULL,      -- JSON list, e.g. ["PHASE1", "PHASE2"]
    enrollment      INTEGER,
    enrollment_type TEXT,
    start_date      TEXT,               -- ISO with the registry's precision: 2015, 2015-03, ...
    start_year      INTEGER,
    completion_date TEXT,
    sponsor         TEXT,
    raw_json        TEXT NOT NULL,
    first_fetched   TEXT NOT NULL,      -- ISO dates
    last_fetched    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS study_terms (
    nct_id  TEXT NOT NULL REFERENCES studies(nct_id) ON DELETE CASCADE,
    kind    TEXT NOT NULL CHECK (kind IN ('condition', 'keyword')),
    term    TEXT NOT NULL,
    folded  TEXT NOT NULL,              -- casefolded in Python: SQLite's lower() is ASCII-only
    PRIMARY KEY (nct_id, kind, term)
);
CREATE TABLE IF NOT EXISTS interventions (
    nct_id   TEXT NOT NULL REFERENCES studies(nct_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    type     TEXT,
    name     TEXT NOT NULL,
    PRIMARY KEY (nct_id, position)
);
CREATE TABLE IF NOT EXISTS fetches (
    id          INTEGER PRIMARY KEY,
    fetched_on  TEXT NOT NULL,
    query       TEXT NOT NULL,          -- JSON of the search arguments
    pages       INTEGER NOT NULL,
    studies     INTEGER NOT NULL,
    new         INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    changed     INTEGER NOT NULL,
    total_count INTEGER,
    more_available INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS study_terms_folded ON study_terms (folded);
"""

# What counts_by can group by: a fixed map to SQL, so no caller text ever reaches the query.
_COUNT_SQL = {
    "start_year": "s.start_year",
    "status": "s.status",
    "study_type": "s.study_type",
    "first_fetched_year": "CAST(substr(s.first_fetched, 1, 4) AS INTEGER)",
}
COUNT_KEYS = tuple(_COUNT_SQL)


def default_db_path() -> Path:
    """``~/.cache/mscsim/ctgov.sqlite``: a cache, rebuilt by fetching again."""
    return Path.home() / ".cache" / "mscsim" / "ctgov.sqlite"


@dataclass(frozen=True)
class FetchSummary:
    """What one fetch (one transaction) did to the store."""

    fetched_on: date
    query: str
    pages: int
    studies: int  # distinct NCT ids in this fetch
    new: int
    updated: int  # already stored; last_fetched moved on
    changed: int  # of the updated, those whose registry JSON differs from the stored one
    total_count: int | None  # the registry's totalCount, if asked for
    more_available: bool  # stopped at max_pages with a nextPageToken still given


@dataclass(frozen=True)
class StoredStudy:
    record: TrialRecord
    first_fetched: date
    last_fetched: date


class RegistryStore:
    """Registry studies in an SQLite file (``":memory:"`` for a throw-away store)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode; every write below opens its own explicit transaction.
        self._db = sqlite3.connect(str(path), isolation_level=None)
        try:
            self._db.execute("PRAGMA foreign_keys = ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise RegistryError(
                    f"{path}: registry store schema version {version}, this mscsim reads "
                    f"{_SCHEMA_VERSION}; delete the file and fetch again"
                )
            with self._transaction():
                # Statement by statement: executescript() would commit the open transaction.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise RegistryError(f"{path}: cannot open the registry store: {exc}") from None
        except BaseException:
            self._db.close()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RegistryStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------

    def store_fetch(
        self,
        pages: Iterable[Page],
        *,
        query: Mapping[str, object] | None = None,
        fetched_on: date | None = None,
    ) -> FetchSummary:
        """Upsert every study of ``pages`` in one transaction and log the fetch.

        ``pages`` may be the lazy iterator of ``CtGovClient.search``: it is consumed inside the
        transaction, so an error on any page (HTTP or malformed) rolls back everything.
        """
        day = fetched_on if fetched_on is not None else date.today()
        query_text = json.dumps(dict(query or {}), sort_keys=True, default=str)
        seen: set[str] = set()
        new = updated = changed = n_pages = 0
        total: int | None = None
        more = False
        with self._transaction():
            for page in pages:
                n_pages += 1
                if page.total_count is not None:
                    total = page.total_count
                more = page.next_page_token is not None
                for record in page.studies:
                    outcome = self._upsert(record, day)
                    # A study that moves between pages mid-fetch is stored and counted once.
                    if record.nct_id in seen:
                        continue
                    seen.add(record.nct_id)
                    new += outcome == "new"
                    updated += outcome != "new"
                    changed += outcome == "changed"
            summary = FetchSummary(
                fetched_on=day,
                query=query_text,
                pages=n_pages,
                studies=len(seen),
                new=new,
                updated=updated,
                changed=changed,
                total_count=total,
                more_available=more,
            )
            self._db.execute(
                "INSERT INTO fetches (fetched_on, query, pages, studies, new, updated, changed,"
                " total_count, more_available) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    day.isoformat(),
                    query_text,
                    n_pages,
                    len(seen),
                    new,
                    updated,
                    changed,
                    total,
                    int(more),
                ),
            )
        return summary

    def upsert(
        self, records: Iterable[TrialRecord], *, fetched_on: date | None = None
    ) -> FetchSummary:
        """Upsert studies fetched some other way (e.g. ``CtGovClient.study``), one transaction."""
        page = Page(number=1, studies=tuple(records))
        return self.store_fetch([page], query={"upsert": True}, fetched_on=fetched_on)

    def _upsert(self, record: TrialRecord, day: date) -> str:
        """Insert or refresh one study; returns "new", "changed" or "same"."""
        iso = day.isoformat()
        row = self._db.execute(
            "SELECT raw_json FROM studies WHERE nct_id = ?", (record.nct_id,)
        ).fetchone()
        values = (
            record.title,
            record.status,
            record.study_type,
            json.dumps(list(record.phases)),
            record.enrollment,
            record.enrollment_type,
            None if record.start_date is None else record.start_date.iso,
            record.start_year,
            None if record.completion_date is None else record.completion_date.iso,
            record.sponsor,
            record.raw_json,
        )
        if row is None:
            self._db.execute(
                "INSERT INTO studies (title, status, study_type, phases, enrollment,"
                " enrollment_type, start_date, start_year, completion_date, sponsor, raw_json,"
                " nct_id, first_fetched, last_fetched)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*values, record.nct_id, iso, iso),
            )
            outcome = "new"
        else:
            # min/max on ISO dates: an injected older fetch date never moves the dates backwards.
            self._db.execute(
                "UPDATE studies SET title = ?, status = ?, study_type = ?, phases = ?,"
                " enrollment = ?, enrollment_type = ?, start_date = ?, start_year = ?,"
                " completion_date = ?, sponsor = ?, raw_json = ?,"
                " first_fetched = min(first_fetched, ?), last_fetched = max(last_fetched, ?)"
                " WHERE nct_id = ?",
                (*values, iso, iso, record.nct_id),
            )
            outcome = "same" if row[0] == record.raw_json else "changed"
        self._db.execute("DELETE FROM study_terms WHERE nct_id = ?", (record.nct_id,))
        self._db.execute("DELETE FROM interventions WHERE nct_id = ?", (record.nct_id,))
        terms = [("condition", t) for t in record.conditions]
        terms += [("keyword", t) for t in record.keywords]
        self._db.executemany(
            "INSERT OR IGNORE INTO study_terms (nct_id, kind, term, folded) VALUES (?, ?, ?, ?)",
            [(record.nct_id, kind, term, term.casefold()) for kind, term in terms],
        )
        self._db.executemany(
            "INSERT INTO interventions (nct_id, position, type, name) VALUES (?, ?, ?, ?)",
            [(record.nct_id, i, iv.type, iv.name) for i, iv in enumerate(record.interventions)],
        )
        return outcome

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock up front, so a second writer waits instead of failing
        # half-way through a fetch.
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- reading -----------------------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM studies").fetchone()[0])

    def __contains__(self, nct_id: object) -> bool:
        row = self._db.execute("SELECT 1 FROM studies WHERE nct_id = ?", (nct_id,)).fetchone()
        return row is not None

    def nct_ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT nct_id FROM studies ORDER BY nct_id")]

    def get(self, nct_id: str) -> StoredStudy | None:
        """The stored study re-parsed from its raw JSON, with its fetch dates."""
        row = self._db.execute(
            "SELECT raw_json, first_fetched, last_fetched FROM studies WHERE nct_id = ?",
            (nct_id,),
        ).fetchone()
        if row is None:
            return None
        record = parse_study(json.loads(row[0]), where=f"store {self.path}")
        return StoredStudy(record, date.fromisoformat(row[1]), date.fromisoformat(row[2]))

    def fetches(self) -> list[FetchSummary]:
        """The fetch log, oldest first."""
        rows = self._db.execute(
            "SELECT fetched_on, query, pages, studies, new, updated, changed, total_count,"
            " more_available FROM fetches ORDER BY id"
        )
        return [
            FetchSummary(
                fetched_on=date.fromisoformat(r[0]),
                query=r[1],
                pages=r[2],
                studies=r[3],
                new=r[4],
                updated=r[5],
                changed=r[6],
                total_count=r[7],
                more_available=bool(r[8]),
            )
            for r in rows
        ]

    def counts_by(
        self, disease_keyword: str | None = None, *, by: str = "start_year"
    ) -> dict[int | str | None, int]:
        """Number of stored studies per ``by`` value, optionally only those whose conditions or
        condition keywords contain ``disease_keyword`` (case-insensitive substring).

        ``by`` is one of ``COUNT_KEYS``. Keys are ordered, with None (unknown) last.
        """
        if by not in _COUNT_SQL:
            raise ValueError(f"counts_by: by = {by!r}: must be one of {', '.join(COUNT_KEYS)}")
        key = _COUNT_SQL[by]
        sql = f"SELECT {key} AS k, count(*) FROM studies s"  # key comes from _COUNT_SQL only
        params: tuple[str, ...] = ()
        if disease_keyword is not None:
            if not disease_keyword.strip():
                raise ValueError("counts_by: disease_keyword is empty")
            sql += (
                " WHERE EXISTS (SELECT 1 FROM study_terms t"
                " WHERE t.nct_id = s.nct_id AND instr(t.folded, ?) > 0)"
            )
            params = (disease_keyword.strip().casefold(),)
        sql += " GROUP BY k ORDER BY k IS NULL, k"
        return {r[0]: int(r[1]) for r in self._db.execute(sql, params)}
