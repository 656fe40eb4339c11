"""What the processes tell the operator: heartbeats, and the figures behind ``/metrics`` that no single
process holds.

KCC Live runs as several processes (daphne, the live publisher, Celery workers and beat, importers), on
one machine or several. A Prometheus scrape reaches one daphne; what the publisher measured (the lag from
a commit to the send) or an importer's batches happened elsewhere. So those figures are kept in Redis,
shared by every process, and read at the scrape: histograms as a hash of bucket counts, counters as
integers, heartbeats as keys that expire. Writing them is best effort: an unreachable Redis never fails an
ingest or a publisher round (the figures then miss what happened meanwhile, and ``/readyz`` says Redis is
down).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from bisect import bisect_left
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings
from prometheus_client import Gauge

from dashboard.core import redisurl

log = logging.getLogger(__name__)

HEARTBEAT_TTL_S = 600  # a heartbeat older than this is gone; /readyz judges freshness itself

# Upper bounds (seconds) of each histogram's buckets; +Inf is implied.
BUCKETS: dict[str, tuple[float, ...]] = {
    "ingest_batch_seconds": (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    "publish_lag_seconds": (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0),
}
COUNTERS = ("live_rebuilds_total",)

# Per process, unlike the rest: each daphne counts its own sockets (Prometheus scrapes each daphne and
# sums). Registered in the registry that /metrics writes (dashboard/ops/exposition.py).
websocket_connections = Gauge(
    "kcc_websocket_connections", "Websockets open on this daphne process (wallboards, supervisor pages).",
    registry=None,
)  # fmt: skip


@cache
def _client_for(url: str) -> redis.Redis:
    return redisurl.client(url, socket_timeout=0.5, socket_connect_timeout=0.5)


def _client() -> redis.Redis:
    return _client_for(settings.REDIS_URL)


def _prefix() -> str:
    return f"{settings.LIVE_KEY_PREFIX}:ops:"


def process_id() -> str:
    """This process, as the heartbeats and the per-process series name it: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def observe(name: str, seconds: float) -> None:
    """Count ``seconds`` into the shared histogram ``name`` (one of ``BUCKETS``)."""
    bounds = BUCKETS[name]
    slot = bisect_left(bounds, seconds)  # the first bucket whose bound is >= seconds
    key = _prefix() + name
    try:
        pipe = _client().pipeline(transaction=False)
        pipe.hincrby(key, str(slot), 1)
        pipe.hincrbyfloat(key, "sum", seconds)
        pipe.hincrby(key, "count", 1)
        pipe.execute()
    except redis.RedisError as error:
        log.debug("could not record %s: %s", name, error)


def count(name: str, by: int = 1) -> None:
    """Add ``by`` to the shared counter ``name`` (one of ``COUNTERS``)."""
    assert name in COUNTERS, name
    try:
        _client().incrby(_prefix() + name, by)
    except redis.RedisError as error:
        log.debug("could not count %s: %s", name, error)


def heartbeat(component: str, **detail) -> None:
    """Say that this process of ``component`` (``publisher``, ``beat``) is alive now."""
    body = json.dumps({"at": time.time(), **detail})
    try:
        _client().set(f"{_prefix()}heartbeat:{component}:{process_id()}", body, ex=HEARTBEAT_TTL_S)
    except redis.RedisError as error:
        log.debug("could not write the %s heartbeat: %s", component, error)


@dataclass(frozen=True)
class Histogram:
    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]  # per bound, then +Inf
    sum: float
    count: int


def histogram(name: str) -> Histogram:
    """The shared histogram ``name`` as Prometheus counts it (cumulative buckets). Raises RedisError."""
    bounds = BUCKETS[name]
    raw = _client().hgetall(_prefix() + name)
    values = {k.decode(): v for k, v in raw.items()}
    running, cumulative = 0, []
    for slot in range(len(bounds) + 1):
        running += int(values.get(str(slot), 0))
        cumulative.append(running)
    return Histogram(bounds, tuple(cumulative), float(values.get("sum", 0.0)), int(values.get("count", 0)))


def counter(name: str) -> int:
    """The shared counter ``name``. Raises RedisError."""
    return int(_client().get(_prefix() + name) or 0)


def heartbeats(component: str) -> dict[str, dict]:
    """Every live process of ``component``: process id -> its last heartbeat (``at`` in epoch seconds).
    Raises RedisError."""
    client = _client()
    pattern = f"{_prefix()}heartbeat:{component}:*"
    names = sorted(client.scan_iter(match=pattern, count=500))
    found = {}
    for name, body in zip(names, client.mget(names) if names else [], strict=True):
        if body is not None:
            found[name.decode().removeprefix(f"{_prefix()}heartbeat:{component}:")] = json.loads(body)
    return found


def ping() -> None:
    """Raises RedisError when Redis does not answer."""
    _client().ping()
