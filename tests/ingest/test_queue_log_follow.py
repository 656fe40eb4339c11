"""Following a queue_log as Asterisk writes it (``dashboard.ingest.queue_log_follow``): appended lines, a half
last line, rotation by move and by copytruncate (while running and while stopped), a restart that resumes
from the stored position without losing or repeating a line (also after a crash between two batches),
the position committed with its batch or not at all, and malformed lines reported by their number
without stopping. Real files in a temporary directory, the real ingest service and database."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError

from dashboard.core.models import Contact, Event, Source
from dashboard.ingest import queue_log_follow as follow
from dashboard.ingest.imports import history_source
from dashboard.ingest.queue_log_follow import Position, QueueLogFollower, queue_log_follow
from dashboard.ingest.services import events_ingest

pytestmark = pytest.mark.django_db

SOURCE = "pbx-test"
T0 = int(time.time()) - 3600  # an hour ago: within today's live window


def call(n: int) -> str:
    """The ENTERQUEUE line of call ``n`` (one event, id ``c<n>:ENTERQUEUE:<epoch>:offered``)."""
    return f"{T0 + n}|c{n}|support|NONE|ENTERQUEUE||06123{n:05d}|1\n"


def calls(*numbers: int) -> str:
    return "".join(call(n) for n in numbers)


def logged() -> list[str]:
    """The calls in the event log, in the order of their number (each must be there exactly once)."""
    ids = Event.objects.filter(source__name=SOURCE).values_list("event_id", flat=True)
    return sorted((i.split(":")[0] for i in ids), key=lambda c: int(c[1:]))


def expected(*numbers: int) -> list[str]:
    return [f"c{n}" for n in sorted(numbers)]


def append(path: Path, text: str) -> None:
    with path.open("a") as f:
        f.write(text)


def drain(follower: QueueLogFollower, *, polls: int = 20) -> None:
    """Poll until nothing more happens (as the loop would, without its sleeps)."""
    idle = 0
    for _ in range(polls):
        idle = 0 if follower.step() else idle + 1
        if idle >= 2:
            return
    raise AssertionError("the follower did not settle")


def new_follower(path: Path, messages: list[str] | None = None, **options) -> QueueLogFollower:
    said = messages if messages is not None else []
    return QueueLogFollower(path=path, source_name=SOURCE, say=said.append, **options)


def stored() -> Position | None:
    return Position.from_dict(Source.objects.get(name=SOURCE).follow_position)


def test_appended_lines_are_read_and_the_position_stored_with_them(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2))
    follower = new_follower(path)
    drain(follower)
    assert logged() == expected(1, 2)
    append(path, calls(3, 4, 5))
    drain(follower)
    assert logged() == expected(1, 2, 3, 4, 5)
    assert Contact.objects.filter(contact_id__startswith=f"{SOURCE}:").count() == 5
    position = stored()
    st = path.stat()
    assert (position.offset, position.line) == (st.st_size, 5)
    assert (position.device, position.inode) == (st.st_dev, st.st_ino) and len(position.head) == 64
    assert (follower.totals.accepted, follower.totals.duplicates, follower.totals.batches) == (5, 0, 2)


def test_a_half_written_last_line_waits_for_its_newline(tmp_path):
    path = tmp_path / "queue_log"
    whole = call(2)
    path.write_text(call(1) + whole[:12])
    follower = new_follower(path)
    drain(follower)
    assert logged() == expected(1)
    assert stored().offset == len(call(1))  # the half line is not counted as read
    append(path, whole[12:])
    drain(follower)
    assert logged() == expected(1, 2) and follower.totals.malformed == 0


def test_a_file_moved_away_is_read_to_its_end_then_the_new_one(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2))
    messages: list[str] = []
    follower = new_follower(path, messages)
    drain(follower)
    append(path, call(3))  # written before the rotation, not read yet
    os.rename(path, tmp_path / "queue_log.1")
    path.write_text("")  # logrotate's create: the writer has not moved to it yet
    append(tmp_path / "queue_log.1", call(4) + call(7)[:-1])  # so it may still write to the old one
    drain(follower)
    assert logged() == expected(1, 2, 3, 4)  # the last line, without its newline yet, waits
    append(path, calls(5, 6))  # the writer moved to the new file: the old one is complete
    drain(follower)
    assert logged() == expected(1, 2, 3, 4, 5, 6, 7)
    assert stored().inode == path.stat().st_ino and stored().line == 2
    assert follower.totals.rotations == 1 and any("rotated" in m for m in messages)


def test_a_line_written_to_the_old_file_just_before_the_switch_is_read(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1))
    follower = new_follower(path)
    drain(follower)
    os.rename(path, tmp_path / "queue_log.1")
    path.write_text(call(3))
    looked = follower._is

    def writer_still_at_the_old_file(fd, pos):  # after the poll found nothing new in it
        append(tmp_path / "queue_log.1", call(2))
        follower._is = looked
        return looked(fd, pos)

    follower._is = writer_still_at_the_old_file
    drain(follower)
    assert logged() == expected(1, 2, 3) and follower.totals.rotations == 1


def test_copytruncate_reads_the_lines_written_before_the_copy_from_the_copy(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2))
    messages: list[str] = []
    follower = new_follower(path, messages)
    drain(follower)
    append(path, calls(3, 4))  # written, not read, then copied and the file cut
    shutil.copyfile(path, tmp_path / "queue_log.1")
    os.truncate(path, 0)
    append(path, call(5))
    drain(follower)
    assert logged() == expected(1, 2, 3, 4, 5)
    assert stored().inode == path.stat().st_ino and (stored().offset, stored().line) == (len(call(5)), 1)
    assert any("copytruncate" in m for m in messages)


def test_copytruncate_without_a_copy_reads_the_file_from_its_start(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2, 3))
    follower = new_follower(path)
    drain(follower)
    os.truncate(path, 0)
    append(path, calls(4, 5, 6, 7))  # longer than before by the next poll: the first line tells
    drain(follower)
    assert logged() == expected(1, 2, 3, 4, 5, 6, 7)


def test_a_restart_resumes_at_the_stored_position_without_loss_or_repeat(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2, 3) + call(4)[:5])
    first = new_follower(path)
    drain(first)
    first.close()
    append(path, call(4)[5:] + calls(5, 6))  # written while stopped
    messages: list[str] = []
    second = new_follower(path, messages)
    drain(second)
    assert logged() == expected(1, 2, 3, 4, 5, 6)
    assert (second.totals.accepted, second.totals.duplicates) == (3, 0)
    assert any("resuming at line 4" in m for m in messages)


def test_a_restart_after_a_rotation_while_stopped_reads_the_old_files_rest_first(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2))
    first = new_follower(path)
    drain(first)
    first.close()
    append(path, calls(3, 4))
    os.rename(path, tmp_path / "queue_log.1")
    (tmp_path / "queue_log.2.gz").write_bytes(b"\x1f\x8b not read")
    path.write_text(calls(5, 6))
    second = new_follower(path)
    drain(second)
    assert logged() == expected(1, 2, 3, 4, 5, 6) and second.totals.duplicates == 0
    assert stored().inode == path.stat().st_ino


def test_a_restart_after_copytruncate_while_stopped_reads_the_rest_from_the_copy(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2))
    first = new_follower(path)
    drain(first)
    first.close()
    append(path, calls(3))
    shutil.copyfile(path, tmp_path / "queue_log-20261201")
    os.truncate(path, 0)
    append(path, calls(4, 5, 6, 7, 8, 9))  # already longer than the old position
    second = new_follower(path)
    drain(second)
    assert logged() == expected(*range(1, 10)) and second.totals.duplicates == 0


def test_when_the_file_read_before_is_gone_the_path_is_read_from_its_start(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2))
    first = new_follower(path)
    drain(first)
    first.close()
    path.unlink()
    path.write_text(calls(3))
    messages: list[str] = []
    second = new_follower(path, messages)
    drain(second)
    assert logged() == expected(1, 2, 3)
    assert any("is gone" in m and "from its start" in m for m in messages)


def test_a_crash_between_batches_loses_and_repeats_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(follow, "EVENTS_PER_BATCH", 3)
    path = tmp_path / "queue_log"
    path.write_text(calls(*range(1, 11)))
    real_ingest = follow.events_ingest
    batches = []

    def ingest_then_die(**kwargs):
        if len(batches) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        batches.append(len(kwargs["events"]))
        return real_ingest(**kwargs)

    monkeypatch.setattr(follow, "events_ingest", ingest_then_die)
    crashed = new_follower(path)
    with pytest.raises(OperationalError):
        drain(crashed)
    crashed.close()
    assert batches == [3, 3] and logged() == expected(*range(1, 7))
    assert stored().line == 6
    monkeypatch.setattr(follow, "events_ingest", real_ingest)
    restarted = new_follower(path)
    drain(restarted)
    assert logged() == expected(*range(1, 11))
    assert (restarted.totals.accepted, restarted.totals.duplicates) == (4, 0)


def test_a_stop_during_a_long_read_stops_after_the_batch_under_way(tmp_path, monkeypatch):
    monkeypatch.setattr(follow, "EVENTS_PER_BATCH", 3)
    path = tmp_path / "queue_log"
    path.write_text(calls(*range(1, 11)))
    stopping = new_follower(path)
    real_ingest = follow.events_ingest

    def ingest_then_stop(**kwargs):
        stopping.stop.set()  # SIGTERM arrives while this batch is stored
        return real_ingest(**kwargs)

    monkeypatch.setattr(follow, "events_ingest", ingest_then_stop)
    assert stopping.step()
    stopping.close()
    assert logged() == expected(1, 2, 3) and stored().line == 3
    monkeypatch.setattr(follow, "events_ingest", real_ingest)
    restarted = new_follower(path)
    drain(restarted)
    assert logged() == expected(*range(1, 11)) and restarted.totals.duplicates == 0


@pytest.mark.django_db(transaction=True)
def test_the_loop_waits_out_a_database_failure_and_goes_on_from_the_stored_position(tmp_path, monkeypatch):
    monkeypatch.setattr(follow, "RETRY_S", 0.05)
    path = tmp_path / "queue_log"
    path.write_text(calls(1, 2))
    real_ingest = follow.events_ingest
    failures = []

    def fail_once(**kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("could not connect to server")
        return real_ingest(**kwargs)

    monkeypatch.setattr(follow, "events_ingest", fail_once)
    stop = threading.Event()
    messages: list[str] = []
    follower = new_follower(path, messages, poll_s=0.02)
    thread = threading.Thread(target=follower.run, kwargs={"stop": stop})
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(logged()) < 2:
            assert time.monotonic() < deadline, messages
            time.sleep(0.05)
        append(path, calls(3))
        while len(logged()) < 3:
            assert time.monotonic() < deadline, messages
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert logged() == expected(1, 2, 3) and follower.totals.duplicates == 0
    assert any("the database cannot be reached" in m and "trying again" in m for m in messages)


def test_a_batch_and_its_position_commit_together_or_not_at_all(tmp_path):
    source = history_source(SOURCE)

    def fail():
        raise OperationalError("the position could not be written")

    events = [
        {"id": "x1", "type": "contact.offered", "at": "2026-12-01T09:00:00+00:00", "contact_id": "x1",
         "queue": "support", "channel": "voice"}
    ]  # fmt: skip
    with pytest.raises(OperationalError):
        events_ingest(source=source, events=events, with_batch=fail)
    assert not Event.objects.filter(source=source).exists()
    stored_with = []
    events_ingest(source=source, events=events, with_batch=lambda: stored_with.append(1))
    assert Event.objects.filter(source=source).count() == 1 and stored_with == [1]
    events_ingest(source=source, events=[{"id": "bad"}], with_batch=lambda: stored_with.append(2))
    assert stored_with == [1, 2]  # nothing valid: the position is stored on its own


def test_malformed_lines_are_reported_by_their_number_and_reading_goes_on(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1) + "garbage\n" + calls(2))
    messages: list[str] = []
    follower = new_follower(path, messages)
    drain(follower)
    append(path, f"{T0}|NONE|support|NONE|PAUSE|\n" + calls(3) + f"{T0}|c9|support|NONE|BOGUS|\n")
    drain(follower)
    assert logged() == expected(1, 2, 3)
    assert (
        "queue_log: line 2: has 1 fields; a queue_log line has at least 5 (epoch|uniqueid|queue|agent|event)"
        in messages
    )
    assert "queue_log: line 4: PAUSE names no agent (field 4)" in messages  # numbered on across reads
    assert (follower.totals.malformed, follower.totals.lines, dict(follower.totals.unknown)) == (2, 6, {"BOGUS": 1})
    assert Source.objects.get(name=SOURCE).skipped_count == 1


def test_a_line_longer_than_a_read_is_skipped_and_reported(tmp_path):
    path = tmp_path / "queue_log"
    path.write_text(calls(1) + "x" * 5000 + "\n" + calls(2))
    messages: list[str] = []
    follower = new_follower(path, messages, read_bytes=1024)
    drain(follower)
    assert logged() == expected(1, 2)
    assert "queue_log: line 2: longer than 1024 bytes; skipped" in messages


@pytest.mark.django_db(transaction=True)
def test_the_loop_stops_when_told_and_waits_for_a_file_that_is_not_there_yet(tmp_path):
    path = tmp_path / "queue_log"
    stop = threading.Event()
    messages: list[str] = []
    thread = threading.Thread(
        target=lambda: queue_log_follow(path=path, source_name=SOURCE, stop=stop, say=messages.append, poll_s=0.05)
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not messages and time.monotonic() < deadline:
            time.sleep(0.02)
        assert messages and "no such file yet" in messages[0]
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_the_command_refuses_a_directory(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="is a directory"):
        call_command("import_queue_log", str(tmp_path), "--follow")
