"""ClinicalTrials.gov API v2: a paging, retrying, rate-limited client, study records and a store.

    from mscsim.evidence.registry import CtGovClient, RegistryStore

    with CtGovClient() as client, RegistryStore("ctgov.sqlite") as store:
        summary = store.store_fetch(client.search(cond="diabetes", intr="mesenchymal"))
        store.counts_by("diabetes", by="start_year")

Nothing here touches the network until a search or study request is made.
"""

from mscsim.evidence.registry._cli import fetch_command
from mscsim.evidence.registry._client import BASE_URL, PHASES, STATUSES, CtGovClient
from mscsim.evidence.registry._parse import (
    Intervention,
    Measurement,
    Outcome,
    Page,
    PartialDate,
    RegistryError,
    ResultMeasure,
    TrialRecord,
    parse_page,
    parse_study,
)
from mscsim.evidence.registry._store import (
    COUNT_KEYS,
    FetchSummary,
    RegistryStore,
    StoredStudy,
    default_db_path,
)

__all__ = [
    "BASE_URL",
    "COUNT_KEYS",
    "PHASES",
    "STATUSES",
    "CtGovClient",
    "FetchSummary",
    "Intervention",
    "Measurement",
    "Outcome",
    "Page",
    "PartialDate",
    "RegistryError",
    "RegistryStore",
    "ResultMeasure",
    "StoredStudy",
    "TrialRecord",
    "default_db_path",
    "fetch_command",
    "parse_page",
    "parse_study",
]
