"""Bulk writes that stay fast at thousands of rows a batch.

On PostgreSQL, inside a transaction and from ``COPY_MIN_ROWS`` rows on, the rows go in through ``COPY``
(psycopg's ``cursor.copy``): straight into the table, or, when conflicting rows are to be skipped or values
returned, into a temporary table of the same columns first and from there in one ``INSERT … SELECT``. A
smaller batch, or one outside a transaction, goes in as one JSON parameter (``INSERT … SELECT … FROM
jsonb_to_recordset(…)``): one parameter instead of thousands, so neither Django nor the driver builds,
quotes and parses a huge statement. Either way the rows are inserted in the order given. Elsewhere
(SQLite, local and in-process) a multi-row ``VALUES`` in chunks does the job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model

CHUNK = 500  # rows per statement where parameters are bound one by one: under SQLite's limit
COPY_MIN_ROWS = 200  # PostgreSQL: from this many rows on, COPY (below it, one JSON parameter is as quick)


def _column(model: type[Model], name: str):
    """The model field behind a column name (``queue_id`` is the ``queue`` foreign key)."""
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return model._meta.get_field(name.removesuffix("_id"))


def _adapt(field, value):
    if value is None:
        return None
    internal = field.get_internal_type()
    if internal == "DateTimeField":
        return connection.ops.adapt_datetimefield_value(value)
    if internal == "JSONField":
        return json.dumps(value)
    return value


def insert_rows(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts_on: Sequence[str] | None = None,
    returning: str | Sequence[str] | None = None,
) -> list[Any]:
    """Insert ``rows`` (tuples in the order of ``fields``, foreign keys as ``<name>_id`` values).

    With ``ignore_conflicts_on``, rows that clash on those columns are skipped; with ``returning``, the
    values of that column of the rows actually inserted are returned (several columns: a tuple per row).
    """
    if not rows:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    model_fields = [_column(model, f) for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in model_fields)
    tail = ""
    if ignore_conflicts_on:
        tail += f" ON CONFLICT ({', '.join(ignore_conflicts_on)}) DO NOTHING"
    several = returning is not None and not isinstance(returning, str)
    if returning:
        names = list(returning) if several else [returning]
        tail += f" RETURNING {', '.join(connection.ops.quote_name(n) for n in names)}"
    out: list[Any] = []
    if connection.vendor == "postgresql" and len(rows) >= COPY_MIN_ROWS and connection.in_atomic_block:
        return _pg_copy(table, model_fields, columns, rows, tail, returning, several)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            return _pg_execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS x("
                + ", ".join(f"{connection.ops.quote_name(f.column)} {_pg_type(f)}" for f in model_fields)
                + f"){tail}",
                [_json_rows(model_fields, rows)],
                returning,
                several,
            )
        placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params = [_adapt(field, row[i]) for row in chunk for i, field in enumerate(model_fields)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholders] * len(chunk))}{tail}", params
            )
            if returning:
                out.extend(tuple(r) if several else r[0] for r in cursor.fetchall())
    return out


def _pg_copy(table: str, model_fields, columns: str, rows, tail: str, returning, several: bool) -> list[Any]:
    """``insert_rows`` through a binary COPY (PostgreSQL, inside a transaction). Without a conflict clause
    or values to return, the rows are copied into the table itself; otherwise into a temporary table of the
    same columns (made once per connection, emptied at every commit), from which one statement moves them."""
    from psycopg.types.json import set_json_dumps  # PostgreSQL's driver: only where it is the database

    with connection.cursor() as cursor:
        raw = cursor.cursor
        set_json_dumps(orjson.dumps, context=raw)  # a JSON column's values as the JSON path writes them
        types = _column_types(cursor, table, [f.column for f in model_fields])
        target = table
        if tail:
            target = connection.ops.quote_name(f"kcc_copy_{table.strip(chr(34))}")
            # CREATE TABLE AS takes the columns' types but none of their constraints (no NOT NULL id).
            cursor.execute(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} ON COMMIT DELETE ROWS AS "
                f"SELECT {columns} FROM {table} WITH NO DATA"
            )
        with raw.copy(f"COPY {target} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)
        if not tail:
            return []
        # A plain scan of the freshly filled table gives the rows in the order they were copied.
        cursor.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {target}{tail}")
        out = []
        if returning:
            out = [tuple(r) for r in cursor.fetchall()] if several else [r[0] for r in cursor.fetchall()]
        # Emptied at once (a second call in this transaction starts from an empty table): cheaper than deleting.
        cursor.execute(f"TRUNCATE {target}")
        return out


_TYPES: dict[tuple[str, tuple[str, ...]], list[int]] = {}


def _column_types(cursor, table: str, names: list[str]) -> list[int]:
    """The type oids of ``table``'s columns ``names`` (what a binary COPY writes), read once per process."""
    key = (table, tuple(names))
    if key not in _TYPES:
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attname = ANY(%s)",
            [table, names],
        )
        oids = dict(cursor.fetchall())
        _TYPES[key] = [int(oids[name]) for name in names]
    return _TYPES[key]


def update_column(model: type[Model], column: str, values: dict[int, Any]) -> None:
    """Set one column of many rows, by primary key, in one statement per chunk."""
    if not values:
        return
    field = _column(model, column)
    table = connection.ops.quote_name(model._meta.db_table)
    col = connection.ops.quote_name(field.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _pg_execute(
                f"UPDATE {table} AS t SET {col} = v.value FROM jsonb_to_recordset(%s::jsonb) "
                f"AS v(pk bigint, value {_pg_type(field)}) WHERE t.id = v.pk",
                [orjson.dumps([{"pk": pk, "value": v} for pk, v in values.items()]).decode()],
                returning=False,
            )
            return
        items = list(values.items())
        for start in range(0, len(items), CHUNK):
            chunk = items[start : start + CHUNK]
            cases = " ".join(["WHEN %s THEN %s"] * len(chunk))
            params = [x for pk, v in chunk for x in (pk, _adapt(field, v))]
            params += [pk for pk, _ in chunk]
            cursor.execute(
                f"UPDATE {table} SET {col} = CASE id {cases} END WHERE id IN ({', '.join(['%s'] * len(chunk))})",
                params,
            )


def _pg_type(field) -> str:
    return field.rel_db_type(connection) if field.is_relation else field.db_type(connection)


def _json_rows(model_fields, rows) -> str:
    """The rows as one JSON array of objects (orjson writes datetimes as ISO-8601 with offset)."""
    names = [f.column for f in model_fields]
    return orjson.dumps([dict(zip(names, row, strict=True)) for row in rows]).decode()


def _pg_execute(sql: str, params: list, returning, several: bool = False) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if not returning:
            return []
        return [tuple(r) for r in cursor.fetchall()] if several else [r[0] for r in cursor.fetchall()]
