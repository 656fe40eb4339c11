"""Hypothesis strategies for events: valid ones (anywhere inside the bounds ingest accepts) and invalid
ones made from a valid event by one mutation whose field is known, so a test can check that the
rejection names it.

The strategies are built once (building them per draw costs hypothesis more than the test itself); the
contact ids they draw are the slots ``CONTACTS``, which a test prefixes (``own_contacts``) so that every
example has contacts of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from dashboard.core.models import AgentState, Channel

NOW = datetime.now(UTC).replace(microsecond=0)
# Inside the window with an hour's margin either way: a test runs for a while, and the API's "now" moves.
EARLIEST, LATEST = NOW - timedelta(days=400) + timedelta(hours=1), NOW + timedelta(days=1) - timedelta(hours=1)
WEEK_S = 7 * 24 * 3600

# Text the database can store: no NUL, no unpaired surrogates (every other character, from anywhere).
_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")


def _text(max_size: int, *, required: bool) -> st.SearchStrategy[str]:
    text = st.text(_chars, min_size=1 if required else 0, max_size=max_size)
    return text.filter(lambda s: s.strip()) if required else text


def moments(earliest=EARLIEST, latest=LATEST) -> st.SearchStrategy[datetime]:
    span = int((latest - earliest).total_seconds())
    near = st.integers(0, 3 * 3600).map(lambda s: NOW - timedelta(seconds=s))
    anywhere = st.integers(0, span).map(lambda s: earliest + timedelta(seconds=s))
    edges = st.sampled_from([earliest, latest])
    return st.one_of(near, near, anywhere, edges)


def _written(moment: datetime, minutes: int) -> str:
    return moment.astimezone(timezone(timedelta(minutes=minutes))).isoformat()


def iso_times(earliest=EARLIEST, latest=LATEST) -> st.SearchStrategy[str]:
    """Moments in the window, written with any offset PostgreSQL takes (±15:59, whole minutes)."""
    offsets = st.one_of(st.sampled_from([0, 60, 120, -300, 330, 959, -959]), st.integers(-959, 959))
    return st.builds(_written, moments(earliest, latest), offsets)


seconds = st.one_of(st.integers(0, WEEK_S), st.floats(0, WEEK_S, allow_nan=False, allow_infinity=False))


CONTACTS = ["c0", "c1", "c2"]
AGENTS = ["ann", "bob", "cas"]


def own_contacts(event, prefix: str):
    """``event`` with its contact id (valid or not, when it is text) prefixed: still valid or invalid."""
    if isinstance(event, dict) and isinstance(event.get("contact_id"), str):
        event["contact_id"] = f"{prefix}-{event['contact_id']}"
    return event


def _valid_events(contacts: list[str], agents: list[str]) -> st.SearchStrategy[dict]:
    """Any valid event (without ``id``) of the given contacts and agents."""
    cid, agent = st.sampled_from(contacts), st.one_of(st.sampled_from(agents), _text(100, required=True))
    queue = st.one_of(st.sampled_from(["Algemeen", "Techniek", "Zakelijk"]), _text(100, required=True))

    def event(kind, **fields):
        required = {k: v for k, v in fields.items() if not k.startswith("opt_")}
        optional = {k[4:]: v for k, v in fields.items() if k.startswith("opt_")}
        return st.fixed_dictionaries({"type": st.just(kind), "at": iso_times(), **required}, optional=optional)

    return st.one_of(
        event("contact.offered", contact_id=cid, queue=queue, channel=st.sampled_from(Channel.values),
              opt_customer_ref=_text(200, required=False), opt_reason=_text(200, required=False)),
        event("contact.answered", contact_id=cid, agent=agent),
        event("contact.abandoned", contact_id=cid),
        event("contact.transferred", contact_id=cid, to_queue=queue),
        event("contact.transferred", contact_id=cid, to_agent=agent),
        event("contact.ended", contact_id=cid, opt_talk_s=seconds, opt_hold_s=seconds),
        event("contact.wrapup_ended", contact_id=cid, opt_disposition=_text(200, required=False),
              opt_acw_s=seconds),
        event("callback.requested", contact_id=cid,
              promised_by=iso_times(EARLIEST, NOW + timedelta(days=90) - timedelta(hours=1))),
        event("callback.completed", contact_id=cid),
        event("agent.state", agent=agent, state=st.sampled_from(AgentState.values),
              opt_reason=_text(100, required=False)),
    )  # fmt: skip


VALID_EVENTS = _valid_events(CONTACTS, AGENTS)

REQUIRED = {
    "contact.offered": ["contact_id", "queue", "channel"],
    "contact.answered": ["contact_id", "agent"],
    "contact.abandoned": ["contact_id"],
    "contact.transferred": ["contact_id"],
    "contact.ended": ["contact_id"],
    "contact.wrapup_ended": ["contact_id"],
    "callback.requested": ["contact_id", "promised_by"],
    "callback.completed": ["contact_id"],
    "agent.state": ["agent", "state"],
}
LIMITS = {"id": 200, "contact_id": 200, "queue": 100, "agent": 100, "to_queue": 100, "to_agent": 100,
          "customer_ref": 200, "disposition": 200}  # fmt: skip
BAD_ANY = [[], {}, ["x"], {"a": 1}, True]
BAD_TIMES = [
    "0001-01-01T00:00:00+00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:00:00-01:00",
    "9999-12-31T23:59:59-14:00",
    (NOW - timedelta(hours=1)).replace(tzinfo=None).isoformat() + "+23:59",
    (NOW - timedelta(hours=1)).replace(tzinfo=None).isoformat(),  # no offset
    (NOW - timedelta(hours=1)).isoformat() + "\x00",
    (NOW - timedelta(days=402)).isoformat(),
    (NOW + timedelta(days=3)).isoformat(),
    "soon",
    "2026-13-01T00:00:00Z",
    "",
    12,
]
# A promise may lie up to 90 days ahead (an ``at`` only 1 day): three days ahead is a valid promise.
BAD_PROMISES = [t for t in BAD_TIMES if t != (NOW + timedelta(days=3)).isoformat()] + [
    (NOW + timedelta(days=91)).isoformat()
]
BAD_SECONDS = [-1, -0.5, 5e15, 1e20, 1.7e308, WEEK_S + 1, "12", [], True]


@st.composite
def _invalid_events(draw) -> tuple[object, str]:
    """(an invalid event without ``id`` unless the mutation is of the id, the field its rejection must name)."""
    contacts = CONTACTS
    event = dict(draw(VALID_EVENTS))
    kind = event["type"]
    mutation = draw(st.sampled_from(["drop", "bad", "nul", "long", "time", "seconds", "type", "not_object"]))
    if mutation == "not_object":
        return draw(st.sampled_from([1, "contact.offered", [], None, 2.5])), "event"
    if mutation == "drop":
        name = draw(st.sampled_from(["type", "at", *REQUIRED[kind]]))
        event.pop(name)
        return event, name
    if mutation == "bad":
        name = draw(st.sampled_from(["id", "type", "at", *[k for k in event if k not in ("type", "at")]]))
        event[name] = draw(st.sampled_from(BAD_ANY))
        return event, name
    if mutation == "nul":
        names = [k for k, v in event.items() if isinstance(v, str) and k not in ("type",)] + ["id"]
        name = draw(st.sampled_from(names))
        position = draw(st.sampled_from(["start", "middle", "end"]))
        base = event.get(name, "x") or "x"
        event[name] = {"start": "\x00" + base, "middle": base[:1] + "\x00" + base[1:], "end": base + "\x00"}[position]
        return event, name
    if mutation == "long":
        names = [k for k in ("id", *event) if k in LIMITS] + (["reason"] if kind == "agent.state" else [])
        name = draw(st.sampled_from(names))
        limit = 100 if (kind, name) == ("agent.state", "reason") else LIMITS[name]
        event[name] = "r" * draw(st.integers(limit + 1, limit + 150))
        return event, name
    if mutation == "time":
        name = "promised_by" if kind == "callback.requested" and draw(st.booleans()) else "at"
        event[name] = draw(st.sampled_from(BAD_PROMISES if name == "promised_by" else BAD_TIMES))
        return event, name
    if mutation == "seconds":
        if kind == "contact.ended":
            name = draw(st.sampled_from(["talk_s", "hold_s"]))
        elif kind == "contact.wrapup_ended":
            name = "acw_s"
        else:
            event, name = {"type": "contact.ended", "at": event["at"], "contact_id": contacts[0]}, "talk_s"
        event[name] = draw(st.sampled_from(BAD_SECONDS))
        return event, name
    event["type"] = draw(st.sampled_from(["contact.unknown", "", "CONTACT.OFFERED", "agent.state "]))
    return event, "type"


INVALID_EVENTS = _invalid_events()
