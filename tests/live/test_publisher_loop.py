"""The publisher's loop: a round that meets a busy database (SQLite locked by the simulator's backfill
under ``make run``) says so in one line and the next round retries; any other failure keeps its
traceback. Neither stops the loop."""

import asyncio
import logging

import pytest
from django.db import OperationalError

from dashboard.live import publisher as publisher_module
from dashboard.live.publisher import Publisher

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("error", "level", "traceback"),
    [
        (OperationalError("database is locked"), logging.WARNING, False),
        (ValueError("a bug"), logging.ERROR, True),
    ],
)
def test_a_failed_round_is_logged_by_its_kind_and_the_loop_goes_on(monkeypatch, caplog, error, level, traceback):
    rounds = []
    stop = asyncio.Event()

    async def tick(self, *, heartbeats=False):
        rounds.append(1)
        if len(rounds) == 2:
            stop.set()
            return
        raise error

    monkeypatch.setattr(Publisher, "tick", tick)
    monkeypatch.setattr(publisher_module, "REFRESH_S", 0.01)
    monkeypatch.setattr(publisher_module, "MIN_INTERVAL_S", 0.0)
    with caplog.at_level(logging.WARNING, logger="dashboard.live.publisher"):
        asyncio.run(Publisher().run(stop=stop))
    assert len(rounds) == 2  # the failed round did not stop the loop
    (record,) = [r for r in caplog.records if r.name == "dashboard.live.publisher"]
    assert record.levelno == level and bool(record.exc_info) is traceback
