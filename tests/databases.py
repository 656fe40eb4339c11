"""Scratch databases for tests that start other processes."""

import os
import sqlite3
import uuid
from pathlib import Path

from django.conf import settings


class ScratchDatabase:
    """A database for processes a test starts (a worker, an older release): the vendor the suite runs on,
    a name of its own."""

    def __init__(self, tmp_path: Path, *, prefix: str):
        db = settings.DATABASES["default"]
        self.pg = db["ENGINE"].endswith("postgresql")
        if self.pg:
            self.name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
            self.admin = self._url(db, "postgres")
            self.url = self._url(db, self.name)
            import psycopg

            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp_path / f"{prefix}.sqlite3"
            self.url = f"sqlite:///{self.path}"

    @staticmethod
    def _url(db: dict, name: str) -> str:
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{name}"

    def connect(self):
        if self.pg:
            import psycopg

            return psycopg.connect(self.url.replace("postgres://", "postgresql://"), autocommit=True)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        return conn

    def query(self, sql: str, params=()) -> list[tuple]:
        conn = self.connect()
        try:
            cur = conn.execute(sql.replace("?", "%s") if self.pg else sql, params)
            return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()

    def drop(self) -> None:
        if self.pg:
            import psycopg

            with psycopg.connect(self.admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
