"""Alerts: raised once a KPI stays over its threshold, cleared when it recovers, acknowledged by one."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from dashboard.core.models import KPI, ClosedDay
from dashboard.ingest.services import events_ingest
from dashboard.live.alerts import AlertError, alert_acknowledge
from dashboard.live.models import Alert
from dashboard.live.publisher import alerts_evaluate
from dashboard.live.selectors import live_snapshot
from tests.factories import QueueFactory, SourceFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def waiting_centre():
    team = TeamFactory(name="1e lijn")
    QueueFactory(name="Algemeen", team=team)
    KPI.objects.create(code="waiting", scope="queue", target=0, warning=1, critical=3, higher_is_better=False)
    source = SourceFactory(name="acd")
    events_ingest(
        source=source,
        events=[
            {"id": "1", "type": "contact.offered", "at": (NOW - timedelta(seconds=20)).isoformat(),
             "contact_id": "c1", "queue": "Algemeen", "channel": "voice"},
        ],
    )  # fmt: skip
    return team, source


def test_an_alert_needs_the_crossing_to_last(waiting_centre):
    since: dict = {}
    snapshot = live_snapshot(now=NOW)
    assert not alerts_evaluate(snapshot, NOW, since=since, hold_s=30)
    assert not Alert.objects.exists()  # over the threshold for a moment only: no alert yet
    assert alerts_evaluate(snapshot, NOW + timedelta(seconds=31), since=since, hold_s=30)
    alert = Alert.objects.get()
    assert (alert.kpi, alert.level, alert.value, alert.threshold) == ("waiting", "warning", 1, 1.0)
    assert alert.team == waiting_centre[0] and alert.cleared_at is None
    # nothing changes while it lasts
    assert not alerts_evaluate(snapshot, NOW + timedelta(seconds=40), since=since, hold_s=30)


def test_a_short_crossing_raises_nothing_and_a_recovery_clears(waiting_centre):
    team, source = waiting_centre
    since: dict = {}
    alerts_evaluate(live_snapshot(now=NOW), NOW, since=since, hold_s=30)
    events_ingest(
        source=source, events=[{"id": "2", "type": "contact.abandoned", "at": NOW.isoformat(), "contact_id": "c1"}]
    )
    alerts_evaluate(live_snapshot(now=NOW), NOW + timedelta(seconds=5), since=since, hold_s=30)
    assert since == {} and not Alert.objects.exists()
    # an alert that is open clears when the KPI recovers
    queue = team.queues.get()
    Alert.objects.create(
        scope=f"queue:{queue.id}", scope_name=queue.name, team=team, kpi="waiting", level="warning", threshold=1,
        raised_at=NOW,
    )  # fmt: skip
    assert alerts_evaluate(live_snapshot(now=NOW), NOW + timedelta(seconds=6), since=since, hold_s=30)
    assert Alert.objects.get().cleared_at is not None


def test_a_closed_queue_raises_no_alert_and_its_open_alert_clears(waiting_centre):
    team, _source = waiting_centre
    queue = team.queues.get()
    since: dict = {}
    alerts_evaluate(live_snapshot(now=NOW), NOW, since=since, hold_s=30)
    assert alerts_evaluate(live_snapshot(now=NOW), NOW + timedelta(seconds=31), since=since, hold_s=30)
    assert Alert.objects.filter(cleared_at=None).count() == 1
    # closed today (a holiday): what still waits is shown on the tile, but it is no alarm
    ClosedDay.objects.create(queue=queue, date=timezone.localdate(NOW))
    snapshot = live_snapshot(now=NOW)
    assert next(q for q in snapshot["queues"] if q["id"] == queue.id)["open"] is False
    assert alerts_evaluate(snapshot, NOW + timedelta(seconds=40), since=since, hold_s=30)
    assert not Alert.objects.filter(cleared_at=None).exists()
    assert not alerts_evaluate(snapshot, NOW + timedelta(seconds=90), since=since, hold_s=30)


def test_acknowledged_by_one_supervisor_of_the_team(waiting_centre):
    team, _ = waiting_centre
    alerts_evaluate(live_snapshot(now=NOW), NOW)
    alert = Alert.objects.get()
    other = UserFactory(role="supervisor", teams=[TeamFactory(name="2e lijn")])
    with pytest.raises(AlertError) as refused:
        alert_acknowledge(alert_id=alert.id, user=other)
    assert refused.value.status == 403
    sup = UserFactory(username="sup1", role="supervisor", teams=[team])
    assert alert_acknowledge(alert_id=alert.id, user=sup).acknowledged_by == sup
    with pytest.raises(AlertError) as again:
        alert_acknowledge(alert_id=alert.id, user=UserFactory(role="manager"))
    assert again.value.status == 409 and "sup1" in str(again.value)
    with pytest.raises(AlertError) as missing:
        alert_acknowledge(alert_id=alert.id + 100, user=sup)
    assert missing.value.status == 404
