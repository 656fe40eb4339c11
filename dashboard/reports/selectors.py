"""Reads of daily and weekly reports: the stored document of a period (or the same computed now, for a
period not built yet), filtered to a queue, team or channel, with every KPI from ``dashboard.metrics``.

Totals are computed from summed counts, never by averaging percentages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboard.core import adherence, metrics
from dashboard.core.errors import FieldError
from dashboard.core.metrics import Counts, KindCounts
from dashboard.core.models import KPI, SYNCHRONOUS_CHANNELS, Channel, Queue, Team
from dashboard.core.periods import centre_tz, check_day, iso_week_label, local_date, parse_iso_week, week_monday
from dashboard.ingest.public import ACKNOWLEDGEMENT, ANONYMOUS_BANK_TEAM
from dashboard.intervals.public import QUEUE_INTERVAL_COUNTS, IntervalWatermark, kpis_of
from dashboard.reports.compute import SLOT_FIELDS, period_of, report_compute, same_time_earlier, so_far
from dashboard.reports.models import Report, ReportKind

TOP_REASONS = 10
TOP_REPEATS = 15
# A total's asynchronous block in a report (metrics.async_block, without the live backlog).
ASYNC_FIELDS = ("queues", "offered", "answered", "handled", "answered_within_target", "response_attainment")
API_FIELDS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandoned",
    "answered_within_threshold",
    "service_level",
    "asa_s",
    "aht_s",
    "abandon_rate",
    "max_wait_s",
    "transferred_out",
    "repeat_contacts",
)


class ReportQueryError(FieldError):
    """A report request that cannot be answered: ``field`` names the parameter."""


@dataclass(frozen=True)
class ReportFilter:
    queue: str | None = None
    team: str | None = None
    channel: str | None = None

    def validate(self) -> ReportFilter:
        """Unknown names are an error that says which parameter and which name."""
        for name in ("queue", "team", "channel"):
            if "\x00" in (getattr(self, name) or ""):  # PostgreSQL's text cannot hold it: no name has one
                raise ReportQueryError(name, "must not contain a NUL character")
        if self.queue and not Queue.objects.filter(name=self.queue).exists():
            raise ReportQueryError("queue", f"there is no queue named {self.queue!r}")
        if self.team and not Team.objects.filter(name=self.team).exists():
            raise ReportQueryError("team", f"there is no team named {self.team!r}")
        if self.channel and self.channel not in Channel.values:
            raise ReportQueryError("channel", f"{self.channel!r} is not a channel; one of {', '.join(Channel.values)}")
        return self

    def selects(self, info: dict) -> bool:
        return (
            (not self.queue or info["name"] == self.queue)
            and (not self.team or info["team"] == self.team)
            and (not self.channel or info["channel"] == self.channel)
        )


def parse_day(text: str | None, *, field: str = "date") -> date:
    if not text:
        raise ReportQueryError(field, "is required, as YYYY-MM-DD (e.g. 2026-11-24)")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ReportQueryError(field, f"{text!r} is not a date; write YYYY-MM-DD (e.g. 2026-11-24)") from None
    try:
        return check_day(day)
    except ValueError as error:
        raise ReportQueryError(field, str(error)) from None


def parse_week(text: str | None, *, field: str = "week") -> date:
    if not text:
        raise ReportQueryError(field, "is required, as YYYY-Www (e.g. 2026-W48)")
    try:
        return check_day(parse_iso_week(text))
    except ValueError as error:
        raise ReportQueryError(field, str(error)) from None


def _aggregated_until() -> datetime | None:
    mark = IntervalWatermark.objects.filter(pk=1).first()
    return mark.aggregated_until if mark else None


def report_data(*, kind: str, first_day: date, now: datetime | None = None) -> tuple[dict, bool]:
    """The document of the period: the stored report, else (a period not built yet, like today or this
    week) the same computed from the interval store now — for a period still running, up to the end of
    its last aggregated interval (the document's ``until``). Returns (data, stored)."""
    now = now or timezone.now()
    first, _, _ = period_of(kind, first_day)
    report = Report.objects.filter(kind=kind, period_start=first).first()
    if report is not None:
        return report.data, True
    until = so_far(kind=kind, first_day=first, now=now, aggregated_until=_aggregated_until())
    return report_compute(kind=kind, first_day=first, now=now, until=until), False


def previous_data(*, kind: str, data: dict, now: datetime | None = None) -> dict:
    """The document ``data`` is compared with: the same weekday a week before (daily) or the week before
    (weekly) — whole when ``data`` is a whole period, else up to the same local time a week earlier (today
    until 14:30 against last Tuesday until 14:30), so a period so far is never set against a whole one."""
    now = now or timezone.now()
    first = previous_first_day(kind, date.fromisoformat(data["first_day"]))
    if not data.get("until"):
        return report_data(kind=kind, first_day=first, now=now)[0]
    until = same_time_earlier(datetime.fromisoformat(data["until"]), days=7)
    return report_compute(kind=kind, first_day=first, now=now, until=until)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _counts_row(counts: dict, formula: str) -> dict:
    row = {k: counts.get(k, 0) for k in (*QUEUE_INTERVAL_COUNTS, "max_wait_answered_ms")}
    row.update({k: _round(v) for k, v in kpis_of(row, formula).items()})
    row["max_wait_s"] = _round(row["max_wait_answered_ms"] / 1000)
    return row


def _sum(dicts, keys) -> dict:
    out = dict.fromkeys(keys, 0)
    for d in dicts:
        for k in keys:
            out[k] += d.get(k, 0)
    return out


def is_synchronous(info: dict) -> bool:
    """Whether a queue of a report's ``queue_info`` is synchronous (by its channel when built)."""
    return info["channel"] in SYNCHRONOUS_CHANNELS


def _counts_of(counts: dict) -> Counts:
    return Counts(**{k: int(counts.get(k, 0)) for k in metrics.COUNT_FIELDS})


def report_rows(*, data: dict, scope: ReportFilter) -> tuple[list[dict], dict]:
    """One row per queue of the scope (every queue configured when the report was built, zeros
    included) and the total row, each with the counts and KPIs of the report API (and more).

    The total keeps the kinds apart (``metrics.total_kpis``): its ``service_level``, ``asa_s`` and
    ``max_wait_s`` are its synchronous queues' (None without one), its counts are summed, and its
    asynchronous queues are the ``async`` block (``metrics.async_block``: response-time attainment)."""
    infos = {qid: info for qid, info in data["queue_info"].items() if scope.selects(info)}
    rows = []
    for qid, info in sorted(infos.items(), key=lambda kv: kv[1]["name"]):
        qd = data["queues"].get(qid)
        counts = qd["counts"] if qd else {}
        row = {"queue": info["name"], "channel": info["channel"], "team": info["team"]}
        row.update(_counts_row(counts, info["sl_formula"]))
        rows.append(row)
    keys = QUEUE_INTERVAL_COUNTS
    held = [q for q in infos if q in data["queues"]]
    total_counts = _sum([data["queues"][q]["counts"] for q in held], keys)
    sync = [q for q in infos if is_synchronous(infos[q])]
    total_counts["max_wait_answered_ms"] = max(
        [data["queues"][q]["counts"]["max_wait_answered_ms"] for q in held if q in sync] or [0]
    )
    kinds = KindCounts.of(
        (is_synchronous(info), _counts_of(data["queues"][q]["counts"]) if q in data["queues"] else Counts())
        for q, info in infos.items()
    )
    formula = metrics.pooled_sl_formula(infos[q]["sl_formula"] for q in sync)
    total = {"queue": None, "channel": None, "team": None}
    total.update(_counts_row(total_counts, formula))
    total.update({k: _round(v) for k, v in metrics.total_kpis(kinds, formula=formula).items()})
    total["max_wait_s"] = _round(total_counts["max_wait_answered_ms"] / 1000) if sync else None
    block = metrics.async_block(kinds.asynchronous, queues=kinds.asynchronous_queues)
    # A report is a past period: no backlog or oldest item to show, only what was answered and how fast.
    total["async"] = {k: block[k] for k in ASYNC_FIELDS}
    total["async"]["response_attainment"] = _round(block["response_attainment"])
    total["response_attainment"] = total["async"]["response_attainment"]
    total["by_kind"] = metrics.kind_split(kinds)
    return rows, total


def _targets(infos: list[dict]) -> dict[str, KPI | float]:
    """The KPI rows that apply to the scope: a queue's own when the scope is one queue, else the ones
    for every queue. The service-level target falls back on the queues' own target when they agree."""
    kpis = list(KPI.objects.filter(scope=KPI.Scope.QUEUE))
    names = {i["name"] for i in infos}
    queue_ids = set(Queue.objects.filter(name__in=names).values_list("id", flat=True)) if len(names) == 1 else set()
    chosen: dict[str, KPI | float] = {}
    for k in kpis:
        if k.queue_id is None and k.code not in chosen:
            chosen[k.code] = k
    for k in kpis:
        if k.queue_id is not None and k.queue_id in queue_ids:
            chosen[k.code] = k
    sl_targets = {i["sl_target_pct"] for i in infos if is_synchronous(i)}  # the SL is theirs only
    if KPI.Code.SERVICE_LEVEL not in chosen and len(sl_targets) == 1:
        chosen[KPI.Code.SERVICE_LEVEL] = sl_targets.pop()
    return chosen


KPI_TABLE = [
    # key, label, unit, KPI code (for the target); whether higher is better: metrics.HIGHER_IS_BETTER
    ("offered", _("Offered"), "", None),
    ("answered", _("Answered"), "", None),
    ("service_level", _("Service level"), "%", KPI.Code.SERVICE_LEVEL),
    ("asa_s", _("Average speed of answer"), "s", KPI.Code.ASA),
    ("aht_s", _("Average handle time"), "s", KPI.Code.AHT),
    ("abandon_rate", _("Abandon rate"), "%", KPI.Code.ABANDON_RATE),
    ("max_wait_s", _("Longest wait (answered)"), "s", KPI.Code.LONGEST_WAIT),
    ("response_attainment", _("Asynchronous: answered within response target"), "%", None),
    ("transfer_rate", _("Transfer rate"), "%", None),
    ("repeat_rate", _("Repeat contacts"), "%", None),
    ("fcr", _("First-contact resolution"), "%", None),
    ("callbacks_kept_rate", _("Callbacks kept on time"), "%", None),
    ("outside_hours_share", _("Demand outside opening hours"), "%", None),
]
# Figures that are not final with the period: first-contact resolution waits 7 days for a repeat that
# may still come (final with the report); callbacks kept on time count promises not yet due as not kept
# (final once the period is over).
PROVISIONAL_UNTIL_FINAL = frozenset({"fcr"})
PROVISIONAL_WHILE_RUNNING = frozenset({"callbacks_kept_rate"})


def _provisional(key: str, data: dict) -> bool:
    return (key in PROVISIONAL_UNTIL_FINAL and not data.get("final")) or (
        key in PROVISIONAL_WHILE_RUNNING and bool(data.get("until"))
    )


def _summary(data: dict, scope: ReportFilter) -> dict:
    """The scope's totals and quality figures (what the KPI table and its trend compare)."""
    infos = [i for i in data["queue_info"].values() if scope.selects(i)]
    qids = [q for q, i in data["queue_info"].items() if scope.selects(i)]
    parts = [data["queues"][q] for q in qids if q in data["queues"]]
    part_infos = [data["queue_info"][q] for q in qids if q in data["queues"]]
    _, total = report_rows(data=data, scope=scope)
    facts = _sum(parts, ("identified", "fcr_answered", "fcr_resolved", "agent_transfers"))
    total.update(facts)
    total["transfer_rate"] = _round(
        metrics.transfer_rate(transferred_out=total["transferred_out"], offered=total["offered"])
    )
    total["repeat_rate"] = _round(
        metrics.repeat_contact_rate(repeat_contacts=total["repeat_contacts"], identified=facts["identified"])
    )
    total["fcr"] = _round(
        metrics.first_contact_resolution(resolved=facts["fcr_resolved"], answered=facts["fcr_answered"])
    )
    total["callbacks_kept_rate"] = _round(
        metrics.callbacks_kept_rate(
            kept_on_time=total["callbacks_kept_on_time"], requested=total["callbacks_requested"]
        )
    )
    total["outside_hours_share"] = _round(
        metrics.outside_hours_share(offered_outside_hours=total["offered_outside_hours"], offered=total["offered"])
    )
    return {"infos": infos, "qids": qids, "parts": parts, "part_infos": part_infos, "total": total}


def _kpi_table(summary: dict, previous: dict | None, *, data: dict, previous_data: dict | None) -> list[dict]:
    """The KPI rows: value, target and status, and the change against the previous period — its
    ``direction`` (up/down: the arrow) apart from its ``verdict`` (better/worse: the colour, by
    ``metrics.HIGHER_IS_BETTER``). A provisional figure (see ``PROVISIONAL_UNTIL_FINAL``) of either
    period is shown as such and not compared."""
    targets = _targets(summary["infos"])
    out = []
    for key, label, unit, code in KPI_TABLE:
        higher = metrics.HIGHER_IS_BETTER[key]
        value = summary["total"].get(key)
        before = previous["total"].get(key) if previous else None
        provisional = _provisional(key, data) or bool(previous_data and _provisional(key, previous_data))
        target = targets.get(code) if code else None
        moved = metrics.change(value, None if provisional else before, higher_is_better=higher)
        row = {"key": key, "label": str(label), "unit": unit, "value": value, "previous": before,
               "delta": _round(moved["delta"]), "direction": moved["direction"], "trend": moved["verdict"],
               "provisional": provisional, "higher_is_better": higher, "target": None, "status": ""}  # fmt: skip
        if isinstance(target, KPI):
            row["target"] = target.target
            row["status"] = target.status(value)
        elif target is not None:
            row["target"] = target
            if value is not None:
                row["status"] = metrics.target_status(value, target=target, higher_is_better=higher)
        out.append(row)
    return out


def _chart(data: dict, summary: dict) -> dict:
    labels = data["slot_labels"]
    sums = [[0] * len(SLOT_FIELDS) for _ in labels]
    sync_sums = [[0] * len(SLOT_FIELDS) for _ in labels]  # the service level is the synchronous queues'
    for part, info in zip(summary["parts"], summary["part_infos"], strict=True):
        synchronous = is_synchronous(info)
        for i, slot in enumerate(part["slots"]):
            for j, v in enumerate(slot):
                sums[i][j] += v
                if synchronous:
                    sync_sums[i][j] += v
    formula = metrics.pooled_sl_formula(i["sl_formula"] for i in summary["infos"] if is_synchronous(i))
    idx = {f: i for i, f in enumerate(SLOT_FIELDS)}
    chart = {"labels": labels, "offered": [], "answered": [], "service_level": [], "abandon_rate": []}
    for s, ss in zip(sums, sync_sums, strict=True):
        chart["offered"].append(s[idx["offered"]])
        chart["answered"].append(s[idx["answered"]])
        chart["service_level"].append(
            _round(
                metrics.service_level(
                    formula=formula,
                    answered_within_threshold=ss[idx["answered_within_threshold"]],
                    answered=ss[idx["answered"]],
                    abandoned=ss[idx["abandoned"]],
                    short_abandoned=ss[idx["short_abandoned"]],
                    offered=ss[idx["offered"]],
                )
            )
        )
        chart["abandon_rate"].append(
            _round(metrics.abandon_rate(abandoned=s[idx["abandoned"]], offered=s[idx["offered"]]))
        )
    return chart


def _local_text(iso: str | None) -> str | None:
    """An instant of a document as the centre's wall clock, ``YYYY-MM-DD HH:MM``."""
    if not iso:
        return None
    return datetime.fromisoformat(iso).astimezone(centre_tz()).strftime("%Y-%m-%d %H:%M")


def _top(counter: dict, n: int) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def report_view(*, data: dict, queue: str | None = None, team: str | None = None, channel: str | None = None,
                previous: dict | None = None, stored: bool = True) -> dict:  # fmt: skip
    """Everything a report page, its PDF and its e-mail show, for the scope the filters select:
    rows per queue and the total, the KPI table with targets and the trend against ``previous`` (the
    previous period's document), the chart series, reasons, repeat contacts, first-contact resolution,
    callbacks, transfers, demand outside opening hours and agent time."""
    scope = ReportFilter(queue or None, team or None, channel or None)
    summary = _summary(data, scope)
    rows, total = report_rows(data=data, scope=scope)
    before = _summary(previous, scope) if previous else None
    names = {qid: data["queue_info"][qid]["name"] for qid in summary["qids"]}
    reasons: dict[str, int] = {}
    repeats: list[tuple[str, str, int]] = []
    transfers_to: dict[str, int] = {}
    for qid in summary["qids"]:
        part = data["queues"].get(qid)
        if not part:
            continue
        for reason, n in part["reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + n
        repeats += [(names[qid], reason, n) for reason, n in part["repeats"].items()]
        for dest, n in part["transfers_to"].items():
            transfers_to[dest] = transfers_to.get(dest, 0) + n
    t = summary["total"]
    team_names = {str(k): v for k, v in data.get("team_info", {}).items()}
    scoped_teams = {str(i["team_id"]) for i in summary["infos"] if i["team_id"]}
    agent_time = []
    for tid, td in sorted(data["teams"].items(), key=lambda kv: team_names.get(kv[0], "")):
        if (scope.team or scope.queue or scope.channel) and tid not in scoped_teams:
            continue
        agent_time.append(
            {
                "team": team_names.get(tid) or str(_("(no team)")),
                **{
                    k: round(td[k] / 3600, 1) for k in ("staffed_s", "available_s", "on_contact_s", "acw_s", "paused_s")
                },
                "occupancy": _round(
                    metrics.occupancy(on_contact_s=td["on_contact_s"], acw_s=td["acw_s"], available_s=td["available_s"])
                ),
                "paused_by_reason": {k: round(v / 3600, 1) for k, v in _top(td["paused_by_reason"], 20)},
                **_adherence_of(td.get("adherence")),
            }
        )
    return {
        "kind": data["kind"],
        "label": data["label"],
        "first_day": data["first_day"],
        "last_day": data["last_day"],
        "start": data["start"],
        "end": data["end"],
        "time_zone": data["time_zone"],
        "built_at": data["built_at"],
        "final": data["final"],
        "fcr_window_ends": data["fcr_window_ends"],
        "stored": stored,
        "filters": {"queue": scope.queue, "team": scope.team, "channel": scope.channel},
        "previous_label": previous["label"] if previous else None,
        "until": data.get("until"),
        "until_local": _local_text(data.get("until")),
        "previous_first_day": previous["first_day"] if previous else None,
        "previous_until_local": _local_text(previous.get("until")) if previous else None,
        "rows": rows,
        "total": total,
        "kpis": _kpi_table(summary, before, data=data, previous_data=previous),
        "chart": _chart(data, summary),
        "reasons": _top(reasons, TOP_REASONS),
        "repeats": sorted(repeats, key=lambda r: (-r[2], r[0], r[1]))[:TOP_REPEATS],
        "repeat": {"contacts": t["repeat_contacts"], "identified": t["identified"], "rate": t["repeat_rate"]},
        "fcr": {"answered": t["fcr_answered"], "resolved": t["fcr_resolved"], "rate": t["fcr"]},
        "callbacks": {
            "requested": t["callbacks_requested"],
            "completed": t["callbacks_completed"],
            "kept_on_time": t["callbacks_kept_on_time"],
            "kept_rate": t["callbacks_kept_rate"],
        },
        "transfers": {
            "transferred_out": t["transferred_out"],
            "overflowed_out": t["overflowed_out"],
            "agent_transfers": t["agent_transfers"],
            "rate": t["transfer_rate"],
            "to": _top(transfers_to, TOP_REASONS),
        },
        "outside_hours": {
            "offered": t["offered_outside_hours"],
            "share": t["outside_hours_share"],
            "by_queue": [(r["queue"], r["offered_outside_hours"]) for r in rows if r["offered_outside_hours"]],
        },
        "agent_time": agent_time,
        "adherence": [
            {k: a[k] for k in ("team", "scheduled_h", "adherence_pct", "conformance_pct")}
            for a in agent_time
            if a["scheduled_h"]
        ],
        "acknowledgements": _acknowledgements(summary["infos"]),
    }


def _adherence_of(secs: dict | None) -> dict:
    """A team's schedule adherence and conformance (percent) from the seconds a report holds; empty when
    nothing was scheduled (or the report was built before schedules were kept)."""
    if not secs:
        return {"adherence_pct": None, "conformance_pct": None, "scheduled_h": None}
    return {
        "adherence_pct": _round(
            adherence.adherence_pct(in_adherence_s=secs["in_adherence_s"], scheduled_s=secs["scheduled_s"])
        ),
        "conformance_pct": _round(
            adherence.conformance_pct(worked_s=secs["worked_s"], scheduled_working_s=secs["scheduled_working_s"])
        ),
        "scheduled_h": round(secs["scheduled_s"] / 3600, 1),
    }


def _acknowledgements(infos: list[dict]) -> list[str]:
    """Credits owed to the sources of imported data shown in the report."""
    if any(i["team"] == ANONYMOUS_BANK_TEAM and i["name"] for i in infos):
        return [str(ACKNOWLEDGEMENT)]
    return []


def previous_first_day(kind: str, first_day: date) -> date:
    """The period a report is compared with: the same weekday a week before (daily) or the week before."""
    return first_day - timedelta(days=7)


def report_page(*, kind: str, first_day: date, scope: ReportFilter, now: datetime | None = None) -> dict:
    """The view of a period for a scope, with the trend against the previous period."""
    now = now or timezone.now()
    scope.validate()
    data, stored = report_data(kind=kind, first_day=first_day, now=now)
    previous = previous_data(kind=kind, data=data, now=now)
    return report_view(data=data, queue=scope.queue, team=scope.team, channel=scope.channel, previous=previous,
                       stored=stored)  # fmt: skip


def report_api(*, kind: str, first_day: date, scope: ReportFilter, now: datetime | None = None) -> dict:
    """The report API's answer: the period, one row per queue and the total row, with ``API_FIELDS``."""
    scope.validate()
    data, stored = report_data(kind=kind, first_day=first_day, now=now)
    rows, total = report_rows(data=data, scope=scope)

    def pick(row):
        return {
            "queue": row["queue"],
            "channel": row["channel"],
            "team": row["team"],
            **{f: row[f] for f in API_FIELDS},
        }

    out_total = pick(total)
    out_total["async"] = total["async"]
    out_total["by_kind"] = total["by_kind"]

    return {
        "kind": kind,
        "period": data["label"],
        "first_day": data["first_day"],
        "last_day": data["last_day"],
        "start": data["start"],
        "end": data["end"],
        "time_zone": data["time_zone"],
        "built_at": data["built_at"],
        "stored": stored,
        "final": data["final"],
        "until": data.get("until"),
        "filters": {"queue": scope.queue, "team": scope.team, "channel": scope.channel},
        "rows": [pick(r) for r in rows],
        "total": out_total,
    }


def default_periods(now: datetime | None = None) -> dict[str, str]:
    """Yesterday and this week, as the report pages offer them first."""
    today = local_date(now or timezone.now())
    return {
        "yesterday": (today - timedelta(days=1)).isoformat(),
        "today": today.isoformat(),
        "this_week": iso_week_label(today),
        "last_week": iso_week_label(week_monday(today) - timedelta(days=7)),
    }


def reports_recent(limit: int = 30) -> list[Report]:
    return list(Report.objects.order_by("-period_start", "kind").defer("data")[:limit])


__all__ = ["ReportKind", "ReportQueryError", "ReportFilter", "report_api", "report_page", "report_view"]
