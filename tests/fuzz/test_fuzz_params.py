"""Fuzz every query parameter of every API and page, and every form field and JSON body they take:
generated values of each known parameter (good and bad), junk parameters, raw query strings and path
ids, as each role. Nothing may answer 5xx; an API's 400 says what is wrong. The routes come from the
URL conf (tests/fuzz/endpoints.py), so a new one is fuzzed without a change here."""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard.core.models import Channel
from tests.fuzz import endpoints as catalogue
from tests.fuzz import strategies as gen
from tests.fuzz.client import assert_says_what_is_wrong, call
from tests.fuzz.conftest import ROLES, fuzz_settings

pytestmark = pytest.mark.django_db

GET_EXAMPLES = 140
POST_EXAMPLES = 140
ROLE = st.sampled_from(("admin", "admin", *ROLES))  # the admin reaches every view's deepest code
CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _choices(kind: str, name: str, ep: catalogue.Endpoint, centre) -> list[str] | None:
    scopes = [
        "all",
        "channel:voice",
        *(f"team:{i}" for i in centre.team_ids),
        *(f"queue:{i}" for i in centre.queue_ids),
    ]
    if name == "team" and kind == "integer":
        return [str(i) for i in centre.team_ids]
    return {
        "queue": centre.queues,
        "team": centre.teams,
        "channel": list(Channel.values),
        "scope": scopes,
        "length": ["15", "30", "60"],
        "format": ["csv", "xlsx", "json"],
        "mode": ["background", "direct"],
        "action": ["build", "import"],
        "weights": ["3,2,1", "1", "0,0", "1;2", "-1,2", "1e308,1e308"],
        "language": ["nl", "en"],
        "choice": ep.enums.get(name) or None,
    }.get(kind)


BASE_KIND = {"length": "integer", "weights": "text", "list": "number"}


def _params(ep: catalogue.Endpoint, known: dict[str, str], centre) -> st.SearchStrategy[dict]:
    """Half the time every known parameter with a plausible value and one of them generated freely (the
    view's deeper code runs); otherwise any known parameters with any values, and junk parameters."""
    free, careful = {}, {}
    for name, kind in known.items():
        choices = _choices(kind, name, ep, centre)
        base = BASE_KIND.get(kind, kind)
        free[name] = gen.value_for(base, today=centre.today, choices=choices)
        plausible = gen.plausible(base, today=centre.today, choices=choices)
        careful[name] = free[name] if plausible is None else plausible
    anything = st.builds(lambda k, j: {**j, **k}, st.fixed_dictionaries({}, optional=free), gen.junk_params())
    if not known:
        return anything

    @st.composite
    def nearly_valid(draw):
        params = draw(st.fixed_dictionaries(careful))
        name = draw(st.sampled_from(sorted(known)))
        params[name] = draw(free[name])
        return params

    return st.one_of(nearly_valid(), anything)


def _path(ep: catalogue.Endpoint, centre) -> st.SearchStrategy[str]:
    if not ep.converters:
        return st.just("/" + ep.route)
    per_converter = {
        "int": st.one_of(
            st.sampled_from([str(i) for i in centre.queue_ids] + ["0", "1"]),
            st.integers(0, 2**70).map(str),
            st.integers(1, 5000).map(lambda n: "9" * n),
        ),
        "uuid": st.one_of(st.uuids().map(str), st.sampled_from(["00000000-0000-0000-0000-000000000000"])),
    }
    values = st.fixed_dictionaries(
        {name: per_converter.get(conv, gen.TEXT.filter(bool)) for name, conv in ep.converters.items()}
    )

    def fill(v: dict) -> str:
        return "/" + CONVERTER.sub(lambda m: quote(v[m.group(2)], safe=""), ep.route)

    return values.map(fill)


def _raw(params: dict, extra: bytes) -> str:
    """A query string as a client might really send it: encoded, then with raw bytes and broken escapes
    (WSGI carries it as latin-1 text)."""
    return (urlencode(params, doseq=True).encode() + extra).decode("latin-1")


RAW_EXTRA = st.one_of(
    st.just(b""),
    st.sampled_from([b"&%", b"&%zz=1", b"&date=%C0%AF", b"&queue=%ED%A0%80", b"&=&&==", b"&queue=%00", b"&\xff\xfe=1"]),
    st.binary(max_size=40).map(lambda b: b"&" + b),
)


@pytest.mark.parametrize("ep", catalogue.get_targets(), ids=lambda e: e.id)
def test_get_parameters(ep, centre):
    params = _params(ep, ep.query, centre)

    @fuzz_settings(ep.examples or GET_EXAMPLES)
    @given(role=ROLE, path=_path(ep, centre), params=params, raw=st.booleans(), extra=RAW_EXTRA)
    def fuzz(role, path, params, raw, extra):
        client = centre.clients[role]
        area = "api: query parameters" if ep.api else "pages: query parameters"
        if raw:
            response = call(client, "get", path, area=area, QUERY_STRING=_raw(params, extra))
        else:
            response = call(client, "get", path, params, area=area)
        if ep.api:
            assert_says_what_is_wrong(response, f"GET {path}")

    fuzz()


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | gen.TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(gen.TEXT, inner, max_size=3),
    max_leaves=6,
)


@pytest.mark.parametrize("ep", catalogue.post_targets(), ids=lambda e: e.id)
def test_post_bodies(ep, centre):
    fields = _params(ep, ep.body, centre)
    typed = st.dictionaries(st.sampled_from(sorted(ep.body) or ["x"]), JSON_VALUE, max_size=len(ep.body) + 1)

    @fuzz_settings(ep.examples or POST_EXAMPLES)
    @given(
        role=ROLE,
        path=_path(ep, centre),
        fields=fields,
        typed=typed,
        encoding=st.sampled_from(["form", "multipart", "json", "json-typed", "bad-json"]),
    )
    def fuzz(role, path, fields, typed, encoding):
        client = centre.clients[role]
        area = "api: request bodies" if ep.api else "pages: form posts"
        if encoding == "multipart":
            response = call(client, "post", path, fields, area=area)
        elif encoding == "form" or not ep.api:
            form = "application/x-www-form-urlencoded"
            response = call(client, "post", path, urlencode(fields), content_type=form, area=area)
        elif encoding == "json":
            response = call(client, "post", path, json.dumps(fields), content_type="application/json", area=area)
        elif encoding == "json-typed":
            body = json.dumps({**fields, **typed})
            response = call(client, "post", path, body, content_type="application/json", area=area)
        else:
            body = json.dumps(fields)[: len(json.dumps(fields)) // 2] + "\x00"
            response = call(client, "post", path, body, content_type="application/json", area=area)
        if ep.api:
            assert_says_what_is_wrong(response, f"POST {path}")

    fuzz()


def test_every_page_declares_its_parameters():
    """A new page names the parameters it reads in PAGE_PARAMS, so that they are fuzzed by name."""
    pages = [e for e in catalogue.endpoints() if not e.api and e.name and not e.route.startswith("api/")]
    assert [e.route for e in pages if e.name not in catalogue.PAGE_PARAMS] == []


def test_the_catalogue_holds_every_api_and_page():
    """The resolver walk finds the issue's endpoints (a change to the walk cannot lose them silently)."""
    routes = {e.route for e in catalogue.endpoints()}
    for route in (
        "",
        "wallboard/",
        "supervisor/",
        "reports/daily/",
        "reports/weekly/pdf/",
        "wfm/forecast/",
        "api/v1/live/",
        "api/v1/reports/daily/",
        "api/v1/reports/weekly/",
        "api/v1/intervals/",
        "api/v1/intervals/exports/<uuid:export_id>/file/",
        "api/v1/wfm/erlang/",
        "api/v1/wfm/staffing/",
        "api/v1/wfm/forecast/",
        "api/v1/wfm/forecast/accuracy/",
        "api/v1/wfm/forecast/export/",
    ):
        assert route in routes
    erlang = next(e for e in catalogue.endpoints() if e.route == "api/v1/wfm/erlang/")
    assert {"calls", "aht_s", "target_sl", "patience_s", "agents"} <= set(erlang.query)
