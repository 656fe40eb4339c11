"""Bulk writes that stay fast at thousands of rows a batch.

On PostgreSQL, the rows go in as one JSON parameter (``INSERT … SELECT … FROM jsonb_to_recordset(…)``):
one parameter instead of eight thousand, so neither Django nor the driver builds, quotes and parses a
huge statement; PostgreSQL unpacks the JSON in C. Elsewhere (SQLite, local and in-process) a multi-row ``VALUES`` in chunks does the job.
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
