"""orjson for the events endpoint: batches of thousands of events are parsed and answered in a fraction
of the time the standard library takes."""

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer

from dashboard.core.api import PayloadTooLarge


class ORJSONParser(BaseParser):
    """JSON with orjson, of a body no larger than KCC_EVENTS_MAX_BODY_BYTES: a larger one is answered
    413 before it is parsed (a 40 MB body once took daphne from 227 to 859 MB)."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.KCC_EVENTS_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise PayloadTooLarge(_too_large(int(declared), limit))
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:  # no or a wrong Content-Length: the read itself stops past the limit
            raise PayloadTooLarge(_too_large(None, limit))
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None


def _too_large(size: int | None, limit: int) -> str:
    what = f"the request body has {size:,} bytes" if size is not None else "the request body is larger"
    return (
        f"body: {what}; at most {limit:,} bytes are accepted (KCC_EVENTS_MAX_BODY_BYTES): send the events in "
        "smaller batches"
    )


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
