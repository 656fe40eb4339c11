"""Every URL of the product, found by walking kcc/urls.py's resolver, with the parameters each knows.

An API view's parameters come from its OpenAPI schema (drf-spectacular), so a new endpoint is fuzzed
with its own parameters without a change here; a page's come from ``PAGE_PARAMS`` (a page missing from
it is still fuzzed with junk, and ``test_every_page_declares_its_parameters`` asks for an entry).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver

# Not fuzzed here, and why.
EXCLUDED_PREFIXES = {
    "api/v1/events/": "the events API has a fuzz of its own (tests/ingest)",
    "admin/": "Django's admin: scoped by issue 11 point 7 and tested per role there",
    "readyz": "answers 503 by design while a component is not ready (no publisher, beat or worker runs here); "
    "tests/ops tests both answers and that it reads no parameter",
}
# Routes whose answer takes long by nature (the OpenAPI schema is generated per request, a PDF drawn, a
# forecast built): fewer examples, so that the suite stays within about 3 minutes.
FEW_EXAMPLES = {"api/schema/": 8, "reports/daily/pdf/": 80, "reports/weekly/pdf/": 80, "wfm/forecast/": 90}

FILTERS = {"queue": "queue", "team": "team", "channel": "channel"}
STAFFING = {"patience_s": "number", "max_occupancy": "number", "shrinkage": "number"}
PAGE_PARAMS: dict[str, dict[str, str]] = {
    "home": {},
    "wallboard": {"scope": "scope", "kiosk": "bool", "display": "text"},
    "supervisor": {"team": "integer"},
    "reports-index": {},
    "reports-daily": {"date": "date", **FILTERS},
    "reports-daily-pdf": {"date": "date", **FILTERS},
    "reports-weekly": {"week": "week", **FILTERS},
    "reports-weekly-pdf": {"week": "week", **FILTERS},
    "reports-import": {},
    "wfm-index": {},
    "wfm-intervals": {},
    "wfm-export": {},
    "wfm-erlang": {},
    "wfm-staffing": {
        "day": "date",
        "queue": "queue",
        "team": "team",
        "length": "length",
        "tolerance": "number",
        "max_occupancy_pct": "number",
        **STAFFING,
    },  # fmt: skip
    "wfm-forecast": {
        "day": "date",
        "queue": "queue",
        "start": "date",
        "end": "date",
        "shrinkage": "number",
        "shrinkage_pct": "number",
    },  # fmt: skip
    "wfm-intraday": {"queue": "integer", "team": "integer", "channel": "channel", "date": "date"},
    "login": {"next": "text"},
    "logout": {"next": "text"},
    "set_language": {"next": "text", "language": "language"},
    "healthz": {},
    "metrics": {},
}
# Forms a page handles on POST (the file imports have a test of their own).
PAGE_FORMS: dict[str, dict[str, str]] = {
    "wfm-intervals": {
        "start": "date",
        "end": "date",
        "length": "length",
        "format": "format",
        "mode": "mode",
        **FILTERS,
    },  # fmt: skip
    "wfm-forecast": {
        "action": "action",
        "start": "date",
        "end": "date",
        "weeks": "integer",
        "weights": "weights",
        **FILTERS,
    },  # fmt: skip
    "set_language": {"language": "language", "next": "text"},
}


@dataclass
class Endpoint:
    route: str  # e.g. "api/v1/intervals/exports/<uuid:export_id>/"
    name: str | None
    converters: dict[str, str]  # path parameter -> converter ("int", "uuid", "str", ...)
    methods: tuple[str, ...]
    api: bool
    query: dict[str, str] = field(default_factory=dict)  # parameter -> kind (GET)
    body: dict[str, str] = field(default_factory=dict)  # field -> kind (POST)
    enums: dict[str, list[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "/" + self.route

    @property
    def examples(self) -> int | None:
        return FEW_EXAMPLES.get(self.route)


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _converter_names(pattern: URLPattern) -> dict[str, str]:
    names = {}
    for param, converter in getattr(pattern.pattern, "converters", {}).items():
        names[param] = type(converter).__name__.removesuffix("Converter").lower()
    return names


def _kind(name: str, schema: dict) -> tuple[str, list[str] | None]:
    if "enum" in schema:
        return "choice", [str(v) for v in schema["enum"] if v is not None]
    if name in FILTERS or name == "week":
        return FILTERS.get(name, name), None
    kind = schema.get("type")
    if kind == "string" and schema.get("format") in ("date", "date-time"):
        return "date", None
    if kind == "array":
        return "list", None
    return {"number": "number", "integer": "integer", "boolean": "bool"}.get(kind, "text"), None


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        return components[ref.rsplit("/", 1)[1]]
    return schema


@cache
def openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _schema_params(route: str, method: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    schema = openapi()
    components = schema.get("components", {}).get("schemas", {})
    path = "/" + route
    for converter_name in ("int", "uuid", "str", "slug", "path"):
        path = path.replace(f"<{converter_name}:", "{")
    path = path.replace(">", "}")
    operation = schema["paths"].get(path, {}).get(method, {})
    params, enums = {}, {}
    for p in operation.get("parameters", []):
        if p.get("in") != "query":
            continue
        params[p["name"]], choices = _kind(p["name"], p.get("schema", {}))
        if choices:
            enums[p["name"]] = choices
    if method == "post":
        content = operation.get("requestBody", {}).get("content", {})
        for media in ("application/json", "application/x-www-form-urlencoded"):
            if media in content:
                body = _resolve(content[media].get("schema", {}), components)
                for name, prop in body.get("properties", {}).items():
                    if prop.get("readOnly"):
                        continue
                    prop = _resolve(prop, components)
                    for combined in ("allOf", "oneOf", "anyOf"):
                        if combined in prop:  # an enum drf-spectacular made a component of
                            prop = _resolve(prop[combined][0], components)
                    params[name], choices = _kind(name, prop)
                    if choices:
                        enums[name] = choices
                break
    return params, enums


@cache
def endpoints() -> tuple[Endpoint, ...]:
    """Every route of the URL conf but the excluded ones, with its methods and known parameters."""
    found = []
    for route, pattern in _walk(get_resolver().url_patterns):
        if any(route.startswith(prefix) for prefix in EXCLUDED_PREFIXES):
            continue
        view_class = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        api = route.startswith("api/v1/")
        if view_class is not None:
            methods = tuple(m for m in ("get", "post") if hasattr(view_class, m))
        else:
            methods = ("get", "post")
        ep = Endpoint(route=route, name=pattern.name, converters=_converter_names(pattern), methods=methods, api=api)
        if api:
            if "get" in methods:
                ep.query, ep.enums = _schema_params(route, "get")
            if "post" in methods:
                ep.body, enums = _schema_params(route, "post")
                ep.enums.update(enums)
        else:
            ep.query = dict(PAGE_PARAMS.get(pattern.name or "", {}))
            ep.body = dict(PAGE_FORMS.get(pattern.name or "", {}))
        found.append(ep)
    return tuple(found)


# Uploads: fuzzed with generated files by test_fuzz_imports.py, not with form fields.
UPLOADS = {"api-contacts-import", "api-wfm-forecast-import", "reports-import"}


def get_targets() -> list[Endpoint]:
    return [e for e in endpoints() if "get" in e.methods]


def post_targets() -> list[Endpoint]:
    """Endpoints that take a form or JSON body: the API's POST views and the pages with forms."""
    return [
        e
        for e in endpoints()
        if e.name not in UPLOADS and ((e.api and "post" in e.methods) or (not e.api and e.name in PAGE_FORMS))
    ]
