"""``REDIS_URL``: one Redis, or a Redis Sentinel set that follows a failover, for every client in KCC Live.

Two forms:

- ``redis://[:password@]host:port/<db>`` (also ``rediss://``, ``unix://``): one Redis server.
- ``redis+sentinel://[:password@]host:port[,host:port...]/<master_name>[/<db>]``: the Sentinels to ask
  where the master of ``master_name`` is now. ``password`` is the data servers' (``requirepass``); the
  Sentinels themselves are asked without one. ``db`` defaults to 0.

Every Redis client of the product is made here from the one URL the settings read: the live state's and
the heartbeats' (``client``), the Channels layer's (``channel_layer_host``), Celery's broker
(``celery_broker``) and Django's cache (``CachePool``). With Sentinel each asks the Sentinels for the
master on (re)connect, so after a failover the next command goes to the new master.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import redis
from django.core.exceptions import ImproperlyConfigured
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import ExponentialBackoff
from redis.sentinel import Sentinel, SentinelConnectionPool

SENTINEL_SCHEME = "redis+sentinel"
DEFAULT_SENTINEL_PORT = 26379


@dataclass(frozen=True)
class SentinelSet:
    """A Sentinel-managed Redis: the Sentinels' addresses, the master's name, the database, the password."""

    sentinels: tuple[tuple[str, int], ...]
    master_name: str
    db: int = 0
    password: str | None = None


def parse(url: str) -> SentinelSet | None:
    """The Sentinel set ``url`` names, or None for a plain Redis URL. Raises ImproperlyConfigured, naming
    the part, for a Sentinel URL that is not ``redis+sentinel://host:port[,host:port]/<master_name>[/<db>]``."""
    if not url.startswith(f"{SENTINEL_SCHEME}://"):
        return None
    where = f"REDIS_URL={_masked(url)!r}"
    rest = url[len(SENTINEL_SCHEME) + 3 :]
    netloc, _, path = rest.partition("/")
    password = None
    if "@" in netloc:
        auth, _, netloc = netloc.rpartition("@")
        password = unquote(auth.partition(":")[2] or auth) or None
    sentinels = []
    for address in netloc.split(","):
        parsed = urlsplit(f"//{address.strip()}")
        try:
            port = parsed.port or DEFAULT_SENTINEL_PORT
        except ValueError:
            raise ImproperlyConfigured(f"{where}: the Sentinel address {address!r} has no valid port") from None
        if not parsed.hostname:
            raise ImproperlyConfigured(f"{where}: a Sentinel address is empty (write host:port[,host:port])")
        sentinels.append((parsed.hostname, port))
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise ImproperlyConfigured(f"{where}: the master's name is missing (…/<master_name>/<db>)")
    if len(parts) > 2:
        raise ImproperlyConfigured(f"{where}: after the master's name only the database number may follow")
    db = 0
    if len(parts) == 2:
        if not parts[1].isdigit():
            raise ImproperlyConfigured(f"{where}: the database {parts[1]!r} is not a number")
        db = int(parts[1])
    return SentinelSet(tuple(sentinels), unquote(parts[0]), db, password)


def _masked(url: str) -> str:
    """``url`` without its password, for error messages and logs."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    auth, _, host = rest.rpartition("@")
    return f"{scheme}://***@{host}"


def _sentinel(target: SentinelSet, **kwargs) -> Sentinel:
    # The Sentinels are asked with short timeouts: one that is down must not hold the others up.
    timeouts = {k: v for k, v in kwargs.items() if k in ("socket_timeout", "socket_connect_timeout")}
    return Sentinel(list(target.sentinels), sentinel_kwargs={"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
                    **timeouts)  # fmt: skip


def client(url: str, **kwargs) -> redis.Redis:
    """A (connection-pooled, thread-safe) client of the Redis ``url`` names; with Sentinel, of whichever
    server is the master now. ``kwargs`` as redis.Redis takes them (``decode_responses``, timeouts)."""
    target = parse(url)
    if target is None:
        return redis.Redis.from_url(url, **kwargs)
    return _sentinel(target, **kwargs).master_for(target.master_name, db=target.db, password=target.password,
                                                  **kwargs)  # fmt: skip


def channel_layer_host(url: str, **kwargs) -> dict:
    """One entry of the Channels layer's ``hosts`` (channels-redis) for ``url``."""
    target = parse(url)
    if target is None:
        return {"address": url, **kwargs}
    host = {"sentinels": [list(s) for s in target.sentinels], "master_name": target.master_name, "db": target.db}
    # While the Sentinels elect a new master (seconds), try again every half second at most: redis-py's
    # default backs off up to 10 s between tries, and a subscriber would stay away that much longer.
    host["retry"] = AsyncRetry(ExponentialBackoff(cap=0.5, base=0.1), 5)
    if target.password:
        host["password"] = target.password
    return {**host, "sentinel_kwargs": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5}, **kwargs}


def celery_broker(url: str) -> tuple[str, dict]:
    """Celery's (kombu's) broker URL for ``url`` and the transport options it needs: with Sentinel,
    ``sentinel://host:port/db;sentinel://…`` and ``master_name``."""
    target = parse(url)
    if target is None:
        return url, {}
    auth = f":{quote(target.password, safe='')}@" if target.password else ""
    broker = ";".join(f"sentinel://{auth}{host}:{port}/{target.db}" for host, port in target.sentinels)
    return broker, {"master_name": target.master_name, "sentinel_kwargs": {"socket_timeout": 0.5}}


class CachePool(redis.ConnectionPool):
    """The ``pool_class`` of Django's Redis cache: a plain URL as Django does it, a Sentinel URL through
    the Sentinels (Django's cache knows only plain URLs)."""

    @classmethod
    def from_url(cls, url: str, **kwargs):
        target = parse(url)
        if target is None:
            return redis.ConnectionPool.from_url(url, **kwargs)
        kwargs.pop("db", None)
        return SentinelConnectionPool(target.master_name, _sentinel(target), db=target.db, password=target.password,
                                      **kwargs)  # fmt: skip
