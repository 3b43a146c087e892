"""A small, polite client for the ClinicalTrials.gov API v2.

Differences from pytrials that matter here: nothing touches the network until the first request;
searches page through ``nextPageToken``; transient failures (429, 5xx, dropped connections) are
retried with exponential backoff and jitter, honouring ``Retry-After``; requests are spaced by a
minimum interval; and every response is checked before anyone uses it. Time, sleeping, randomness
and the HTTP client are injected so tests run offline and instantly.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx

from mscsim._version import __version__
from mscsim.evidence.registry._parse import (
    Page,
    RegistryError,
    TrialRecord,
    parse_page,
    parse_study,
)

__all__ = ["BASE_URL", "PHASES", "STATUSES", "CtGovClient"]

BASE_URL = "https://clinicaltrials.gov/api/v2"
# The API documents pageSize <= 1000 (default 10).
MAX_PAGE_SIZE = 1000
# Statuses the API accepts in filter.overallStatus; checked here so a typo fails before a request.
STATUSES = frozenset(
    {
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "AVAILABLE",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    }
)
PHASES = frozenset({"EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NCT_ID = re.compile(r"^NCT\d{8}$")


class CtGovClient:
    """ClinicalTrials.gov API v2: ``search`` (paged) and ``study`` (one NCT id).

    ``http`` is an ``httpx.Client`` to use (tests pass one with ``httpx.MockTransport``); without
    it the client makes its own on the first request and closes it in ``close()``. Transient
    failures are retried up to ``max_attempts`` requests in all, waiting
    ``backoff_s * 2**(attempt-1)`` (at most ``max_backoff_s``) with up to half of it random, or the
    server's ``Retry-After`` (at most ``max_retry_after_s``). Requests are at least
    ``min_interval_s`` apart.
    """

    def __init__(
        self,
        *,
        http: httpx.Client | None = None,
        base_url: str = BASE_URL,
        max_attempts: int = 5,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        max_retry_after_s: float = 300.0,
        # The registry asks for about 50 requests per minute per client; 1.2 s keeps under it.
        min_interval_s: float = 1.2,
        timeout_s: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"CtGovClient: max_attempts = {max_attempts}: must be at least 1")
        for name, value in (
            ("backoff_s", backoff_s),
            ("max_backoff_s", max_backoff_s),
            ("max_retry_after_s", max_retry_after_s),
            ("min_interval_s", min_interval_s),
        ):
            if value < 0:
                raise ValueError(f"CtGovClient: {name} = {value}: must not be negative")
        if timeout_s <= 0:
            raise ValueError(f"CtGovClient: timeout_s = {timeout_s}: must be positive")
        self._http = http
        self._owns_http = http is None
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.max_retry_after_s = max_retry_after_s
        self.min_interval_s = min_interval_s
        self.timeout_s = timeout_s
        self._sleep = sleep
        self._clock = clock
        # A private generator: jitter must not consume or depend on the global random state.
        self._rng = rng if rng is not None else random.Random()
        self._last_request: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP client if this object created it (an injected one is the caller's)."""
        if self._owns_http and self._http is not None:
            self._http.close()
            self._http = None

    def __enter__(self) -> CtGovClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- public API --------------------------------------------------------------------------

    def search(
        self,
        *,
        cond: str | None = None,
        intr: str | None = None,
        term: str | None = None,
        status: str | Sequence[str] | None = None,
        phase: str | Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int = 100,
        count_total: bool = True,
        max_pages: int | None = None,
    ) -> Iterator[Page]:
        """Pages of ``GET /studies``, following ``nextPageToken`` until the last or ``max_pages``.

        ``cond``, ``intr`` and ``term`` are ``query.cond``, ``query.intr`` and ``query.term``; at
        least one is required (an empty query would page through the whole registry).
        ``status`` filters ``overallStatus``; ``phase`` becomes ``filter.advanced`` with
        ``AREA[Phase]`` (the API has no phase filter). ``fields`` selects what the registry
        returns; the NCT id is always added because everything downstream keys on it.
        Arguments are checked when this is called; requests run as the iterator is consumed.
        """
        params = self._search_params(
            cond=cond,
            intr=intr,
            term=term,
            status=status,
            phase=phase,
            fields=fields,
            page_size=page_size,
            max_pages=max_pages,
        )
        return self._pages(params, count_total=count_total, max_pages=max_pages)

    def study(self, nct_id: str) -> TrialRecord:
        """One study by NCT id (``GET /studies/{nctId}``)."""
        nct_id = nct_id.strip().upper()
        if not _NCT_ID.match(nct_id):
            raise ValueError(f"study: {nct_id!r} is not an NCT id (NCT followed by 8 digits)")
        payload = self._get_json(f"{self.base_url}/studies/{nct_id}", {}, where=nct_id)
        return parse_study(payload, where=nct_id)

    # -- internals ---------------------------------------------------------------------------

    def _search_params(
        self,
        *,
        cond: str | None,
        intr: str | None,
        term: str | None,
        status: str | Sequence[str] | None,
        phase: str | Sequence[str] | None,
        fields: Sequence[str] | None,
        page_size: int,
        max_pages: int | None,
    ) -> dict[str, str]:
        if not any(q and q.strip() for q in (cond, intr, term)):
            raise ValueError("search: give at least one of cond, intr or term")
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"search: page_size = {page_size}: must be in 1..{MAX_PAGE_SIZE}")
        if max_pages is not None and max_pages < 1:
            raise ValueError(f"search: max_pages = {max_pages}: must be at least 1 or None")
        params: dict[str, str] = {"format": "json", "pageSize": str(page_size)}
        for key, value in (("query.cond", cond), ("query.intr", intr), ("query.term", term)):
            if value and value.strip():
                params[key] = value.strip()
        if status is not None:
            statuses = _names(status, STATUSES, "status")
            params["filter.overallStatus"] = ",".join(statuses)
        if phase is not None:
            phases = _names(phase, PHASES, "phase")
            params["filter.advanced"] = " OR ".join(f"AREA[Phase]{p}" for p in phases)
            if len(phases) > 1:
                params["filter.advanced"] = f"({params['filter.advanced']})"
        if fields is not None:
            selected = [f.strip() for f in fields if f.strip()]
            if "NCTId" not in selected:
                selected.insert(0, "NCTId")
            params["fields"] = ",".join(selected)
        return params

    def _pages(
        self, params: Mapping[str, str], *, count_total: bool, max_pages: int | None
    ) -> Iterator[Page]:
        url = f"{self.base_url}/studies"
        token: str | None = None
        number = 0
        while max_pages is None or number < max_pages:
            number += 1
            page_params = dict(params)
            # The API computes totalCount for the first page only; asking later is wasted work.
            if count_total and number == 1:
                page_params["countTotal"] = "true"
            if token is not None:
                page_params["pageToken"] = token
            payload = self._get_json(url, page_params, where=f"page {number}")
            page = parse_page(payload, number)
            yield page
            if page.next_page_token is None:
                return
            if page.next_page_token == token:
                # A server bug that would otherwise loop forever.
                raise RegistryError(
                    f"ClinicalTrials.gov returned the same nextPageToken twice (page {number})"
                )
            token = page.next_page_token

    def _client(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(
                timeout=self.timeout_s,
                headers={"User-Agent": f"mscsim/{__version__}", "Accept": "application/json"},
                follow_redirects=True,
            )
        return self._http

    def _throttle(self) -> None:
        now = self._clock()
        if self._last_request is not None:
            wait = self._last_request + self.min_interval_s - now
            if wait > 0:
                self._sleep(wait)
                now = self._clock()
        self._last_request = now

    def _get_json(self, url: str, params: Mapping[str, str], *, where: str) -> Any:
        response = self._get(url, params)
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            kind = response.headers.get("content-type", "no content type")
            snippet = _snippet(response.text)
            raise RegistryError(
                f"malformed ClinicalTrials.gov response ({where}): not JSON ({kind}): {snippet}"
            ) from None

    def _get(self, url: str, params: Mapping[str, str]) -> httpx.Response:
        client = self._client()
        shown = str(httpx.URL(url, params=dict(params)))
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            self._throttle()
            retry_after: float | None = None
            try:
                response = client.get(url, params=dict(params), timeout=self.timeout_s)
            except httpx.TransportError as exc:
                last_problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.is_success:
                    return response
                last_problem = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
                if response.status_code not in _RETRY_STATUSES:
                    # A 400 says the query is wrong; retrying cannot help. The body says why.
                    raise RegistryError(
                        f"ClinicalTrials.gov refused GET {shown}: {last_problem}: "
                        f"{_snippet(response.text)}"
                    )
                retry_after = _retry_after(response.headers.get("Retry-After"))
            if attempt < self.max_attempts:
                self._sleep(self._delay(attempt, retry_after))
        raise RegistryError(
            f"ClinicalTrials.gov request failed after {self.max_attempts} attempts: "
            f"GET {shown}: last {last_problem}"
        )

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after_s)
        ceiling = min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1))
        # Half fixed, half random ("equal jitter"): clients that failed together spread out,
        # yet each still waits long enough for the server to recover.
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)


def _names(value: str | Sequence[str], allowed: frozenset[str], what: str) -> list[str]:
    items = [value] if isinstance(value, str) else list(value)
    names = [item.strip().upper() for item in items if item.strip()]
    if not names:
        raise ValueError(f"search: {what} is empty")
    for name in names:
        if name not in allowed:
            raise ValueError(
                f"search: {what} = {name!r}: must be one of {', '.join(sorted(allowed))}"
            )
    return names


def _retry_after(header: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if header is None:
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _snippet(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "...")
