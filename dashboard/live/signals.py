"""Configuration edited in the admin reaches the live screens at once.

Any change to queues, agents, skills, teams or KPI thresholds wakes the publisher. A change of a queue's
service-level or short-abandon threshold changes how its contacts count, so the live state is rebuilt
from the database (the figures of today then follow the new threshold everywhere).
"""

from __future__ import annotations

import logging

import redis
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from dashboard.core.models import KPI, Agent, Queue, Team
from dashboard.live.broadcast import notify_changed
from dashboard.live.services import live_rebuild

log = logging.getLogger(__name__)
COUNTING_FIELDS = ("sl_threshold_s", "short_abandon_threshold_s")


def _notify() -> None:
    try:
        notify_changed("config")
    except redis.RedisError:
        log.warning("could not wake the live publisher; it refreshes on its own within seconds")


@receiver(post_save, sender=Team)
@receiver(post_save, sender=Agent)
@receiver(post_save, sender=KPI)
@receiver(post_delete, sender=Team)
@receiver(post_delete, sender=Agent)
@receiver(post_delete, sender=KPI)
@receiver(post_delete, sender=Queue)
@receiver(m2m_changed, sender=Agent.skills.through)
def config_changed(sender, **kwargs):
    transaction.on_commit(_notify)


@receiver(pre_save, sender=Queue)
def queue_remember(sender, instance: Queue, **kwargs):
    old = Queue.objects.filter(pk=instance.pk).values(*COUNTING_FIELDS).first() if instance.pk else None
    instance._counting_changed = old is not None and any(old[f] != getattr(instance, f) for f in COUNTING_FIELDS)


@receiver(post_save, sender=Queue)
def queue_saved(sender, instance: Queue, **kwargs):
    if getattr(instance, "_counting_changed", False):
        transaction.on_commit(_rebuild)
    transaction.on_commit(_notify)


def _rebuild() -> None:
    try:
        live_rebuild()
    except redis.RedisError:
        log.warning("could not rebuild the live state now; the publisher rebuilds it when Redis answers again")
