"""Which queue and agent names a source may bring in: a source cannot fill every wallboard with queues.

An event that names a queue (``queue``, ``to_queue``) or an agent (``agent``) nobody configured follows
its source's settings (``Source.new_queues`` / ``new_agents``):
- ``create``: the queue or agent is created, up to ``max_new_queues`` / ``max_new_agents`` of this source;
- ``quarantine``: the same, but created quarantined: hidden from wallboards and reports until an admin
  approves it (its contacts are kept, so nothing is lost by approving later);
- ``reject``: the event is rejected.
Beyond the cap the event is rejected, naming the field and why. Decided per batch before anything is
written; the queues and agents themselves are created by ``queues_resolve`` / ``agents_resolve``.
"""

from __future__ import annotations

from dashboard.core.errors import FieldError
from dashboard.core.models import Agent, NewNames, Queue, Source
from dashboard.ingest.schema import FIELDS, ValidEvent

QUEUE_FIELDS = ("queue", "to_queue")
AGENT_FIELDS = ("agent",)


def _by_type(fields: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Of ``fields``, those each event type has (a validated event's payload holds no other)."""
    return {kind: tuple(f for f in fields if any(name == f for name, _, _ in spec)) for kind, spec in FIELDS.items()}


QUEUE_FIELDS_BY_TYPE = _by_type(QUEUE_FIELDS)
AGENT_FIELDS_BY_TYPE = _by_type(AGENT_FIELDS)


def _refused(source: Source, kind: str, new_in_order: list[str], policy: str, cap: int, created: int) -> dict[str, str]:
    """The new names this batch may not create, each with the reason."""
    if policy == NewNames.REJECT:
        return {
            name: f"unknown {kind} {name!r}: source {source.name!r} may not create {kind}s (new_{kind}s=reject); "
            f"configure it in the admin first"
            for name in new_in_order
        }
    room = max(0, cap - created)
    return {
        name: f"unknown {kind} {name!r}: source {source.name!r} has created its limit of {cap} {kind}s "
        f"(max_new_{kind}s); approve or configure {kind}s in the admin, or raise the limit"
        for name in new_in_order[room:]
    }


def names_admit(source: Source, events: list[tuple[int, ValidEvent]]) -> dict[int, FieldError]:
    """Per index of ``events``, the rejection of an event that names a queue or agent its source may
    not create (see the module docstring); events not in the answer are admitted."""
    rejected: dict[int, FieldError] = {}
    for kind, model, by_type, policy, cap in (
        ("queue", Queue, QUEUE_FIELDS_BY_TYPE, source.new_queues, source.max_new_queues),
        ("agent", Agent, AGENT_FIELDS_BY_TYPE, source.new_agents, source.max_new_agents),
    ):
        # (index, field, name) in the order of the events, then of the fields: one pass over the batch.
        named = [
            (index, f, value)
            for index, event in events
            for f in by_type[event.type]
            if isinstance(value := event.payload.get(f), str)
        ]
        names = {name for _, _, name in named}
        if not names:
            continue
        lookup = "name" if kind == "queue" else "login_id"
        known = set(model.objects.filter(**{f"{lookup}__in": names}).values_list(lookup, flat=True))
        new_in_order = list(dict.fromkeys(name for _, _, name in named if name not in known))
        if not new_in_order:
            continue
        created = model.objects.filter(created_by_source=source).count()
        refused = _refused(source, kind, new_in_order, policy, cap, created)
        for index, field, name in named:
            if name in refused and index not in rejected:
                rejected[index] = FieldError(field, refused[name])
    return rejected
