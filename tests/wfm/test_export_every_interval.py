"""The interval export has every interval of the range, zeros included — also the first day of a new
installation, whose interval store starts at the first contact's quarter-hour (that is why 00:00–00:30
was missing) — on a normal day and on both DST days; and a CSV for Dutch Excel."""

import csv
import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from rest_framework.test import APIClient

from dashboard.core.models import Contact
from dashboard.core.periods import day_bounds, interval_starts
from dashboard.intervals.models import IntervalWatermark, QueueInterval
from dashboard.intervals.services import intervals_aggregate, intervals_update
from dashboard.wfm.selectors import ExportQuery, interval_export_batches, interval_export_estimate
from tests.factories import QueueFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
URL = "/api/v1/intervals/"


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.WFM_EXPORT_DIR = str(tmp_path / "exports")


def client_for(role="wfm"):
    client = APIClient()
    client.force_login(UserFactory(role=role))
    return client


def _body(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8")


@pytest.mark.parametrize(
    ("day", "quarters"), [(date(2026, 11, 23), 96), (date(2026, 3, 29), 92), (date(2026, 10, 25), 100)]
)
def test_first_day_of_the_store_has_every_interval(day, quarters):
    email = QueueFactory(name="E-mail", channel="email")
    QueueFactory(name="Algemeen", channel="voice")
    # The first contact ever, at 00:34: the interval store's first run starts at 00:30.
    Contact.objects.create(
        contact_id="x", queue=email, channel="email", offered_at=datetime.combine(day, time(0, 34), TZ)
    )
    intervals_update(now=datetime.combine(day + timedelta(days=2), time(9), TZ))
    start, end = day_bounds(day)
    assert QueueInterval.objects.filter(start__gte=start, start__lt=end, queue=email).count() < quarters  # the gap
    response = client_for().get(URL, {"start": day.isoformat(), "end": day.isoformat()})
    rows = list(csv.DictReader(io.StringIO(_body(response))))
    assert len(rows) == 2 * quarters
    for name in ("E-mail", "Algemeen"):
        mine = [r for r in rows if r["queue"] == name]
        utc = [datetime.fromisoformat(r["interval_start_utc"].replace("Z", "+00:00")) for r in mine]
        assert utc == interval_starts(start, end)
    first = rows[0]
    assert first["interval_start"] == datetime.combine(day, time(0), TZ).isoformat()
    assert (first["offered"], first["service_level"], first["asa_s"]) == ("0", "", "")
    half_past = next(r for r in rows if r["queue"] == "E-mail" and r["interval_start"][11:16] == "00:30")
    assert half_past["offered"] == "1"
    hourly = list(interval_export_batches(ExportQuery(first_day=day, last_day=day, length=60)))[0]
    assert len(hourly) == 2 * quarters // 4
    assert interval_export_estimate(ExportQuery(first_day=day, last_day=day)) == 2 * quarters


def test_export_stops_at_the_last_aggregated_interval():
    queue = QueueFactory(name="Algemeen")
    day = date(2026, 11, 24)
    start, _ = day_bounds(day)
    intervals_aggregate(start=start, end=datetime.combine(day, time(9), TZ))
    IntervalWatermark.objects.update_or_create(pk=1, defaults={"aggregated_until": datetime.combine(day, time(9), TZ)})
    now = datetime.combine(day, time(9, 7), TZ)
    rows = [r for b in interval_export_batches(ExportQuery(first_day=day, last_day=day), now=now) for r in b]
    assert len(rows) == 36 and rows[-1]["interval_start"][11:16] == "08:45"  # 00:00–09:00, no empty future
    assert interval_export_estimate(ExportQuery(first_day=day, last_day=day), now=now) == 36
    assert {r["queue"] for r in rows} == {queue.name}


def test_csv_for_dutch_excel():
    team = TeamFactory(name='=HYPERLINK("http://evil.example")')
    queue = QueueFactory(name="-Algemeen", team=team, sl_threshold_s=20)
    day = date(2026, 11, 24)
    o = datetime.combine(day, time(9, 5), TZ)
    Contact.objects.create(contact_id="a", queue=queue, channel="voice", offered_at=o, answered_at=o + timedelta(seconds=12.5),
                           ended_at=o + timedelta(seconds=300), talk_s=240, acw_s=48)  # fmt: skip
    Contact.objects.create(
        contact_id="b", queue=queue, channel="voice", offered_at=o, abandoned_at=o + timedelta(seconds=30)
    )
    intervals_aggregate(start=day_bounds(day)[0], end=day_bounds(day)[1])
    response = client_for().get(URL, {"start": day.isoformat(), "end": day.isoformat(), "format": "csv-nl"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="intervals_2026-11-24_2026-11-24_15min.nl.csv"' in response["Content-Disposition"]
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("interval_start;interval_start_utc;length_min;queue;")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == 96
    nine = next(r for r in rows if r["interval_start"][11:16] == "09:00")
    # SL 1 ÷ 2 = 50 %, ASA 12.5 s, AHT 288 s: a decimal comma, no point; whole numbers stay whole.
    assert (nine["service_level"], nine["asa_s"], nine["aht_s"], nine["offered"]) == ("50", "12,5", "288", "2")
    assert nine["abandon_rate"] == "50"
    # Formula escaping still applies to text (not to figures).
    assert nine["queue"] == "'-Algemeen" and nine["team"].startswith("'=HYPERLINK")
    empty = rows[0]
    assert empty["service_level"] == "" and empty["offered"] == "0"
    page = client_for().post(
        "/wfm/intervals/", {"start": day.isoformat(), "end": day.isoformat(), "format": "csv-nl", "mode": "auto"}
    )
    assert page.status_code == 302 and "format=csv-nl" in page["Location"]
    assert b'value="csv-nl"' in client_for().get("/wfm/intervals/").content
