"""ClinicalTrials.gov client, parser and store against recorded v2 responses (no network)."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from mscsim.evidence.registry import (
    CtGovClient,
    PartialDate,
    RegistryError,
    RegistryStore,
    fetch_command,
    parse_page,
    parse_study,
)

DATA = Path(__file__).parent / "data" / "ctgov"
ALL_IDS = ["NCT00690066", "NCT01068951", "NCT01350219", "NCT01413035", "NCT02566655"]
Handler = Callable[[httpx.Request], httpx.Response]


def recorded(name: str) -> Any:
    return json.loads((DATA / name).read_text())


class FakeTime:
    """A clock that only moves when the client sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Registry:
    """Serves the recorded search by pageToken; ``failures`` are answered first, in order."""

    def __init__(self, page3: str = "search_page3.json") -> None:
        self.pages = {
            None: "search_page1.json",
            "NF0g5JGBlPMuwQY": "search_page2.json",
            "NF0g5JGBlPMuwQY-second": page3,
        }
        self.failures: list[httpx.Response | Exception] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.failures:
            failure = self.failures.pop(0)
            if isinstance(failure, Exception):
                raise failure
            return failure
        if request.url.path.startswith("/api/v2/studies/"):
            return httpx.Response(
                200, json=recorded(f"study_{request.url.path.rsplit('/')[-1]}.json")
            )
        assert request.url.path == "/api/v2/studies"
        name = self.pages[request.url.params.get("pageToken")]
        return httpx.Response(200, json=recorded(name))


def make_client(handler: Handler, time: FakeTime | None = None, **options: Any) -> CtGovClient:
    time = time or FakeTime()
    return CtGovClient(
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        sleep=time.sleep,
        clock=time.clock,
        rng=random.Random(0),
        **options,
    )


@pytest.fixture
def registry() -> Registry:
    return Registry()


# -- client: paging -------------------------------------------------------------------------


def test_pages_through_three_recorded_pages(registry: Registry) -> None:
    client = make_client(registry)
    pages = list(client.search(intr="mesenchymal stem cells", page_size=2))
    assert [p.number for p in pages] == [1, 2, 3]
    assert [len(p.studies) for p in pages] == [2, 2, 1]
    assert pages[0].total_count == 5
    assert pages[-1].next_page_token is None
    tokens = [r.url.params.get("pageToken") for r in registry.requests]
    assert tokens == [None, "NF0g5JGBlPMuwQY", "NF0g5JGBlPMuwQY-second"]
    first = registry.requests[0].url
    assert str(first).startswith("https://clinicaltrials.gov/api/v2/studies?")
    assert first.params["query.intr"] == "mesenchymal stem cells"
    assert first.params["pageSize"] == "2"
    # totalCount is computed for the first page only; asking again would waste server time.
    assert first.params["countTotal"] == "true"
    assert "countTotal" not in registry.requests[1].url.params


def test_search_is_lazy_and_construction_touches_no_network(registry: Registry) -> None:
    client = make_client(registry)
    pages = client.search(cond="diabetes")
    assert registry.requests == []
    next(pages)
    assert len(registry.requests) == 1


def test_max_pages_stops_early(registry: Registry) -> None:
    client = make_client(registry)
    pages = list(client.search(cond="diabetes", max_pages=2))
    assert len(pages) == 2 and pages[-1].next_page_token is not None
    assert len(registry.requests) == 2


def test_search_parameters(registry: Registry) -> None:
    client = make_client(registry)
    next(
        client.search(
            cond="diabetes",
            term="mesenchymal",
            status=["recruiting", "COMPLETED"],
            phase=["PHASE1", "PHASE2"],
            fields=["BriefTitle", "Phase"],
            count_total=False,
        )
    )
    params = registry.requests[0].url.params
    assert params["filter.overallStatus"] == "RECRUITING,COMPLETED"
    assert params["filter.advanced"] == "(AREA[Phase]PHASE1 OR AREA[Phase]PHASE2)"
    assert params["fields"] == "NCTId,BriefTitle,Phase"
    assert "countTotal" not in params
    next(client.search(cond="diabetes", phase="PHASE2"))
    assert registry.requests[1].url.params["filter.advanced"] == "AREA[Phase]PHASE2"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "at least one of cond, intr or term"),
        ({"cond": "diabetes", "page_size": 1001}, "page_size = 1001"),
        ({"cond": "diabetes", "phase": "PHASE5"}, "phase = 'PHASE5'"),
        ({"cond": "diabetes", "status": "DONE"}, "status = 'DONE'"),
    ],
)
def test_bad_search_arguments_fail_before_any_request(
    registry: Registry, kwargs: dict[str, Any], message: str
) -> None:
    client = make_client(registry)
    with pytest.raises(ValueError, match=message):
        client.search(**kwargs)
    assert registry.requests == []


def test_single_study(registry: Registry) -> None:
    record = make_client(registry).study("nct00690066")
    assert record.nct_id == "NCT00690066"
    assert str(registry.requests[0].url) == "https://clinicaltrials.gov/api/v2/studies/NCT00690066"


# -- client: retries and rate limit -----------------------------------------------------------


def test_429_waits_for_retry_after_then_succeeds(registry: Registry) -> None:
    registry.failures = [
        httpx.Response(429, headers={"Retry-After": "7"}, text="Too Many Requests")
    ]
    time = FakeTime()
    pages = list(make_client(registry, time).search(cond="diabetes"))
    assert len(pages) == 3
    assert time.sleeps[0] == 7.0
    assert len(registry.requests) == 4


def test_503_twice_then_success_with_growing_backoff(registry: Registry) -> None:
    registry.failures = [httpx.Response(503), httpx.Response(503)]
    time = FakeTime()
    page = next(
        make_client(registry, time, backoff_s=2.0, min_interval_s=0).search(cond="diabetes")
    )
    assert page.total_count == 5
    # Equal jitter: attempt k waits between half and all of 2 * 2**(k-1) seconds.
    assert len(time.sleeps) == 2
    assert 1.0 <= time.sleeps[0] <= 2.0 and 2.0 <= time.sleeps[1] <= 4.0


def test_transport_error_is_retried(registry: Registry) -> None:
    registry.failures = [httpx.ConnectError("connection refused")]
    assert next(make_client(registry).search(cond="diabetes")).number == 1


def test_persistent_500_gives_a_clear_error_after_n_attempts() -> None:
    calls: list[httpx.Request] = []

    def always_500(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500, text="Internal Server Error")

    time = FakeTime()
    client = make_client(always_500, time, max_attempts=4, min_interval_s=0)
    with pytest.raises(RegistryError) as info:
        next(client.search(cond="diabetes"))
    message = str(info.value)
    assert len(calls) == 4 and len(time.sleeps) == 3
    assert "after 4 attempts" in message
    assert "HTTP 500" in message
    assert (
        "https://clinicaltrials.gov/api/v2/studies?" in message and "query.cond=diabetes" in message
    )
    assert "\n" not in message


def test_400_is_not_retried() -> None:
    calls: list[httpx.Request] = []

    def bad_request(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(400, text="filter.advanced: syntax error")

    with pytest.raises(RegistryError, match=r"HTTP 400.*syntax error"):
        next(make_client(bad_request).search(cond="diabetes"))
    assert len(calls) == 1


def test_rate_limit_spaces_requests(registry: Registry) -> None:
    time = FakeTime()
    stamps: list[float] = []

    def stamped(request: httpx.Request) -> httpx.Response:
        stamps.append(time.now)
        return registry(request)

    list(make_client(stamped, time, min_interval_s=1.5).search(cond="diabetes"))
    assert len(stamps) == 3
    gaps = [b - a for a, b in itertools.pairwise(stamps)]
    assert all(gap >= 1.5 - 1e-9 for gap in gaps)
    assert time.sleeps == pytest.approx([1.5, 1.5])


# -- client: malformed responses ------------------------------------------------------------


def serve(body: httpx.Response) -> Handler:
    return lambda request: body


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (httpx.Response(200, text="<html>maintenance</html>"), r"\(page 1\): not JSON"),
        (httpx.Response(200, json={"nextPageToken": "x"}), r"\(page 1\): studies is missing"),
        (httpx.Response(200, json={"studies": {}}), r"\(page 1\): studies should be a list"),
        (httpx.Response(200, json=[1, 2]), r"\(page 1\): response body should be an object"),
        (
            httpx.Response(200, json={"studies": [{"protocolSection": {}}]}),
            r"\(page 1, studies\[0\]\): protocolSection.identificationModule.nctId is missing",
        ),
        (
            httpx.Response(200, json={"studies": [], "totalCount": "5"}),
            r"totalCount should be an integer",
        ),
    ],
)
def test_malformed_response_is_one_clear_line(response: httpx.Response, message: str) -> None:
    with pytest.raises(RegistryError, match=message) as info:
        next(make_client(serve(response)).search(cond="diabetes"))
    assert "\n" not in str(info.value)


def test_wrong_type_deep_in_a_study_names_the_study_and_key() -> None:
    raw = recorded("search_page1.json")
    raw["studies"][1]["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "20"
    with pytest.raises(RegistryError) as info:
        parse_page(raw, 1)
    assert str(info.value) == (
        "malformed ClinicalTrials.gov response (page 1, studies[1], NCT01350219): "
        "protocolSection.designModule.enrollmentInfo.count should be an integer, got str '20'"
    )


# -- parsing ----------------------------------------------------------------------------------


def test_parse_full_study() -> None:
    record = parse_study(recorded("study_NCT00690066.json"))
    assert record.nct_id == "NCT00690066"
    assert record.title.startswith("Prochymal")
    assert record.status == "COMPLETED"
    assert record.study_type == "INTERVENTIONAL"
    assert record.phases == ("PHASE2",)
    assert record.conditions == ("Type 1 Diabetes Mellitus",)
    assert [(i.type, i.name) for i in record.interventions] == [
        ("BIOLOGICAL", "Prochymal"),
        ("OTHER", "Placebo"),
    ]
    assert (record.enrollment, record.enrollment_type) == (63, "ACTUAL")
    assert record.sponsor == "Mesoblast International Sarl"
    assert record.primary_outcomes[0].time_frame == "Baseline to 12 months"
    assert record.start_date == PartialDate(2008, 2)
    assert record.start_date.iso == "2008-02"
    assert record.start_year == 2008


def test_partial_dates() -> None:
    pages = [parse_page(recorded(f"search_page{i}.json"), i) for i in (1, 2, 3)]
    by_id = {s.nct_id: s for p in pages for s in p.studies}
    year_only = by_id["NCT02566655"].start_date
    assert year_only == PartialDate(2015, None, None) and year_only.iso == "2015"
    full = by_id["NCT01068951"].start_date
    assert full == PartialDate(2010, 3, 15) and full.iso == "2010-03-15"
    assert by_id["NCT01413035"].completion_date == PartialDate(2013, 12)
    with pytest.raises(ValueError, match="is not YYYY"):
        PartialDate.parse("March 2015")


def test_bad_date_is_a_registry_error() -> None:
    raw = recorded("study_NCT00690066.json")
    raw["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "Feb 2008"
    with pytest.raises(RegistryError, match=r"startDateStruct.date = 'Feb 2008'"):
        parse_study(raw)


def test_na_numbers_parse_to_none() -> None:
    record = parse_study(recorded("study_NCT00690066.json"))
    c_peptide, hba1c = record.result_measures
    assert c_peptide.unit == "pmol/mL" and c_peptide.param_type == "MEAN"
    assert [(m.group_id, m.value, m.spread) for m in c_peptide.measurements] == [
        ("OG000", -0.35, 0.42),
        ("OG001", -0.41, None),
    ]
    treated, control = hba1c.measurements
    assert (treated.value, treated.lower_limit, treated.upper_limit) == (6.9, 5.8, 8.7)
    assert (control.value, control.lower_limit, control.upper_limit) == (None, None, None)


def test_phases_two_values_kept_and_na_dropped() -> None:
    pages = [parse_page(recorded(f"search_page{i}.json"), i) for i in (1, 2, 3)]
    by_id = {s.nct_id: s for p in pages for s in p.studies}
    assert by_id["NCT01350219"].phases == ("PHASE1", "PHASE2")
    assert by_id["NCT01068951"].phases == ()


def test_study_with_only_an_id_parses() -> None:
    # `fields=` may select almost nothing; absent modules are empty, not errors.
    record = parse_study({"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}})
    assert record.nct_id == "NCT01234567" and record.title == "" and record.start_date is None


# -- store ------------------------------------------------------------------------------------


def fetch(store: RegistryStore, registry: Registry, day: date) -> Any:
    client = make_client(registry)
    return store.store_fetch(client.search(intr="mesenchymal stem cells"), fetched_on=day)


def test_fetch_stores_every_study_once(tmp_path: Path, registry: Registry) -> None:
    with RegistryStore(tmp_path / "ctgov.sqlite") as store:
        summary = fetch(store, registry, date(2024, 1, 10))
        assert (summary.pages, summary.studies, summary.new, summary.updated) == (3, 5, 5, 0)
        assert summary.total_count == 5 and not summary.more_available
        assert store.nct_ids() == ALL_IDS
        again = fetch(store, Registry(), date(2024, 1, 11))
        assert (again.studies, again.new, again.updated, again.changed) == (5, 0, 5, 0)
        assert len(store) == 5
        assert [f.fetched_on for f in store.fetches()] == [date(2024, 1, 10), date(2024, 1, 11)]


def test_upsert_keeps_first_fetched_and_moves_last_fetched(
    tmp_path: Path, registry: Registry
) -> None:
    path = tmp_path / "ctgov.sqlite"
    with RegistryStore(path) as store:
        fetch(store, registry, date(2024, 1, 10))
    raw = recorded("study_NCT00690066.json")
    raw["protocolSection"]["statusModule"]["overallStatus"] = "TERMINATED"
    with RegistryStore(path) as store:
        summary = store.upsert([parse_study(raw)], fetched_on=date(2025, 6, 1))
        assert (summary.new, summary.updated, summary.changed) == (0, 1, 1)
        stored = store.get("NCT00690066")
        untouched = store.get("NCT01350219")
    assert stored is not None and untouched is not None
    assert stored.first_fetched == date(2024, 1, 10)
    assert stored.last_fetched == date(2025, 6, 1)
    assert stored.record.status == "TERMINATED"
    assert stored.record == parse_study(raw)
    assert untouched.last_fetched == date(2024, 1, 10)


def test_malformed_page_three_stores_nothing(tmp_path: Path) -> None:
    registry = Registry(page3="search_page3_malformed.json")
    with RegistryStore(tmp_path / "ctgov.sqlite") as store:
        with pytest.raises(RegistryError, match=r"\(page 3, studies\[0\]\).*nctId is missing"):
            fetch(store, registry, date(2024, 1, 10))
        assert len(store) == 0
        assert store.fetches() == []
        assert store.counts_by() == {}


def test_failed_refetch_leaves_previous_fetch_intact(tmp_path: Path, registry: Registry) -> None:
    with RegistryStore(tmp_path / "ctgov.sqlite") as store:
        fetch(store, registry, date(2024, 1, 10))
        broken = Registry(page3="search_page3_malformed.json")
        with pytest.raises(RegistryError):
            fetch(store, broken, date(2024, 2, 1))
        stored = store.get("NCT00690066")
        assert stored is not None and stored.last_fetched == date(2024, 1, 10)
        assert len(store.fetches()) == 1


def test_counts_by_start_year_and_condition(tmp_path: Path, registry: Registry) -> None:
    with RegistryStore(tmp_path / "ctgov.sqlite") as store:
        fetch(store, registry, date(2024, 1, 10))
        assert store.counts_by(by="start_year") == {2008: 1, 2010: 1, 2011: 2, 2015: 1}
        assert store.counts_by("DIABET") == {2008: 1, 2010: 1, 2011: 2}
        assert store.counts_by("osteoporosis") == {2015: 1}
        assert store.counts_by("diabetes", by="status") == {"COMPLETED": 3, "UNKNOWN": 1}
        assert store.counts_by("diabetes", by="first_fetched_year") == {2024: 4}
        with pytest.raises(ValueError, match="by = 'phase'"):
            store.counts_by(by="phase")


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ctgov.sqlite"
    path.write_text("not sqlite at all " * 100)
    with pytest.raises(RegistryError, match="cannot open the registry store"):
        RegistryStore(path)


# -- CLI function -----------------------------------------------------------------------------


def test_fetch_command_reports_counts(tmp_path: Path, registry: Registry) -> None:
    db = tmp_path / "sub" / "ctgov.sqlite"
    code, message = fetch_command(
        None,
        "mesenchymal stem cells",
        None,
        db,
        None,
        2,
        make_client(registry),
        fetched_on=date(2024, 1, 10),
    )
    assert code == 0
    assert "fetched 5 studies from 3 page(s): 5 new, 0 updated" in message
    assert "totalCount 5" in message and str(db) in message
    code, message = fetch_command(None, "mesenchymal", None, db, 1, 2, make_client(Registry()))
    assert code == 0 and "2 studies" in message and "0 new, 2 updated" in message
    assert "more pages available" in message


def test_fetch_command_errors_exit_2_and_store_nothing(tmp_path: Path) -> None:
    db = tmp_path / "ctgov.sqlite"
    broken = Registry(page3="search_page3_malformed.json")
    code, message = fetch_command("diabetes", None, None, db, None, 2, make_client(broken))
    assert code == 2 and message.startswith("error: malformed ClinicalTrials.gov response (page 3")
    assert "\n" not in message
    with RegistryStore(db) as store:
        assert len(store) == 0
    code, message = fetch_command(None, None, None, tmp_path / "x.sqlite", None, 2, None)
    assert code == 2 and "at least one of cond, intr or term" in message
    assert not (tmp_path / "x.sqlite").exists()


def test_default_client_opens_nothing_at_construction() -> None:
    # Unlike pytrials: the httpx.Client is built on the first request, never in __init__.
    client = CtGovClient()
    assert client._http is None
    client.close()


def test_retry_after_as_http_date_in_the_past_means_no_wait(registry: Registry) -> None:
    stale = "Wed, 21 Oct 2015 07:28:00 GMT"
    registry.failures = [httpx.Response(429, headers={"Retry-After": stale})]
    time = FakeTime()
    next(make_client(registry, time, min_interval_s=0).search(cond="diabetes"))
    assert time.sleeps == [0.0]


def test_short_backoff_is_topped_up_to_the_rate_limit(registry: Registry) -> None:
    registry.failures = [httpx.Response(502)]
    time = FakeTime()
    next(make_client(registry, time, backoff_s=0.1, min_interval_s=2.0).search(cond="diabetes"))
    assert sum(time.sleeps) == pytest.approx(2.0)
