"""Where the live state lives in Redis: the connection and every key name, in one place.

All keys start with ``<LIVE_KEY_PREFIX>:live:`` so that the live state can be wiped and rebuilt without
touching the channel layer's or Celery's keys in the same Redis.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import redis
from django.conf import settings

from dashboard.core import redisurl

WINDOW_MINUTES = 30  # the rolling window of the wallboard's "last 30 minutes" figures
MINUTE_KEY_TTL_S = 3 * 3600  # minute buckets are only read for the rolling window
MINUTE_KEYS_KEPT_S = 2 * 3600  # deltas older than this skip the minute buckets
DAY_KEY_TTL_S = 3 * 86400
DAYS_KEPT = 2  # today and yesterday have day buckets
VERSION_TTL_S = 14 * 86400


@lru_cache(maxsize=1)
def _client_for(url: str) -> redis.Redis:
    return redisurl.client(url, decode_responses=True, health_check_interval=30, socket_timeout=10)


def client() -> redis.Redis:
    """The process's Redis client for live state (connection-pooled, thread-safe)."""
    return _client_for(settings.REDIS_URL)


# The fields of several hashes added up inside Redis: the 30 minute buckets of a queue's window come back
# as one reply rather than 30 (the publisher reads every queue's window several times a second).
_SUM_HASHES = """
local acc, order = {}, {}
for _, name in ipairs(KEYS) do
  local flat = redis.call('HGETALL', name)
  for i = 1, #flat, 2 do
    local field, value = flat[i], tonumber(flat[i + 1]) or 0
    if acc[field] == nil then acc[field] = 0; order[#order + 1] = field end
    acc[field] = acc[field] + value
  end
end
local out = {}
for _, field in ipairs(order) do
  local value = acc[field]
  out[#out + 1] = field
  out[#out + 1] = (value == math.floor(value)) and string.format('%d', value) or tostring(value)
end
return out
"""


@lru_cache(maxsize=4)
def _sum_script(r: redis.Redis):
    return r.register_script(_SUM_HASHES)


def sum_hashes(pipe, names: list[str]) -> None:
    """Queue on ``pipe`` (a pipeline of ``client()``) the sum of the hashes ``names``, field by field; its
    reply is ``[field, value, field, value, …]`` (``pairs`` makes it a mapping)."""
    _sum_script(client())(keys=names, args=[], client=pipe)


def pairs(flat: list) -> dict:
    return dict(zip(flat[0::2], flat[1::2], strict=True))


def root() -> str:
    return f"{settings.LIVE_KEY_PREFIX}:live"


def epoch_minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


def epoch_quarter(at: datetime) -> int:
    """The quarter-hour ``at`` falls in (local quarter-hours coincide with UTC ones: offsets are whole
    quarter-hours)."""
    return int(at.timestamp() // 900)


def day_key(queue_id: int, day: date) -> str:
    return f"{root()}:q:{queue_id}:d:{day.isoformat()}"


def minute_key(queue_id: int, minute: int) -> str:
    return f"{root()}:q:{queue_id}:m:{minute}"


def quarter_key(queue_id: int, quarter: int) -> str:
    """Counters of the contacts offered in one quarter-hour (``quarter`` = epoch seconds // 900)."""
    return f"{root()}:q:{queue_id}:i:{quarter}"


def agent_day_key(agent_id: int, day: date) -> str:
    """An agent's counters of today's contacts (handled, talk, hold, after-call work)."""
    return f"{root()}:a:{agent_id}:d:{day.isoformat()}"


def agent_contact_key(agent_id: int) -> str:
    """The contacts an agent is talking to now: member -> "<queue id>|<answered epoch s>"."""
    return f"{root()}:talking:{agent_id}"


def callbacks_key(queue_id: int) -> str:
    """Callbacks promised by this queue and not yet made: member -> promised-by epoch seconds."""
    return f"{root()}:callbacks:{queue_id}"


def waiting_key(queue_id: int) -> str:
    return f"{root()}:wait:{queue_id}"


def contact_version_key(contact_id: str) -> str:
    return f"{root()}:ver:c:{contact_id}"


def agent_key(agent_id: int) -> str:
    return f"{root()}:agent:{agent_id}"


def sequence_key() -> str:
    return f"{root()}:seq"


def applied_key() -> str:
    """The highest derivation version whose changes are in Redis (clients use it to know that an
    update contains their batch)."""
    return f"{root()}:applied"


def rebuilt_key() -> str:
    """The version the last rebuild took: the rebuild holds every batch of a lower version, so such a
    batch's changes, reaching Redis after it, are not applied again."""
    return f"{root()}:rebuilt"


def loaded_key() -> str:
    """Present while the live state is complete; missing after a Redis restart or flush."""
    return f"{root()}:loaded"


def config_version_key() -> str:
    """Raised by every configuration change (queues, agents, teams, KPIs, calendars) once it commits: the
    publisher keeps the configuration it read until this moves (or for a few seconds at most)."""
    return f"{root()}:live:config-version"


def generation_key() -> str:
    """A token each rebuild writes anew: the publisher sends every scope again when it changes."""
    return f"{root()}:generation"


def log_high_key() -> str:
    """The high-water mark of the event log in the live state: the highest Event id the last rebuild
    read or a batch's write found committed. Behind the database's own for longer than an in-flight
    batch takes means Redis lost writes (it came back from an older save, or missed a batch)."""
    return f"{root()}:log_high"


def behind_key() -> str:
    """ "<database high-water mark> <epoch s>": since when the live state has been seen behind it."""
    return f"{root()}:behind"


def server_key() -> str:
    """The run id of the Redis server the last rebuild wrote to: another one (a restart, a failover)
    holds what its save or replica held, not what the database holds, and is rebuilt."""
    return f"{root()}:server"
