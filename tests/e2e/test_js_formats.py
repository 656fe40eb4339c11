"""The pages' JavaScript formatting (static/js/formats.js, and live.js's share of a response target),
run in headless Chromium, against the server's definitions in dashboard/core on one table
(tests/core/test_formats.py): every figure a page writes reads the same as the server writes it."""

from __future__ import annotations

import pytest

from dashboard.core.formats import clock, duration, fixed, percent
from dashboard.core.metrics import response_target_share
from tests.core.test_formats import CLOCK_CASES, DURATION_CASES, FIXED_CASES, PERCENT_CASES, SHARE_CASES
from tests.e2e.conftest import ROOT


@pytest.fixture
def js(browser):
    page = browser.new_page()
    page.set_content("<!doctype html><html><body></body></html>")
    page.add_script_tag(path=str(ROOT / "static/js/formats.js"))
    page.add_script_tag(path=str(ROOT / "static/js/live.js"))

    def run(expression: str, cases: list) -> list:
        return page.evaluate(f"(cases) => cases.map((args) => ({expression})(...args))", cases)

    yield run
    page.close()


def test_clock(js):
    got = js("KCCFormat.clock", [[s] for s, _ in CLOCK_CASES])
    assert got == [clock(s) for s, _ in CLOCK_CASES] == [e for _, e in CLOCK_CASES]


def test_duration(js):
    got = js("KCCFormat.duration", [[s] for s, _ in DURATION_CASES])
    assert got == [duration(s) for s, _ in DURATION_CASES] == [e for _, e in DURATION_CASES]


def test_fixed(js):
    got = js("KCCFormat.fixed", [[v, d] for v, d, _ in FIXED_CASES])
    assert got == [fixed(v, d) for v, d, _ in FIXED_CASES] == [e for _, _, e in FIXED_CASES]


def test_percent(js):
    got = js("KCCFormat.percent", [[f] for f, _ in PERCENT_CASES])
    assert got == [percent(f) for f, _ in PERCENT_CASES] == [e for _, e in PERCENT_CASES]


def test_share_of_a_response_target(js):
    got = js("(age, target) => KCCFormat.fixed(KCC.shareOfTarget(age, target), 0)", [[a, t] for a, t, _ in SHARE_CASES])
    expected = [fixed(response_target_share(a, t), 0) for a, t, _ in SHARE_CASES]
    assert got == expected == [e for _, _, e in SHARE_CASES]


@pytest.mark.parametrize("empty", ["—", "n/a"])
def test_the_page_chooses_the_placeholder(js, empty):
    got = js(
        "(e) => [KCCFormat.clock(null, e), KCCFormat.duration(null, e), KCCFormat.fixed(null, 1, e), "
        "KCCFormat.percent(null, e)]",
        [[empty]],
    )
    assert got == [
        [clock(None, empty=empty), duration(None, empty=empty), fixed(None, 1, empty=empty), percent(None, empty=empty)]
    ]


def test_the_wait_status_steps_follow_the_server(js):
    from dashboard.core.metrics import response_status, response_status_from_s

    ages = [0, 2879.9, 2880, 3599, 3600, 90_000]
    steps = response_status_from_s(3600)
    got = js("(age, steps) => KCC.statusAt(age, steps)", [[age, steps] for age in ages])
    assert got == [response_status(age, 3600) for age in ages]
