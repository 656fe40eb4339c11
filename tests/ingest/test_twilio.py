"""Twilio TaskRouter event callbacks: the pure mapping, table by table, on callbacks written from Twilio's
"TaskRouter Events reference" (parameter names and formats as TaskRouter posts them: form fields, epoch
seconds, attributes as a JSON string); and POST /api/v1/adapters/twilio/<source>/ signed with Twilio's own
RequestValidator, as TaskRouter calls it."""

import hashlib
import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from twilio.request_validator import RequestValidator

from dashboard.core.models import AgentStateSpan, Contact, Event, Source
from dashboard.ingest.customer import customer_ref
from dashboard.ingest.importers.twilio import MAPPED, CallbackError, Mapped, agent_state, callback_events, channel
from dashboard.ingest.queue_log_imports import caller_ref
from dashboard.live.selectors import live_snapshot, live_snapshot_from_db

ACCOUNT = "AC" + "1" * 32
WORKSPACE = "WS" + "2" * 32
TASK = "WT" + "3" * 32
QUEUE_SID = "WQ" + "4" * 32
WORKER = "WK" + "5" * 32
RESERVATION = "WR" + "6" * 32
T0 = 1764057600  # 2025-11-25 08:00:00 UTC
VOICE = {"from": "+31612345678", "to": "+31201234567", "caller": "+31612345678", "called": "+31201234567",
         "direction": "inbound", "call_sid": "CA" + "7" * 32, "account_sid": ACCOUNT, "type": "inbound",
         "name": "+31612345678"}  # fmt: skip
WHATSAPP = {"from": "whatsapp:+31687654321", "channelType": "whatsapp", "direction": "inbound",
            "conversationSid": "CH" + "8" * 32, "customerName": "whatsapp:+31687654321"}  # fmt: skip


def callback(event_type, seconds, *, sid=None, task=TASK, attrs=VOICE, channel="voice", queued=True, **extra):
    """One callback's form parameters, as TaskRouter posts them for ``event_type`` at T0 + ``seconds``."""
    at = T0 + seconds
    params = {
        "EventType": event_type,
        "Sid": sid or f"EV{event_type.replace('.', '').replace('-', '')[:10]:0<10}{seconds:022d}",
        "AccountSid": ACCOUNT,
        "WorkspaceSid": WORKSPACE,
        "WorkspaceName": "Flex Task Assignment",
        "EventDescription": f"{event_type} for {task}",
        "Timestamp": str(at),
        "TimestampMs": str(at * 1000 + 250),
    }
    if event_type.startswith("worker."):
        params.update(ResourceType="worker", ResourceSid=WORKER, WorkerSid=WORKER, WorkerName="ann@example.nl",
                      WorkerAttributes=json.dumps({"full_name": "Ann", "contact_uri": "client:ann"}),
                      WorkerVersion="7", OperatingUnitSid="OU" + "0" * 32)  # fmt: skip
    else:
        params.update(ResourceType="task", ResourceSid=task, TaskSid=task, TaskAttributes=json.dumps(attrs),
                      TaskAge=str(seconds), TaskPriority="0", TaskAssignmentStatus="pending",
                      TaskChannelUniqueName=channel, TaskChannelSid="TC" + "9" * 32, TaskDateCreated=str(T0),
                      WorkflowSid="WW" + "a" * 32, WorkflowName="Assign to Anyone", TaskVersion="3")  # fmt: skip
        if queued:
            params.update(TaskQueueSid=QUEUE_SID, TaskQueueName="Support", TaskQueueEnteredDate=str(T0),
                          TaskQueueTargetExpression="1==1")  # fmt: skip
    if event_type.startswith("reservation."):
        params.update(ResourceType="reservation", ResourceSid=RESERVATION, ReservationSid=RESERVATION,
                      ReservationVersion="2", WorkerSid=WORKER, WorkerName="ann@example.nl",
                      WorkerActivitySid="WA" + "b" * 32, WorkerActivityName="Available", WorkerVersion="9")  # fmt: skip
    params.update({k: str(v) for k, v in extra.items()})
    return params


def iso(seconds, ms=250):
    return datetime.fromtimestamp(T0 + seconds + ms / 1000, UTC).isoformat()


OFFER = {"id": f"{TASK}:offered:{QUEUE_SID}:{T0}", "type": "contact.offered", "at": iso(0, 0), "contact_id": TASK,
         "queue": "Support", "channel": "voice", "customer_ref": customer_ref("+31612345678")}  # fmt: skip


def ev(event_type, seconds, kind, **fields):
    sid = callback(event_type, seconds)["Sid"]
    base = {"id": f"{sid}:{kind.split('.')[1]}", "type": kind, "at": iso(seconds)}
    return {**base, **({"contact_id": TASK} if kind.startswith("contact.") else {}), **fields}


def state(event_type, seconds, agent_state_name, reason=None):
    sid = callback(event_type, seconds)["Sid"]
    event = {"id": f"{sid}:state", "type": "agent.state", "at": iso(seconds), "agent": "ann@example.nl",
             "state": agent_state_name}  # fmt: skip
    return {**event, **({"reason": reason} if reason else {})}


# --- the mapping, event type by event type -----------------------------------------------------------

MAPPING = [
    ("task-queue.entered", callback("task-queue.entered", 0), [OFFER]),
    ("task.created names no queue", callback("task.created", 0, queued=False), []),
    ("task.created with a queue", callback("task.created", 0), [OFFER]),
    ("reservation.accepted", callback("reservation.accepted", 20),
     [OFFER, ev("reservation.accepted", 20, "contact.answered", agent="ann@example.nl"),
      state("reservation.accepted", 20, "on_contact")]),
    ("task.canceled", callback("task.canceled", 45, TaskCanceledReason="hangup"),
     [OFFER, ev("task.canceled", 45, "contact.abandoned")]),
    ("task.wrapup", callback("task.wrapup", 200), [OFFER, ev("task.wrapup", 200, "contact.ended")]),
    ("task.completed", callback("task.completed", 230, TaskCompletedReason="Task has been completed"),
     [OFFER, ev("task.completed", 230, "contact.ended"), ev("task.completed", 230, "contact.wrapup_ended")]),
    ("reservation.wrapup", callback("reservation.wrapup", 200), [OFFER, state("reservation.wrapup", 200, "acw")]),
    ("reservation.completed", callback("reservation.completed", 230),
     [OFFER, state("reservation.completed", 230, "available")]),
    ("transfer to a worker", callback("task.transfer-initiated", 100, TransferType="WORKER", TransferTo=WORKER,
                                      TransferMode="COLD", TransferSid="TT" + "c" * 32),
     [OFFER, ev("task.transfer-initiated", 100, "contact.transferred", to_agent=WORKER)]),
    ("transfer to a queue: the new queue's entry moves it", callback("task.transfer-initiated", 100,
     TransferType="QUEUE", TransferTo="WQ" + "d" * 32, TransferMode="COLD"), [OFFER]),
    ("worker Available", callback("worker.activity.update", 5, WorkerActivityName="Available",
                                  WorkerPreviousActivityName="Offline", WorkerTimeInPreviousActivity="3600"),
     [state("worker.activity.update", 5, "available")]),
    ("worker Offline", callback("worker.activity.update", 5, WorkerActivityName="Offline"),
     [state("worker.activity.update", 5, "logged_out")]),
    ("worker on Break", callback("worker.activity.update", 5, WorkerActivityName="Break"),
     [state("worker.activity.update", 5, "paused", "Break")]),
    ("worker Unavailable", callback("worker.activity.update", 5, WorkerActivityName="Unavailable"),
     [state("worker.activity.update", 5, "paused", "Unavailable")]),
]  # fmt: skip


@pytest.mark.parametrize("name, params, expected", MAPPING, ids=[m[0] for m in MAPPING])
def test_each_documented_callback_maps_to_its_ingest_events(name, params, expected):
    mapped = callback_events(params, hash_customer=customer_ref)
    assert mapped.events == expected
    assert mapped.event_type == params["EventType"] and not mapped.unknown
    assert bool(mapped.skipped) == (not expected)


def test_one_task_offered_by_several_callbacks_is_one_offer_id():
    ids = {
        e["id"]
        for t in ("task-queue.entered", "task.created", "reservation.accepted", "task.wrapup", "task.completed")
        for e in callback_events(callback(t, 10)).events
        if e["type"] == "contact.offered"
    }
    assert ids == {OFFER["id"]}


def test_an_offer_without_the_time_it_entered_the_queue_comes_only_from_its_own_callbacks():
    entered = callback("task-queue.entered", 3)
    del entered["TaskQueueEnteredDate"]
    assert callback_events(entered).events[0]["at"] == iso(3)
    accepted = callback("reservation.accepted", 20)
    del accepted["TaskQueueEnteredDate"]
    assert [e["type"] for e in callback_events(accepted).events][0] == "contact.offered"  # TaskDateCreated
    del accepted["TaskDateCreated"]
    assert [e["type"] for e in callback_events(accepted).events] == ["contact.answered", "agent.state"]


def test_a_whatsapp_conversation_is_offered_on_whatsapp_and_leaves_the_agent_state_alone():
    events = callback_events(callback("reservation.accepted", 20, attrs=WHATSAPP, channel="chat")).events
    assert [(e["type"], e.get("channel")) for e in events] == [("contact.offered", "whatsapp"),
                                                               ("contact.answered", None)]  # fmt: skip


@pytest.mark.parametrize(
    "unique_name, attrs, expected",
    [
        ("voice", VOICE, "voice"),
        ("chat", {"from": "Jan"}, "chat"),
        ("chat", {"channelType": "web"}, "chat"),
        ("chat", {"channelType": "messenger"}, "social"),
        ("chat", {"channelType": "sms"}, "sms"),
        ("sms", {}, "sms"),
        ("email", {"channelType": "email"}, "email"),
        ("video", {}, "video"),
        ("default", VOICE, "voice"),  # a call enqueued without a task channel
        ("default", {"type": "lead"}, None),
        ("fax", {}, None),
    ],
)
def test_the_channel_comes_from_the_task_channel(unique_name, attrs, expected):
    assert channel({"TaskChannelUniqueName": unique_name}, attrs) == expected


def test_a_task_in_a_channel_without_a_name_here_is_skipped_saying_which():
    mapped = callback_events(callback("task-queue.entered", 0, channel="fax", attrs={}))
    assert mapped.events == [] and "'fax'" in mapped.skipped


@pytest.mark.parametrize(
    "attrs, address",
    [
        (VOICE, "+31612345678"),
        ({"caller": "+3215551234"}, "+3215551234"),
        ({"from": "anonymous", "direction": "inbound"}, None),
        ({"direction": "outbound", "from": "+31201234567", "outbound_to": "+31698765432"}, "+31698765432"),
        ({"channelType": "web", "from": "Customer", "direction": "inbound"}, None),
        (WHATSAPP, "whatsapp:+31687654321"),
    ],
)
def test_the_customer_is_the_caller_as_a_keyed_hash(attrs, address):
    offer = callback_events(callback("task-queue.entered", 0, attrs=attrs), hash_customer=customer_ref).events[0]
    assert offer.get("customer_ref") == (customer_ref(address) if address else None)
    assert "+316" not in json.dumps(offer) and "Customer" not in json.dumps(offer)
    assert caller_ref is customer_ref  # the queue_log import's name for the same hash


@pytest.mark.parametrize(
    "names, activity, expected",
    [
        ({}, "Available", ("available", "")),
        ({}, "offline", ("logged_out", "")),
        ({}, "Lunch", ("paused", "Lunch")),
        ({"Lunch": "paused", "Coaching": "available"}, "Coaching", ("available", "")),
        ({"coaching": "available"}, "Coaching", ("available", "")),  # any case
        ({"Available": "logged_out"}, "Available", ("logged_out", "")),  # the source's names first
        ({"Training": "paused"}, "Training", ("paused", "Training")),
    ],
)
def test_state_names_per_source(names, activity, expected):
    assert agent_state(activity, names) == expected


def test_the_source_state_names_reach_the_mapping():
    params = callback("worker.activity.update", 5, WorkerActivityName="Coaching")
    assert callback_events(params, state_names={"Coaching": "available"}).events[0]["state"] == "available"


@pytest.mark.parametrize(
    "params, field",
    [
        ({"Sid": "EV1", "Timestamp": str(T0)}, "EventType"),
        ({**callback("task.canceled", 1), "Timestamp": "", "TimestampMs": ""}, "Timestamp"),
        ({**callback("task.canceled", 1), "TimestampMs": "soon"}, "TimestampMs"),
        ({**callback("task.canceled", 1), "TimestampMs": "nan"}, "TimestampMs"),
        ({**callback("task.canceled", 1), "TimestampMs": "1e400"}, "TimestampMs"),
        ({**callback("task.canceled", 1), "TaskSid": ""}, "TaskSid"),
        ({**callback("reservation.accepted", 1), "WorkerName": ""}, "WorkerName"),
        ({**callback("worker.activity.update", 1), "WorkerActivityName": ""}, "WorkerActivityName"),
        ({**callback("task-queue.entered", 1), "TaskQueueEnteredDate": "yesterday"}, "TaskQueueEnteredDate"),
    ],
)
def test_a_callback_without_what_its_type_needs_names_the_parameter(params, field):
    with pytest.raises(CallbackError) as error:
        callback_events(params)
    assert error.value.field == field and str(error.value).startswith(f"{field}: ")


def test_state_names_that_name_no_agent_state_are_a_clear_error():
    with pytest.raises(CallbackError, match="map 'Break' to 'brk', which is not an agent state"):
        callback_events(callback("worker.activity.update", 5, WorkerActivityName="Break"), state_names={"Break": "brk"})


def test_other_event_types_are_skipped_and_unknown_ones_said_apart():
    known = callback_events(callback("reservation.created", 10))
    assert known == Mapped("reservation.created", skipped="reservation.created is not mapped")
    unknown = callback_events({**callback("task.created", 10), "EventType": "task.teleported"})
    assert unknown.unknown and unknown.events == [] and "task.teleported" in unknown.skipped


def test_attributes_that_are_not_json_lose_only_the_caller():
    events = callback_events({**callback("task-queue.entered", 0), "TaskAttributes": "{not json"}).events
    assert events[0]["channel"] == "voice" and "customer_ref" not in events[0]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(MAPPED) + ["x", ""]),
    st.dictionaries(
        st.sampled_from(["Sid", "Timestamp", "TimestampMs", "TaskSid", "TaskQueueName", "TaskQueueEnteredDate",
                         "TaskDateCreated", "TaskAttributes", "TaskChannelUniqueName", "WorkerName",
                         "WorkerActivityName", "TransferType", "TransferTo", "TaskQueueSid"]),
        st.one_of(st.text(max_size=30), st.integers().map(str), st.just(json.dumps(VOICE))),
    ),
)  # fmt: skip
def test_any_callback_maps_or_names_what_is_wrong(event_type, params):
    try:
        mapped = callback_events({**params, "EventType": event_type}, state_names={"x": "paused"})
    except CallbackError as error:
        assert error.field
        return
    assert all(isinstance(e["id"], str) and e["type"] for e in mapped.events)


# --- the callback URL, signed ----------------------------------------------------------------------------

URL = "/api/v1/adapters/twilio/flex/"
TOKEN = "f" * 32
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def flex(db):
    out = StringIO()
    call_command("create_source_token", "flex", "--kind", "twilio", "--auth-token", TOKEN, "--new-queues", "create",
                 stdout=out)  # fmt: skip
    source = Source.objects.get(name="flex")
    assert (source.kind, source.auth_token) == ("twilio", TOKEN)
    return source


def live(event_type, ago, queued_ago=300, **fields):
    """A callback ``ago`` seconds before now (the ingest takes only recent events), of a task that entered
    its queue ``queued_ago`` seconds before now."""
    params = callback(event_type, 0, **fields)
    start, at = int(NOW.timestamp()) - queued_ago, int(NOW.timestamp()) - ago
    params.update(Timestamp=str(at), TimestampMs=str(at * 1000), TaskDateCreated=str(start))
    if "TaskQueueEnteredDate" in params:
        params["TaskQueueEnteredDate"] = str(start)
    key = f"{event_type}|{ago}|{params.get('TaskSid', '')}|{params.get('WorkerActivityName', '')}"
    params["Sid"] = "EV" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return params


def post(params, *, url=URL, token=TOKEN, signed_url=None, signature=None, headers=None):
    client = APIClient()
    if signature is None:
        signature = RequestValidator(token).compute_signature(signed_url or f"http://testserver{url}", params)
    extra = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    extra.update(headers or {})
    return client.post(url, urlencode(params), content_type="application/x-www-form-urlencoded", **extra)


def test_a_call_and_an_abandon_through_the_callbacks_show_on_the_live_state(flex):
    other = "WT" + "e" * 32
    callbacks = [
        live("worker.activity.update", 3600, WorkerActivityName="Available"),
        live("workflow.entered", 300),
        live("task-queue.entered", 300),
        live("task.created", 300, queued=False),
        live("reservation.created", 285),
        live("reservation.accepted", 280),  # answered after 20 s
        live("reservation.wrapup", 100),
        live("task.wrapup", 100),  # talk 180 s
        live("reservation.completed", 70),
        live("task.completed", 70),  # after-call work 30 s
        live("task-queue.entered", 200, task=other, queued_ago=200),
        live("task.canceled", 150, task=other, queued_ago=200, TaskCanceledReason="hangup"),
    ]
    answers = [post(c) for c in callbacks]
    assert [a.status_code for a in answers] == [200] * len(callbacks), [a.content for a in answers]
    assert [a.json()["skipped"] for a in answers] == [0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    call = Contact.objects.get(contact_id=f"flex:{TASK}")
    assert call.queue.name == "Support" and call.channel == "voice" and call.agent.login_id == "ann@example.nl"
    assert (call.answered_at - call.offered_at, call.talk_s, call.acw_s) == (timedelta(seconds=20), 180, 30)
    assert call.customer_ref == customer_ref("+31612345678")
    gone = Contact.objects.get(contact_id=f"flex:{other}")
    assert gone.answered_at is None and gone.abandoned_at - gone.offered_at == timedelta(seconds=50)
    snap = live_snapshot(now=NOW)
    support = next(q for q in snap["queues"] if q["name"] == "Support")
    today = support["today"]
    assert (today["offered"], today["answered"], today["abandoned"], today["asa_s"]) == (2, 1, 1, 20.0)
    assert today["handled"] == 1 and support["waiting"] == 0
    centre = snap["all"]
    assert (centre["today"]["talk_ms"], centre["today"]["acw_ms"], centre["today"]["aht_s"]) == (180_000, 30_000, 210.0)
    assert centre["today"]["wait_abandoned_ms"] == 50_000 and centre["agents"]["available"] == 1
    spans = list(AgentStateSpan.objects.order_by("start").values_list("state", flat=True))
    assert spans == ["available", "on_contact", "acw", "available"]
    assert snap == live_snapshot_from_db(now=NOW)
    flex.refresh_from_db()
    assert (flex.delivered_count, flex.rejected_count, flex.skipped_count) == (Event.objects.count(), 0, 3)
    assert flex.last_delivered_at is not None


def test_twilio_retries_are_duplicates(flex):
    accepted = live("reservation.accepted", 280)
    first, again = post(accepted), post(accepted)
    assert (first.json()["accepted"], again.json()["accepted"], again.json()["duplicates"]) == (3, 0, 3)
    assert again.status_code == 200 and Event.objects.count() == 3


def refuse_source(flex, change):
    for key, value in change.items():
        setattr(flex, key, value)
    flex.save()


@pytest.mark.parametrize(
    "case",
    ["no signature", "wrong signature", "signed with another token", "signed for another URL", "unknown source",
     "a generic source", "an inactive source", "no auth token", "other parameters than signed",
     "an algorithm Twilio does not have"],
)  # fmt: skip
def test_a_callback_not_signed_for_the_source_is_403_and_nothing_is_stored(flex, case):
    params = live("task-queue.entered", 300)
    kwargs = {
        "no signature": {"signature": ""},
        "wrong signature": {"signature": "bm90IGEgc2lnbmF0dXJl"},
        "signed with another token": {"token": "0" * 32},
        "signed for another URL": {"signed_url": "https://elsewhere.example/api/v1/adapters/twilio/flex/"},
        "unknown source": {"url": "/api/v1/adapters/twilio/nobody/"},
        "an algorithm Twilio does not have": {
            "headers": {"HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS": "algorithm=MD5"}
        },
    }.get(case, {})
    refuse_source(flex, {"a generic source": {"kind": "generic"}, "an inactive source": {"active": False},
                         "no auth token": {"auth_token": ""}}.get(case, {}))  # fmt: skip
    if case == "other parameters than signed":
        signature = RequestValidator(TOKEN).compute_signature(f"http://testserver{URL}", params)
        kwargs = {"signature": signature}
        params = {**params, "TaskQueueName": "Elsewhere"}
    response = post(params, **kwargs)
    assert response.status_code == 403, response.content
    assert "X-Twilio-Signature" in response.json()["error"] and "nobody" not in response.json()["error"]
    assert Event.objects.count() == 0 and Contact.objects.count() == 0
    flex.refresh_from_db()
    assert (flex.delivered_count, flex.rejected_count, flex.skipped_count) == (0, 0, 0)


def test_behind_a_proxy_the_public_url_is_the_one_signed(flex):
    params = live("task-queue.entered", 300)
    public = "https://kcc.example.nl/kcc/api/v1/adapters/twilio/flex/"
    with override_settings(KCC_PUBLIC_URL="https://kcc.example.nl/kcc/"):
        assert post(params, signed_url=public).status_code == 200
        assert post(params).status_code == 403  # Django's own address is not what Twilio called
    assert post(live("task.created", 290), signed_url=public).status_code == 403


def test_a_shared_key_signature_with_hmac_sha256(flex):
    params = live("task-queue.entered", 300)
    signature = RequestValidator(TOKEN).compute_signature(f"http://testserver{URL}", params, "HMAC_SHA256")
    header = {"HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS": "key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"}
    assert post(params, signature=signature, headers=header).status_code == 200


def test_an_event_type_not_mapped_is_200_and_counted_as_skipped(flex):
    response = post({**live("task.created", 300), "EventType": "task.teleported"})
    assert response.status_code == 200
    assert response.json()["skipped"] == 1 and "task.teleported" in response.json()["reason"]
    flex.refresh_from_db()
    assert (flex.skipped_count, flex.delivered_count, Event.objects.count()) == (1, 0, 0)


def test_the_source_state_names_apply(flex):
    flex.state_names = {"Coaching": "available", "Lunch": "paused"}
    flex.save()
    assert post(live("worker.activity.update", 60, WorkerActivityName="Coaching")).status_code == 200
    assert post(live("worker.activity.update", 30, WorkerActivityName="Lunch")).status_code == 200
    spans = list(AgentStateSpan.objects.order_by("start").values_list("state", "reason"))
    assert spans == [("available", ""), ("paused", "Lunch")]


def test_a_signed_callback_that_lacks_what_it_needs_is_400_and_counted_rejected(flex):
    response = post({**live("reservation.accepted", 280), "WorkerName": ""})
    assert response.status_code == 400
    assert response.json() == {"error": "WorkerName: is required for reservation.accepted", "field": "WorkerName"}
    garbage = post({"hello": "world", "x": "1"})
    assert garbage.status_code == 400 and garbage.json()["field"] == "EventType"
    flex.refresh_from_db()
    assert (flex.rejected_count, Event.objects.count()) == (2, 0)


def test_a_callback_whose_events_the_ingest_rejects_is_400_with_the_reasons(flex):
    old = live("task.canceled", 400 * 86400, queued_ago=400 * 86400 + 60)
    response = post(old)
    assert response.status_code == 400
    assert "at:" in response.json()["error"] and response.json()["rejected"] == 2


def test_a_50_mb_body_is_413_before_it_is_read(flex):
    body = b"EventType=task.created&TaskAttributes=" + b"x" * (50 * 1024 * 1024)
    response = APIClient().generic("POST", URL, body, content_type="application/x-www-form-urlencoded",
                                   HTTP_X_TWILIO_SIGNATURE="c2ln")  # fmt: skip
    assert response.status_code == 413
    assert "at most 1,048,576 bytes" in response.json()["error"]
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    "body, content_type, status",
    [
        (b'{"EventType": "task.created"}', "application/json", 415),  # Event Streams' JSON is not this endpoint
        (b"\xff\xfe\x00garbage", "application/x-www-form-urlencoded", 400),
        (b"&".join(b"f%d=1" % i for i in range(1200)), "application/x-www-form-urlencoded", 400),
        (b"%%%&&&===;;", "application/x-www-form-urlencoded", 403),
        (b"", "application/x-www-form-urlencoded", 403),
        (b"\x00" * 100, "text/plain", 415),
    ],
)
def test_garbage_is_a_clear_4xx_never_a_500(flex, body, content_type, status):
    response = APIClient().generic("POST", URL, body, content_type=content_type, HTTP_X_TWILIO_SIGNATURE="c2ln")
    assert response.status_code == status, response.content
    assert response.json()["error"]
    assert Event.objects.count() == 0


def test_only_post_is_answered(flex):
    assert APIClient().get(URL).status_code == 405


def test_a_transfer_to_another_queue_moves_the_contact_there(flex):
    bob = {"WorkerName": "bob@example.nl"}
    billing = {"TaskQueueName": "Billing", "TaskQueueSid": "WQ" + "f" * 32}
    callbacks = [
        live("task-queue.entered", 300),
        live("reservation.accepted", 290),
        live("task.transfer-initiated", 200, TransferType="QUEUE", TransferTo=billing["TaskQueueSid"],
             TransferMode="COLD"),
        live("reservation.wrapup", 200),
        live("task-queue.entered", 199, queued_ago=199, **billing),
        live("reservation.accepted", 190, queued_ago=199, **billing, **bob),
        live("task.wrapup", 100, queued_ago=199, **billing),
        live("task.completed", 80, queued_ago=199, **billing),
    ]  # fmt: skip
    assert [post(c).status_code for c in callbacks] == [200] * len(callbacks)
    support, billing_visit = Contact.objects.filter(contact_id=f"flex:{TASK}").order_by("seq")
    assert (support.queue.name, support.agent.login_id, support.transferred_to_queue) == (
        "Support", "ann@example.nl", "Billing")  # fmt: skip
    assert support.answered_at - support.offered_at == timedelta(seconds=10) and support.talk_s == 91
    assert (billing_visit.queue.name, billing_visit.agent.login_id) == ("Billing", "bob@example.nl")
    assert billing_visit.answered_at - billing_visit.offered_at == timedelta(seconds=9)
    assert (billing_visit.talk_s, billing_visit.acw_s) == (90, 20)
