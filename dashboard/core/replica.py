"""A PostgreSQL read replica (``DATABASE_REPLICA_URL``, database alias ``replica``) for what only reads
history: the report pages and API, the interval API and exports, the forecast export.

Everything reads the primary (``default``) unless a piece of code says otherwise: a view wrapped in
``reads_replica`` (the URL modules wrap the report and export endpoints) or an iterator wrapped in
``iter_on_replica`` (an export streamed after its view returned, a background export). So ingest, the
live path (the publisher, the live state's rebuild, the websockets), the aggregation tasks and every
write never touch the replica: they read what they themselves just wrote, and a replica lags.

Without ``DATABASE_REPLICA_URL`` there is no ``replica`` alias and all of it reads ``default``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.db import connections

REPLICA = "replica"
PRIMARY = "default"

# Who is asking (users, sessions, API tokens, login throttling) is always read on the primary: a token or a
# password changed a moment ago counts at once, whatever the replica's lag.
PRIMARY_ONLY_APPS = frozenset({"auth", "authtoken", "sessions", "axes", "contenttypes"})

_on_replica: ContextVar[bool] = ContextVar("kcc_read_replica", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def read_db() -> str:
    """The alias history reads go to: ``replica`` when one is configured, else ``default``."""
    return REPLICA if replica_configured() else PRIMARY


@contextmanager
def reading_replica():
    """Within the block, this thread's (or task's) reads go to the replica, when one is configured."""
    token = _on_replica.set(True)
    try:
        yield
    finally:
        _on_replica.reset(token)


def reads_replica(view: Callable) -> Callable:
    """A view whose reads go to the replica (its writes, the audit log's, still go to ``default``)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        with reading_replica():
            return view(*args, **kwargs)

    return wrapped


def iter_on_replica(items: Iterable) -> Iterator:
    """``items``, each produced with reads on the replica: for a response streamed after its view
    returned (the context is set and reset around every step, so the step may run in any thread)."""
    iterator = iter(items)
    while True:
        with reading_replica():
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


class ReplicaRouter:
    """Reads go to the replica only inside ``reading_replica``; writes and migrations to ``default``."""

    def db_for_read(self, model, **hints):
        if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
            return PRIMARY
        return REPLICA if _on_replica.get() and replica_configured() else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two doors

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA  # the replica follows the primary's schema by replication
