"""Is this installation ready to serve? One check per component, each with its verdict and why.

``/readyz`` answers from these: the database and Redis answer; a live publisher sent a round within the
last ``PUBLISHER_FRESH_S`` (wallboards otherwise freeze); Celery beat sent its schedule within the last
``BEAT_FRESH_S`` (reports and intervals otherwise stop); a Celery worker answers a ping (the tasks beat
sends otherwise pile up). Each check is bounded in time, so a load balancer's probe never hangs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import redis
from celery import current_app as celery_app  # kcc.celery, made the current app when kcc loads
from django.db import connection
from django.db.utils import DatabaseError

from dashboard.core import observe

PUBLISHER_FRESH_S = 10.0
BEAT_FRESH_S = 120.0
WORKER_PING_S = 1.0


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def database_check() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return Check(False, f"the database does not answer: {error}".strip())
    return Check(True, f"{connection.vendor} answers")


def redis_check() -> Check:
    try:
        observe.ping()
    except redis.RedisError as error:
        return Check(False, f"Redis does not answer: {error}")
    return Check(True, "Redis answers")


def _freshest(component: str, fresh_s: float, now: float, what: str) -> Check:
    try:
        beats = {p: b for p, b in observe.heartbeats(component).items() if b.get("leading", True)}
    except redis.RedisError as error:
        return Check(False, f"cannot tell without Redis: {error}")
    if not beats:
        return Check(False, f"no {what} has run in the last {observe.HEARTBEAT_TTL_S // 60} minutes")
    process, beat = max(beats.items(), key=lambda item: item[1]["at"])
    age = max(0.0, now - beat["at"])
    if age > fresh_s:
        return Check(False, f"the last {what} ({process}) was seen {age:.0f} s ago, more than {fresh_s:.0f} s")
    return Check(True, f"{what} {process} seen {age:.1f} s ago")


def publisher_check(now: float | None = None) -> Check:
    """A publisher leading (standbys do not count: they send nothing) within ``PUBLISHER_FRESH_S``."""
    return _freshest("publisher", PUBLISHER_FRESH_S, time.time() if now is None else now, "leading live publisher")


def beat_check(now: float | None = None) -> Check:
    return _freshest("beat", BEAT_FRESH_S, time.time() if now is None else now, "Celery beat")


def worker_check() -> Check:
    try:
        replies = celery_app.control.ping(timeout=WORKER_PING_S, limit=1)  # the first answer will do
    except Exception as error:  # the broker (Redis) unreachable: kombu's errors are many
        return Check(False, f"cannot ask the workers: {error}")
    if not replies:
        return Check(False, f"no Celery worker answered within {WORKER_PING_S:.0f} s")
    names = sorted(name for reply in replies for name in reply)
    return Check(True, f"{', '.join(names)} answered")


CHECKS = {
    "database": database_check,
    "redis": redis_check,
    "publisher": publisher_check,
    "beat": beat_check,
    "worker": worker_check,
}


def readiness() -> tuple[bool, dict[str, Check]]:
    """Every component's check; ready when all pass."""
    checks = {name: check() for name, check in CHECKS.items()}
    return all(c.ok for c in checks.values()), checks
