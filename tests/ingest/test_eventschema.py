"""Event validation: each rejection names the field and says what is wrong."""

import pytest

from dashboard.core.errors import FieldError
from dashboard.ingest.schema import validate_event

AT = "2026-11-26T09:30:00+01:00"


def ev(**fields):
    base = {"id": "e1", "type": "contact.offered", "at": AT, "contact_id": "c1", "queue": "Q", "channel": "voice"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    "raw, field, words",
    [
        pytest.param("not an object", "event", "JSON object", id="not-an-object"),
        pytest.param(ev(id=None), "id", "required", id="no-id"),
        pytest.param(ev(id=""), "id", "empty", id="empty-id"),
        pytest.param(ev(id=True), "id", "string", id="bool-id"),
        pytest.param(ev(id="x" * 201), "id", "longer than 200", id="long-id"),
        pytest.param(ev(type=None), "type", "required", id="no-type"),
        pytest.param(ev(type="contact.exploded"), "type", "not an event type", id="unknown-type"),
        pytest.param(ev(at=None), "at", "required", id="no-at"),
        pytest.param(ev(at="2026-11-26T09:30:00"), "at", "no UTC offset", id="naive-at"),
        pytest.param(ev(at="yesterday"), "at", "not an ISO-8601", id="garbage-at"),
        pytest.param(ev(at=1764145800), "at", "ISO-8601", id="epoch-at"),
        pytest.param(ev(contact_id=None), "contact_id", "required for contact.offered", id="no-contact"),
        pytest.param(ev(queue=None), "queue", "required", id="no-queue"),
        pytest.param(ev(channel="pigeon"), "channel", "not a channel", id="bad-channel"),
        pytest.param(ev(type="contact.answered", agent=None), "agent", "required", id="answer-no-agent"),
        pytest.param(ev(type="contact.transferred"), "to_queue", "to_queue or to_agent", id="transfer-nowhere"),
        pytest.param(ev(type="contact.ended", talk_s=-1), "talk_s", "negative", id="negative-talk"),
        pytest.param(ev(type="contact.ended", hold_s="12"), "hold_s", "number", id="string-hold"),
        pytest.param(ev(type="contact.ended", talk_s=float("nan")), "talk_s", "number", id="nan-talk"),
        pytest.param(ev(type="callback.requested"), "promised_by", "required", id="callback-no-promise"),
        pytest.param(
            ev(type="callback.requested", promised_by="tomorrow"), "promised_by", "ISO-8601", id="bad-promise"
        ),
        pytest.param(ev(type="agent.state", agent="a1"), "state", "required", id="state-missing"),
        pytest.param(
            ev(type="agent.state", agent="a1", state="napping"), "state", "not an agent state", id="bad-state"
        ),
    ],
)
def test_rejections_name_the_field(raw, field, words):
    with pytest.raises(FieldError) as caught:
        validate_event(raw)
    assert caught.value.field == field
    assert words in str(caught.value)


@pytest.mark.parametrize(
    "raw, payload",
    [
        pytest.param(ev(), {"contact_id": "c1", "queue": "Q", "channel": "voice"}, id="offered"),
        pytest.param(ev(id=42), {"contact_id": "c1", "queue": "Q", "channel": "voice"}, id="numeric-id"),
        pytest.param(ev(at="2026-11-26T08:30:00Z", customer_ref="K1", reason=""), None, id="zulu-and-empty-reason"),
        pytest.param(
            ev(type="contact.ended", talk_s=200, hold_s=10.5),
            {"contact_id": "c1", "talk_s": 200.0, "hold_s": 10.5},
            id="ended",
        ),
        pytest.param(
            ev(type="contact.transferred", to_agent="a2"), {"contact_id": "c1", "to_agent": "a2"}, id="to-agent"
        ),
        pytest.param(ev(type="agent.state", agent="a1", state="paused", reason="lunch"), None, id="paused"),
    ],
)
def test_valid_events(raw, payload):
    event = validate_event(raw)
    assert event.at.utcoffset() is not None
    assert event.event_id == str(raw["id"])
    if payload is not None:
        assert event.payload == payload
