"""The daily report's schedule adherence and conformance per team, from the imported schedule and the
agent state events; a weekly report adds the days' seconds up; the page and the PDF show them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from dashboard.core.periods import local_today
from dashboard.reports.compute import report_compute
from dashboard.reports.selectors import report_view
from dashboard.reports.services import report_build
from tests.factories import UserFactory
from tests.wfm.test_schedule_adherence import _a_day_of_ann_and_bob, centre  # noqa: F401

pytestmark = pytest.mark.django_db


def test_daily_report_has_adherence_and_conformance_per_team(centre):  # noqa: F811
    day = local_today(timezone.now()) - timedelta(days=1)
    _a_day_of_ann_and_bob(day)
    view = report_view(data=report_compute(kind="daily", first_day=day))
    assert view["adherence"] == [
        {
            "team": "1e lijn",
            "scheduled_h": 8.0,
            "adherence_pct": round((480 - 17) / 480 * 100, 1),  # Bob: 7 minutes late, a 10 minutes long break
            "conformance_pct": round((225 + 213) / 450 * 100, 1),
        }
    ]
    weekly = report_view(data=report_compute(kind="weekly", first_day=day))
    assert weekly["adherence"][0]["scheduled_h"] == 8.0
    assert weekly["adherence"][0]["adherence_pct"] == view["adherence"][0]["adherence_pct"]


def test_report_page_and_pdf_show_adherence(centre, settings):  # noqa: F811
    day = local_today(timezone.now()) - timedelta(days=1)
    _a_day_of_ann_and_bob(day)
    report_build(kind="daily", first_day=day)
    client = APIClient()
    client.force_login(UserFactory(role="manager"))
    html = client.get(f"/reports/daily/?date={day.isoformat()}", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="adherence"' in html and "96.5" in html
    pdf = client.get(f"/reports/daily/pdf/?date={day.isoformat()}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_day_without_schedules_has_no_adherence_block(centre):  # noqa: F811
    day = local_today(timezone.now()) - timedelta(days=1)
    view = report_view(data=report_compute(kind="daily", first_day=day))
    assert view["adherence"] == []
