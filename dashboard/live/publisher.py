"""The live publisher: computes every scope's snapshot once from the live state and pushes what changed.

Any number of copies may run (``manage.py publish_live``, in the Procfile), on one machine or several:
the one holding a lease in Redis leads, the others stand by and take over within seconds when it dies
(``dashboard.core.lease``; its fencing token guards the numbering and storing of messages, so a leader
that froze and woke late cannot send beside the new one). The leader wakes when an ingest batch commits
(or every few seconds, as time itself moves the figures: the 30-minute window rolls, callbacks fall due),
computes the snapshot of the whole centre from Redis in one round trip, splits it into scope messages and
sends only those whose content changed — at most one per scope and kind every ``MIN_INTERVAL_S``. It
also evaluates the KPI thresholds and keeps the alerts.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from datetime import datetime

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from dashboard.core import metrics, observe
from dashboard.core.api import database_busy
from dashboard.core.lease import Lease
from dashboard.live import broadcast, keys
from dashboard.live.models import Alert
from dashboard.live.scopes import LiveScope
from dashboard.live.selectors import kpi_values, live_config, live_snapshot
from dashboard.live.services import live_ensure_loaded

log = logging.getLogger(__name__)

MIN_INTERVAL_S = 0.25  # at most one message per scope and kind this often
INTERVALS_EVERY_S = 1.0  # today's quarter-hours (the charts) are recomputed at most this often
REFRESH_S = 5.0  # recompute at least this often: time moves figures without events
LEASE_TTL_S = 3.0  # a leader that stops renewing loses the lead after this
RENEW_S = 1.0  # the leader renews its lease, and standbys try to take it, this often
CONFIG_MAX_AGE_S = REFRESH_S  # the configuration is read again when it changes, and at least this often
HEARTBEAT_S = REFRESH_S  # every scope hears from the publisher at least this often (a page waits ~3x)
ALERT_LIST_LIMIT = 20

TILE_TODAY = (
    "offered", "answered", "abandoned", "short_abandoned", "answered_within_threshold", "handled",
    "transferred_out", "callbacks_requested", "callbacks_kept_on_time", "service_level", "asa_s", "aht_s",
    "abandon_rate",
)  # fmt: skip
TILE_WINDOW = ("offered", "answered", "abandoned", "service_level", "asa_s", "abandon_rate")
TILE_ASYNC = ("queues", "backlog", "oldest_at", "answered", "response_attainment", "status")
TILE_KEYS = (
    "id", "name", "channel", "synchronous", "team_id", "line", "waiting", "oldest_offered_at",
    "callbacks_due", "callbacks_overdue", "backlog", "oldest_backlog_at", "sl_threshold_s", "sl_target_pct",
    "response_target_s", "open", "opens_at", "agents_by", "ewt_s", "ewt_method",
)  # fmt: skip


def tile(scope: dict) -> dict:
    """The part of a scope's snapshot a wallboard tile shows (kept small: it goes to every screen)."""
    out = {k: scope[k] for k in TILE_KEYS if k in scope}
    # Only what is not normal (the page takes normal as the default). The longest wait ticks in the
    # browser between messages: ``status_from`` says from which age its status changes, so the page
    # colours it on time without a rule of its own.
    out["status"] = {k: v for k, v in scope.get("status", {}).items() if v != "normal"}
    status_from = _status_from(scope)
    if status_from:
        out["status_from"] = status_from
    out["agents"] = {k: v for k, v in scope["agents"].items() if k != "logged_out"}
    out["today"] = {k: scope["today"][k] for k in TILE_TODAY}
    out["last_30m"] = {k: scope["last_30m"][k] for k in TILE_WINDOW}
    # A total's asynchronous queues, as their own block (only where it has any: most tiles have none).
    block = scope.get("async")
    if block and block["queues"]:
        out["async"] = {k: block[k] for k in TILE_ASYNC}
    return out


def _status_from(scope: dict) -> dict[str, dict[str, float]]:
    """The ages from which the ticking wait of a scope turns amber and red (``metrics.status_from_s``):
    against its longest-wait KPI, or for an asynchronous queue against its response target."""
    out = {}
    longest = scope.get("thresholds", {}).get("longest_wait")
    if longest:
        steps = metrics.status_from_s(
            warning=longest["warning"], critical=longest["critical"], higher_is_better=longest["higher_is_better"]
        )
        if steps:
            out["longest_wait"] = steps
    if scope.get("synchronous") is False and "response_target_s" in scope:
        steps = metrics.response_status_from_s(scope["response_target_s"])
        if steps:
            out["response_target"] = steps
    return out


def scope_messages(
    snapshot: dict, alerts_by_team: dict[int, list[dict]]
) -> dict[tuple[str, str], tuple[LiveScope, dict]]:
    """Split the centre's snapshot into the messages of every scope: {(scope, kind): (LiveScope, data)}."""
    queues = {q["id"]: q for q in snapshot["queues"]}
    stamp = {"generated_at": snapshot["generated_at"], "today": snapshot["today"], "time_zone": snapshot["time_zone"]}
    out: dict[tuple[str, str], tuple[LiveScope, dict]] = {}

    def put(scope: LiveScope, total: dict, tiles: list[dict], extra: dict | None = None) -> None:
        data = {**stamp, "scope": scope.name, "name": total["name"], "total": tile(total), "tiles": tiles}
        data.update(extra or {})
        out[(scope.name, "snapshot")] = (scope, data)
        if "intervals" in total:
            out[(scope.name, "intervals")] = (scope, {**stamp, "scope": scope.name, "intervals": total["intervals"]})

    put(LiveScope("all"), snapshot["all"], [tile(q) for q in snapshot["queues"]])
    for team in snapshot["teams"]:
        put(
            LiveScope("team", str(team["id"])),
            team,
            [tile(queues[i]) for i in team["queue_ids"]],
            {"agents": team["agent_list"], "alerts": alerts_by_team.get(team["id"], [])},
        )
    for q in snapshot["queues"]:
        put(LiveScope("queue", str(q["id"])), q, [tile(q)])
    for channel in snapshot["channels"]:
        put(LiveScope("channel", channel["channel"]), channel, [tile(queues[i]) for i in channel["queue_ids"]])
    return out


# --- alerts ---------------------------------------------------------------------------------------


def _crossings(snapshot: dict) -> list[dict]:
    """Every KPI of a queue or team that is not normal now, with its value and the threshold crossed.
    A closed queue (or a team whose queues are all closed) raises nothing: its e-mail that waits for the
    morning is no alarm at 03:00, and an alert it had clears."""
    found = []
    for kind, items in (("queue", snapshot["queues"]), ("team", snapshot["teams"])):
        for item in items:
            if item.get("open") is False:
                continue
            values = kpi_values(item)
            for code, status in item["status"].items():
                threshold = item["thresholds"].get(code, {}).get(status)
                if status == "normal" or threshold is None:
                    continue
                found.append(
                    {
                        "scope": f"{kind}:{item['id']}",
                        "scope_name": item["name"],
                        "team_id": item["id"] if kind == "team" else item["team_id"],
                        "kpi": code,
                        "level": status,
                        "value": values.get(code),
                        "threshold": threshold,
                    }
                )
    return found


def alerts_evaluate(snapshot: dict, now: datetime, *, since: dict | None = None, hold_s: float = 0.0) -> bool:
    """Open an alert for each KPI that has been over a threshold for ``hold_s`` seconds, raise its level
    when it worsens, and clear the alerts whose KPI recovered. Returns whether anything changed.

    ``since`` (kept by the caller between rounds) remembers when each crossing was first seen: a KPI
    that is over its threshold for a moment only — a burst replayed by a backfill or an import, a
    flapping figure — raises no alert (as monitoring systems' "for" duration).
    """
    crossings = {(c["scope"], c["kpi"]): c for c in _crossings(snapshot)}
    if since is not None:
        for key in list(since):
            if key not in crossings:
                del since[key]
        for key in crossings:
            since.setdefault(key, now)
    open_alerts = {(a.scope, a.kpi): a for a in Alert.objects.filter(cleared_at=None)}
    changed = False
    for key, alert in open_alerts.items():
        crossing = crossings.get(key)
        if crossing is None:
            alert.cleared_at = now
            alert.save(update_fields=["cleared_at"])
            changed = True
        elif crossing["level"] != alert.level:
            alert.level, alert.value, alert.threshold = crossing["level"], crossing["value"], crossing["threshold"]
            alert.save(update_fields=["level", "value", "threshold"])
            changed = True
    for key, c in crossings.items():
        held = since is None or (now - since[key]).total_seconds() >= hold_s
        if key not in open_alerts and held:
            Alert.objects.create(
                scope=c["scope"],
                scope_name=c["scope_name"],
                team_id=c["team_id"],
                kpi=c["kpi"],
                level=c["level"],
                value=c["value"],
                threshold=c["threshold"],
                raised_at=now,
            )
            changed = True
    return changed


def alerts_by_team(now: datetime) -> dict[int, list[dict]]:
    """Per team, today's alerts that are open or not yet acknowledged (newest first)."""
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    out: dict[int, list[dict]] = {}
    recent = Alert.objects.filter(raised_at__gte=start).exclude(cleared_at__isnull=False, acknowledged_at__isnull=False)
    for a in recent.select_related("acknowledged_by").order_by("-raised_at")[: ALERT_LIST_LIMIT * 10]:
        if a.team_id is None:
            continue
        rows = out.setdefault(a.team_id, [])
        if len(rows) < ALERT_LIST_LIMIT:
            rows.append(
                {
                    "id": a.id,
                    "scope": a.scope,
                    "name": a.scope_name,
                    "kpi": a.kpi,
                    "level": a.level,
                    "value": a.value,
                    "threshold": a.threshold,
                    "raised_at": a.raised_at.isoformat(),
                    "cleared_at": a.cleared_at.isoformat() if a.cleared_at else None,
                    "acknowledged_by": a.acknowledged_by.get_username() if a.acknowledged_by else None,
                    "acknowledged_at": a.acknowledged_at.isoformat() if a.acknowledged_at else None,
                }
            )
    return out


# --- the loop -------------------------------------------------------------------------------------


class Publisher:
    """Computes and sends; keeps the hash of what each scope last got, to send only changes.

    A rebuild of the live state (``keys.generation_key`` changes) drops those hashes, so the next round
    sends every scope again: screens that joined meanwhile, or whose latest copy Redis lost, get the
    whole truth at once. Scopes whose figures did not change get a small heartbeat every
    ``HEARTBEAT_S``, so a page that hears nothing knows it is stale."""

    def __init__(self):
        self.sent_hash: dict[tuple[str, str], str] = {}
        self.generation: str | None = None
        self.latest_seq: dict[str, tuple[LiveScope, int]] = {}  # scope name -> its latest snapshot's seq
        self.last_heartbeat = time.monotonic()
        self.just_sent: set[str] = set()
        self.last_compute = 0.0
        self.last_intervals = float("-inf")
        self.crossing_since: dict[tuple[str, str], datetime] = {}
        self.fence: tuple[str, int] | None = None  # the lease's fencing token while leading (run)
        self.config = None  # live_config's answer, kept while its version and the local day stay
        self.config_key: tuple | None = None
        self.config_read_at = float("-inf")

    def compute(self, now: datetime | None = None) -> list[broadcast.Prepared]:
        """One round: snapshot, alerts, the changed messages numbered and stored. Returns the envelopes
        to send."""
        now = now or timezone.now()
        live_ensure_loaded()  # the publisher, not the read, rebuilds a lost live state
        # read first: the snapshot holds at least this
        applied, generation, config_version = keys.client().mget(
            keys.applied_key(), keys.generation_key(), keys.config_version_key()
        )
        if generation != self.generation:
            self.sent_hash.clear()  # rebuilt (or lost and rebuilt): everything goes out again
            self.generation = generation
        with_intervals = time.monotonic() - self.last_intervals >= INTERVALS_EVERY_S
        snapshot = live_snapshot(now=now, intervals=with_intervals, config=self._config(now, config_version))
        if with_intervals:
            self.last_intervals = time.monotonic()
        alerts_evaluate(snapshot, now, since=self.crossing_since, hold_s=settings.KCC_ALERT_HOLD_S)
        messages = scope_messages(snapshot, alerts_by_team(now))
        changed = []
        for key, (scope, data) in messages.items():
            body = {k: v for k, v in data.items() if k != "generated_at"}
            data["live_version"] = int(applied or 0)
            digest = hashlib.blake2b(json.dumps(body, sort_keys=True).encode(), digest_size=16).hexdigest()
            if self.sent_hash.get(key) != digest:
                self.sent_hash[key] = digest
                changed.append((scope, key[1], data))
        prepared = broadcast.prepare(changed, fence=self.fence)
        for message in prepared:
            if message.kind == "snapshot":
                self.latest_seq[message.scope.name] = (message.scope, message.seq)
        for name in [n for n in self.latest_seq if (n, "snapshot") not in messages]:
            del self.latest_seq[name]  # a team or queue that is gone
        self.just_sent = {m.scope.name for m in prepared if m.kind == "snapshot"}
        return prepared

    def _config(self, now: datetime, version: str | None):
        """The queues, agents, teams and KPIs (``live_config``): read again when a change committed
        (``keys.config_version_key``), the local day turned (the calendars run from yesterday on), or
        ``CONFIG_MAX_AGE_S`` passed (a change that bypassed the signals: a bulk update, another tool)."""
        key = (version, timezone.localtime(now).date())
        if self.config is None or key != self.config_key or time.monotonic() - self.config_read_at >= CONFIG_MAX_AGE_S:
            self.config = live_config(now)
            self.config_key, self.config_read_at = key, time.monotonic()
        return self.config

    def heartbeats_due(self) -> list[broadcast.Prepared]:
        """Every ``HEARTBEAT_S``, a heartbeat to each scope that got no snapshot in the last round."""
        if time.monotonic() - self.last_heartbeat < HEARTBEAT_S:
            return []
        self.last_heartbeat = time.monotonic()
        return broadcast.heartbeats({n: v for n, v in self.latest_seq.items() if n not in self.just_sent})

    async def tick(self, *, heartbeats: bool = False) -> int:
        """Compute and send once (used by the loop, with the heartbeats that are due, and by tests).
        Returns the number of messages sent."""
        self.last_compute = time.monotonic()  # the interval between rounds counts from their starts
        prepared = await sync_to_async(self._compute_in_thread, thread_sensitive=True)()
        if heartbeats:
            prepared += self.heartbeats_due()
        await broadcast.send(prepared)
        return len(prepared)

    def _compute_in_thread(self) -> list[broadcast.Prepared]:
        close_old_connections()
        return self.compute()

    async def run(self, *, stop: asyncio.Event | None = None) -> None:
        """Lead or stand by; while leading, wake on changes (or every REFRESH_S), never more often than
        MIN_INTERVAL_S. Any number of copies may run: the one holding the lease sends, the others take
        it over within ``LEASE_TTL_S`` + ``RENEW_S`` of the leader's death."""
        r = keys.client()
        stop = stop or asyncio.Event()
        lease = Lease(r, keys.root(), "publisher", ttl_s=LEASE_TTL_S)
        changed_at: float | None = None  # when the oldest change the next round sends committed
        due = True
        try:
            while not stop.is_set():
                try:
                    token = await asyncio.to_thread(lease.hold)
                except redis.RedisError as error:  # Redis restarting: nobody can lead; the screens keep their figures
                    log.warning("live publisher waiting for Redis: %s", error)
                    self.fence = None
                    await _sleep(stop, 1.0)
                    continue
                if token is None:
                    if self.fence is not None:
                        log.warning("another live publisher took the lead; this one stands by")
                    self.fence = None
                    await asyncio.to_thread(observe.heartbeat, "publisher", leading=False)
                    await _sleep(stop, RENEW_S)
                    continue
                if self.fence is None or self.fence[1] != token:
                    log.info("leading the live publishers (fencing token %d)", token)
                    self.sent_hash.clear()  # what the last leader sent is not known here: send every scope
                    due = True
                self.fence = lease.fence
                if due or time.monotonic() - self.last_compute >= REFRESH_S:
                    await self._round(changed_at)
                    changed_at = None
                await asyncio.to_thread(observe.heartbeat, "publisher", leading=self.fence is not None)
                try:
                    woken = await asyncio.to_thread(r.blpop, [broadcast.dirty_key()], RENEW_S)
                    if woken:
                        changed_at = changed_at or broadcast.noted_at(woken[1])
                        await asyncio.to_thread(r.delete, broadcast.dirty_key())  # coalesce what came meanwhile
                    due = bool(woken)
                except redis.RedisError as error:
                    log.warning("live publisher waiting for Redis: %s", error)
                    await _sleep(stop, 1.0)
                wait = MIN_INTERVAL_S - (time.monotonic() - self.last_compute)
                if wait > 0:
                    await asyncio.sleep(wait)
        finally:
            await asyncio.to_thread(lease.release)  # a clean stop hands over at once

    async def _round(self, changed_at: float | None) -> None:
        try:
            await self.tick(heartbeats=True)
            if changed_at is not None:
                observe.observe("publish_lag_seconds", max(0.0, time.time() - changed_at))
        except broadcast.FencedOutError as error:  # frozen past the lease: another leads now
            log.warning("live publisher lost the lead (%s); standing by", error)
            self.fence = None
        except Exception as error:  # a bad round must not stop the wallboards; the next one retries
            if database_busy(error):  # SQLite locked by a backfill or an import: expected, and brief
                log.warning("live publisher round skipped, the database is busy (%s); the next one retries", error)
            else:
                log.exception("live publisher round failed")


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
