"""Issue 11, point 6: a database that is overloaded or unreachable is answered 503 with Retry-After (the
client sends again), never 500; an error of the request or the code is not mistaken for one."""

import sqlite3

import psycopg
import pytest
from django.db import InterfaceError, OperationalError, ProgrammingError
from psycopg_pool import PoolTimeout

from dashboard.core.api import database_busy, exception_handler


def wrapped(cause: BaseException, cls=OperationalError) -> BaseException:
    """As Django raises it: its own class, the driver's error as the cause."""
    try:
        raise cls(str(cause)) from cause
    except cls as error:
        return error


@pytest.mark.parametrize(
    "exc, busy",
    [
        (wrapped(PoolTimeout("couldn't get a connection after 10.00 sec")), True),
        (wrapped(psycopg.errors.TooManyConnections("sorry, too many clients already")), True),
        (wrapped(psycopg.OperationalError("connection failed: FATAL:  sorry, too many clients already")), True),
        (wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")), True),
        (wrapped(psycopg.errors.DeadlockDetected("deadlock detected")), True),
        (wrapped(psycopg.errors.SerializationFailure("could not serialize access")), True),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (wrapped(psycopg.InterfaceError("the connection is closed"), InterfaceError), True),
        (wrapped(sqlite3.OperationalError("no such table: dashboard_event")), False),
        (wrapped(psycopg.errors.UndefinedColumn("column x does not exist"), ProgrammingError), False),
        (ValueError("too many clients"), False),
    ],
    ids=[
        "pool_timeout",
        "too_many_clients",
        "connect_refused_full",
        "admin_shutdown",
        "deadlock_after_retries",
        "serialization_failure",
        "sqlite_locked",
        "connection_closed",
        "sqlite_no_table",
        "undefined_column",
        "not_a_database_error",
    ],  # fmt: skip
)
def test_busy_database_errors(exc, busy):
    assert database_busy(exc) is busy
    response = exception_handler(exc, {})
    if busy:
        assert response.status_code == 503
        assert response["Retry-After"] == "5"
        assert "try again in 5 seconds" in response.data["error"]
    else:
        assert response is None  # DRF re-raises it: a bug, and a 500 that says so
