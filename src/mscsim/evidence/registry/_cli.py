"""The body of ``mscsim evidence fetch``, kept apart from typer so it can be tested directly."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from mscsim.evidence.registry._client import CtGovClient
from mscsim.evidence.registry._parse import RegistryError
from mscsim.evidence.registry._store import RegistryStore, default_db_path

__all__ = ["fetch_command"]


def fetch_command(
    cond: str | None,
    intr: str | None,
    term: str | None,
    db: Path | None,
    max_pages: int | None,
    page_size: int,
    client: CtGovClient | None = None,
    *,
    fetched_on: date | None = None,
) -> tuple[int, str]:
    """Search the registry and upsert every study into the store at ``db``.

    Returns ``(exit code, message)``: 0 and a one-line summary, or 2 and one line saying what
    went wrong (nothing is stored then). ``db`` None means ``default_db_path()``. A ``client``
    passed in is used as is and left open; otherwise one is made and closed here.
    """
    path = db if db is not None else default_db_path()
    given = {
        "cond": cond,
        "intr": intr,
        "term": term,
        "page_size": page_size,
        "max_pages": max_pages,
    }
    query = {key: value for key, value in given.items() if value is not None}
    own = client is None
    active = client if client is not None else CtGovClient()
    try:
        # Arguments are checked before the store is opened, so a bad call creates no file.
        pages = active.search(
            cond=cond, intr=intr, term=term, page_size=page_size, max_pages=max_pages
        )
        with RegistryStore(path) as store:
            summary = store.store_fetch(pages, query=query, fetched_on=fetched_on)
    except (RegistryError, ValueError) as exc:
        return 2, f"error: {exc}"
    except (sqlite3.Error, OSError) as exc:
        return 2, f"error: registry store {path}: {exc}"
    finally:
        if own:
            active.close()
    total = "not asked" if summary.total_count is None else str(summary.total_count)
    more = "; stopped at the page limit, more pages available" if summary.more_available else ""
    return 0, (
        f"fetched {summary.studies} studies from {summary.pages} page(s): {summary.new} new, "
        f"{summary.updated} updated ({summary.changed} changed); registry totalCount {total}"
        f"{more}; stored in {path}"
    )
