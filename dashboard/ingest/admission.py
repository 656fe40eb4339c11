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
from dashboard.ingest.schema import ValidEvent

QUEUE_FIELDS = ("queue", "to_queue")
AGENT_FIELDS = ("agent",)


def _named(event: ValidEvent, fields: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(f, event.payload[f]) for f in fields if isinstance(event.payload.get(f), str)]


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
    for kind, model, fields, policy, cap in (
        ("queue", Queue, QUEUE_FIELDS, source.new_queues, source.max_new_queues),
        ("agent", Agent, AGENT_FIELDS, source.new_agents, source.max_new_agents),
    ):
        named = {index: _named(event, fields) for index, event in events}
        names = {name for pairs in named.values() for _, name in pairs}
        if not names:
            continue
        lookup = "name" if kind == "queue" else "login_id"
        known = set(model.objects.filter(**{f"{lookup}__in": names}).values_list(lookup, flat=True))
        new_in_order = list(dict.fromkeys(n for _, ev in events for _, n in _named(ev, fields) if n not in known))
        if not new_in_order:
            continue
        created = model.objects.filter(created_by_source=source).count()
        refused = _refused(source, kind, new_in_order, policy, cap, created)
        for index, pairs in named.items():
            for field, name in pairs:
                if name in refused and index not in rejected:
                    rejected[index] = FieldError(field, refused[name])
    return rejected
