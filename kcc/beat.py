"""Celery beat's scheduler: django-celery-beat's (the schedule declared in settings, kept in the database),
run by any number of copies of which one sends, and saying at each tick whether it leads, for ``/readyz``.

Two beats without a lock send every task twice. So each copy holds or waits for a lease in Redis
(``dashboard.core.lease``: SET NX PX, renewed by its holder, with a fencing token) before it sends
anything. The holder renews it at least every ``KCC_BEAT_LEASE_S / 3`` seconds; a standby takes it once
the holder stopped renewing for ``KCC_BEAT_LEASE_S`` (killed, frozen, cut off), or at once when the holder
stopped cleanly (it gives the lease up). A task is never sent twice for one period across a takeover:
the leader writes each entry's last run to the database right after sending it, and a copy that becomes
the leader first reloads the schedule from the database, so it continues where the other stopped.

Heartbeats: the leader's says ``leading: true``, a standby's ``leading: false``; ``/readyz`` counts the
leader's only (a standby sends nothing).
"""

from __future__ import annotations

import logging
import time

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler

from dashboard.core import observe, redisurl
from dashboard.core.lease import Lease

log = logging.getLogger(__name__)

HEARTBEAT_EVERY_S = 5.0


class Scheduler(DatabaseScheduler):
    _last_heartbeat = 0.0

    def __init__(self, *args, **kwargs):
        self.lease_s = float(getattr(settings, "KCC_BEAT_LEASE_S", 15.0))
        client = redisurl.client(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)
        self.lease = Lease(client, f"{settings.LIVE_KEY_PREFIX}:beat", "beat", ttl_s=self.lease_s)
        self.leading = False
        super().__init__(*args, **kwargs)
        # Each entry's last run goes to the database as soon as it is sent, so a takeover knows it.
        self.sync_every_tasks = 1

    def setup_schedule(self):
        # Copies starting together write the same rows (the schedule in settings): one at a time.
        with self.lease.client.lock(f"{settings.LIVE_KEY_PREFIX}:beat:setup", timeout=60, blocking_timeout=120):
            super().setup_schedule()

    def reserve(self, entry):
        new_entry = super().reserve(entry)
        # The run goes to the database before the task is sent (django-celery-beat writes it after): a
        # copy that takes over from one killed between the two skips that period rather than sending
        # the task a second time within it.
        self.sync()
        return new_entry

    def _hold(self) -> bool:
        try:
            token = self.lease.hold()
        except redis.RedisError as error:  # nobody can prove to lead: send nothing until Redis answers
            if self.leading:
                log.warning("beat: Redis does not answer (%s); standing by", error)
            self.leading = False
            return False
        if token is not None and not self.leading:
            log.info("beat: leading (fencing token %s); reading the schedule from the database", token)
            self._initial_read = True  # what the previous leader sent is in the database, not in memory
        elif token is None and self.leading:
            log.warning("beat: another copy leads now; standing by")
        self.leading = token is not None
        return self.leading

    def tick(self, *args, **kwargs):
        renew_s = self.lease_s / 3
        was_leading = self.leading
        leading = self._hold()
        # The heartbeat first: a copy that just took the lead says so before it sends anything.
        due = time.monotonic() - self._last_heartbeat >= HEARTBEAT_EVERY_S
        if due or not self._last_heartbeat or was_leading != self.leading:
            observe.heartbeat("beat", leading=self.leading)
            self._last_heartbeat = time.monotonic()
        return min(super().tick(*args, **kwargs), renew_s) if leading else renew_s

    def close(self):
        super().close()
        if self.leading:
            self.lease.release()  # a clean stop: a standby takes over at its next try
            self.leading = False
