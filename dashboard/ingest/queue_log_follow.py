"""Following an Asterisk ``queue_log`` while Asterisk writes it (``import_queue_log FILE --follow``), the
way ``tail -F`` does, with the position kept in the database so that a restart loses and repeats nothing.

Each poll (every ``POLL_S``) reads what was appended since the last one, up to the last complete line (a
line still being written, without its newline, is left for the next read), maps it with
``dashboard.ingest.importers.queue_log`` and sends it through the one ingest service in batches. With
each batch goes the position it brings the file to, in the same transaction (``events_ingest``'s
``with_batch``): the source's ``follow_position`` holds the file's identity (device, inode and a hash of
its first line) and the byte offset and line number read up to. A batch and its position commit together
or not at all, so a restart resumes at the first line not stored: none lost, none repeated.

Rotation, while running or while stopped:

* moved away (logrotate's default ``create``): the path names a new file. Once the new file holds data
  (the writer has moved to it; until then the old file may still grow), the old one is read to its end,
  a last line without its newline included, and the new one from its start. After a restart, the file
  the position names is looked for next to the path (``queue_log.1``, ``queue_log-20261124``; not the
  compressed ones) by its device and inode, its remainder read, then the new file.
* ``copytruncate``: the file is cut to nothing in place (its size falls below the position, or its first
  line changes). What was written between the last read and the copy is read from the copy (a file next
  to it with the same first line, at least as long as the position), then the file from its start.
* When the file the position names cannot be found, the path is read from its start and a warning
  says so: lines of it imported before are duplicates and change nothing.

Malformed lines are reported by their line number and reason and the rest is read; rejected events by
line, field and reason. The intervals these events touch are aggregated by the every-minute task
(``intervals_update``), which takes up late and imported events.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import stat
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from django.db import InterfaceError, OperationalError, connection, transaction

from dashboard.core.audit import audit_record
from dashboard.core.models import Contact, Source
from dashboard.ingest.customer import customer_ref
from dashboard.ingest.importers.queue_log import Reading, read_events
from dashboard.ingest.imports import MAX_ERRORS, history_source
from dashboard.ingest.queue_log_imports import EVENTS_PER_BATCH, SOURCE_NAME
from dashboard.ingest.services import events_ingest
from dashboard.ingest.sources import source_delivery_record

log = logging.getLogger(__name__)

POLL_S = 0.25  # a line reaches the live state within this plus a batch's time
READ_BYTES = 1 << 20  # read at most this much per batch of lines
HEAD_BYTES = 4096  # a file's identity hashes its first line, or this much of it
RETRY_S = 5.0  # the database unreachable: try the same batch again after this
COMPRESSED = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".zip")


@dataclass(frozen=True)
class Position:
    """Where a followed file was read up to: which file (``device``, ``inode``, ``head`` = SHA-256 of its
    first line, empty until it has one), its ``offset`` in bytes and the number of lines before it."""

    path: str
    device: int
    inode: int
    head: str
    offset: int
    line: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Position | None:
        """The stored position, or None when there is none (or it is not one this module wrote)."""
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                path=str(data["path"]),
                device=int(data["device"]),
                inode=int(data["inode"]),
                head=str(data["head"]),
                offset=int(data["offset"]),
                line=int(data["line"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class FollowTotals:
    """What a follower has done since it started."""

    lines: int = 0
    mapped: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    batches: int = 0
    skipped: Counter = field(default_factory=Counter)
    unknown: Counter = field(default_factory=Counter)
    malformed: int = 0
    rotations: int = 0


def file_head(fd: int) -> str:
    """SHA-256 of the file's first line (newline included), or of its first ``HEAD_BYTES`` when the line
    is longer; empty while the first line is not complete."""
    data = os.pread(fd, HEAD_BYTES, 0)
    end = data.find(b"\n")
    if end >= 0:
        data = data[: end + 1]
    elif len(data) < HEAD_BYTES:
        return ""
    return hashlib.sha256(data).hexdigest()


class QueueLogFollower:
    """Follows one queue_log file into one source; see the module docstring. ``step`` is one poll,
    ``run`` polls until ``stop`` is set. ``say`` receives what an operator should read (malformed lines,
    rejections, rotations)."""

    def __init__(
        self,
        *,
        path: str | os.PathLike,
        source_name: str = SOURCE_NAME,
        poll_s: float = POLL_S,
        read_bytes: int = READ_BYTES,
        say: Callable[[str], None] | None = None,
    ):
        self.path = Path(os.path.abspath(path))
        self.source = history_source(source_name)
        self.poll_s = poll_s
        self.read_bytes = read_bytes
        self.say = say or log.warning
        self.totals = FollowTotals()
        self.fd: int | None = None
        self.stop = threading.Event()  # set: stop after the batch under way
        self.pos: Position | None = Position.from_dict(self.source.follow_position)
        self._waiting_said = False

    # --- the loop -------------------------------------------------------------------------------------

    def run(self, *, stop: threading.Event) -> FollowTotals:
        """Poll until ``stop`` is set: a batch under way is finished and committed first. A database that
        cannot be reached is tried again every ``RETRY_S`` from the last position stored."""
        self.stop = stop
        try:
            while not stop.is_set():
                try:
                    busy = self.step()
                except (OperationalError, InterfaceError) as error:
                    self.say(f"the database cannot be reached ({error}); trying again in {RETRY_S:g} s")
                    connection.close()
                    self._reload()
                    stop.wait(RETRY_S)
                    continue
                if not busy:
                    stop.wait(self.poll_s)
        finally:
            self.close()
        return self.totals

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def step(self) -> bool:
        """One poll. Returns True when it read or switched files (poll again at once)."""
        if self.fd is None and not self._open():
            return False
        if self._read():
            return True
        return self._follow_rotation()

    # --- opening and rotation -------------------------------------------------------------------------

    def _reload(self) -> None:
        """Back to the last stored position (after a failed batch whose outcome is not known here)."""
        self.close()
        try:
            self.source.refresh_from_db()
        except (OperationalError, InterfaceError):
            return
        self.pos = Position.from_dict(self.source.follow_position)

    def _open(self) -> bool:
        """Open the file the position names (the path's, or a rotated one next to it), or the path's from
        its start. False while there is nothing to open."""
        stored = self.pos
        fd = self._open_path()
        if stored is not None:
            if fd is not None and self._is(fd, stored):
                self.fd, self.pos = fd, replace(stored, path=str(self.path))
                self.say(f"{self.path}: resuming at line {stored.line + 1} (byte {stored.offset})")
                return True
            found = self._find_previous(stored)
            if found is not None:
                if fd is not None:
                    os.close(fd)
                self.fd, self.pos = found
                self.say(f"{self.pos.path}: the file read before, rotated; reading it on from line {stored.line + 1}")
                return True
            self.say(
                f"{self.path}: the file read up to line {stored.line} before (inode {stored.inode}) is gone and "
                f"no rotated copy of it was found next to it; reading {self.path.name} from its start"
            )
            self.pos = None  # said once; the path is read from its start when it appears
        if fd is None:
            if not self._waiting_said:
                self.say(f"{self.path}: no such file yet; waiting for it")
                self._waiting_said = True
            return False
        self._start(fd)
        return True

    def _open_path(self) -> int | None:
        try:
            return os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None

    def _is(self, fd: int, pos: Position) -> bool:
        """Whether the open file is the one ``pos`` names, still holding what was read of it."""
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != (pos.device, pos.inode) or st.st_size < pos.offset:
            return False
        return not pos.head or file_head(fd) == pos.head

    def _start(self, fd: int) -> None:
        """Read the file ``fd`` from its start (the position stored with it)."""
        self.close()
        st = os.fstat(fd)
        self.fd = fd
        self._save(Position(str(self.path), st.st_dev, st.st_ino, file_head(fd), 0, 0))

    def _find_previous(self, pos: Position) -> tuple[int, Position] | None:
        """The file ``pos`` names, next to the path under another name (moved by a rotation: the same
        device and inode), or a copy of it (copytruncate: the same first line, at least as long)."""
        moved: list[Path] = []
        copies: list[tuple[float, Path]] = []
        try:
            entries = list(os.scandir(self.path.parent))
        except OSError:
            return None
        for entry in entries:
            name = entry.name
            if name == self.path.name or not name.startswith(self.path.name) or name.lower().endswith(COMPRESSED):
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_size < pos.offset:
                continue
            if (st.st_dev, st.st_ino) == (pos.device, pos.inode):
                moved.append(Path(entry.path))
            elif pos.head:
                copies.append((st.st_mtime, Path(entry.path)))
        for candidate in moved + [p for _, p in sorted(copies, reverse=True)]:
            try:
                fd = os.open(candidate, os.O_RDONLY)
            except OSError:
                continue
            if pos.head and file_head(fd) != pos.head:
                os.close(fd)
                continue
            st = os.fstat(fd)
            return fd, replace(pos, path=str(candidate), device=st.st_dev, inode=st.st_ino)
        return None

    def _follow_rotation(self) -> bool:
        """Nothing new in the open file: see whether it was cut (copytruncate) or the path names another
        file now (moved away), and follow on."""
        assert self.fd is not None and self.pos is not None
        if not self._is(self.fd, self.pos):
            # Cut in place (or rewritten): what was written after the last read is in the copy, if any;
            # once it is read, the path's file is taken up again as after a move (counted there).
            found = self._find_previous(self.pos)
            if found is not None:
                self.close()
                self.fd, self.pos = found
                self.say(f"{self.path}: truncated (copytruncate); reading the rest from {Path(self.pos.path).name}")
                return True
            self.totals.rotations += 1
            self.say(f"{self.path}: truncated, no copy found next to it; reading it from its start")
            fd, self.fd = self.fd, None
            self._start(fd)
            return True
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False  # moved away and the new one not created yet: the old one may still grow
        if (st.st_dev, st.st_ino) == (self.pos.device, self.pos.inode) or st.st_size == 0:
            # the same file, or a new one the writer has not written to yet (it may still write to the old)
            return False
        # The writer has moved to the new file: the old one is complete. Read it to its end, then go on.
        while self._read():
            if self.stop.is_set():
                return True
        self._read(final=True)
        if self.stop.is_set() or self.pos.offset < os.fstat(self.fd).st_size:
            return True  # not read to its end yet
        fd = self._open_path()
        if fd is None:
            return False
        self.totals.rotations += 1
        old = self.pos.path
        self._start(fd)
        self.say(f"{self.path}: rotated; {Path(old).name} read to its end, reading the new file from its start")
        return True

    # --- reading --------------------------------------------------------------------------------------

    def _read(self, *, final: bool = False) -> bool:
        """Read the complete lines after the position (at most ``read_bytes``; with ``final``, a last line
        without its newline too: the file is complete) and store them with the new position. True when
        a line was read."""
        assert self.fd is not None and self.pos is not None
        data = os.pread(self.fd, self.read_bytes, self.pos.offset)
        if not data:
            return False
        end = data.rfind(b"\n") + 1
        if end == 0:
            if len(data) == self.read_bytes:
                return self._skip_long_line(final=final)
            if not final:
                return False  # half a line: the writer is still at it
            end = len(data)
        self._ingest(data[:end])
        return True

    def _skip_long_line(self, *, final: bool = False) -> bool:
        """A line longer than ``read_bytes``: not a queue_log line. Reported, and skipped to its end (with
        ``final``, the end of the file)."""
        assert self.fd is not None and self.pos is not None
        offset = self.pos.offset + self.read_bytes
        while True:
            data = os.pread(self.fd, self.read_bytes, offset)
            if not data:
                if final:
                    break
                return False  # not complete yet
            newline = data.find(b"\n")
            if newline >= 0:
                offset += newline + 1
                break
            offset += len(data)
        number = self.pos.line + 1
        self.totals.lines += 1
        self.totals.malformed += 1
        self.say(f"{Path(self.pos.path).name}: line {number}: longer than {self.read_bytes} bytes; skipped")
        self._commit([], offset=offset, line=number)
        return True

    def _ingest(self, data: bytes) -> None:
        """Map the lines in ``data`` (starting at the position) and store them in batches, each with the
        position after its last line."""
        assert self.pos is not None
        self.source.refresh_from_db()  # its settings may have changed in the admin
        start, first = self.pos.offset, self.pos.line + 1
        ends = []  # the byte offset after each line
        newline = data.find(b"\n")
        while newline >= 0:
            ends.append(newline + 1)
            newline = data.find(b"\n", newline + 1)
        if not data.endswith(b"\n"):
            ends.append(len(data))
        text = data.decode("utf-8", errors="replace")
        if not text.endswith("\n"):
            text += "\n"  # the last line of a complete file
        reading = Reading()
        pending: list[tuple[int, list[dict]]] = []
        size = 0
        for number, events in read_events(
            io.StringIO(text, newline="\n"), reading=reading, hash_caller=customer_ref, first_line=first
        ):
            pending.append((number, events))
            size += len(events)
            if size >= EVENTS_PER_BATCH:
                self._commit(pending, offset=start + ends[number - first], line=number)
                pending, size = [], 0
                if self.stop.is_set():
                    break  # the rest is read after a restart, from the position just stored
        else:
            self._commit(pending, offset=start + ends[-1], line=first - 1 + len(ends))
        name = Path(self.pos.path).name
        for number, reason in reading.malformed:
            self.say(f"{name}: line {number}: {reason}")
        totals = self.totals
        totals.lines += reading.lines
        totals.mapped += reading.mapped
        totals.malformed += reading.malformed_count
        totals.skipped.update(reading.skipped)
        totals.unknown.update(reading.unknown)
        not_mapped = sum(reading.skipped.values()) + sum(reading.unknown.values())
        if not_mapped:
            source_delivery_record(self.source.pk, skipped=not_mapped)

    def _commit(self, pending: list[tuple[int, list[dict]]], *, offset: int, line: int) -> None:
        """Store one batch of lines and, in the same transaction, the position after them."""
        assert self.fd is not None and self.pos is not None
        position = replace(self.pos, offset=offset, line=line, head=self.pos.head or file_head(self.fd))
        events = [e for _, batch in pending for e in batch]
        if events:
            result = events_ingest(source=self.source, events=events, with_batch=lambda: self._store(position))
            self._tally(pending, result.results)
        else:
            with transaction.atomic(durable=True):
                self._store(position)
        self.pos = position

    def _save(self, position: Position) -> None:
        with transaction.atomic(durable=True):
            self._store(position)
        self.pos = position

    def _store(self, position: Position) -> None:
        Source.objects.filter(pk=self.source.pk).update(follow_position=position.as_dict())

    def _tally(self, pending: list[tuple[int, list[dict]]], statuses: list[dict]) -> None:
        totals = self.totals
        totals.batches += 1
        name = Path(self.pos.path).name if self.pos else self.path.name
        index = 0
        for number, events in pending:
            for _event in events:
                status = statuses[index]
                index += 1
                if status["status"] == "accepted":
                    totals.accepted += 1
                elif status["status"] == "duplicate":
                    totals.duplicates += 1
                else:
                    totals.rejected += 1
                    if totals.rejected <= MAX_ERRORS:
                        self.say(f"{name}: line {number}, {status.get('field') or '-'}: {status['reason']}")


def queue_log_follow(
    *,
    path: str | os.PathLike,
    source_name: str = SOURCE_NAME,
    stop: threading.Event,
    say: Callable[[str], None] | None = None,
    poll_s: float = POLL_S,
) -> FollowTotals:
    """Follow the queue_log at ``path`` into the source ``source_name`` until ``stop`` is set (see the
    module docstring); the run is recorded in the audit log when it ends."""
    follower = QueueLogFollower(path=path, source_name=source_name, say=say, poll_s=poll_s)
    totals = follower.run(stop=stop)
    try:
        audit_record(
            operation="import",
            model=Contact,
            what=f"queue_log followed into {follower.source.name}: {totals.lines} lines, {totals.accepted} events accepted",
            details={
                "source": follower.source.name,
                "path": str(follower.path),
                "follow": True,
                "lines": totals.lines,
                "accepted": totals.accepted,
                "duplicates": totals.duplicates,
                "rejected": totals.rejected,
                "malformed": totals.malformed,
                "skipped": dict(totals.skipped),
                "unknown": dict(totals.unknown),
                "rotations": totals.rotations,
            },
        )
    except (OperationalError, InterfaceError) as error:
        log.warning("the follow of %s could not be recorded in the audit log: %s", path, error)
    return totals
