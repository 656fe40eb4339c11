"""Configuration edited in the admin reaches the live screens at once, and so do changes of who may
see what.

Any change to queues, agents, skills, teams, KPI thresholds, opening hours or closed days wakes the
publisher. A change of a queue's
service-level or short-abandon threshold changes how its contacts count, so the live state is rebuilt
from the database (the figures of today then follow the new threshold everywhere).

A change of a user's teams or roles (or the account itself), or of a wall screen's token, asks that
user's or screen's open sockets to check their scopes again (``broadcast.recheck``), after commit; a
logout closes the sockets of that login session at once (4401).
"""

from __future__ import annotations

import logging

import redis
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from dashboard.core.models import KPI, Agent, ClosedDay, OpeningHours, Queue, Team
from dashboard.live import broadcast
from dashboard.live.broadcast import notify_changed
from dashboard.live.models import Display
from dashboard.live.services import live_rebuild

User = get_user_model()

log = logging.getLogger(__name__)
# What the counters depend on (rules.QueueRule): a change recounts the live state.
COUNTING_FIELDS = ("sl_threshold_s", "short_abandon_threshold_s", "response_target_s", "channel")


def _notify() -> None:
    try:
        notify_changed("config")
    except redis.RedisError:
        log.warning("could not wake the live publisher; it refreshes on its own within seconds")


def _notify_after_commit() -> None:
    """Wake the publisher once when the transaction commits, however many rows it changed: a
    transaction that saves 144 rows (``load_demo``) wakes it once (and, with Redis down, says so once).
    A callback dropped with a rolled-back savepoint is registered again by the next change."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(callback is _notify for _sids, callback, *_ in connection.run_on_commit):
        return
    transaction.on_commit(_notify)


@receiver(post_save, sender=Team)
@receiver(post_save, sender=Agent)
@receiver(post_save, sender=KPI)
@receiver(post_delete, sender=Team)
@receiver(post_delete, sender=Agent)
@receiver(post_delete, sender=KPI)
@receiver(post_delete, sender=Queue)
@receiver(post_save, sender=OpeningHours)
@receiver(post_delete, sender=OpeningHours)
@receiver(post_save, sender=ClosedDay)
@receiver(post_delete, sender=ClosedDay)
@receiver(m2m_changed, sender=Agent.skills.through)
def config_changed(sender, **kwargs):
    _notify_after_commit()


@receiver(pre_save, sender=Queue)
def queue_remember(sender, instance: Queue, **kwargs):
    old = Queue.objects.filter(pk=instance.pk).values("team_id", *COUNTING_FIELDS).first() if instance.pk else None
    instance._counting_changed = old is not None and any(old[f] != getattr(instance, f) for f in COUNTING_FIELDS)
    # A queue moved to another team leaves the old team's supervisors: their sockets on it check again.
    instance._left_team = old["team_id"] if old and old["team_id"] != instance.team_id else None


@receiver(post_save, sender=Queue)
def queue_saved(sender, instance: Queue, **kwargs):
    if getattr(instance, "_counting_changed", False):
        transaction.on_commit(_rebuild)
    _notify_after_commit()
    left = getattr(instance, "_left_team", None)
    if left is not None:
        _recheck_users(set(Team.supervisors.through.objects.filter(team_id=left).values_list("user_id", flat=True)))


def _rebuild() -> None:
    try:
        live_rebuild()
    except redis.RedisError:
        log.warning("could not rebuild the live state now; the publisher rebuilds it when Redis answers again")


# --- who may see what ----------------------------------------------------------------------------


class _RecheckAfterCommit:
    """The control groups one transaction asks to check their rights again, sent together when it
    commits: ``load_demo`` creating six users sends one message, and with Redis not up yet says so in one
    line. (Asking a group that a rolled-back savepoint named is harmless: the check finds nothing.)"""

    def __init__(self):
        self.groups: set[str] = set()

    def __call__(self) -> None:
        groups = sorted(self.groups)
        try:
            broadcast.recheck(groups)
        except (redis.RedisError, OSError) as error:  # after commit: the change stands
            log.warning(
                "could not ask live sockets to check their rights again (%s); they are checked when they reconnect: %s",
                error,
                ", ".join(groups),
            )
        except Exception:
            log.exception("could not ask live sockets to check their rights again: %s", groups)


def _recheck(groups: list[str]) -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        for _sids, callback, *_ in connection.run_on_commit:
            if isinstance(callback, _RecheckAfterCommit):
                callback.groups.update(groups)
                return
    batch = _RecheckAfterCommit()
    batch.groups.update(groups)
    transaction.on_commit(batch)


def _recheck_users(user_ids) -> None:
    if user_ids:
        _recheck([broadcast.user_group(pk) for pk in sorted(user_ids)])


@receiver(m2m_changed, sender=Team.supervisors.through)
@receiver(m2m_changed, sender=User.groups.through)
def rights_changed(sender, instance, action, pk_set, **kwargs):
    """A user's teams (supervisors of a team) or roles (groups) changed, from either side."""
    if isinstance(instance, User):
        if action.startswith("post_"):
            _recheck_users({instance.pk})
        return
    # From the team's or the group's side: the users are the other side; a clear names none, so they
    # are read before it.
    if action == "pre_clear":
        related = instance.supervisors if isinstance(instance, Team) else instance.user_set
        instance._live_cleared_users = set(related.values_list("pk", flat=True))
    elif action == "post_clear":
        _recheck_users(getattr(instance, "_live_cleared_users", set()))
    elif action in ("post_add", "post_remove"):
        _recheck_users(pk_set)


@receiver(post_save, sender=User)
def user_saved(sender, instance, created, update_fields=None, **kwargs):
    if not created and set(update_fields or ()) != {"last_login"}:  # a login changes nobody's rights
        _recheck_users({instance.pk})


@receiver(post_delete, sender=User)
def user_deleted(sender, instance, **kwargs):
    _recheck_users({instance.pk})


@receiver(pre_delete, sender=Team)
def team_remember_supervisors(sender, instance: Team, **kwargs):
    instance._live_supervisors = set(instance.supervisors.values_list("pk", flat=True))


@receiver(post_delete, sender=Team)
def team_deleted(sender, instance: Team, **kwargs):
    _recheck_users(getattr(instance, "_live_supervisors", set()))


@receiver(post_save, sender=Display)
@receiver(post_delete, sender=Display)
def display_changed(sender, instance: Display, **kwargs):
    _recheck([broadcast.display_group(instance.pk)])


@receiver(user_logged_out)
def session_ended(sender, request, user, **kwargs):
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if not session_key:
        return
    try:
        broadcast.close_group(broadcast.session_group(session_key), 4401)
    except Exception:  # the logout itself must not fail
        log.exception("could not close the live sockets of a session that ended")
