"""Issue 11, "Tests and figures": generated input against the events API and the ingest.

* The events-API fuzz: mixed batches of valid events and events made invalid by one known mutation,
  posted as an ACD would. Never a 5xx; every valid event accepted; every invalid one rejected, naming
  the mutated field. Whole bodies of any JSON or bytes: never a 5xx.
* The property: any event the ingest accepts survives every later step (a rebuild of everything from the
  log and of the live state, the live read equal to the database, the interval aggregation and the day's
  report) without an exception.

The tally of the fuzz (inputs; responses by class) is written to test-artifacts/fuzz-tally-<db>.json and
shown in pytest's summary, so that the figures can be reported.
"""

import itertools
import json
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from dashboard.core.periods import centre_tz, floor_interval
from dashboard.ingest.rebuild import state_rebuild
from dashboard.ingest.schema import parse_datetime
from dashboard.ingest.services import events_ingest
from dashboard.ingest.sources import source_token_create
from dashboard.intervals.services import intervals_aggregate
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.reports.services import report_build
from tests.factories import SourceFactory
from tests.ingest.strategies import INVALID_EVENTS, NOW, VALID_EVENTS, own_contacts

pytestmark = pytest.mark.django_db
URL = "/api/v1/events/"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
IDS = itertools.count()
TALLY = {"inputs": 0, "events_valid": 0, "events_invalid": 0, "bodies": 0, "property_events": 0, "2xx": 0, "4xx": 0,
         "5xx": 0}  # fmt: skip
# derandomize: CI runs the same examples every time (a failure is a regression, not a dice roll).
FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", autouse=True)
def tally(request):
    yield TALLY
    if not TALLY["inputs"]:
        return
    vendor = connection.vendor
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"fuzz-tally-{vendor}.json").write_text(json.dumps(TALLY, indent=1) + "\n")
    line = (
        f"fuzz tally ({vendor}): {TALLY['inputs']} inputs ({TALLY['events_valid']} valid and "
        f"{TALLY['events_invalid']} invalid events in mixed batches, {TALLY['bodies']} whole bodies, "
        f"{TALLY['property_events']} events of the property test); "
        f"responses 2xx {TALLY['2xx']}, 4xx {TALLY['4xx']}, 5xx {TALLY['5xx']}"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():  # shown even without -s
        print(f"\n{line}")


def _count(status: int) -> None:
    TALLY[f"{status // 100}xx"] = TALLY.get(f"{status // 100}xx", 0) + 1


@pytest.fixture
def acd():
    _source, token, _created = source_token_create(name="fuzz")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@st.composite
def mixed_batches(draw):
    """(batch, expected field per event: None for a valid one). Contacts of this batch's own, so no
    contact reaches its caps however many batches run."""
    prefix = f"f{next(IDS)}"
    size = draw(st.integers(1, 30))
    batch, expected = [], []
    for _ in range(size):
        if draw(st.integers(0, 2)) == 0:
            event, field = draw(INVALID_EVENTS)
        else:
            event, field = dict(draw(VALID_EVENTS)), None
        event = own_contacts(event, prefix)
        if isinstance(event, dict):
            event.setdefault("id", f"f{next(IDS)}")
        batch.append(event)
        expected.append(field)
    return batch, expected


@FUZZ
@given(case=mixed_batches())
def test_events_api_fuzz_never_5xx_keeps_valid_and_names_the_field_of_invalid(acd, case):
    batch, expected = case
    response = acd.post(URL, batch, format="json")
    _count(response.status_code)
    TALLY["inputs"] += len(batch)
    TALLY["events_valid"] += sum(1 for f in expected if f is None)
    TALLY["events_invalid"] += sum(1 for f in expected if f is not None)
    assert response.status_code < 500, response.content
    body = response.json()
    assert len(body["results"]) == len(batch)
    for event, field, result in zip(batch, expected, body["results"], strict=True):
        if field is None:
            assert result["status"] == "accepted", (event, result)
        else:
            assert result["status"] == "rejected", (event, field, result)
            assert result["field"] == field, (event, field, result)
            assert result["reason"].startswith(f"{field}: "), result


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=10), inner, max_size=6),
    max_leaves=30,
)


@FUZZ
@given(body=st.one_of(json_values.map(orjson.dumps), st.binary(max_size=300)))
def test_any_body_is_answered_without_5xx(acd, body):
    response = acd.post(URL, body, content_type="application/json")
    _count(response.status_code)
    TALLY["inputs"] += 1
    TALLY["bodies"] += 1
    assert response.status_code < 500, response.content
    assert response.status_code in (200, 207, 400), response.content
    assert response.json()["error" if response.status_code == 400 else "results"]


@pytest.fixture
def source():
    return SourceFactory(name="prop")


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_any_accepted_event_survives_rebuild_aggregation_and_reports(source, data):
    prefix = f"p{next(IDS)}"
    batch = []
    for _ in range(data.draw(st.integers(1, 12))):
        if data.draw(st.integers(0, 4)) == 0:
            event = data.draw(INVALID_EVENTS)[0]
        else:
            event = dict(data.draw(VALID_EVENTS))
        event = own_contacts(event, prefix)
        if isinstance(event, dict):
            event.setdefault("id", f"p{next(IDS)}")
        batch.append(event)
    result = events_ingest(source=source, events=batch, now=NOW)
    TALLY["inputs"] += len(batch)
    TALLY["property_events"] += len(batch)
    accepted = [e for e, r in zip(batch, result.results, strict=True) if r["status"] == "accepted"]
    state_rebuild(now=NOW)  # everything derived, again from the whole log, and the live state
    assert live_snapshot(now=NOW) == live_snapshot_from_db(now=NOW)
    moments = sorted(parse_datetime(e["at"], "at") for e in accepted)
    for start in sorted({floor_interval(m) for m in moments})[:6]:
        intervals_aggregate(start=start, end=start + timedelta(minutes=15), now=NOW)
    for day in sorted({m.astimezone(centre_tz()).date() for m in moments} | {NOW.astimezone(centre_tz()).date()})[:3]:
        report_build(kind="daily", first_day=day, now=NOW, email=False)
