"""SQL that differs between PostgreSQL (production) and SQLite (the embedded default): the few expressions
the interval aggregation and the reports write by hand, and the session settings of their big statements.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from dashboard.core.metrics import REPEAT_WINDOW_DAYS
from dashboard.core.periods import INTERVAL_S

REPEAT_WINDOW_US = REPEAT_WINDOW_DAYS * 86400 * 1_000_000


def sqlite_functions() -> None:
    """Python's own rounding (half to even, of the same double) for SQLite, so that milliseconds round
    exactly as ``Counts.of_contact`` rounds them; PostgreSQL's round(float8) is already rint()."""
    connection.ensure_connection()
    connection.connection.create_function("kcc_round", 1, lambda x: None if x is None else round(x), deterministic=True)


class Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"

    def us(self, col: str) -> str:
        """A timestamp column as integer microseconds since the epoch (exact)."""
        if self.pg:
            return f"(EXTRACT(EPOCH FROM {col}) * 1000000)::bigint"
        # strftime('%s') rounds fractional seconds: take the whole seconds from the first 19 characters
        return (
            f"(CAST(strftime('%%s', substr({col}, 1, 19)) AS INTEGER) * 1000000"
            f" + CAST(substr({col} || '.000000', 21, 6) AS INTEGER))"
        )

    def seconds_between(self, start: str, end: str) -> str:
        """Elapsed float seconds, the same double as Python's ``timedelta.total_seconds()``."""
        if self.pg:
            return f"EXTRACT(EPOCH FROM ({end} - {start}))::float8"
        return f"(({self.us(end)} - {self.us(start)}) / 1000000.0)"

    def greatest0(self, expr: str) -> str:
        return f"GREATEST(0.0::float8, {expr})" if self.pg else f"MAX(0.0, {expr})"

    def round_int(self, expr: str) -> str:
        return f"ROUND({expr})::bigint" if self.pg else f"kcc_round({expr})"

    def bucket(self, col: str) -> str:
        """The epoch second at which the 15-minute interval holding ``col`` starts."""
        if self.pg:
            return f"(FLOOR(EXTRACT(EPOCH FROM {col}) / {INTERVAL_S})::bigint * {INTERVAL_S})"
        return f"(CAST(strftime('%%s', substr({col}, 1, 19)) AS INTEGER) / {INTERVAL_S} * {INTERVAL_S})"

    def from_epoch(self, expr: str) -> str:
        return f"to_timestamp({expr})" if self.pg else f"datetime({expr}, 'unixepoch')"

    def same_customer_within(self, p: str, c: str, *, earlier: bool) -> str:
        """``p`` is another first visit of ``c``'s customer, offered within the repeat window before ``c``
        (``earlier``) or after it; contacts offered at the same instant are ordered by contact id. Uses
        the partial index kcc_contact_customer_idx (customer_ref, offered_at) of the first visits."""
        same = f"{p}.seq = 0 AND {p}.customer_ref <> '' AND {p}.customer_ref = {c}.customer_ref"
        sign, op = ("-", "<") if earlier else ("+", ">")
        if self.pg:
            bound = f"{p}.offered_at {'>=' if earlier else '<='} {c}.offered_at {sign} interval '{REPEAT_WINDOW_DAYS * 24} hours'"
        else:
            bound = f"{self.us(p + '.offered_at')} {'>=' if earlier else '<='} {self.us(c + '.offered_at')} {sign} {REPEAT_WINDOW_US}"
        order = (f"({p}.offered_at {op} {c}.offered_at OR ({p}.offered_at = {c}.offered_at "
                 f"AND {p}.contact_id {op} {c}.contact_id))")  # fmt: skip
        return f"{same} AND {bound} AND {order}"

    def series(self) -> str:
        """A CTE ``bk(b)`` of the interval starts (epoch seconds) from %(first)s to %(last)s."""
        if self.pg:
            return f"bk(b) AS (SELECT generate_series(%(first)s::bigint, %(last)s::bigint, {INTERVAL_S}))"
        return f"bk(b) AS (SELECT %(first)s UNION ALL SELECT b + {INTERVAL_S} FROM bk WHERE b < %(last)s)"

    def json_rows(self, name: str, columns: dict[str, str]) -> str:
        """A CTE ``name`` of the records of the JSON array parameter %(name)s."""
        if self.pg:
            cols = ", ".join(f"{c} {t}" for c, t in columns.items())
            return f"{name} AS (SELECT * FROM jsonb_to_recordset(%({name})s::jsonb) AS r({cols}))"
        cols = ", ".join(f"json_extract(value, '$.{c}') AS {c}" for c in columns)
        return f"{name} AS (SELECT {cols} FROM json_each(%({name})s))"

    def param_time(self, at: datetime):
        return at if self.pg else connection.ops.adapt_datetimefield_value(at)

    def json_time(self, at: datetime) -> str:
        return at.isoformat() if self.pg else str(connection.ops.adapt_datetimefield_value(at))


def pg_tune() -> None:
    """For the aggregation's big statements, inside the current transaction: no JIT (compiling them
    costs more than it saves: ~0.7 s a statement) and room to sort in memory."""
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
