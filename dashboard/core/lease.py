"""A lease in Redis: one holder at a time among several copies of a process, with a fencing token.

Several copies of the live publisher (or of Celery beat) run, on one machine or several, so that one dying
does not stop the wallboards. Exactly one must act at a time. Each copy calls ``hold()`` every
``renew_s``: the holder renews its lease, a standby takes it once the holder stopped renewing (killed,
frozen, cut off) and ``ttl_s`` passed. Taking the lease issues a new fencing token (a counter that only
grows); writes that must come from the holder alone check that the token is still the newest (``fence``,
used by ``broadcast.prepare``), so a holder that froze and wakes after its lease passed to another is
refused instead of writing beside it.

This is the single-instance Redis lock pattern (SET NX PX, renewed by its owner only) with Kleppmann's
fencing tokens; with Sentinel, a failover may lose a lease that was just taken, and the token still keeps
the two holders' writes apart.
"""

from __future__ import annotations

import uuid

import redis

from dashboard.core.observe import process_id

# KEYS: lease, fence counter. ARGV: holder, ttl ms. Returns the holder's token, or nil when another holds it.
_HOLD = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]))
end
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return redis.call('INCR', KEYS[2])
end
return false
"""

# KEYS: lease. ARGV: holder.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Lease:
    """The lease ``name`` (keys under ``prefix``) as seen by this process."""

    def __init__(self, client: redis.Redis, prefix: str, name: str, *, ttl_s: float = 3.0):
        self.client = client
        self.key = f"{prefix}:lease:{name}"
        self.fence_key = f"{self.key}:fence"
        self.ttl_ms = int(ttl_s * 1000)
        self.holder = f"{process_id()}:{uuid.uuid4().hex[:8]}"
        self.token: int | None = None
        self._hold = client.register_script(_HOLD)
        self._release = client.register_script(_RELEASE)

    def hold(self) -> int | None:
        """Take or renew the lease: this holder's fencing token, or None while another holds it.
        Raises RedisError when Redis does not answer (the caller then holds nothing it can prove)."""
        token = self._hold(keys=[self.key, self.fence_key], args=[self.holder, self.ttl_ms])
        self.token = int(token) if token else None
        return self.token

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so a standby takes over without waiting for the TTL."""
        try:
            self._release(keys=[self.key], args=[self.holder])
        except redis.RedisError:
            pass  # it expires on its own
        self.token = None

    @property
    def fence(self) -> tuple[str, int] | None:
        """(fence key, token) for writes that only the holder may make, or None when not holding."""
        return (self.fence_key, self.token) if self.token is not None else None
