"""Asterisk queue_log adapter: the pure mapping of each documented event (lines written from Asterisk's
queue_log documentation), the reading of a file (malformed lines by number, unknown events counted, a half
last line left pending), the import through the ingest service (idempotent), and the real-world month
written out as a queue_log giving the same daily figures as ``import_anonymous_bank`` (the Anonymous Bank
records of the Technion SEE Center, Mandelbaum & Guedj, read where they lie, never copied here)."""

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from dashboard.core.models import Agent, AgentStateSpan, Contact
from dashboard.ingest.importers.anonymous_bank import bank_rows
from dashboard.ingest.importers.queue_log import MalformedLineError, Reading, line_events, read_events
from dashboard.ingest.queue_log_imports import caller_ref, queue_log_import
from dashboard.intervals.models import QueueInterval, TeamInterval
from dashboard.reports.selectors import ReportFilter, report_api

TZ = ZoneInfo("Europe/Amsterdam")
BANK = Path(__file__).resolve().parents[3] / "shared" / "data" / "realworld" / "data_anonymous_bank_february.txt"
NOW = datetime(2026, 11, 26, 12, tzinfo=TZ)
T0 = int(datetime(2026, 11, 24, 9, 0, tzinfo=TZ).timestamp())  # 08:00 UTC
UID = "1764057600.42"


def at(offset: int) -> str:
    return datetime.fromtimestamp(T0 + offset, UTC).isoformat()


def hashed(caller: str) -> str:
    return f"h:{caller}"


# (line, event name, [(type, fields the event carries besides id/type/at)], at offset)
MAPPED = [
    (f"{T0}|{UID}|support|NONE|ENTERQUEUE||0612345678|1", "ENTERQUEUE",
     [("contact.offered", {"contact_id": UID, "queue": "support", "channel": "voice", "customer_ref": "h:0612345678"})]),
    (f"{T0}|{UID}|support|NONE|ENTERQUEUE||anonymous|1", "ENTERQUEUE",
     [("contact.offered", {"contact_id": UID, "queue": "support", "channel": "voice"})]),
    (f"{T0}|{UID}|support|SIP/1001|CONNECT|15|1764057615.43|4", "CONNECT",
     [("contact.answered", {"contact_id": UID, "agent": "SIP/1001"})]),
    (f"{T0}|{UID}|support|SIP/1001|COMPLETECALLER|15|120|1", "COMPLETECALLER",
     [("contact.ended", {"contact_id": UID, "talk_s": 120.0})]),
    (f"{T0}|{UID}|support|Alice|COMPLETEAGENT|15|95|2", "COMPLETEAGENT",
     [("contact.ended", {"contact_id": UID, "talk_s": 95.0})]),
    (f"{T0}|{UID}|support|NONE|ABANDON|3|1|45", "ABANDON", [("contact.abandoned", {"contact_id": UID})]),
    (f"{T0}|{UID}|support|NONE|EXITWITHTIMEOUT|2|1|300", "EXITWITHTIMEOUT",
     [("contact.abandoned", {"contact_id": UID})]),
    (f"{T0}|{UID}|support|NONE|EXITEMPTY|1|1|2", "EXITEMPTY", [("contact.abandoned", {"contact_id": UID})]),
    (f"{T0}|{UID}|support|NONE|EXITWITHKEY|5|2|1|30", "EXITWITHKEY", [("contact.abandoned", {"contact_id": UID})]),
    (f"{T0}|{UID}|support|SIP/1001|TRANSFER|2001|from-internal|10|60|1", "TRANSFER",
     [("contact.transferred", {"contact_id": UID, "to_agent": "2001"}),
      ("contact.ended", {"contact_id": UID, "talk_s": 60.0})]),
    (f"{T0}|{UID}|support|SIP/1001|BLINDTRANSFER|2002|from-internal|10|61|1", "BLINDTRANSFER",
     [("contact.transferred", {"contact_id": UID, "to_agent": "2002"}),
      ("contact.ended", {"contact_id": UID, "talk_s": 61.0})]),
    (f"{T0}|{UID}|support|SIP/1001|ATTENDEDTRANSFER|BRIDGE|b7a3e1|10|62|1", "ATTENDEDTRANSFER",
     [("contact.transferred", {"contact_id": UID, "to_agent": "b7a3e1"}),
      ("contact.ended", {"contact_id": UID, "talk_s": 62.0})]),
    (f"{T0}|NONE|support|SIP/1001|PAUSE|Lunch", "PAUSE",
     [("agent.state", {"agent": "SIP/1001", "state": "paused", "reason": "Lunch"})]),
    (f"{T0}|NONE|support|SIP/1001|PAUSE|", "PAUSE", [("agent.state", {"agent": "SIP/1001", "state": "paused"})]),
    (f"{T0}|NONE|support|SIP/1001|UNPAUSE|", "UNPAUSE", [("agent.state", {"agent": "SIP/1001", "state": "available"})]),
    (f"{T0}|NONE|NONE|SIP/1001|PAUSEALL|Break", "PAUSEALL",
     [("agent.state", {"agent": "SIP/1001", "state": "paused", "reason": "Break"})]),
    (f"{T0}|NONE|NONE|SIP/1001|UNPAUSEALL|", "UNPAUSEALL",
     [("agent.state", {"agent": "SIP/1001", "state": "available"})]),
    (f"{T0}|NONE|NONE|Agent/1001|AGENTLOGIN|SIP/1001", "AGENTLOGIN",
     [("agent.state", {"agent": "Agent/1001", "state": "available"})]),
    (f"{T0}|NONE|NONE|Agent/1001|AGENTLOGOFF|SIP/1001|3600", "AGENTLOGOFF",
     [("agent.state", {"agent": "Agent/1001", "state": "logged_out"})]),
    (f"{T0}|NONE|NONE|Agent/1002|AGENTCALLBACKLOGIN|1002@from-internal", "AGENTCALLBACKLOGIN",
     [("agent.state", {"agent": "Agent/1002", "state": "available"})]),
    (f"{T0}|NONE|NONE|Agent/1002|AGENTCALLBACKLOGOFF|1002@from-internal|7200|CommandLogoff", "AGENTCALLBACKLOGOFF",
     [("agent.state", {"agent": "Agent/1002", "state": "logged_out"})]),
    (f"{T0}|NONE|support|Bob|ADDMEMBER|", "ADDMEMBER", [("agent.state", {"agent": "Bob", "state": "available"})]),
    (f"{T0}|NONE|support|Bob|REMOVEMEMBER|", "REMOVEMEMBER",
     [("agent.state", {"agent": "Bob", "state": "logged_out"})]),
    (f"{T0}|{UID}|support|SIP/1002|RINGNOANSWER|15000", "RINGNOANSWER", []),
    (f"{T0}|NONE|NONE|NONE|QUEUESTART|", "QUEUESTART", []),
    (f"{T0}|NONE|NONE|NONE|CONFIGRELOAD|", "CONFIGRELOAD", []),
    (f"{T0}|{UID}|support|NONE|DID|0201234567", "DID", []),
    (f"{T0}|{UID}|support|NONE|INFO|somedata", "INFO", []),
    (f"{T0}|{UID}|support|NONE|SOMETHINGNEW|1|2", "SOMETHINGNEW", []),
]  # fmt: skip


@pytest.mark.parametrize(("line", "name", "expected"), MAPPED, ids=[f"{i}-{m[1]}" for i, m in enumerate(MAPPED)])
def test_each_documented_event_maps_to_its_ingest_events(line, name, expected):
    got_name, events = line_events(line, hash_caller=hashed)
    assert got_name == name
    assert [(e["type"], {k: v for k, v in e.items() if k not in ("id", "type", "at")}) for e in events] == expected
    assert all(e["at"] == at(0) for e in events)
    assert len({e["id"] for e in events}) == len(events)  # one line's events have ids of their own
    again = line_events(line, hash_caller=hashed)[1]
    assert [e["id"] for e in again] == [e["id"] for e in events]  # deterministic


def test_event_ids_differ_by_call_event_and_time():
    ids = {
        line_events(f"{T0}|{UID}|q|NONE|ENTERQUEUE||x|1")[1][0]["id"],
        line_events(f"{T0 + 1}|{UID}|q|NONE|ENTERQUEUE||x|1")[1][0]["id"],
        line_events(f"{T0}|{UID}9|q|NONE|ENTERQUEUE||x|1")[1][0]["id"],
        line_events(f"{T0}|{UID}|q|NONE|ABANDON|1|1|3")[1][0]["id"],
        line_events(f"{T0}|{UID}|q|NONE|EXITEMPTY|1|1|3")[1][0]["id"],
    }
    assert len(ids) == 5
    # the same PAUSE logged once per queue the member is in is one state change
    assert (line_events(f"{T0}|NONE|sales|Bob|PAUSE|x")[1][0]["id"]
            == line_events(f"{T0}|NONE|support|Bob|PAUSE|x")[1][0]["id"])  # fmt: skip


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("garbage", "has 1 fields"),
        ("1764057600|x|q|a", "has 4 fields"),
        (f"noon|{UID}|q|NONE|ENTERQUEUE||x|1", "epoch 'noon'"),
        (f"99999999999999999999|{UID}|q|NONE|ENTERQUEUE||x|1", "epoch"),
        (f"{T0}|{UID}|q|NONE||x", "no event name"),
        (f"{T0}|{UID}|NONE|NONE|ENTERQUEUE||x|1", "ENTERQUEUE names no queue"),
        (f"{T0}|NONE|q|NONE|ENTERQUEUE||x|1", "names no call"),
        (f"{T0}|{UID}|q|NONE|CONNECT|15|x|4", "CONNECT names no agent"),
        (f"{T0}|{UID}|q|Bob|COMPLETECALLER|15|long|1", "calltime (data2) 'long'"),
        (f"{T0}|{UID}|q|Bob|COMPLETEAGENT|15|-3|1", "must be 0 or more"),
        (f"{T0}|{UID}|q|Bob|COMPLETECALLER|15", "calltime (data2) ''"),
        (f"{T0}|{UID}|q|Bob|TRANSFER||ctx|10|60|1", "no transfer target"),
        (f"{T0}|NONE|q|NONE|PAUSE|Lunch", "PAUSE names no agent"),
    ],
)
def test_malformed_lines_say_why(line, reason):
    with pytest.raises(MalformedLineError) as error:
        line_events(line)
    assert reason in str(error.value)


def test_reading_a_file_reports_malformed_lines_counts_skips_and_leaves_a_half_last_line():
    text = (
        f"{T0}|NONE|NONE|NONE|QUEUESTART|\n"  # 1
        f"{T0 + 1}|{UID}|support|NONE|ENTERQUEUE||0612345678|1\n"  # 2
        "this is not a queue_log line\n"  # 3
        "\n"  # 4: blank, ignored
        f"{T0 + 2}|{UID}|support|SIP/1002|RINGNOANSWER|15000\n"  # 5
        f"{T0 + 3}|{UID}|support|SIP/1002|RINGNOANSWER|15000\n"  # 6
        f"{T0 + 4}|{UID}|support|NONE|WEIRDEVENT|1\n"  # 7
        f"{T0 + 5}|{UID}|support|Bob|CONNECT|5|x|2\n"  # 8
        f"{T0 + 6}|{UID}|support|NONE|CONNECT|5|x|2\n"  # 9: no agent
        f"{T0 + 9}|{UID}|support|Bob|COMPLETECAL"  # 10: still being written
    )
    reading = Reading()
    out = list(read_events(io.StringIO(text), reading=reading))
    assert [n for n, _ in out] == [2, 8]
    assert reading.malformed == [(3, "has 1 fields; a queue_log line has at least 5 (epoch|uniqueid|queue|agent|event)"),
                                 (9, "CONNECT names no agent (field 4)")]  # fmt: skip
    assert (reading.lines, reading.mapped, reading.malformed_count) == (8, 2, 2)
    assert reading.skipped == {"QUEUESTART": 1, "RINGNOANSWER": 2} and reading.unknown == {"WEIRDEVENT": 1}
    assert reading.pending == f"{T0 + 9}|{UID}|support|Bob|COMPLETECAL"


# --- through the ingest service -------------------------------------------------------------------------

DAY = (
    f"{T0 - 60}|NONE|NONE|NONE|QUEUESTART|\n"
    f"{T0 - 50}|NONE|support|Ann|ADDMEMBER|\n"
    f"{T0 - 50}|NONE|support|Bob|ADDMEMBER|\n"
    f"{T0 - 40}|NONE|support|Bob|PAUSE|Lunch\n"
    f"{T0 - 40}|NONE|sales|Bob|PAUSE|Lunch\n"
    # call 1: answered by Ann after 20 s, 120 s talk
    f"{T0}|1764057600.1|support|NONE|ENTERQUEUE||0612345678|1\n"
    f"{T0 + 20}|1764057600.1|support|Ann|CONNECT|20|1764057620.2|3\n"
    f"{T0 + 140}|1764057600.1|support|Ann|COMPLETECALLER|20|120|1\n"
    # call 2: hangs up after 45 s
    f"{T0 + 10}|1764057610.3|support|NONE|ENTERQUEUE||0687654321|2\n"
    f"{T0 + 55}|1764057610.3|support|NONE|ABANDON|1|2|45\n"
    # call 3: rings Bob unanswered, then Ann answers after 30 s; she transfers it to 2001 after 60 s
    f"{T0 + 150}|1764057750.4|support|NONE|ENTERQUEUE||0612345678|1\n"
    f"{T0 + 165}|1764057750.4|support|Bob|RINGNOANSWER|15000\n"
    f"{T0 + 180}|1764057750.4|support|Ann|CONNECT|30|1764057780.5|15\n"
    f"{T0 + 240}|1764057750.4|support|Ann|BLINDTRANSFER|2001|from-internal|30|60|1\n"
    # call 4: leaves by timeout after 300 s
    f"{T0 + 200}|1764057800.6|support|NONE|ENTERQUEUE||0611111111|2\n"
    f"{T0 + 500}|1764057800.6|support|NONE|EXITWITHTIMEOUT|1|2|300\n"
    f"{T0 + 600}|NONE|support|Bob|UNPAUSE|\n"
    f"{T0 + 3600}|NONE|support|Ann|REMOVEMEMBER|\n"
    f"{T0 + 3601}|NONE|support|Ann|SOMETHINGNEW|\n"
    "nonsense line\n"
)


def _figures():
    contacts = sorted(
        Contact.objects.filter(contact_id__startswith="queue_log:").values_list(
            "contact_id", "seq", "queue__name", "agent__login_id", "offered_at", "answered_at", "abandoned_at",
            "ended_at", "talk_s", "transfers", "transferred_to_agent", "customer_ref",
        )
    )  # fmt: skip
    intervals = sorted(
        QueueInterval.objects.filter(queue__name="support").values_list(
            "start", "offered", "answered", "abandoned", "wait_answered_ms", "talk_ms", "transferred_out",
            "repeat_contacts",
        )
    )  # fmt: skip
    return contacts, intervals


@pytest.mark.django_db
def test_a_day_imports_through_the_ingest_service_with_calls_and_agent_states():
    result = queue_log_import(stream=io.StringIO(DAY), now=NOW)
    assert (result.reading.lines, result.reading.malformed) == (20, [(20, "has 1 fields; a queue_log line has at "
                                                                          "least 5 (epoch|uniqueid|queue|agent|event)")])  # fmt: skip
    assert (result.reading.mapped, result.accepted, result.rejected) == (16, 16, 0)
    assert result.duplicates == 1  # one PAUSE per queue the member is in is one state change
    calls = {c.contact_id.split(":", 1)[1]: c for c in Contact.objects.filter(contact_id__startswith="queue_log:")}
    one, two, three, four = (calls[u] for u in ("1764057600.1", "1764057610.3", "1764057750.4", "1764057800.6"))
    assert one.agent.login_id == "Ann" and one.answered_at - one.offered_at == timedelta(seconds=20)
    assert one.talk_s == 120 and one.ended_at - one.offered_at == timedelta(seconds=140)
    assert two.answered_at is None and two.abandoned_at - two.offered_at == timedelta(seconds=45)
    assert three.agent.login_id == "Ann" and three.answered_at - three.offered_at == timedelta(seconds=30)
    assert (three.transfers, three.transferred_to_agent, three.talk_s) == (1, "2001", 60)
    assert four.answered_at is None and four.abandoned_at - four.offered_at == timedelta(seconds=300)
    assert one.customer_ref == three.customer_ref == caller_ref("0612345678") and "0612345678" not in one.customer_ref
    bob = Agent.objects.get(login_id="Bob")
    spans = list(AgentStateSpan.objects.filter(agent=bob).order_by("start").values_list("state", "reason"))
    assert ("paused", "Lunch") in spans and spans[-1] == ("available", "")
    ann = list(AgentStateSpan.objects.filter(agent__login_id="Ann").order_by("start").values_list("state", flat=True))
    assert ann[-1] == "logged_out"
    interval = QueueInterval.objects.get(queue__name="support", start=datetime(2026, 11, 24, 9, tzinfo=TZ))
    assert (interval.offered, interval.answered, interval.abandoned) == (4, 2, 2)
    assert interval.wait_answered_ms == 50_000 and interval.repeat_contacts == 1
    # the agent lines reach the team rows too (agents the source created have no team): Bob's lunch
    team = TeamInterval.objects.get(team=None, start=datetime(2026, 11, 24, 9, tzinfo=TZ))
    assert team.paused_by_reason == {"Lunch": 600}


@pytest.mark.django_db
def test_the_command_imports_a_file_twice_without_changing_anything(tmp_path, capsys):
    path = tmp_path / "queue_log"
    path.write_text(DAY + f"{T0 + 4000}|1764061600.9|support|NONE|ENTERQU")  # a last line being written
    call_command("import_queue_log", str(path))
    out, err = capsys.readouterr()
    assert "20 lines read, 16 mapped" in out and "16 accepted, 1 duplicate, 0 rejected" in out
    assert "QUEUESTART 1" in out and "RINGNOANSWER 1" in out and "unknown events: SOMETHINGNEW 1" in out
    assert "left for the next run" in out and "line 20: has 1 fields" in err
    first = _figures()
    assert len(first[0]) == 4 and first[1]
    call_command("import_queue_log", str(path))
    out = capsys.readouterr().out
    assert "0 accepted, 17 duplicate, 0 rejected" in out
    assert _figures() == first
    call_command("import_queue_log", str(path), "--source", "pbx-2")  # another source: other contacts
    assert Contact.objects.filter(contact_id__startswith="pbx-2:").count() == 4


# --- the real-world data ---------------------------------------------------------------------------------

BANK_DAYS = (date(1999, 2, 1), date(1999, 2, 2))


def _bank_as_queue_log(path: Path) -> int:
    """Write the bank's calls of ``BANK_DAYS`` (as the Anonymous Bank converter reads them) as the
    queue_log Asterisk would have written: ENTERQUEUE, then CONNECT and COMPLETECALLER, or ABANDON; queues
    named "QL <queue>" so that they sit beside the bank import's own. Returns the number of calls."""
    lines: list[tuple[int, str]] = []
    calls = 0
    for _, row in bank_rows(BANK, days=set(BANK_DAYS)):
        calls += 1
        uid, queue = row["contact_id"], f"QL {row['queue']}"
        offered = int(datetime.fromisoformat(row["offered_at"]).timestamp())
        lines.append((offered, f"{offered}|{uid}|{queue}|NONE|ENTERQUEUE||{row['customer_ref']}|1"))
        if "answered_at" in row:
            answered = int(datetime.fromisoformat(row["answered_at"]).timestamp())
            lines.append((answered, f"{answered}|{uid}|{queue}|{row['agent']}|CONNECT|{answered - offered}|x.1|0"))
            if "ended_at" in row:
                ended = int(datetime.fromisoformat(row["ended_at"]).timestamp())
                lines.append((ended, f"{ended}|{uid}|{queue}|{row['agent']}|COMPLETECALLER|"
                                     f"{answered - offered}|{row['talk_s']}|1"))  # fmt: skip
        else:
            gone = int(datetime.fromisoformat(row["abandoned_at"]).timestamp())
            lines.append((gone, f"{gone}|{uid}|{queue}|NONE|ABANDON|1|1|{gone - offered}"))
    lines.sort(key=lambda pair: pair[0])
    path.write_text("".join(text + "\n" for _, text in lines))
    return calls


@pytest.mark.django_db
@pytest.mark.skipif(not BANK.is_file(), reason=f"the real-world data set is not at {BANK} (see shared/data/realworld)")
def test_the_real_month_as_a_queue_log_gives_the_daily_figures_of_the_bank_import(tmp_path, capsys):
    args = [a for d in BANK_DAYS for a in ("--day", d.isoformat())]
    call_command("import_anonymous_bank", str(BANK), *args)
    assert "0 rejected" in capsys.readouterr().out
    path = tmp_path / "queue_log"
    calls = _bank_as_queue_log(path)
    call_command("import_queue_log", str(path))
    out = capsys.readouterr().out
    assert " 0 rejected" in out and "malformed lines: 0" in out
    compared = 0
    for day in BANK_DAYS:
        report = report_api(kind="daily", first_day=day, scope=ReportFilter(), now=NOW)
        rows = {r["queue"]: r for r in report["rows"]}
        banks = [name for name in rows if name.startswith("Bank ") and rows[name]["offered"]]
        assert banks
        for name in banks:
            bank, queue_log = rows[name], rows[f"QL {name}"]
            for figure in (
                "offered",
                "answered",
                "abandoned",
                "short_abandoned",
                "service_level",
                "asa_s",
                "aht_s",
                "max_wait_s",
                "repeat_contacts",
            ):
                assert queue_log[figure] == bank[figure], (day, name, figure)
            compared += bank["offered"]
    assert compared == calls > 2000
