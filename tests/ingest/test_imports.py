"""Contact-record import: errors with line numbers and fields while good rows are kept, idempotence on
contact_id, unknown queues created, intervals aggregated again, the API upload, and the real-world
"Anonymous Bank" records (read from ../shared/data/realworld/, never copied into the repository)."""

import csv
import io
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from dashboard.core.models import Contact, Event, Queue
from dashboard.ingest.imports import IMPORT_COLUMNS, contacts_import_csv
from dashboard.intervals.models import QueueInterval
from dashboard.reports.selectors import ReportFilter, report_api
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Europe/Amsterdam")
BANK = Path(__file__).resolve().parents[3] / "shared" / "data" / "realworld" / "data_anonymous_bank_february.txt"
NOW = datetime(2026, 11, 26, 12, tzinfo=TZ)

GOOD_AND_BAD = """contact_id,channel,queue,offered_at,answered_at,abandoned_at,ended_at,agent,talk_s,hold_s,acw_s,transferred_to,reason,customer_ref
c1,voice,Algemeen,2026-11-24T09:00:00+01:00,2026-11-24T09:00:15+01:00,,2026-11-24T09:05:15+01:00,ann,280,20,30,,factuur,K1
c2,voice,Algemeen,2026-11-24T09:01:00+01:00,,2026-11-24T09:01:03+01:00,,,,,,,,K2
c3,voice,Algemeen,2026-11-24T09:02:00+01:00,2026-11-24T09:02:30+01:00,,2026-11-24T09:03:00+01:00,bob,,,,Techniek,storing,K1
c4,fax,Algemeen,2026-11-24T09:03:00+01:00,,2026-11-24T09:03:10+01:00,,,,,,,,
c5,voice,Algemeen,24-11-2026 09:04,,2026-11-24T09:05:00+01:00,,,,,,,,
c6,voice,Algemeen,2026-11-24T09:05:00+01:00,2026-11-24T09:04:00+01:00,,,ann,,,,,,
c7,voice,Algemeen,2026-11-24T09:06:00+01:00,2026-11-24T09:06:05+01:00,,,,,,,,,
c8,chat,Nieuwe chat,2026-11-24T09:07:00+01:00,2026-11-24T09:07:40+01:00,,2026-11-24T09:10:00+01:00,cas,,,,,,
c9,voice,Algemeen,2026-11-24T09:08:00+01:00,,,,,,,,,,
c10,voice,Algemeen,2026-11-24T09:09:00+01:00,,2026-11-24T09:09:30+01:00,,,-5,,,,,
c11,voice,Algemeen,2026-11-24T09:10:00+01:00,,,2026-11-24T09:10:20+01:00,,,,,,,
c12,voice,Algemeen
"""


def test_import_reports_bad_rows_with_line_and_field_and_keeps_the_good_ones():
    result = contacts_import_csv(stream=io.StringIO(GOOD_AND_BAD), now=NOW)
    errors = {(e["line"], e["field"]) for e in result.errors}
    assert errors == {
        (5, "channel"),  # fax
        (6, "offered_at"),  # not ISO-8601
        (7, "answered_at"),  # answered before offered
        (8, "agent"),  # answered without an agent
        (10, "answered_at"),  # no outcome at all
        (11, "talk_s"),  # negative, and talk on an abandon
        (13, "-"),  # too few fields
    }
    assert all(e["error"].startswith(f"line {e['line']}, {e['field']}: ") for e in result.errors)
    assert (result.rows, result.imported, result.duplicates, result.error_count) == (12, 5, 0, 7)
    assert Queue.objects.filter(name="Nieuwe chat", channel="chat").exists()  # unknown queues are created
    c1 = Contact.objects.get(contact_id="import:c1")
    assert (c1.talk_s, c1.hold_s, c1.acw_s, c1.reason, c1.customer_ref) == (280, 20, 30, "factuur", "K1")
    c3 = Contact.objects.get(contact_id="import:c3")
    assert (c3.transfers, c3.transferred_to_agent) == (1, "Techniek")
    assert Contact.objects.get(contact_id="import:c11").abandoned_at is not None  # ended unanswered: an abandon
    row = QueueInterval.objects.get(queue__name="Algemeen", start=datetime(2026, 11, 24, 9, tzinfo=TZ))
    assert (row.offered, row.answered, row.abandoned, row.short_abandoned, row.repeat_contacts) == (4, 2, 2, 1, 1)
    assert row.talk_ms == 280_000 + 30_000 and row.acw_ms == 30_000


def test_import_is_idempotent_on_contact_id():
    contacts_import_csv(stream=io.StringIO(GOOD_AND_BAD), now=NOW)
    events, contacts = Event.objects.count(), list(Contact.objects.order_by("contact_id").values())
    again = contacts_import_csv(stream=io.StringIO(GOOD_AND_BAD), now=NOW)
    assert (again.imported, again.duplicates, again.error_count) == (0, 5, 7)
    assert Event.objects.count() == events
    assert [{k: v for k, v in c.items() if k != "id"} for c in Contact.objects.order_by("contact_id").values()] == [
        {k: v for k, v in c.items() if k != "id"} for c in contacts
    ]


def test_import_header_problems_stop_before_anything_is_imported(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("contact_id;queue;offered_at\nx;Algemeen;2026-11-24T09:00:00+01:00\n")
    with pytest.raises(CommandError, match="lacks the column\\(s\\) channel"):
        call_command("import_contacts", str(bad))
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(",".join(IMPORT_COLUMNS) + ",colour\n")
    with pytest.raises(CommandError, match="unknown column\\(s\\) colour"):
        call_command("import_contacts", str(unknown))
    assert not Event.objects.exists()


def test_management_command_imports_a_semicolon_file(tmp_path, capsys):
    path = tmp_path / "history.csv"
    path.write_text(GOOD_AND_BAD.replace(",", ";"), encoding="utf-8")
    call_command("import_contacts", str(path))
    out, err = capsys.readouterr()
    assert "12 rows, 5 contacts imported, 0 imported before, 7 rejected" in out
    assert "history.csv: line 5, channel: 'fax' is not a channel" in err


def test_api_upload_for_managers():
    client = APIClient()
    client.force_login(UserFactory(role="manager"))
    upload = SimpleUploadedFile("history.csv", GOOD_AND_BAD.encode(), content_type="text/csv")
    response = client.post("/api/v1/reports/imports/contacts/", {"file": upload}, format="multipart")
    assert response.status_code == 207
    body = response.json()
    assert (body["imported"], body["rejected"]) == (5, 7) and body["errors"][0]["line"] == 5
    only_bad = "\n".join(GOOD_AND_BAD.splitlines()[:1] + GOOD_AND_BAD.splitlines()[4:6])
    response = client.post("/api/v1/reports/imports/contacts/",
                           {"file": SimpleUploadedFile("bad.csv", only_bad.encode())}, format="multipart")  # fmt: skip
    assert response.status_code == 400 and "no row could be imported" in response.json()["error"]
    good = "\n".join(GOOD_AND_BAD.splitlines()[:3])
    response = client.post("/api/v1/reports/imports/contacts/",
                           {"file": SimpleUploadedFile("good.csv", good.encode())}, format="multipart")  # fmt: skip
    assert response.status_code == 200 and response.json()["duplicates"] == 2
    assert client.post("/api/v1/reports/imports/contacts/", {}, format="multipart").status_code == 400
    wfm = APIClient()
    wfm.force_login(UserFactory(role="wfm"))
    assert wfm.post("/api/v1/reports/imports/contacts/", {"file": SimpleUploadedFile("g.csv", good.encode())},
                    format="multipart").status_code == 403  # fmt: skip


# --- the real-world data --------------------------------------------------------------------------


def _bank_day_counts(day: str) -> dict[str, Counter]:
    """Independent of the converter: per service type, the calls of one day that reached a queue, those
    served and those that hung up in the queue, counted straight from the bank's file."""
    out: dict[str, Counter] = {}
    with BANK.open(newline="", encoding="latin-1") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["date"] != day or row["outcome"] == "PHANTOM":
                continue
            queued = row["q_start"] != "0:00:00"
            if row["outcome"] == "HANG" and not queued:
                continue
            c = out.setdefault(row["type"], Counter())
            c["offered"] += 1
            c["answered" if row["outcome"] == "AGENT" else "abandoned"] += 1
    return out


@pytest.mark.skipif(not BANK.is_file(), reason=f"the real-world data set is not at {BANK} (see shared/data/realworld)")
def test_anonymous_bank_records_import_and_report(tmp_path, capsys):
    call_command("import_anonymous_bank", str(BANK), "--day", "1999-02-01")
    out = capsys.readouterr().out
    assert "Technion SEE Center" in out and "0 rejected" in out
    expected = _bank_day_counts("990201")
    report = report_api(kind="daily", first_day=date(1999, 2, 1), scope=ReportFilter(), now=NOW)
    rows = {r["queue"]: r for r in report["rows"] if r["queue"].startswith("Bank ")}
    for service, counts in expected.items():
        row = rows[f"Bank {service}"]
        assert (row["offered"], row["answered"], row["abandoned"]) == (
            counts["offered"],
            counts["answered"],
            counts["abandoned"],
        ), service
    assert report["total"]["offered"] == sum(c["offered"] for c in expected.values()) > 1000
    assert report["total"]["repeat_contacts"] > 0  # identified customers do call again
    # the importer is idempotent on the call's id; the converted CSV is the documented import format
    call_command("import_anonymous_bank", str(BANK), "--day", "1999-02-01")
    assert "0 imported" in capsys.readouterr().out
    converted = tmp_path / "bank.csv"
    call_command("import_anonymous_bank", str(BANK), "--day", "1999-02-02", "--csv-out", str(converted))
    with converted.open() as handle:
        rows = list(csv.DictReader(handle))
    assert set(rows[0]) == set(IMPORT_COLUMNS) and len(rows) == sum(
        c["offered"] for c in _bank_day_counts("990202").values()
    )
    result = contacts_import_csv(stream=converted.open(), now=NOW)
    assert result.error_count == 0 and result.imported == len(rows)
