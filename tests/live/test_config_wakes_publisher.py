"""Configuration edited in the admin wakes the live publisher once its transaction commits: the screens
show a queue closed for today, or its new opening hours, at once rather than at the next refresh."""

from datetime import time

import pytest
from django.db import transaction

from dashboard.core.models import ClosedDay, OpeningHours
from dashboard.live import broadcast, keys
from tests.factories import QueueFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)


def notes() -> list[str]:
    return list(keys.client().lrange(broadcast.dirty_key(), 0, -1))


def wake_count(change) -> int:
    keys.client().delete(broadcast.dirty_key())
    change()
    return sum(1 for n in notes() if n.startswith("config "))


def test_opening_hours_and_closed_days_wake_the_publisher_once_per_transaction():
    queue = QueueFactory(name="Zakelijk", team=TeamFactory())

    def week_of_hours():
        with transaction.atomic():
            for weekday in range(7):
                OpeningHours.objects.create(queue=queue, weekday=weekday, opens=time(8, 30), closes=time(17))

    assert wake_count(week_of_hours) == 1
    day = ClosedDay(queue=queue, date="2026-12-24", reason="Kerst")
    assert wake_count(day.save) == 1
    assert wake_count(day.delete) == 1
    assert wake_count(lambda: OpeningHours.objects.filter(queue=queue).first().delete()) == 1


def test_a_rolled_back_change_wakes_nobody():
    queue = QueueFactory(name="Algemeen")

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            ClosedDay.objects.create(queue=queue, date="2026-12-24")
            raise RuntimeError("admin form failed")

    assert wake_count(rolled_back) == 0
