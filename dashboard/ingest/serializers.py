"""Serializers that document the API's shapes in the OpenAPI schema.

Events are validated by ``dashboard.eventschema`` (fast, per event, naming the field); these classes
describe the same fields for the schema and the browsable docs.
"""

from rest_framework import serializers

from dashboard.ingest.schema import AGENT_STATES, CHANNELS, EVENT_TYPES


def _event(name: str, event_type: str, doc: str, **extra):
    attrs = {
        "__doc__": doc,
        "id": serializers.CharField(max_length=200, help_text="Unique per source; resending it is a no-op."),
        "type": serializers.ChoiceField(choices=[event_type]),
        "at": serializers.DateTimeField(help_text="ISO-8601 with a UTC offset, e.g. 2026-11-26T09:30:00+01:00."),
        **extra,
    }
    return type(name, (serializers.Serializer,), attrs)


def _contact_id():
    return serializers.CharField(max_length=200, help_text="The ACD's id of the contact.")


def _seconds(help_text):
    return serializers.FloatField(min_value=0, required=False, help_text=help_text)


EVENT_SERIALIZERS = [
    _event(
        "ContactOfferedEvent",
        "contact.offered",
        "A contact is offered to a queue (enters it). Unknown queues are created with default targets.",
        contact_id=_contact_id(),
        queue=serializers.CharField(max_length=100),
        channel=serializers.ChoiceField(choices=sorted(CHANNELS)),
        customer_ref=serializers.CharField(max_length=200, required=False),
        reason=serializers.CharField(max_length=200, required=False, help_text="Contact reason."),
    ),
    _event(
        "ContactAnsweredEvent",
        "contact.answered",
        "An agent accepts the contact.",
        contact_id=_contact_id(),
        agent=serializers.CharField(max_length=100, help_text="Login id."),
    ),
    _event(
        "ContactAbandonedEvent", "contact.abandoned", "The customer left before an answer.", contact_id=_contact_id()
    ),
    _event(
        "ContactTransferredEvent",
        "contact.transferred",
        "The contact moves to another queue (to_queue) or agent (to_agent); one of them is required.",
        contact_id=_contact_id(),
        to_queue=serializers.CharField(max_length=100, required=False),
        to_agent=serializers.CharField(max_length=100, required=False),
    ),
    _event(
        "ContactEndedEvent",
        "contact.ended",
        "The conversation ends; after-call work starts.",
        contact_id=_contact_id(),
        talk_s=_seconds("Talk seconds; default: answer to end less hold."),
        hold_s=_seconds("Hold seconds."),
    ),
    _event(
        "ContactWrapupEndedEvent",
        "contact.wrapup_ended",
        "After-call work ends.",
        contact_id=_contact_id(),
        disposition=serializers.CharField(max_length=200, required=False),
        reason=serializers.CharField(max_length=200, required=False),
        acw_s=_seconds("After-call work seconds; default: end to wrap-up end."),
    ),
    _event(
        "CallbackRequestedEvent",
        "callback.requested",
        "A callback is promised to the customer.",
        contact_id=_contact_id(),
        promised_by=serializers.DateTimeField(help_text="Call back before this moment (ISO-8601 with offset)."),
    ),
    _event(
        "CallbackCompletedEvent", "callback.completed", "The promised callback took place.", contact_id=_contact_id()
    ),
    _event(
        "AgentStateEvent",
        "agent.state",
        "An agent's state changes.",
        agent=serializers.CharField(max_length=100, help_text="Login id."),
        state=serializers.ChoiceField(choices=sorted(AGENT_STATES)),
        reason=serializers.CharField(max_length=200, required=False, help_text="Pause reason."),
    ),
]
EVENT_SERIALIZERS_BY_TYPE = {next(iter(s._declared_fields["type"].choices)): s for s in EVENT_SERIALIZERS}
assert set(EVENT_SERIALIZERS_BY_TYPE) == set(EVENT_TYPES)


class EventResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position in the posted array.")
    id = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"])
    field = serializers.CharField(required=False, help_text="The field that is wrong (rejected only).")
    reason = serializers.CharField(required=False)


class IngestResponseSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    live_version = serializers.IntegerField(
        allow_null=True,
        help_text="Live-state version holding this batch: a websocket update whose data.live_version is at "
        "least this one contains it. Null when nothing new was accepted.",
    )
    results = EventResultSerializer(many=True)


_AT = "2026-11-26T09:30:00+01:00"
EVENT_EXAMPLES = [
    {
        "id": "acd-1001",
        "type": "contact.offered",
        "at": _AT,
        "contact_id": "C-77",
        "queue": "Algemeen",
        "channel": "voice",
        "customer_ref": "K123",
        "reason": "factuur",
    },
    {
        "id": "acd-1002",
        "type": "contact.answered",
        "at": "2026-11-26T09:30:12+01:00",
        "contact_id": "C-77",
        "agent": "jdevries",
    },
    {"id": "acd-1003", "type": "contact.abandoned", "at": _AT, "contact_id": "C-78"},
    {"id": "acd-1004", "type": "contact.transferred", "at": _AT, "contact_id": "C-77", "to_queue": "Techniek 2e lijn"},
    {"id": "acd-1005", "type": "contact.ended", "at": _AT, "contact_id": "C-77", "talk_s": 212, "hold_s": 15},
    {"id": "acd-1006", "type": "contact.wrapup_ended", "at": _AT, "contact_id": "C-77", "disposition": "opgelost"},
    {
        "id": "acd-1007",
        "type": "callback.requested",
        "at": _AT,
        "contact_id": "C-79",
        "promised_by": "2026-11-26T11:30:00+01:00",
    },
    {"id": "acd-1008", "type": "callback.completed", "at": _AT, "contact_id": "C-79"},
    {"id": "acd-1009", "type": "agent.state", "at": _AT, "agent": "jdevries", "state": "paused", "reason": "lunch"},
]
