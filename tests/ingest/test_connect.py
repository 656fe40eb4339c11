"""Amazon Connect adapter: the pure mapping, table by table, on contact records and agent events written from
AWS's "Data model for Amazon Connect contact records" and "Agent event streams data model" (field names and
formats as Connect writes them: ISO 8601 UTC times with Z, whole seconds); the files as Kinesis Data Firehose
writes them to S3 (lines, an array, objects back to back, gzip, a directory); POST /api/v1/adapters/firehose/
as Firehose's HTTP endpoint delivery calls it; a contact record sent again, updated; and the real-world month
written out as contact records giving the same daily figures as ``import_anonymous_bank`` (the Anonymous Bank
records of the Technion SEE Center, Mandelbaum & Guedj, read where they lie, never copied here)."""

import base64
import copy
import gzip
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from dashboard.core.models import AgentStateSpan, Contact, Event, NewNames, Source, SourceKind
from dashboard.ingest.connect_records import connect_import
from dashboard.ingest.customer import customer_ref
from dashboard.ingest.importers.anonymous_bank import bank_rows
from dashboard.ingest.importers.connect import Reading, RecordError, record_events, split_records
from dashboard.ingest.sources import source_token_create
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db
from dashboard.reports.selectors import ReportFilter, report_api

BANK = Path(__file__).resolve().parents[3] / "shared" / "data" / "realworld" / "data_anonymous_bank_february.txt"
TZ = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
CONTACT = "7f2b3c4d-1a2b-4c5d-8e9f-0a1b2c3d4e5f"
INSTANCE = "arn:aws:connect:eu-central-1:012345678901:instance/aaaaaaaa-bbbb-cccc-dddd-111111111111"
AGENT_ARN = f"{INSTANCE}/agent/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"


def iso(seconds: float, t0: datetime = T0) -> str:
    """A time as Connect writes it: UTC with Z."""
    moment = t0 + timedelta(seconds=seconds)
    return (
        moment.strftime("%Y-%m-%dT%H:%M:%S")
        + (f".{moment.microsecond // 1000:03d}" if moment.microsecond else "")
        + "Z"
    )


def ctr(t0: datetime = T0, contact: str = CONTACT, **changes) -> dict:
    """A contact record as Connect writes it of an inbound call: queued at t0, answered by ann after 20 s,
    180 s of talk with 20 s on hold, disconnected at +220 s, 30 s of after-contact work; updated at +300 s.
    ``changes`` replace top-level fields; ``Agent__X`` / ``Queue__X`` replace fields inside those."""
    record = {
        "AWSAccountId": "012345678901",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
        "Agent": {
            "ARN": AGENT_ARN,
            "AfterContactWorkDuration": 30,
            "AfterContactWorkEndTimestamp": iso(250, t0),
            "AfterContactWorkStartTimestamp": iso(220, t0),
            "AgentInteractionDuration": 180,
            "ConnectedToAgentTimestamp": iso(20, t0),
            "CustomerHoldDuration": 20,
            "HierarchyGroups": None,
            "LongestHoldDuration": 20,
            "NumberOfHolds": 1,
            "RoutingProfile": {"ARN": f"{INSTANCE}/routing-profile/rp-1", "Name": "Basic Routing Profile"},
            "Username": "ann",
        },
        "AgentConnectionAttempts": 1,
        "Attributes": {"reason": "billing"},
        "Channel": "VOICE",
        "ConnectedToSystemTimestamp": iso(-30, t0),
        "ContactId": contact,
        "CustomerEndpoint": {"Address": "+31612345678", "Type": "TELEPHONE_NUMBER"},
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "DisconnectTimestamp": iso(220, t0),
        "InitialContactId": None,
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": iso(-30, t0),
        "InstanceARN": INSTANCE,
        "LastUpdateTimestamp": iso(300, t0),
        "MediaStreams": [{"Type": "AUDIO"}],
        "NextContactId": None,
        "PreviousContactId": None,
        "Queue": {
            "ARN": f"{INSTANCE}/queue/q-support",
            "DequeueTimestamp": iso(20, t0),
            "Duration": 20,
            "EnqueueTimestamp": iso(0, t0),
            "Name": "Support",
        },
        "Recording": None,
        "Recordings": None,
        "SystemEndpoint": {"Address": "+31201234567", "Type": "TELEPHONE_NUMBER"},
        "TransferCompletedTimestamp": None,
        "TransferredToEndpoint": None,
    }
    for key, value in changes.items():
        if "__" in key:
            outer, inner = key.split("__")
            record[outer][inner] = value
        else:
            record[key] = value
    return record


ABANDONED = {"Agent": None, "Queue__DequeueTimestamp": iso(45), "Queue__Duration": 45, "DisconnectTimestamp": iso(45)}


def hashed(address: str) -> str:
    return f"h:{address}"


def expect(*events):
    return [(kind, fields) for kind, fields in events]


C = {"contact_id": CONTACT}
OFFER = ("contact.offered", {**C, "queue": "Support", "channel": "voice", "customer_ref": "h:+31612345678"}, 0)
ANSWER = ("contact.answered", {**C, "agent": "ann"}, 20)
END = ("contact.ended", {**C, "talk_s": 180.0, "hold_s": 20.0}, 220)
WRAPUP = ("contact.wrapup_ended", {**C, "acw_s": 30.0}, 250)

# (name, changes to the record, [(type, fields besides id/type/at, seconds after T0)])
MAPPING = [
    ("answered call with hold and after-contact work", {}, [OFFER, ANSWER, END, WRAPUP]),
    ("abandoned in the queue", ABANDONED, [OFFER, ("contact.abandoned", C, 45)]),
    ("abandoned: no dequeue time, so at the disconnect",
     {**ABANDONED, "Queue__DequeueTimestamp": None}, [OFFER, ("contact.abandoned", C, 45)]),
    ("a chat has no customer endpoint", {"Channel": "CHAT", "CustomerEndpoint": None},
     [("contact.offered", {**C, "queue": "Support", "channel": "chat"}, 0), ANSWER, END, WRAPUP]),
    ("an e-mail's customer is its address", {"Channel": "EMAIL",
     "CustomerEndpoint": {"Address": "klant@example.nl", "Type": "EMAIL_ADDRESS"}},
     [("contact.offered", {**C, "queue": "Support", "channel": "email", "customer_ref": "h:klant@example.nl"}, 0),
      ANSWER, END, WRAPUP]),
    ("an anonymous caller gives no customer reference", {"CustomerEndpoint": {"Address": "anonymous",
     "Type": "TELEPHONE_NUMBER"}}, [("contact.offered", {**C, "queue": "Support", "channel": "voice"}, 0),
     ANSWER, END, WRAPUP]),
    ("transferred to another agent or queue inside Connect (NextContactId)",
     {"NextContactId": "9a8b7c6d-0000-4000-8000-000000000001", "TransferCompletedTimestamp": iso(200)},
     [OFFER, ANSWER, ("contact.transferred", {**C, "to_agent": "next contact 9a8b7c6d-0000-4000-8000-000000000001"},
      200), END, WRAPUP]),
    ("a transfer completed after the disconnect counts at the disconnect",
     {"NextContactId": "9a8b7c6d-0000-4000-8000-000000000001", "TransferCompletedTimestamp": iso(221)},
     [OFFER, ANSWER, ("contact.transferred", {**C, "to_agent": "next contact 9a8b7c6d-0000-4000-8000-000000000001"},
      220), END, WRAPUP]),
    ("transferred out of Connect (TransferredToEndpoint), at the disconnect",
     {"TransferredToEndpoint": {"Address": "+31301234567", "Type": "TELEPHONE_NUMBER"}},
     [OFFER, ANSWER, ("contact.transferred", {**C, "to_agent": "external telephone_number"}, 220), END, WRAPUP]),
    ("a contact transferred in is no repeat of its customer",
     {"PreviousContactId": "9a8b7c6d-0000-4000-8000-000000000000", "InitiationMethod": "TRANSFER",
      "InitialContactId": "9a8b7c6d-0000-4000-8000-000000000000"},
     [("contact.offered", {**C, "queue": "Support", "channel": "voice"}, 0), ANSWER, END, WRAPUP]),
    ("after-contact work without its end time: from its start on",
     {"Agent__AfterContactWorkEndTimestamp": None}, [OFFER, ANSWER, END, WRAPUP]),
    ("no after-contact work", {"Agent__AfterContactWorkDuration": None, "Agent__AfterContactWorkEndTimestamp": None,
     "Agent__AfterContactWorkStartTimestamp": None}, [OFFER, ANSWER, END]),
    ("no hold time given", {"Agent__CustomerHoldDuration": None},
     [OFFER, ANSWER, ("contact.ended", {**C, "talk_s": 180.0}, 220), WRAPUP]),
    ("not disconnected yet: offered and answered only", {"DisconnectTimestamp": None}, [OFFER, ANSWER]),
    ("no username: the agent's id from its ARN", {"Agent__Username": None},
     [OFFER, ("contact.answered", {**C, "agent": "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"}, 20), END, WRAPUP]),
    ("milliseconds and a record without a format version", {"AWSContactTraceRecordFormatVersion": None,
     "Queue__EnqueueTimestamp": "2026-11-24T08:00:00.250Z"},
     [(OFFER[0], OFFER[1], 0.25), ANSWER, END, WRAPUP]),
    ("callback: a queued callback is offered as any contact", {"InitiationMethod": "CALLBACK"},
     [OFFER, ANSWER, END, WRAPUP]),
]  # fmt: skip


@pytest.mark.parametrize("name, changes, expected", MAPPING, ids=[m[0] for m in MAPPING])
def test_each_contact_record_maps_to_its_ingest_events(name, changes, expected):
    mapped = record_events(ctr(**changes), hash_customer=hashed)
    assert mapped.kind == "ctr" and not mapped.skipped
    got = [(e["type"], {k: v for k, v in e.items() if k not in ("id", "type", "at")}, e["at"]) for e in mapped.events]
    assert got == [(kind, fields, (T0 + timedelta(seconds=s)).isoformat()) for kind, fields, s in expected]
    revision = "20261124T080500.000000"
    assert [e["id"] for e in mapped.events] == [
        f"{CONTACT}:{e['type'].split('.')[1]}@{revision}" for e in mapped.events
    ]


@pytest.mark.parametrize(
    "changes, reason, unknown",
    [
        ({"Queue": None}, "no queue: the contact was never put in a queue", False),
        ({"Queue__EnqueueTimestamp": None}, "no queue: the contact was never put in a queue", False),
        ({"InitiationMethod": "OUTBOUND", "Queue__EnqueueTimestamp": None}, "an outbound contact: not offered to a queue",
         False),
        ({"AWSContactTraceRecordFormatVersion": "2031-01-01"}, "unknown contact record version '2031-01-01'", True),
    ],
)  # fmt: skip
def test_records_not_mapped_are_skipped_with_the_reason(changes, reason, unknown):
    mapped = record_events(ctr(**changes), hash_customer=hashed)
    assert (mapped.events, mapped.skipped, mapped.unknown) == ([], reason, unknown)


@pytest.mark.parametrize(
    "record, field",
    [
        (ctr(ContactId=None), "ContactId"),
        (ctr(ContactId=""), "ContactId"),
        (ctr(ContactId="x" * 121), "ContactId"),
        (ctr(ContactId="a@b"), "ContactId"),
        (ctr(Channel="FAX"), "Channel"),
        (ctr(Queue="Support"), "Queue"),
        (ctr(Queue__EnqueueTimestamp="yesterday"), "Queue.EnqueueTimestamp"),
        (ctr(Queue__EnqueueTimestamp="2026-11-24T08:00:00"), "Queue.EnqueueTimestamp"),
        (ctr(Queue__Name=None, Queue__ARN=None), "Queue.Name"),
        (ctr(Agent__AgentInteractionDuration="long"), "Agent.AgentInteractionDuration"),
        (ctr(Agent__CustomerHoldDuration=-1), "Agent.CustomerHoldDuration"),
        (ctr(Agent__Username=None, Agent__ARN=None), "Agent.Username"),
        (ctr(Agent__ConnectedToAgentTimestamp=1764057600), "Agent.ConnectedToAgentTimestamp"),
        ({"Queue": {}}, "record"),
        ([ctr()], "record"),
        ("ContactId", "record"),
        ({"EventType": "STATE_CHANGE", "AgentARN": AGENT_ARN}, "EventTimestamp"),
    ],
)
def test_a_record_without_what_it_needs_names_the_field(record, field):
    with pytest.raises(RecordError) as error:
        record_events(record, hash_customer=hashed)
    assert error.value.field == field


def test_the_customer_reference_is_the_shared_keyed_hash_never_the_number():
    mapped = record_events(ctr(), hash_customer=customer_ref)
    assert mapped.events[0]["customer_ref"] == customer_ref("+31612345678")
    assert "+31612345678" not in json.dumps(mapped.events)


def agent_event(event_type="STATE_CHANGE", status="Available", status_type="ROUTABLE", contacts=(), seconds=0,
                event_id="477f2c4f-cd1a-4785-b1a8-d1ce4c0e0cb0", **changes) -> dict:  # fmt: skip
    """An agent event stream record as Connect writes it (AWS's sample agent event stream)."""
    record = {
        "AWSAccountId": "012345678901",
        "AgentARN": AGENT_ARN,
        "CurrentAgentSnapshot": {
            "AgentStatus": {
                "ARN": f"{INSTANCE}/agent-state/s-1",
                "Name": status,
                "StartTimestamp": iso(seconds),
                "Type": status_type,
            },  # fmt: skip
            "Configuration": {
                "AgentHierarchyGroups": None,
                "FirstName": "Ann",
                "LastName": "de Vries",
                "RoutingProfile": {
                    "ARN": f"{INSTANCE}/routing-profile/rp-1",
                    "Concurrency": [{"AvailableSlots": 1, "Channel": "VOICE", "MaximumSlots": 1}],
                    "DefaultOutboundQueue": {"ARN": f"{INSTANCE}/queue/q-out", "Name": "BasicQueue"},
                    "InboundQueues": [{"ARN": f"{INSTANCE}/queue/q-support", "Name": "Support"}],
                    "Name": "Basic Routing Profile",
                },
                "Username": "ann",
            },
            "Contacts": [
                {
                    "Channel": "VOICE",
                    "ConnectedToAgentTimestamp": iso(seconds),
                    "ContactId": CONTACT,
                    "InitialContactId": None,
                    "InitiationMethod": "INBOUND",
                    "Queue": {"ARN": f"{INSTANCE}/queue/q-support", "Name": "Support"},
                    "QueueTimestamp": iso(seconds - 20),
                    "State": state,
                    "StateStartTimestamp": iso(seconds),
                }
                for state in contacts
            ],  # fmt: skip
        },
        "EventId": event_id,
        "EventTimestamp": iso(seconds),
        "EventType": event_type,
        "InstanceARN": INSTANCE,
        "PreviousAgentSnapshot": None,
        "Version": "2019-05-25",
    }
    record.update(changes)
    return record


AGENT_MAPPING = [
    ("available", agent_event(), {}, ("available", "")),
    ("login", agent_event("LOGIN"), {}, ("available", "")),
    ("a custom status is a pause with its name", agent_event(status="Lunch", status_type="CUSTOM"), {},
     ("paused", "Lunch")),
    ("offline", agent_event(status="Offline", status_type="OFFLINE"), {}, ("logged_out", "")),
    ("logout", agent_event("LOGOUT", status="Offline", status_type="OFFLINE"), {}, ("logged_out", "")),
    ("on a call", agent_event(contacts=["CONNECTED"]), {}, ("on_contact", "")),
    ("a call on hold", agent_event(contacts=["CONNECTED_ONHOLD"]), {}, ("on_contact", "")),
    ("after-contact work", agent_event(contacts=["ENDED"]), {}, ("acw", "")),
    ("a ringing call leaves the status", agent_event(contacts=["INCOMING"]), {}, ("available", "")),
    ("no status type: by its name", agent_event(status="Break", status_type=None), {}, ("paused", "Break")),
    ("no status type: Available", agent_event(status_type=None), {}, ("available", "")),
    ("the source's state names first", agent_event(status="Training", status_type="CUSTOM"),
     {"training": "available"}, ("available", "")),
]  # fmt: skip


@pytest.mark.parametrize("name, record, names, expected", AGENT_MAPPING, ids=[m[0] for m in AGENT_MAPPING])
def test_each_agent_event_maps_to_an_agent_state(name, record, names, expected):
    mapped = record_events(record, state_names=names)
    assert mapped.kind == "agent_event" and len(mapped.events) == 1
    event = mapped.events[0]
    assert (event["state"], event.get("reason", "")) == expected
    assert (event["type"], event["agent"], event["at"]) == ("agent.state", "ann", T0.isoformat())
    assert event["id"] == "477f2c4f-cd1a-4785-b1a8-d1ce4c0e0cb0:state"


@pytest.mark.parametrize(
    "record, reason, unknown",
    [
        (agent_event("HEART_BEAT"), "HEART_BEAT repeats the agent's state", False),
        (agent_event(Version="2031-01-01"), "unknown agent event version '2031-01-01'", True),
        (agent_event("ROUTING_CHANGED"), "unknown agent event type 'ROUTING_CHANGED'", True),
    ],
)
def test_agent_events_not_mapped_are_skipped_with_the_reason(record, reason, unknown):
    mapped = record_events(record)
    assert (mapped.events, mapped.skipped, mapped.unknown) == ([], reason, unknown)


def test_state_names_that_name_no_agent_state_are_a_clear_error():
    with pytest.raises(RecordError, match="not an agent state"):
        record_events(agent_event(status="Lunch", status_type="CUSTOM"), state_names={"Lunch": "eating"})


# --- files ------------------------------------------------------------------------------------------------


def read(text: str) -> tuple[list, Reading]:
    reading = Reading()
    return list(split_records(text, name="f.json", reading=reading)), reading


ONE, TWO, THREE = ({"ContactId": f"c{i}"} for i in range(1, 4))


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(json.dumps(r) for r in (ONE, TWO, THREE)) + "\n",  # one per line
        json.dumps([ONE, TWO, THREE], indent=2),  # an array
        "".join(json.dumps(r) for r in (ONE, TWO, THREE)),  # back to back, Firehose's default
        " \r\n".join(json.dumps(r, indent=1) for r in (ONE, TWO, THREE)),  # pretty, CRLF
    ],
    ids=["lines", "array", "concatenated", "pretty"],
)
def test_every_way_firehose_writes_records_reads_the_same(text):
    records, reading = read(text)
    assert [r for _, r in records] == [ONE, TWO, THREE]
    assert reading.malformed == [] and reading.records == 3


def test_a_malformed_record_is_reported_by_number_and_line_and_the_rest_is_read():
    records, reading = read(f'{json.dumps(ONE)}\n{{"ContactId": "c2", oops}}\n{json.dumps(THREE)}\n')
    assert [r for _, r in records] == [ONE, THREE]
    assert [w for w, _ in reading.malformed] == ["f.json: record 2 (line 2)"]
    assert "not JSON" in reading.malformed[0][1]
    glued, reading = read(json.dumps(ONE) + '{"ContactId": x}' + json.dumps(THREE))
    assert [r for _, r in glued] == [ONE, THREE] and reading.malformed_count == 1


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(ONE) + "\n" + json.dumps(TWO)[:-9],
        json.dumps(ONE) + json.dumps(TWO)[:12],
        json.dumps([ONE, TWO])[:-3],
    ],
    ids=["lines", "concatenated", "array"],
)
def test_a_truncated_file_keeps_the_records_before_and_says_so(text):
    records, reading = read(text)
    assert [r for _, r in records] == [ONE]
    assert len(reading.malformed) == 1 and "truncated" in reading.malformed[0][1], reading.malformed


def live_ctr(contact: str, ago: int, **changes) -> dict:
    """A contact record of a call queued ``ago`` seconds before now (the ingest takes only recent events)."""
    return ctr(t0=datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=ago), contact=contact, **changes)


def test_import_reads_lines_arrays_concatenated_gzip_and_directories_idempotently(db, tmp_path, capsys):
    calls = [live_ctr(f"00000000-0000-4000-8000-00000000000{i}", 3600 - 300 * i) for i in range(6)]
    nested = tmp_path / "2026" / "11" / "24" / "08"
    nested.mkdir(parents=True)
    (nested / "kcc-ctr-1").write_text("".join(json.dumps(c) for c in calls[:2]))
    (nested / "kcc-ctr-2.gz").write_bytes(gzip.compress("\n".join(json.dumps(c) for c in calls[2:4]).encode()))
    (tmp_path / "2026" / "kcc-ctr-3.json").write_text(json.dumps(calls[4:]))
    (tmp_path / "2026" / "kcc-ctr-4.json").write_text(json.dumps(calls[5]) + '\n{"ContactId": "broken", ' + "\n")
    call_command("import_connect_ctr", str(tmp_path))
    out, err = capsys.readouterr()
    assert "4 files, 8 records read, 7 mapped; events: 24 accepted, 4 duplicate, 0 rejected" in out, out
    assert "2026/kcc-ctr-4.json: record 2 (line 2): the file ends inside this record (truncated?)" in err, err
    assert Contact.objects.count() == 6 and Event.objects.count() == 24
    source = Source.objects.get(name="connect")
    assert source.kind == SourceKind.CONNECT
    assert (source.delivered_count, source.rejected_count) == (24, 1)
    call_command("import_connect_ctr", str(tmp_path))
    assert "0 accepted, 28 duplicate" in capsys.readouterr().out
    assert Contact.objects.count() == 6 and Event.objects.count() == 24


def test_import_of_a_file_that_is_not_gzip_though_it_says_so_is_reported(db, tmp_path, capsys):
    (tmp_path / "a.gz").write_bytes(b"\x1f\x8bnot gzip at all")
    (tmp_path / "b.json").write_text(json.dumps(live_ctr(CONTACT, 600)))
    call_command("import_connect_ctr", str(tmp_path), "--source", "connect-s3")
    out, err = capsys.readouterr()
    assert "a.gz: not a readable gzip file" in err and "1 mapped" in out
    assert Contact.objects.get().contact_id == f"connect-s3:{CONTACT}"


# --- a contact record sent again, updated -----------------------------------------------------------------


@pytest.fixture
def connect(db):
    source, token, _ = source_token_create(
        name="connect-live", kind=SourceKind.CONNECT, new_queues=NewNames.CREATE, new_agents=NewNames.CREATE
    )
    source.token = token
    return source


def test_a_record_sent_again_updated_replaces_the_earlier_figures_and_counts_once(connect, tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    first = live_ctr(CONTACT, 600, Agent__AfterContactWorkDuration=None, Agent__AfterContactWorkEndTimestamp=None,
                     Agent__AfterContactWorkStartTimestamp=None, LastUpdateTimestamp=iso(-380, now))  # fmt: skip
    updated = live_ctr(CONTACT, 600, Agent__AfterContactWorkDuration=45, LastUpdateTimestamp=iso(-300, now),
                       Agent__AfterContactWorkEndTimestamp=iso(-335, now))  # fmt: skip
    answers = [deliver(connect, [first]), deliver(connect, [first])]
    assert [a.status_code for a in answers] == [200, 200]
    call = Contact.objects.get()
    assert (call.talk_s, call.hold_s, call.acw_s) == (180, 20, None)
    assert deliver(connect, [updated]).status_code == 200
    call = Contact.objects.get()
    assert (call.talk_s, call.hold_s, call.acw_s) == (180, 20, 45)
    revision = (now - timedelta(seconds=300)).strftime("%Y%m%dT%H%M%S.%f")
    assert sorted(Event.objects.values_list("event_id", flat=True)) == sorted(
        f"{CONTACT}:{kind}@{revision}" for kind in ("offered", "answered", "ended", "wrapup_ended")
    )
    assert deliver(connect, [first]).status_code == 200  # the older copy, late: changes nothing
    assert Contact.objects.get().acw_s == 45 and Event.objects.count() == 4
    today = next(q for q in live_snapshot(now=now)["queues"] if q["name"] == "Support")["today"]
    assert (today["offered"], today["answered"], today["handled"]) == (1, 1, 1)
    assert live_snapshot(now=now) == live_snapshot_from_db(now=now)
    # both copies in one file, the newer first: the older is superseded within the batch
    Event.objects.all().delete()
    Contact.objects.all().delete()
    (tmp_path / "both.json").write_text(json.dumps([updated, first]))
    result = connect_import(path=tmp_path / "both.json", source_name="connect-live", reaggregate=False)
    assert (result.accepted, result.duplicates) == (4, 3)
    assert Contact.objects.get().acw_s == 45


def test_an_updated_record_that_changes_the_outcome_moves_the_counts(connect):
    now = datetime.now(UTC).replace(microsecond=0)
    waiting = live_ctr(CONTACT, 600, Agent=None, DisconnectTimestamp=None, Queue__DequeueTimestamp=None,
                       LastUpdateTimestamp=iso(-590, now))  # fmt: skip
    answered = live_ctr(CONTACT, 600, LastUpdateTimestamp=iso(-300, now))
    deliver(connect, [waiting])
    support = next(q for q in live_snapshot(now=now)["queues"] if q["name"] == "Support")
    assert support["waiting"] == 1
    deliver(connect, [answered])
    support = next(q for q in live_snapshot(now=now)["queues"] if q["name"] == "Support")
    assert support["waiting"] == 0 and support["today"]["answered"] == 1 and support["today"]["offered"] == 1
    assert live_snapshot(now=now) == live_snapshot_from_db(now=now)


# --- POST /api/v1/adapters/firehose/ ---------------------------------------------------------------------

URL = "/api/v1/adapters/firehose/"
REQUEST_ID = "ed4acda5-034f-9f42-bba1-f29aea6d7d8f"


def envelope(records: list, *, raw: list[str] | None = None) -> dict:
    data = [base64.b64encode(json.dumps(r).encode()).decode() for r in records] + (raw or [])
    return {"requestId": REQUEST_ID, "timestamp": 1764057600000, "records": [{"data": d} for d in data]}


def deliver(source, records=None, *, body=None, key=None, headers=None, **options):
    body = body if body is not None else json.dumps(envelope(records or [], **options)).encode()
    extra = {"HTTP_X_AMZ_FIREHOSE_REQUEST_ID": REQUEST_ID, "HTTP_X_AMZ_FIREHOSE_PROTOCOL_VERSION": "1.0"}
    if key is not False:
        extra["HTTP_X_AMZ_FIREHOSE_ACCESS_KEY"] = key or source.token
    extra.update(headers or {})
    return APIClient().generic("POST", URL, body, content_type="application/json", **extra)


def firehose_answer(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["requestId"] == REQUEST_ID and isinstance(body["timestamp"], int)
    assert abs(body["timestamp"] - datetime.now(UTC).timestamp() * 1000) < 60_000
    return body


def test_a_delivery_of_contact_records_and_agent_events_shows_on_the_live_state(connect):
    now = datetime.now(UTC).replace(microsecond=0)
    records = [
        agent_event("LOGIN", seconds=-3600, event_id="e-1", EventTimestamp=iso(-3600, now)),
        agent_event(contacts=["CONNECTED"], event_id="e-2", EventTimestamp=iso(-580, now)),
        agent_event(contacts=["ENDED"], event_id="e-3", EventTimestamp=iso(-380, now)),
        agent_event(event_id="e-4", EventTimestamp=iso(-350, now)),
        agent_event("HEART_BEAT", event_id="e-5", EventTimestamp=iso(-230, now)),
        live_ctr(CONTACT, 600),
        live_ctr("7f2b3c4d-0000-4000-8000-000000000002", 400, **ABANDONED),
        live_ctr("7f2b3c4d-0000-4000-8000-000000000003", 300, Queue=None, InitiationMethod="OUTBOUND"),
    ]
    body = firehose_answer(deliver(connect, records), 200)
    assert set(body) == {"requestId", "timestamp"}
    call = Contact.objects.get(contact_id=f"connect-live:{CONTACT}")
    assert (call.queue.name, call.channel, call.agent.login_id) == ("Support", "voice", "ann")
    assert (call.answered_at - call.offered_at, call.talk_s, call.hold_s, call.acw_s) == (
        timedelta(seconds=20),
        180,
        20,
        30,
    )
    assert call.customer_ref == customer_ref("+31612345678")
    snap = live_snapshot(now=now)
    today = next(q for q in snap["queues"] if q["name"] == "Support")["today"]
    assert (today["offered"], today["answered"], today["abandoned"], today["asa_s"]) == (2, 1, 1, 20.0)
    assert snap["all"]["today"]["aht_s"] == 230.0 and snap["all"]["agents"]["available"] == 1
    spans = list(AgentStateSpan.objects.order_by("start").values_list("state", flat=True))
    assert spans == ["available", "on_contact", "acw", "available"]
    assert snap == live_snapshot_from_db(now=now)
    connect.refresh_from_db()
    assert (connect.delivered_count, connect.rejected_count, connect.skipped_count) == (Event.objects.count(), 0, 2)
    assert connect.last_delivered_at is not None
    again = firehose_answer(deliver(connect, records), 200)  # Firehose's retry: duplicates
    assert set(again) == {"requestId", "timestamp"} and Event.objects.count() == 10


@pytest.mark.parametrize(
    "key, change, status, message",
    [
        (False, {}, 401, "X-Amz-Firehose-Access-Key header is missing"),
        ("not-a-token", {}, 401, "X-Amz-Firehose-Access-Key: unknown source token"),
        (None, {"active": False}, 401, "is deactivated"),
        (None, {"kind": SourceKind.GENERIC}, 403, "source of kind connect"),
    ],
)
def test_a_bad_access_key_is_refused_in_firehose_form_and_nothing_is_stored(connect, key, change, status, message):
    for name, value in change.items():
        setattr(connect, name, value)
    connect.save()
    body = firehose_answer(deliver(connect, [live_ctr(CONTACT, 600)], key=key), status)
    assert message in body["errorMessage"] and set(body) == {"requestId", "timestamp", "errorMessage"}
    assert Event.objects.count() == 0


def test_a_batch_with_bad_records_keeps_the_good_ones_and_names_the_bad(connect):
    good = [live_ctr(CONTACT, 600), live_ctr("7f2b3c4d-0000-4000-8000-000000000002", 400, **ABANDONED)]
    response = deliver(connect, good[:1] + [{"hello": "world"}] + good[1:] + [ctr(Channel="FAX")],
                       raw=["%%% not base64 %%%", base64.b64encode(b'{"ContactId": ').decode()])  # fmt: skip
    body = firehose_answer(response, 400)
    message = body["errorMessage"]
    assert message.startswith("4 of 6 records could not be taken; the others were kept"), message
    assert "records[1]: record 1 (line 1): record: neither a contact record" in message
    assert "records[3]: record 1 (line 1): Channel: 'FAX' is not a Connect channel" in message
    assert "records[4]: data is not base64" in message
    assert "records[5]: record 1 (line 1): the file ends inside this record (truncated?)" in message
    assert Contact.objects.count() == 2
    connect.refresh_from_db()
    assert connect.rejected_count == 4 and connect.delivered_count == Event.objects.count() == 6


def test_records_the_ingest_rejects_are_named_with_the_field(connect):
    old = ctr(t0=datetime(2001, 1, 1, tzinfo=UTC))  # older than the window of a live source
    body = firehose_answer(deliver(connect, [old, live_ctr(CONTACT, 600)]), 400)
    assert "records[0]: record 1 (line 1): at:" in body["errorMessage"] and Contact.objects.count() == 1


def test_unknown_versions_and_records_not_mapped_are_counted_skips_answered_200(connect):
    records = [ctr(AWSContactTraceRecordFormatVersion="2031-01-01"), agent_event(Version="2031-01-01"),
               live_ctr(CONTACT, 600, InitiationMethod="OUTBOUND", Queue=None), agent_event("HEART_BEAT")]  # fmt: skip
    firehose_answer(deliver(connect, records), 200)
    connect.refresh_from_db()
    assert (connect.skipped_count, Event.objects.count()) == (4, 0)


def test_a_gzip_body_and_gzip_records_are_read(connect):
    record = base64.b64encode(gzip.compress(json.dumps(live_ctr(CONTACT, 600)).encode())).decode()
    body = gzip.compress(json.dumps(envelope([], raw=[record])).encode())
    firehose_answer(deliver(connect, body=body, headers={"HTTP_CONTENT_ENCODING": "gzip"}), 200)
    assert Contact.objects.count() == 1


def test_a_50_mb_body_is_413_before_it_is_read(connect):
    body = b'{"requestId": "x", "records": [{"data": "' + b"A" * (50 * 1024 * 1024) + b'"}]}'
    answer = firehose_answer(deliver(connect, body=body), 413)
    assert "at most 8,388,608 bytes" in answer["errorMessage"]
    bomb = gzip.compress(b" " * (80 * 1024 * 1024))
    answer = firehose_answer(deliver(connect, body=bomb, headers={"HTTP_CONTENT_ENCODING": "gzip"}), 413)
    assert "unpacks to more than" in answer["errorMessage"] and Event.objects.count() == 0


@pytest.mark.parametrize(
    "body, headers, status, message",
    [
        (b"not json at all", {}, 400, "body: not JSON"),
        (b"\xff\xfe\x00garbage", {}, 400, "body: not JSON"),
        (b"[1, 2, 3]", {}, 400, "body: must be a JSON object"),
        (b'{"timestamp": 1764057600000}', {}, 400, "records: must be a JSON array"),
        (b'{"records": {"data": "e30="}}', {}, 400, "records: must be a JSON array"),
        (b"", {}, 400, "records: must be a JSON array"),
        (b"plain", {"HTTP_CONTENT_ENCODING": "gzip"}, 400, "Content-Encoding is gzip but the body is not"),
    ],
)
def test_garbage_is_a_clear_4xx_in_firehose_form_never_a_500(connect, body, headers, status, message):
    answer = firehose_answer(deliver(connect, body=body, headers=headers), status)
    assert message in answer["errorMessage"], answer
    assert Event.objects.count() == 0


def test_a_body_of_another_type_is_415_in_firehose_form(connect):
    response = APIClient().generic("POST", URL, b"a=b", content_type="text/plain",
                                   HTTP_X_AMZ_FIREHOSE_ACCESS_KEY=connect.token,
                                   HTTP_X_AMZ_FIREHOSE_REQUEST_ID=REQUEST_ID)  # fmt: skip
    assert firehose_answer(response, 415)["errorMessage"]


def test_the_schema_documents_the_firehose_door(connect):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/adapters/firehose/"]["post"]
    assert operation["operationId"] == "firehose_delivery" and {"firehoseAccessKey": []} in operation["security"]


# --- the real month -------------------------------------------------------------------------------------

BANK_DAYS = (date(1999, 2, 1), date(1999, 2, 2))


def _z(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bank_as_contact_records(directory: Path) -> int:
    """Write the bank's calls of ``BANK_DAYS`` (as the Anonymous Bank converter reads them) as the contact
    records Amazon Connect would have written: queued, then answered (talk, no hold, no after-contact work)
    and disconnected, or abandoned; queues named "CC <queue>" so that they sit beside the bank import's own.
    Written as Firehose puts them in S3: by hour in nested folders, back to back, some gzip, one as lines and
    one as an array. Returns the number of calls."""
    by_hour: dict[str, list[dict]] = {}
    calls = 0
    for _, row in bank_rows(BANK, days=set(BANK_DAYS)):
        calls += 1
        offered = _z(row["offered_at"])
        record = copy.deepcopy(ctr())
        record.update(ContactId=row["contact_id"], InitiationTimestamp=offered, ConnectedToSystemTimestamp=offered,
                      TransferCompletedTimestamp=None, Attributes={})  # fmt: skip
        record["Queue"].update(Name=f"CC {row['queue']}", EnqueueTimestamp=offered)
        record["CustomerEndpoint"] = (
            {"Address": row["customer_ref"], "Type": "TELEPHONE_NUMBER"} if row["customer_ref"] else None
        )
        if "answered_at" in row:
            answered = _z(row["answered_at"])
            record["Queue"]["DequeueTimestamp"] = answered
            record["Agent"].update(Username=row["agent"], ConnectedToAgentTimestamp=answered, CustomerHoldDuration=0,
                                   AfterContactWorkDuration=None, AfterContactWorkStartTimestamp=None,
                                   AfterContactWorkEndTimestamp=None,
                                   AgentInteractionDuration=int(row["talk_s"]) if "talk_s" in row else None)  # fmt: skip
            ended = _z(row["ended_at"]) if "ended_at" in row else None
            record.update(DisconnectTimestamp=ended, LastUpdateTimestamp=ended or answered)
        else:
            gone = _z(row["abandoned_at"])
            record["Queue"]["DequeueTimestamp"] = gone
            record.update(Agent=None, DisconnectTimestamp=gone, LastUpdateTimestamp=gone)
        by_hour.setdefault(offered[:13], []).append(record)
    for number, (hour, records) in enumerate(sorted(by_hour.items())):
        folder = directory / hour[:4] / hour[5:7] / hour[8:10]
        folder.mkdir(parents=True, exist_ok=True)
        name = f"kcc-ctr-1-{hour.replace(':', '-')}"
        if number % 4 == 0:
            (folder / f"{name}.gz").write_bytes(gzip.compress("".join(json.dumps(r) for r in records).encode()))
        elif number % 4 == 1:
            (folder / name).write_text("\n".join(json.dumps(r) for r in records) + "\n")
        elif number % 4 == 2:
            (folder / f"{name}.json").write_text(json.dumps(records))
        else:
            (folder / name).write_text("".join(json.dumps(r) for r in records))
    return calls


@pytest.mark.django_db
@pytest.mark.skipif(not BANK.is_file(), reason=f"the real-world data set is not at {BANK} (see shared/data/realworld)")
def test_the_real_month_as_contact_records_gives_the_daily_figures_of_the_bank_import(tmp_path, capsys):
    args = [a for d in BANK_DAYS for a in ("--day", d.isoformat())]
    call_command("import_anonymous_bank", str(BANK), *args)
    assert "0 rejected" in capsys.readouterr().out
    calls = _bank_as_contact_records(tmp_path)
    call_command("import_connect_ctr", str(tmp_path))
    out, err = capsys.readouterr()
    assert f"{calls} records read, {calls} mapped" in out and " 0 rejected" in out and "malformed records: 0" in out
    assert err == ""
    compared = 0
    for day in BANK_DAYS:
        report = report_api(
            kind="daily", first_day=day, scope=ReportFilter(), now=datetime(2026, 11, 26, 12, tzinfo=TZ)
        )
        rows = {r["queue"]: r for r in report["rows"]}
        banks = [name for name in rows if name.startswith("Bank ") and rows[name]["offered"]]
        assert banks
        for name in banks:
            bank, connect = rows[name], rows[f"CC {name}"]
            for figure in ("offered", "answered", "abandoned", "short_abandoned", "service_level", "asa_s",
                           "aht_s", "max_wait_s", "repeat_contacts"):  # fmt: skip
                assert connect[figure] == bank[figure], (day, name, figure)
            compared += bank["offered"]
    assert compared == calls > 2000
    source = Source.objects.get(name="connect")
    assert source.kind == SourceKind.CONNECT and source.delivered_count == Event.objects.filter(source=source).count()
    call_command("import_connect_ctr", str(tmp_path))  # again: nothing changes
    assert " 0 accepted" in capsys.readouterr().out


def test_create_source_token_tells_where_firehose_delivers(db):
    from io import StringIO

    out = StringIO()
    call_command("create_source_token", "connect-eu", "--kind", "connect", stdout=out)
    text = out.getvalue()
    assert "https://<host>/api/v1/adapters/firehose/" in text and "import_connect_ctr DIR --source connect-eu" in text
    token = text.strip().splitlines()[-1]
    source = Source.objects.get(name="connect-eu")
    source.token = token
    firehose_answer(deliver(source, [agent_event("HEART_BEAT")]), 200)


def test_a_transfer_counts_on_the_first_contact_and_the_next_contact_is_offered_in_its_own_queue(connect):
    nxt = "7f2b3c4d-0000-4000-8000-0000000000aa"
    now = datetime.now(UTC).replace(microsecond=0)
    first = live_ctr(CONTACT, 600, NextContactId=nxt, TransferCompletedTimestamp=iso(-390, now))
    second = live_ctr(nxt, 390, PreviousContactId=CONTACT, InitialContactId=CONTACT, InitiationMethod="TRANSFER",
                      Queue__Name="Second line", Agent__Username="bob")  # fmt: skip
    firehose_answer(deliver(connect, [second, first]), 200)
    one = Contact.objects.get(contact_id=f"connect-live:{CONTACT}")
    two = Contact.objects.get(contact_id=f"connect-live:{nxt}")
    assert (one.transfers, one.talk_s, one.agent.login_id, one.queue.name) == (1, 180, "ann", "Support")
    assert (two.queue.name, two.agent.login_id, two.customer_ref) == ("Second line", "bob", "")
    assert one.customer_ref == customer_ref("+31612345678")
