"""Converter of the "Anonymous Bank" call records (an Israeli bank's call centre, 1999; prepared by Ilan
Guedj and Avi Mandelbaum, Technion SEE Center; Brown et al. 2005, JASA 100(469):36-50) into KCC Live's
contact-record import rows. The data is research data: it is read where it lies and never copied into
this repository.

Mapping (one import row per call that reached a queue):

* ``type`` (the service asked for) is the queue: PS, PE, IN, NE, NW, TT (see ``SERVICES``); channel voice.
* Times are the bank's local wall clock (Asia/Jerusalem) on ``date``; an exit earlier than its start
  crossed midnight and is moved to the next day.
* Offered at ``q_start``; a call that went straight from the IVR to an agent (``q_start`` 0:00:00) is
  offered at ``vru_exit`` with no wait. ``AGENT``: answered at ``ser_start`` (never before the offer:
  the subsystems' clocks differ by about a second), ended at ``ser_exit``, talk ``ser_time``, agent
  ``server`` (``NO_SERVER`` becomes the agent ``unknown``). ``HANG`` after ``q_start``: abandoned at
  ``q_exit``. ``HANG`` in the IVR (never queued) and ``PHANTOM`` calls are skipped: they were never
  offered to a queue.
* ``customer_id`` (0: not identified) is the customer reference, so repeat contacts show; the reason is
  the service's name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.utils.translation import gettext_lazy as _

BANK_TZ = ZoneInfo("Asia/Jerusalem")
TEAM = "Anonymous Bank 1999 (Technion SEE Center, Mandelbaum & Guedj)"
SERVICES = {
    "PS": "regular",
    "PE": "regular, English",
    "IN": "internet support",
    "NE": "stock exchange",
    "NW": "prospective customer",
    "TT": "callback on hold",
}
NEVER = "0:00:00"
ACKNOWLEDGEMENT = _(
    "Bank queues: call records of the 'Anonymous Bank' call centre (Israel, 1999), prepared by Ilan Guedj and "
    "Avi Mandelbaum, Technion SEE Center (Brown et al., JASA 2005)."
)


def queue_name(service: str) -> str:
    return f"Bank {service}"


@dataclass
class Conversion:
    read: int = 0
    converted: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


def _clock(text: str) -> time | None:
    text = text.strip()
    if not text or text == NEVER:
        return None
    h, m, s = (int(p) for p in text.split(":"))
    return time(h, m, s)


def _at(day: date, clock: time, after: datetime | None = None) -> datetime:
    """The instant of a wall-clock time on ``day``, moved a day on when it would be before ``after``
    by more than a few seconds (it crossed midnight; a second or two is clock skew)."""
    at = datetime.combine(day, clock, BANK_TZ)
    if after is not None and at < after - timedelta(hours=12):
        at = datetime.combine(day + timedelta(days=1), clock, BANK_TZ)
    return at


def bank_rows(path: Path, *, days: set[date] | None = None, conversion: Conversion | None = None
              ) -> Iterator[tuple[int, dict]]:  # fmt: skip
    """(line number in the bank file, import row) for each call that reached a queue (optionally only on
    ``days``)."""
    conversion = conversion or Conversion()
    with path.open(newline="", encoding="latin-1") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        for raw in reader:
            line = reader.line_num
            conversion.read += 1
            row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
            day = datetime.strptime(row["date"], "%y%m%d").date()
            if days is not None and day not in days:
                conversion.skip("other day")
                continue
            outcome = row["outcome"]
            if outcome == "PHANTOM":
                conversion.skip("phantom call")
                continue
            q_start, vru_exit = _clock(row["q_start"]), _clock(row["vru_exit"])
            if outcome == "HANG" and q_start is None:
                conversion.skip("hung up in the IVR")
                continue
            vru_entry = _at(day, _clock(row["vru_entry"]) or time(0))
            if q_start is not None:
                offered = _at(day, q_start, vru_entry)
            elif vru_exit is not None:
                offered = _at(day, vru_exit, vru_entry)
            else:
                conversion.skip("no queue time")
                continue
            service = row["type"]
            out = {
                "contact_id": f"AB-{row['date']}-{row['vru+line']}-{row['call_id']}",
                "channel": "voice",
                "queue": queue_name(service),
                "offered_at": offered.isoformat(),
                "reason": SERVICES.get(service, service),
                "customer_ref": row["customer_id"] if row["customer_id"] not in ("", "0") else "",
            }
            if outcome == "AGENT":
                start = _clock(row["ser_start"])
                answered = max(_at(day, start, vru_entry), offered) if start else offered
                out["answered_at"] = answered.isoformat()
                server = row["server"]
                out["agent"] = "unknown" if server in ("", "NO_SERVER") else server.lower()
                end = _clock(row["ser_exit"])
                if end is not None:
                    out["ended_at"] = max(_at(day, end, answered), answered).isoformat()
                    out["talk_s"] = str(max(0, int(row["ser_time"] or 0)))
            elif outcome == "HANG":
                q_exit = _clock(row["q_exit"])
                abandoned = max(_at(day, q_exit, offered), offered) if q_exit else offered
                out["abandoned_at"] = abandoned.isoformat()
            else:
                conversion.skip(f"outcome {outcome}")
                continue
            conversion.converted += 1
            yield line, out


def bank_days(path: Path) -> list[date]:
    """The dates the bank file covers."""
    with path.open(newline="", encoding="latin-1") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return sorted({datetime.strptime(r["date"].strip(), "%y%m%d").date() for r in reader})
