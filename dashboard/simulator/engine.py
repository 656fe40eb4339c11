"""A discrete-event simulator of an inbound contact centre (an ACD with skill-based routing).

The engine is pure: it takes a plain :class:`CentreSpec` (queues, agents, time zone), a seed and a start,
and produces the events an ACD/CTI link would post to ``POST /api/v1/events/``, as JSON-ready dicts. It
never touches the database, so the same engine feeds the ``simulate`` command, the tests and benchmarks.

Model (every figure is a module constant below, so a reader can check it against their own centre):

* Arrivals are Poisson per queue, with a rate that follows an intraday profile (morning peak around
  10:00, a smaller bump after lunch, a low evening) times a weekday factor (Monday busiest, weekend low).
  Voice, chat and other synchronous channels only arrive while the queue is open; e-mail, WhatsApp and
  other asynchronous channels arrive day and night (less at night) and wait in the backlog until an
  agent works them. A queue without opening hours is open around the clock.
* Volume: unless a queue states ``volume_per_day``, it is derived from the agents skilled on it, so that
  an edited configuration (more agents, another queue) still gives a plausibly loaded centre.
* Handle times are log-normal per channel (voice: talk mean ~240 s, sometimes hold, after-call work
  ~40 s); 2nd-line voice calls are longer.
* Customers have a patience (log-normal; voice mean ~2.5 min) and abandon when it runs out; a small
  share hang up within a few seconds (short abandons). E-mail and WhatsApp customers do not abandon.
* Routing: a contact goes to the longest-idle available agent skilled on its queue. A freed agent takes,
  in this order: a callback whose promise is about to expire, the oldest waiting synchronous contact (its
  own line's queues first), a callback, the oldest WhatsApp-like message, the oldest e-mail.
* Overflow: a contact still waiting ``overflow_after_s`` after it entered a queue is transferred to the
  queue's overflow queue (if that one is open), keeping its patience.
* 1st → 2nd line: about 8 % of answered 1st-line voice calls are transferred after a short talk to a
  2nd-line voice queue, where they wait again and a 2nd-line agent answers them.
* Callbacks (when the centre has a queue of channel ``callback``, as ACDs need a callback route): a voice
  caller still waiting after ``CALLBACK_OFFER_AFTER_S`` is offered a callback and some accept:
  ``callback.requested`` (promised within two hours) in the queue they waited in, and after the
  confirmation message ``contact.transferred`` to the callback queue (the team's own, else one of the
  same line).
  There the callback waits like an e-mail in a backlog. Agents skilled on it call back in quiet moments,
  or before anything else when the promise is about to expire: the agent goes ``on_contact`` (reason
  "terugbellen") to dial; a quarter of the customers do not pick up and are tried again an hour
  later (the third attempt always gets through). When the customer picks up: ``contact.answered`` and
  ``callback.completed``, then the call ends as any other. So most callbacks are on time and some — hard
  to reach, or requested late in the day — are late. Without a callback queue no callback is offered.
* Agents work shifts (day shifts start 07:45–10:00, some late shifts end at closing, 8 hours, fewer on
  Saturday, none on Sunday), take two breaks ("pauze") and lunch ("lunch"), sometimes "overleg",
  "coaching" or a "storing", and do after-call work; every change of state is an ``agent.state`` event.
* The schedule: every shift is planned as a schedule would hold it (``take_schedule``: the shift, and on
  top of it the breaks, lunch, meetings and coaching on a 5-minute grid; a "storing" is not planned).
  Agents keep roughly to it: most log in within a minute of the shift's start, some a few minutes early,
  some late (a few up to 25 minutes), breaks are taken when the current contact is over and last a few
  minutes more or less than planned, and now and then one runs 5–15 minutes long.
* A queue open around the clock (a 24/7 line for outages and card blocking) is staffed by a rota: the
  agents whose queues are all open around the clock each keep one shift of it, every day of the week, in
  login order: early (07:00–15:00), late (15:00–23:00) and night (23:00–07:00), about a quarter of them
  on nights. Night shifts are always covered; early and late ones have days off like everyone else. A
  simulator started at night finds the night shift that began the evening before at work.
* Customers: contacts draw a customer reference from a population, and a share are repeat contacts of a
  customer who contacted the centre in the last few days (often about the same reason).

Determinism: one ``random.Random(seed)`` drives everything and the calendar is processed in (time,
sequence) order, so the same spec, seed and start give the same events however ``run_until`` is called.
Event ids and contact ids contain the seed and the start (``sim{seed}-{start}-{n}``,
``C{seed}-{start}-{n}``): a rerun from the same start repeats the same ids (the idempotent ingest skips
them), while runs from other starts never collide with it.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

__all__ = [
    "AgentSpec",
    "Campaign",
    "CentreSpec",
    "ChannelModel",
    "QueueSpec",
    "Simulator",
    "generate",
    "intraday_profile",
]

# Mirrors dashboard.models.SYNCHRONOUS_CHANNELS (the engine imports nothing from Django).
SYNCHRONOUS_CHANNELS = frozenset({"voice", "chat", "video", "counter"})
# Asynchronous channels answered within the hour rather than the working day; agents take them first.
FAST_ASYNCHRONOUS_CHANNELS = frozenset({"whatsapp", "social", "sms"})

SECOND = 1000  # the engine counts integer milliseconds since the Unix epoch
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE


# --- the centre ----------------------------------------------------------------------------------


@dataclass
class QueueSpec:
    """A queue as the simulator needs it: plain values, no model instances.

    ``opening_hours`` maps a weekday (0 = Monday) to ``(opens, closes)`` local times; empty means open
    around the clock. ``closed_dates`` are local dates on which the queue is closed (holidays).
    ``volume_per_day`` is the number of contacts offered on an average weekday; None derives it from the
    agents skilled on the queue (none: no contacts). ``sl_threshold_s`` is carried for reports on the
    simulated centre; the engine's behaviour does not depend on it.
    """

    name: str
    channel: str
    team: str | None = None
    line: str = "first"
    sl_threshold_s: int = 20
    overflow_queue: str | None = None
    overflow_after_s: int | None = None
    opening_hours: dict[int, list[tuple[time, time]]] = field(default_factory=dict)
    closed_dates: frozenset[date] = frozenset()
    volume_per_day: float | None = None

    @property
    def synchronous(self) -> bool:
        return self.channel in SYNCHRONOUS_CHANNELS


@dataclass
class AgentSpec:
    """An agent: ``login_id`` as the ACD knows it, and the names of the queues it is skilled on."""

    login_id: str
    team: str | None = None
    line: str = "first"
    skills: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Campaign:
    """An unannounced campaign (a mailing, an outage, a news item): from ``start`` (an aware instant) until
    ``end`` (None: for good) the arrival rate of ``queues`` (their names; empty: every queue) is multiplied
    by ``factor`` (1.4 = 40 % more contacts). Nothing tells the forecast: it is what an intraday reforecast
    and the deviation alert must notice."""

    start: datetime
    factor: float
    end: datetime | None = None
    queues: frozenset[str] = frozenset()

    def __post_init__(self):
        if self.start.tzinfo is None or self.start.utcoffset() is None:
            raise ValueError("campaign start must be an aware datetime")
        if self.end is not None and self.end <= self.start:
            raise ValueError("campaign end must be after its start")
        if self.factor < 0:
            raise ValueError("campaign factor must not be negative")

    def applies_to(self, queue_name: str) -> bool:
        return not self.queues or queue_name in self.queues


@dataclass
class CentreSpec:
    """Queues, agents and the centre's time zone (opening hours and shifts are local times)."""

    queues: list[QueueSpec]
    agents: list[AgentSpec]
    tz: tzinfo | str = "Europe/Amsterdam"

    def __post_init__(self):
        if isinstance(self.tz, str):
            self.tz = ZoneInfo(self.tz)
        names = [q.name for q in self.queues]
        if len(set(names)) != len(names):
            raise ValueError("queue names must be unique")
        known = set(names)
        for q in self.queues:
            if q.overflow_queue is not None and q.overflow_queue not in known:
                raise ValueError(f"queue {q.name!r}: overflow queue {q.overflow_queue!r} is not a queue")
        for a in self.agents:
            unknown = [s for s in a.skills if s not in known]
            if unknown:
                raise ValueError(f"agent {a.login_id!r}: skills {unknown} are not queues")


# --- behaviour -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelModel:
    """How contacts of one channel behave: log-normal durations (median and shape ``sigma``), the share
    put on hold, the seconds between routing and answer (ringing, opening the message) and the
    customer's patience (None: the customer does not leave, as with e-mail)."""

    talk_median_s: float
    talk_sigma: float
    acw_median_s: float
    acw_sigma: float
    hold_share: float = 0.0
    hold_median_s: float = 40.0
    ring_s: tuple[float, float] = (2.0, 7.0)
    patience_median_s: float | None = None
    patience_sigma: float = 0.9
    short_abandon_share: float = 0.0

    @property
    def mean_handle_s(self) -> float:
        """Mean talk + hold + after-call work, from the log-normal means ``median * exp(sigma² / 2)``."""
        talk = self.talk_median_s * math.exp(self.talk_sigma**2 / 2)
        hold = self.hold_share * self.hold_median_s * math.exp(0.7**2 / 2)
        acw = self.acw_median_s * math.exp(self.acw_sigma**2 / 2)
        return talk + hold + acw


VOICE = ChannelModel(
    # talk mean 200·e^0.18 ≈ 240 s; after-call work mean ≈ 40 s; patience mean 110·e^0.405 ≈ 165 s
    talk_median_s=200,
    talk_sigma=0.6,
    acw_median_s=35,
    acw_sigma=0.5,
    hold_share=0.18,
    hold_median_s=40,
    ring_s=(2.0, 7.0),
    patience_median_s=110,
    patience_sigma=0.9,
    short_abandon_share=0.03,
)
VOICE_SECOND_LINE = ChannelModel(
    talk_median_s=330,
    talk_sigma=0.6,
    acw_median_s=60,
    acw_sigma=0.5,
    hold_share=0.3,
    hold_median_s=60,
    ring_s=(2.0, 8.0),
    patience_median_s=150,
    patience_sigma=0.8,
    short_abandon_share=0.02,
)
CHAT = ChannelModel(
    talk_median_s=360,
    talk_sigma=0.55,
    acw_median_s=20,
    acw_sigma=0.5,
    ring_s=(3.0, 12.0),
    patience_median_s=240,
    patience_sigma=0.8,
    short_abandon_share=0.02,
)
WHATSAPP = ChannelModel(talk_median_s=300, talk_sigma=0.7, acw_median_s=20, acw_sigma=0.5, ring_s=(1.0, 5.0))
EMAIL = ChannelModel(talk_median_s=330, talk_sigma=0.7, acw_median_s=45, acw_sigma=0.5, ring_s=(1.0, 5.0))

CHANNEL_MODELS: dict[str, ChannelModel] = {
    "voice": VOICE,
    "video": VOICE,
    "counter": VOICE,
    "callback": VOICE,
    "chat": CHAT,
    "whatsapp": WHATSAPP,
    "social": WHATSAPP,
    "sms": WHATSAPP,
    "email": EMAIL,
    "letter": EMAIL,
    "task": EMAIL,
}

# Relative volume per weekday (0 = Monday): Monday is the busiest day, the weekend is quiet.
WEEKDAY_FACTOR = (1.3, 1.05, 1.0, 0.95, 0.9, 0.45, 0.25)

TRANSFER_TO_SECOND_LINE_SHARE = 0.08  # of answered 1st-line voice calls
TRANSFER_TALK_MEDIAN_S = 120  # 1st-line talk before the transfer
TRANSFER_PATIENCE_MEDIAN_S = 200  # a caller who already spoke to someone waits a little longer

CALLBACK_OFFER_AFTER_S = 60  # voice callers still waiting this long hear the callback offer
CALLBACK_ACCEPT_SHARE = 0.35
CALLBACK_PROMISE_S = 2 * 3600
CALLBACK_URGENT_S = 20 * 60  # a callback this close to its promise goes before waiting contacts
CALLBACK_CONFIRM_S = 8  # the confirmation message, after which the caller hangs up
CALLBACK_DIAL_S = (15.0, 40.0)
CALLBACK_REACHED_SHARE = 0.75  # customers who pick up; the others are tried again later
CALLBACK_RETRY_AFTER_S = 60 * 60
CALLBACK_ATTEMPTS = 3  # the third attempt always gets through (to the customer or their voicemail)

CUSTOMER_POPULATION = 80_000
REPEAT_CONTACT_SHARE = 0.18  # contacts from a customer who contacted the centre in the last few days
REPEAT_WINDOW_DAYS = 5
REPEAT_SAME_REASON_SHARE = 0.7
IDENTIFIED_SHARE = {"voice": 0.9, "chat": 0.75}  # other channels always carry the customer

REASONS: dict[str, list[tuple[str, int]]] = {
    "general": [
        ("factuur", 18),
        ("storing", 16),
        ("informatie", 15),
        ("bestelling", 14),
        ("betaling", 10),
        ("adreswijziging", 8),
        ("opzeggen", 7),
        ("klacht", 5),
        ("verhuizing", 4),
        ("contractwijziging", 3),
    ],
    "billing": [("factuur", 45), ("betaling", 30), ("betalingsregeling", 12), ("klacht", 8), ("opzeggen", 5)],
    "technical": [("storing", 55), ("installatie", 20), ("apparatuur", 15), ("klacht", 10)],
}
# A queue whose name contains one of these words gets that reason mix.
REASON_KEYWORDS = (("factu", "billing"), ("betal", "billing"), ("techn", "technical"), ("storing", "technical"))
DISPOSITIONS = [("opgelost", 78), ("vervolgactie", 14), ("niet opgelost", 5), ("doorverwezen", 3)]

# Shifts and pauses.
SHIFT_S = 8 * 3600
WORKS_ON_WEEKDAY = 0.88  # days off, part-time, sick leave
WORKS_ON_SATURDAY = 0.4
LATE_SHIFT_SHARE = 0.3  # of agents on synchronous queues open long enough to need an evening shift
DAY_SHIFT_OFFSETS_MIN = (0, 15, 30, 45, 60, 75, 90, 105, 120, 135)  # after opening minus 15 min: 07:45–10:00
DAY_SHIFT_WEIGHTS = (6, 6, 5, 3, 2, 2, 1, 1, 1, 1)  # most start early: the morning peak needs them
DEFAULT_OFFICE_HOURS = (8 * 3600, 18 * 3600)  # shifts of agents who add a 24/7 queue to daytime ones
# The rota of agents who only work queues open around the clock: (name, start, end) in seconds of the
# day the shift starts (the night shift ends the next morning), and the share of them on nights and,
# of the others, on late shifts (nights are quiet, the morning peak needs the most hands).
ROTA_SHIFTS = (("early", 7 * 3600, 15 * 3600), ("late", 15 * 3600, 23 * 3600), ("night", 23 * 3600, 31 * 3600))
ROTA_NIGHT_SHARE = 0.25
ROTA_LATE_SHARE = 0.4
# A rota staffs the quiet night as much as the busy morning, with a few agents per shift (who need more
# slack, Erlang's economy of scale): a synchronous queue open around the clock gets this share of the
# volume its agents could handle on day shifts.
ROTA_VOLUME_SHARE = 0.65
# Colleagues on the same rota shift take their breaks and lunch this far apart (alternately later and
# earlier), so a small shift never goes on lunch all at once and leaves the line unstaffed.
ROTA_PAUSE_STAGGER_S = 40 * 60
# (reason, chance per shift, duration range in minutes) of pauses at a random moment of the shift.
OCCASIONAL_PAUSES = (("overleg", 0.12, (25, 35)), ("coaching", 0.10, (20, 45)), ("storing", 0.07, (5, 20)))

# The schedule the simulator plans (``Simulator.take_schedule``): the shift, and on top of it each pause
# that a planner schedules, under the activity code a schedule import would use. A technical problem
# ("storing") is not planned: it is a deviation. Planned times are on the planner's 5-minute grid.
SCHEDULED_PAUSES = {"pauze": "break", "lunch": "lunch", "overleg": "meeting", "coaching": "training"}
SCHEDULE_GRID_S = 5 * 60
# How agents deviate from the plan (drawn from a generator of their own, so the plan itself stays what
# the seed gives): the moment they log in against the shift's start — (share, low, high) in seconds,
# negative is early — and now and then a break that runs long.
LOGIN_DEVIATION = ((0.55, 0, 60), (0.25, -300, -60), (0.15, 120, 480), (0.05, 600, 1500))
LONG_BREAK_SHARE = 0.08
LONG_BREAK_EXTRA_S = (300, 900)

# Contacts an agent handles per working day on one queue is derived from the mean handle time and this
# share of the shift spent handling contacts (it leaves room for peaks, pauses and idle time).
SYNC_OCCUPANCY = 0.72  # minus SYNC_SMALL_GROUP_PENALTY / sqrt(agents skilled on the queue)
SYNC_SMALL_GROUP_PENALTY = 0.5
ASYNC_OCCUPANCY = 0.8  # a backlog can wait: agents stay busy
PRODUCTIVE_S = 6.8 * 3600


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-0.5 * ((hour - centre) / width) ** 2)


def intraday_profile(hour: float, synchronous: bool) -> float:
    """Relative arrival rate at a local hour of the day (0–24).

    Synchronous channels: a morning peak around 10:00, a broad afternoon at about half of it (as in
    Dutch public-service and utility centres), a low evening. Asynchronous channels: a low night, a broad day and a bump in the evening, when people
    write from home.
    """
    if synchronous:
        return 0.2 + _bump(hour, 10.0, 1.6) + 0.7 * _bump(hour, 14.5, 2.0) + 0.1 * _bump(hour, 19.0, 1.5)
    return 0.05 + 0.7 * _bump(hour, 10.5, 2.2) + 0.45 * _bump(hour, 15.0, 2.0) + 0.35 * _bump(hour, 20.5, 1.6)


def _profile_reference(synchronous: bool, around_the_clock: bool = False) -> float:
    """The profile summed over the 15-minute slots of a reference day (08:00–20:00, or the whole day for
    asynchronous channels and for a synchronous queue open around the clock): a queue's daily volume is
    spread over its open slots in proportion to the profile."""
    lo, hi = (32, 80) if synchronous and not around_the_clock else (0, 96)
    return sum(intraday_profile((i + 0.5) / 4, synchronous) for i in range(lo, hi))


# (synchronous, open around the clock) -> reference
_PROFILE_REFERENCE = {
    (sync, always): _profile_reference(sync, always) for sync in (True, False) for always in (True, False)
}


# --- internal state ------------------------------------------------------------------------------

WAITING, RINGING, TALKING, DONE, CALLBACK = range(5)

# Calendar entry kinds.
(
    K_DAY,
    K_ARRIVAL,
    K_ARRIVAL_PROBE,
    K_ABANDON,
    K_OVERFLOW,
    K_CALLBACK_OFFER,
    K_ANSWER,
    K_TALK_END,
    K_TRANSFER_OUT,
    K_WRAPUP_END,
    K_AGENT_ACW_END,
    K_CALLBACK_QUEUED,
    K_CALLBACK_DUE,
    K_CALLBACK_CONNECTED,
    K_CALLBACK_NO_ANSWER,
    K_SHIFT_START,
    K_SHIFT_END,
    K_PAUSE_DUE,
    K_PAUSE_END,
) = range(19)


class _Queue:
    __slots__ = (
        "spec",
        "index",
        "name",
        "is_callback",
        "channel",
        "line",
        "synchronous",
        "model",
        "rank",
        "overflow",
        "overflow_after_ms",
        "volume",
        "reasons",
        "waiting",
        "callbacks",
        "agents",
        "slots",
    )

    def __init__(self, spec: QueueSpec, index: int):
        self.spec = spec
        self.index = index
        self.name = spec.name
        self.is_callback = spec.channel == "callback"  # holds the callbacks promised to callers
        self.channel = spec.channel
        self.line = spec.line
        self.synchronous = spec.synchronous
        if spec.channel == "voice" and spec.line in ("second", "third"):
            self.model = VOICE_SECOND_LINE
        else:
            self.model = CHANNEL_MODELS.get(spec.channel, EMAIL if not spec.synchronous else VOICE)
        # Order in which a free agent takes work (lower first), see the module docstring.
        self.rank = 1 if self.synchronous else (3 if spec.channel in FAST_ASYNCHRONOUS_CHANNELS else 4)
        self.overflow: _Queue | None = None
        self.overflow_after_ms = (spec.overflow_after_s or 0) * SECOND
        self.volume = 0.0
        lowered = spec.name.lower()
        mix = next((m for word, m in REASON_KEYWORDS if word in lowered), "general")
        self.reasons = (tuple(r for r, _ in REASONS[mix]), tuple(w for _, w in REASONS[mix]))
        self.waiting: deque[tuple[int, _Contact]] = deque()  # (visit, contact); stale entries are skipped
        self.callbacks: list[_Contact] = []  # of a callback queue: callbacks not yet made
        self.agents: list[_Agent] = []
        self.slots: dict[date, tuple[list[int], list[tuple[int, int, float]]]] = {}


class _Contact:
    __slots__ = (
        "id",
        "queue",
        "state",
        "visit",
        "enqueued",
        "abandon_at",
        "agent",
        "promised_by",
        "requested",
        "attempts",
    )

    def __init__(self, contact_id: str):
        self.id = contact_id
        self.queue: _Queue | None = None
        self.state = WAITING
        self.visit = 0
        self.enqueued = 0
        self.abandon_at: int | None = None
        self.agent: _Agent | None = None
        self.promised_by = 0
        self.requested = 0
        self.attempts = 0


class _Agent:
    __slots__ = (
        "spec",
        "order",
        "login",
        "line",
        "skills",
        "has_sync",
        "state",
        "shown",
        "idle_since",
        "shift_no",
        "shift_over",
        "pauses",
        "rota",
        "rota_stagger",
    )

    def __init__(self, spec: AgentSpec, order: int, skills: list[_Queue]):
        self.spec = spec
        self.order = order
        self.login = spec.login_id
        self.line = spec.line
        self.skills = skills
        self.has_sync = any(q.synchronous for q in skills)
        # Internal state: the published states plus "reserved" (a contact is ringing; shown as available).
        self.state = "logged_out"
        self.shown: tuple[str, str | None] = ("logged_out", None)
        self.idle_since = 0
        self.shift_no = 0
        self.shift_over = True
        self.pauses: list[tuple[int, str, int]] = []  # (due, reason, duration), earliest first
        self.rota: tuple[str, int, int] | None = None  # the 24/7 rota's shift this agent keeps (ROTA_SHIFTS)
        self.rota_stagger = 0  # how far (ms) this agent's pauses are moved from its shift's usual times


def _lognormal_ms(rng: random.Random, median_s: float, sigma: float) -> int:
    return max(SECOND, int(rng.lognormvariate(math.log(median_s), sigma) * SECOND))


# --- the simulator -------------------------------------------------------------------------------


class Simulator:
    """Runs a centre forward in time; call :meth:`run_until` repeatedly for real-time operation.

    ``volume_scale`` multiplies every queue's derived volume (1.0 is a normally loaded centre; 1.3 an
    understaffed Monday). ``campaigns`` (:class:`Campaign`) raise or lower the arrival rate of some queues
    from a moment on, unannounced.
    """

    def __init__(
        self,
        spec: CentreSpec,
        seed: int,
        start: datetime,
        *,
        volume_scale: float = 1.0,
        campaigns: tuple[Campaign, ...] | list[Campaign] = (),
    ):
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        self.spec = spec
        self.seed = seed
        self.tz: tzinfo = spec.tz  # a tzinfo after CentreSpec.__post_init__
        self.start = start
        self.volume_scale = volume_scale
        unknown = {n for c in campaigns for n in c.queues} - {q.name for q in spec.queues}
        if unknown:
            raise ValueError(f"campaign for unknown queue(s): {', '.join(sorted(unknown))}")
        self.campaigns = tuple(campaigns)
        self.rng = random.Random(seed)
        self._deviation_rng = random.Random(f"{seed}-deviations")
        self._planned: list[tuple[date, frozenset[str], list[tuple[str, int, int, str]], bool]] = []
        self.now = _to_ms(start)
        start_utc = start.astimezone(UTC)
        # ids name the seed and start, so runs from other starts never collide in the event log
        self._id_prefix = f"{seed}-{start_utc:%Y%m%d%H%M%S}" + (f".{start_utc:%f}" if start_utc.microsecond else "")
        self._events = 0
        self._contacts = 0
        self._seq = 0
        self._heap: list[tuple[int, int, int, object, object]] = []
        self._out: list[dict] = []
        self._iso_cache: tuple[int, str] = (-1, "")
        self._recent: deque[tuple[int, str, str]] = deque()  # (offered, customer_ref, reason)

        self._queues = [_Queue(q, i) for i, q in enumerate(spec.queues)]
        by_name = {q.name: q for q in self._queues}
        for q in self._queues:
            if q.spec.overflow_queue and q.overflow_after_ms > 0:
                q.overflow = by_name[q.spec.overflow_queue]
        self._agents = [_Agent(a, i, [by_name[s] for s in dict.fromkeys(a.skills)]) for i, a in enumerate(spec.agents)]
        for agent in self._agents:
            for q in agent.skills:
                q.agents.append(agent)
        self._callback_queues = [q for q in self._queues if q.is_callback]
        self._assign_rota()
        self._carry_over = True  # the first day also starts the night shift of the evening before
        self._second_line_voice = [
            q for q in self._queues if q.channel == "voice" and q.line in ("second", "third") and q.agents
        ]
        self._derive_volumes()

        self._handlers: dict[int, Callable[[object, object], None]] = {
            K_DAY: self._on_day,
            K_ARRIVAL: self._on_arrival,
            K_ARRIVAL_PROBE: self._on_arrival_probe,
            K_ABANDON: self._on_abandon,
            K_OVERFLOW: self._on_overflow,
            K_CALLBACK_OFFER: self._on_callback_offer,
            K_ANSWER: self._on_answer,
            K_TALK_END: self._on_talk_end,
            K_TRANSFER_OUT: self._on_transfer_out,
            K_WRAPUP_END: self._on_wrapup_end,
            K_AGENT_ACW_END: self._on_agent_acw_end,
            K_CALLBACK_QUEUED: self._on_callback_queued,
            K_CALLBACK_DUE: self._on_callback_due,
            K_CALLBACK_CONNECTED: self._on_callback_connected,
            K_CALLBACK_NO_ANSWER: self._on_callback_no_answer,
            K_SHIFT_START: self._on_shift_start,
            K_SHIFT_END: self._on_shift_end,
            K_PAUSE_DUE: self._on_pause_due,
            K_PAUSE_END: self._on_pause_end,
        }
        self._schedule(self.now, K_DAY, self._local_date(self.now), None)
        for q in self._queues:
            if q.volume > 0:
                self._schedule_next_arrival(q, self.now)

    # -- public -----------------------------------------------------------------------------------

    def run_until(self, until: datetime) -> list[dict]:
        """Advance the simulation and return the events with ``at < until``, in time order.

        Calling it again with a later time continues where the previous call stopped; an earlier time
        returns nothing.
        """
        limit = _to_ms(until, ceil=True)  # an event at 10.000 s is before 10.0004 s
        out = self._out = []
        heap = self._heap
        handlers = self._handlers
        while heap and heap[0][0] < limit:
            t, _, kind, a, b = heapq.heappop(heap)
            self.now = t
            handlers[kind](a, b)
        self._out = []
        return out

    def take_schedule(self) -> list[tuple[date, frozenset[str], list[tuple[str, datetime, datetime, str]]]]:
        """The schedule planned since the last call, per local day as planned: ``(day, agents, entries)``
        — the login ids whose schedule of that day it is (every agent when the whole day was planned; the
        night shift alone for the evening before the start), and ``(login, start, end, activity)`` entries,
        shifts and the pauses on top of them. The agents keep roughly to
        it: see ``LOGIN_DEVIATION`` and ``LONG_BREAK_SHARE``. A day's plan starts at the simulation's start
        (a shift under way then is planned from that moment, when its agent logs in); the night shift of
        the evening before is planned whole, on its own day."""
        out = []
        for day, agents, entries, clip in self._planned:
            floor = self.start if clip else datetime.fromtimestamp(0, UTC)
            rows = []
            for login, lo, hi, activity in entries:
                start = max(datetime.fromtimestamp(lo / SECOND, UTC), floor)
                end = datetime.fromtimestamp(hi / SECOND, UTC)
                if end > start:
                    rows.append((login, start, end, activity))
            out.append((day, agents, rows))
        self._planned = []
        return out

    @property
    def volumes(self) -> dict[str, float]:
        """Contacts offered per queue on an average weekday (before the weekday factor)."""
        return {q.name: q.volume for q in self._queues}

    # -- calendar and output ----------------------------------------------------------------------

    def _schedule(self, t: int, kind: int, a: object = None, b: object = None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, a, b))

    def _iso(self, t: int) -> str:
        cached_t, text = self._iso_cache
        if cached_t != t:
            text = datetime.fromtimestamp(t / SECOND, self.tz).isoformat(timespec="milliseconds")
            self._iso_cache = (t, text)
        return text

    def _emit(self, type_: str, **fields) -> None:
        self._events += 1
        event = {"id": f"sim{self._id_prefix}-{self._events}", "type": type_, "at": self._iso(self.now)}
        event.update(fields)
        self._out.append(event)

    def _set_agent_state(self, agent: _Agent, state: str, reason: str | None = None) -> None:
        """Change an agent's state, publishing it when the outside world sees a change."""
        agent.state = state
        shown = ("available" if state == "reserved" else state, reason)
        if shown != agent.shown:
            agent.shown = shown
            if reason:
                self._emit("agent.state", agent=agent.login, state=shown[0], reason=reason)
            else:
                self._emit("agent.state", agent=agent.login, state=shown[0])

    # -- local time -------------------------------------------------------------------------------

    def _local_date(self, t: int) -> date:
        return datetime.fromtimestamp(t / SECOND, self.tz).date()

    def _local_ms(self, day: date, seconds: float) -> int:
        """The instant of a wall-clock time on a local date (``seconds`` may be 86400: next midnight)."""
        if seconds >= 86400:  # the next day (a night shift ends the next morning)
            return self._local_ms(day + timedelta(days=1), seconds - 86400)
        whole = int(seconds)
        wall = time(whole // 3600, whole // 60 % 60, whole % 60)
        return _to_ms(datetime.combine(day, wall, self.tz)) + int((seconds - whole) * SECOND)

    @staticmethod
    def _hours(q: _Queue, day: date) -> list[tuple[float, float]] | None:
        """A queue's opening hours on a date in seconds of the day; None when it is open all day."""
        if day in q.spec.closed_dates:
            return []
        if not q.spec.opening_hours:
            return None
        return [
            (_seconds(o), _seconds(c) if c != time(0) else 86400.0)
            for o, c in q.spec.opening_hours.get(day.weekday(), [])
        ]

    def _is_open(self, q: _Queue, t: int) -> bool:
        local = datetime.fromtimestamp(t / SECOND, self.tz)
        hours = self._hours(q, local.date())
        if hours is None:
            return True
        s = local.hour * 3600 + local.minute * 60 + local.second
        return any(o <= s < c for o, c in hours)

    # -- volume and arrivals ----------------------------------------------------------------------

    def _derive_volumes(self) -> None:
        """Give each queue the volume its agents can plausibly handle on an average weekday.

        Each agent's working time is split over its skills: its own line's queues count fully, other
        lines' queues (overflow help) a quarter, and asynchronous queues a third when the agent also
        takes synchronous contacts (those go first). A 2nd-line voice queue's direct volume leaves room
        for the calls the 1st line transfers to it. Callback queues get no arrivals of their own.
        """
        capacity = {q.index: 0.0 for q in self._queues}
        for agent in self._agents:
            weights = []
            skills = [q for q in agent.skills if not q.is_callback]
            for q in skills:
                w = 1.0 if q.line == agent.line else 0.25
                if agent.has_sync and not q.synchronous:
                    w /= 3
                weights.append(w)
            total = sum(weights)
            for q, w in zip(skills, weights, strict=True):
                capacity[q.index] += w / total * WORKS_ON_WEEKDAY
        for q in self._queues:
            if q.synchronous:
                # Erlang's economy of scale: a small group must idle more to answer as fast as a big one.
                occupancy = max(0.3, SYNC_OCCUPANCY - SYNC_SMALL_GROUP_PENALTY / math.sqrt(max(1, len(q.agents))))
            else:
                occupancy = ASYNC_OCCUPANCY
            q.volume = capacity[q.index] * PRODUCTIVE_S * occupancy / q.model.mean_handle_s
        first_line_voice = sum(q.volume for q in self._queues if q.channel == "voice" and q.line == "first")
        for q in self._second_line_voice:
            transferred_in = TRANSFER_TO_SECOND_LINE_SHARE * first_line_voice / len(self._second_line_voice)
            # a transferred call costs the 2nd line a whole call; keep at least a fifth as direct calls
            q.volume = max(q.volume * 0.2, q.volume - transferred_in)
        for q in self._queues:
            if q.synchronous and not q.spec.opening_hours:
                q.volume *= ROTA_VOLUME_SHARE
            if q.spec.volume_per_day is not None:
                q.volume = float(q.spec.volume_per_day)
            q.volume = 0.0 if q.is_callback else q.volume * self.volume_scale

    def _slots(self, q: _Queue, day: date) -> tuple[list[int], list[tuple[int, int, float]]]:
        """Piecewise-constant arrival rates (per millisecond) of a queue over a local day.

        Breakpoints are every 15 minutes plus the opening and closing times, so a rate never spills
        over a closing time; instants are forced monotonic so that DST days stay gap-free.
        """
        cached = q.slots.get(day)
        if cached is not None:
            return cached
        hours = self._hours(q, day) if q.synchronous else None
        points = set(range(0, 86400 + 1, 900))
        if hours:
            points.update(p for span in hours for p in span)
        campaigns = [
            (c, _to_ms(c.start), _to_ms(c.end) if c.end else None) for c in self.campaigns if c.applies_to(q.name)
        ]
        for c in campaigns:  # a campaign starting or ending mid-slot splits it
            for moment in (c[0].start, c[0].end):
                if moment is not None and moment.astimezone(self.tz).date() == day:
                    local = moment.astimezone(self.tz)
                    points.add(local.hour * 3600 + local.minute * 60 + local.second)
        ordered = sorted(points)
        reference = _PROFILE_REFERENCE[(q.synchronous, not q.spec.opening_hours)]
        per_slot = q.volume * WEEKDAY_FACTOR[day.weekday()] / reference
        starts: list[int] = []
        slots: list[tuple[int, int, float]] = []
        previous = self._local_ms(day, 0)
        for lo, hi in zip(ordered, ordered[1:], strict=False):
            end = max(previous, self._local_ms(day, hi))
            mid = (lo + hi) / 2
            is_open = hours is None or any(o <= mid < c for o, c in hours)
            rate = per_slot * intraday_profile(mid / 3600, q.synchronous) / (15 * MINUTE) if is_open else 0.0
            if campaigns and rate:
                at = (previous + end) // 2
                for _c, lo_ms, hi_ms in campaigns:
                    if lo_ms <= at and (hi_ms is None or at < hi_ms):
                        rate *= _c.factor
            starts.append(previous)
            slots.append((previous, end, rate))
            previous = end
        if len(q.slots) > 3:  # only the days around the clock are needed
            q.slots.pop(min(q.slots))
        q.slots[day] = (starts, slots)
        return starts, slots

    def _schedule_next_arrival(self, q: _Queue, t: int) -> None:
        """Draw the next Poisson arrival after ``t`` (exponential gaps within each constant-rate slot;
        memorylessness lets a gap that crosses a slot boundary restart at the boundary)."""
        horizon = t + 8 * 24 * HOUR
        expovariate = self.rng.expovariate
        while t < horizon:
            starts, slots = self._slots(q, self._local_date(t))
            i = bisect_right(starts, t) - 1
            while i < len(slots):
                _, end, rate = slots[i]
                if end > t and rate > 0:
                    candidate = t + expovariate(rate)
                    if candidate < end:
                        self._schedule(int(candidate), K_ARRIVAL, q)
                        return
                t = max(t, end)
                i += 1
        # Closed for more than a week (holidays): look again later instead of searching forever.
        self._schedule(t, K_ARRIVAL_PROBE, q)

    def _on_arrival_probe(self, q: _Queue, _unused) -> None:
        self._schedule_next_arrival(q, self.now)

    def _customer(self, q: _Queue) -> tuple[str | None, str]:
        """A customer reference (None: caller not identified) and a contact reason."""
        rng = self.rng
        cutoff = self.now - REPEAT_WINDOW_DAYS * 24 * HOUR
        recent = self._recent
        while recent and recent[0][0] < cutoff:
            recent.popleft()
        reason = rng.choices(q.reasons[0], q.reasons[1])[0]
        if recent and rng.random() < REPEAT_CONTACT_SHARE:
            _, customer_ref, previous_reason = recent[rng.randrange(len(recent))]
            if rng.random() < REPEAT_SAME_REASON_SHARE:
                reason = previous_reason
        elif rng.random() < IDENTIFIED_SHARE.get(q.channel, 1.0):
            customer_ref = f"K{rng.randrange(CUSTOMER_POPULATION):07d}"
        else:
            return None, reason
        recent.append((self.now, customer_ref, reason))
        return customer_ref, reason

    def _on_arrival(self, q: _Queue, _unused) -> None:
        self._schedule_next_arrival(q, self.now)
        self._contacts += 1
        contact = _Contact(f"C{self._id_prefix}-{self._contacts}")
        customer_ref, reason = self._customer(q)
        fields = {"contact_id": contact.id, "queue": q.name, "channel": q.channel}
        if customer_ref:
            fields["customer_ref"] = customer_ref
        fields["reason"] = reason
        self._emit("contact.offered", **fields)
        model = q.model
        if model.patience_median_s is not None:
            if self.rng.random() < model.short_abandon_share:
                patience = int(self.rng.uniform(0.5, 4.9) * SECOND)
            else:
                patience = _lognormal_ms(self.rng, model.patience_median_s, model.patience_sigma)
            contact.abandon_at = self.now + patience
        self._enqueue(contact, q)

    # -- queueing and routing ---------------------------------------------------------------------

    def _enqueue(self, contact: _Contact, q: _Queue) -> None:
        """Put a contact in a queue's waiting line, set its timers and route it if an agent is free."""
        contact.queue = q
        contact.visit += 1
        contact.enqueued = self.now
        contact.state = WAITING
        visit = contact.visit
        q.waiting.append((visit, contact))
        if contact.abandon_at is not None:
            self._schedule(max(self.now, contact.abandon_at), K_ABANDON, contact, visit)
        if q.overflow is not None:
            at = self.now + q.overflow_after_ms
            if contact.abandon_at is None or at < contact.abandon_at:
                self._schedule(at, K_OVERFLOW, contact, visit)
        if q.channel == "voice":
            at = self.now + CALLBACK_OFFER_AFTER_S * SECOND
            if contact.abandon_at is None or at < contact.abandon_at:
                self._schedule(at, K_CALLBACK_OFFER, contact, visit)
        agent = self._longest_idle(q)
        if agent is not None:
            self._route(agent, contact)

    @staticmethod
    def _longest_idle(q: _Queue) -> _Agent | None:
        """The available agent idle longest, preferring agents of the queue's own line: agents of
        another line (a 2nd-line agent skilled on a 1st-line queue for overflow) are reserves."""
        best = None
        best_key = None
        for agent in q.agents:
            if agent.state == "available":
                key = (agent.line != q.line, agent.idle_since)
                if best_key is None or key < best_key:
                    best, best_key = agent, key
        return best

    def _route(self, agent: _Agent, contact: _Contact) -> None:
        """Offer a waiting contact to an agent: it rings (or the message opens) and is answered shortly."""
        contact.state = RINGING
        contact.agent = agent
        self._set_agent_state(agent, "reserved")
        low, high = contact.queue.model.ring_s
        self._schedule(self.now + int(self.rng.uniform(low, high) * SECOND), K_ANSWER, contact, agent)

    def _next_work(self, agent: _Agent) -> tuple[str, _Contact] | None:
        """The work a free agent takes next (see the routing order in the module docstring)."""
        best_key = None
        best = None
        urgent_before = self.now + CALLBACK_URGENT_S * SECOND
        for q in agent.skills:
            mismatch = 0 if q.line == agent.line else 1
            waiting = q.waiting
            while waiting and (waiting[0][1].visit != waiting[0][0] or waiting[0][1].state != WAITING):
                waiting.popleft()
            if waiting:
                contact = waiting[0][1]
                key = (q.rank, mismatch, contact.enqueued)
                if best_key is None or key < best_key:
                    best_key, best = key, ("contact", contact)
            for callback in q.callbacks:  # a handful at most: scanning beats keeping them ordered
                if callback.promised_by <= urgent_before:
                    key = (0, 0, callback.promised_by)
                else:
                    key = (2, mismatch, callback.requested)
                if best_key is None or key < best_key:
                    best_key, best = key, ("callback", callback)
        return best

    def _agent_free(self, agent: _Agent) -> None:
        """An agent finished something: log out after the shift, take a due pause, or take new work."""
        if agent.shift_over:
            agent.pauses.clear()
            self._set_agent_state(agent, "logged_out")
            return
        if agent.pauses and agent.pauses[0][0] <= self.now:
            _, reason, duration = agent.pauses.pop(0)
            self._set_agent_state(agent, "paused", reason)
            self._schedule(self.now + duration, K_PAUSE_END, agent, agent.shift_no)
            return
        if agent.shown[0] != "available":
            agent.idle_since = self.now
        self._set_agent_state(agent, "available")
        work = self._next_work(agent)
        if work is None:
            return
        kind, contact = work
        if kind == "contact":
            self._route(agent, contact)
        else:
            self._start_callback(agent, contact)

    # -- contact life -----------------------------------------------------------------------------

    def _on_abandon(self, contact: _Contact, visit: int) -> None:
        if contact.visit != visit or contact.state not in (WAITING, RINGING):
            return
        ringing_agent = contact.agent if contact.state == RINGING else None
        contact.state = DONE
        contact.agent = None
        self._emit("contact.abandoned", contact_id=contact.id)
        if ringing_agent is not None:
            self._agent_free(ringing_agent)

    def _on_overflow(self, contact: _Contact, visit: int) -> None:
        if contact.visit != visit or contact.state != WAITING:
            return
        target = contact.queue.overflow
        if not self._is_open(target, self.now):
            return
        self._emit("contact.transferred", contact_id=contact.id, to_queue=target.name)
        self._enqueue(contact, target)

    def _on_callback_offer(self, contact: _Contact, visit: int) -> None:
        if contact.visit != visit or contact.state != WAITING:
            return
        callback_queue = self._callback_queue_for(contact.queue)
        # No promise to call back while nobody works the callbacks (a 24/7 line at night).
        if callback_queue is None or not self._is_open(callback_queue, self.now):
            return
        if self.rng.random() >= CALLBACK_ACCEPT_SHARE:
            return
        contact.state = CALLBACK
        contact.requested = self.now
        contact.promised_by = self.now + CALLBACK_PROMISE_S * SECOND
        self._emit("callback.requested", contact_id=contact.id, promised_by=self._iso(contact.promised_by))
        self._schedule(self.now + CALLBACK_CONFIRM_S * SECOND, K_CALLBACK_QUEUED, contact, callback_queue)

    def _callback_queue_for(self, q: _Queue) -> _Queue | None:
        """The callback queue of the queue's own team, else one of its line; None: no callback offered
        (a 2nd-line caller is not called back by the 1st line)."""
        same_team = (c for c in self._callback_queues if c.spec.team == q.spec.team)
        same_line = (c for c in self._callback_queues if c.line == q.line)
        return next(same_team, None) or next(same_line, None)

    def _on_callback_queued(self, contact: _Contact, callback_queue: _Queue) -> None:
        """After the confirmation message the caller hangs up and the callback joins the callback queue."""
        self._emit("contact.transferred", contact_id=contact.id, to_queue=callback_queue.name)
        contact.queue = callback_queue
        contact.visit += 1
        contact.enqueued = self.now
        self._on_callback_due(contact, None)

    def _on_callback_due(self, contact: _Contact, _unused) -> None:
        """A callback (new, or to be tried again) waits in its callback queue for an agent."""
        q = contact.queue
        q.callbacks.append(contact)
        agent = self._longest_idle(q)
        if agent is not None:
            self._start_callback(agent, contact)

    def _start_callback(self, agent: _Agent, contact: _Contact) -> None:
        """The agent dials the customer (on a contact, reason "terugbellen")."""
        contact.queue.callbacks.remove(contact)
        contact.agent = agent
        contact.attempts += 1
        self._set_agent_state(agent, "on_contact", "terugbellen")
        reached = self.rng.random() < CALLBACK_REACHED_SHARE or contact.attempts >= CALLBACK_ATTEMPTS
        dial = int(self.rng.uniform(*CALLBACK_DIAL_S) * SECOND)
        self._schedule(self.now + dial, K_CALLBACK_CONNECTED if reached else K_CALLBACK_NO_ANSWER, contact, agent)

    def _on_callback_connected(self, contact: _Contact, agent: _Agent) -> None:
        """The customer picks up: the callback is answered and the promise kept (or late); the rest of
        the conversation is that of any call."""
        contact.state = TALKING
        self._emit("contact.answered", contact_id=contact.id, agent=agent.login)
        self._emit("callback.completed", contact_id=contact.id)
        model = contact.queue.model
        talk = _lognormal_ms(self.rng, model.talk_median_s, model.talk_sigma)
        hold = _lognormal_ms(self.rng, model.hold_median_s, 0.7) if self.rng.random() < model.hold_share else 0
        self._schedule(self.now + talk + hold, K_TALK_END, contact, (agent, talk, hold))

    def _on_callback_no_answer(self, contact: _Contact, agent: _Agent) -> None:
        """Nobody picks up: a short wrap-up, and the callback is tried again later."""
        contact.agent = None
        self._set_agent_state(agent, "acw")
        self._schedule(self.now + _lognormal_ms(self.rng, 10, 0.4), K_AGENT_ACW_END, agent)
        self._schedule(self.now + CALLBACK_RETRY_AFTER_S * SECOND, K_CALLBACK_DUE, contact)

    def _on_answer(self, contact: _Contact, agent: _Agent) -> None:
        if contact.state != RINGING or contact.agent is not agent:
            return  # the customer left while it rang
        contact.state = TALKING
        q = contact.queue
        self._emit("contact.answered", contact_id=contact.id, agent=agent.login)
        self._set_agent_state(agent, "on_contact")
        rng = self.rng
        if (
            q.channel == "voice"
            and q.line == "first"
            and self._second_line_voice
            and rng.random() < TRANSFER_TO_SECOND_LINE_SHARE
        ):
            target = self._second_line_voice[rng.randrange(len(self._second_line_voice))]
            if self._is_open(target, self.now):
                talk = _lognormal_ms(rng, TRANSFER_TALK_MEDIAN_S, 0.5)
                self._schedule(self.now + talk, K_TRANSFER_OUT, contact, (agent, target))
                return
        model = q.model
        talk = _lognormal_ms(rng, model.talk_median_s, model.talk_sigma)
        hold = _lognormal_ms(rng, model.hold_median_s, 0.7) if rng.random() < model.hold_share else 0
        self._schedule(self.now + talk + hold, K_TALK_END, contact, (agent, talk, hold))

    def _on_transfer_out(self, contact: _Contact, payload: tuple[_Agent, _Queue]) -> None:
        """A 1st-line agent transfers the caller to the 2nd line; the caller waits there again."""
        agent, target = payload
        self._emit("contact.transferred", contact_id=contact.id, to_queue=target.name)
        self._set_agent_state(agent, "acw")
        self._schedule(self.now + _lognormal_ms(self.rng, 15, 0.5), K_AGENT_ACW_END, agent)
        contact.agent = None
        contact.abandon_at = self.now + _lognormal_ms(self.rng, TRANSFER_PATIENCE_MEDIAN_S, 0.8)
        self._enqueue(contact, target)

    def _on_talk_end(self, contact: _Contact, payload: tuple[_Agent, int, int]) -> None:
        agent, talk, hold = payload
        self._emit("contact.ended", contact_id=contact.id, talk_s=talk / SECOND, hold_s=hold / SECOND)
        self._set_agent_state(agent, "acw")
        model = contact.queue.model
        acw = _lognormal_ms(self.rng, model.acw_median_s, model.acw_sigma)
        self._schedule(self.now + acw, K_WRAPUP_END, contact, agent)

    def _on_wrapup_end(self, contact: _Contact, agent: _Agent) -> None:
        contact.state = DONE
        disposition = self.rng.choices(*_DISPOSITION_CHOICES)[0]
        self._emit("contact.wrapup_ended", contact_id=contact.id, disposition=disposition)
        self._agent_free(agent)

    def _on_agent_acw_end(self, agent: _Agent, _unused) -> None:
        self._agent_free(agent)

    # -- shifts and pauses ------------------------------------------------------------------------

    def _assign_rota(self) -> None:
        """Give each agent whose queues are all open around the clock a shift of the rota (ROTA_SHIFTS),
        in login order: the early shifts first, then the late ones, then at least one night shift."""
        rota = [a for a in self._agents if a.skills and all(not q.spec.opening_hours for q in a.skills)]
        nights = max(1, round(len(rota) * ROTA_NIGHT_SHARE))
        lates = round((len(rota) - nights) * ROTA_LATE_SHARE)
        earlies = len(rota) - nights - lates
        colleagues: dict[str, int] = {}
        for i, agent in enumerate(sorted(rota, key=lambda a: a.login)):
            agent.rota = ROTA_SHIFTS[0 if i < earlies else (1 if i < earlies + lates else 2)]
            k = colleagues[agent.rota[0]] = colleagues.get(agent.rota[0], -1) + 1
            # 0, +1, -1, +2, -2, ... times the stagger
            agent.rota_stagger = (k + 1) // 2 * (1 if k % 2 else -1) * ROTA_PAUSE_STAGGER_S * SECOND

    def _on_day(self, day: date, _unused) -> None:
        """Plan the agents' shifts of a local day and wake up again at the next local midnight."""
        if self._carry_over:
            self._carry_over = False
            self._plan_shifts(day - timedelta(days=1), overnight_only=True)
        self._plan_shifts(day)
        self._schedule(self._local_ms(day, 86400), K_DAY, day + timedelta(days=1))

    def _shift_window(self, agent: _Agent, day: date) -> tuple[float, float] | None:
        """Earliest opening and latest closing (seconds of the day) of the agent's queues on a date."""
        opens, closes = [], []
        for q in agent.skills:
            hours = self._hours(q, day)
            if hours is None:
                if day.weekday() < 5:
                    opens.append(DEFAULT_OFFICE_HOURS[0])
                    closes.append(DEFAULT_OFFICE_HOURS[1])
            elif hours:
                opens.append(min(o for o, _ in hours))
                closes.append(max(c for _, c in hours))
        if not opens:
            return None
        return min(opens), max(closes)

    def _plan_shifts(self, day: date, *, overnight_only: bool = False) -> None:
        """Plan the shifts that start on a local day (``overnight_only``: only the rota's night shifts,
        which run on into the next day)."""
        rng = self.rng
        works = WORKS_ON_SATURDAY if day.weekday() >= 5 else WORKS_ON_WEEKDAY
        planned: list[tuple[str, int, int, str]] = []
        self._planned.append(
            (
                day,
                frozenset(a.login for a in self._agents if not overnight_only or (a.rota and a.rota[2] > 86400)),
                planned,
                not overnight_only,
            )
        )
        for agent in self._agents:
            if agent.rota is not None:
                self._plan_rota_shift(agent, day, overnight_only, planned)
                continue
            if overnight_only:
                continue
            window = self._shift_window(agent, day)
            if window is None or rng.random() >= works:
                continue
            opens, closes = window
            if agent.has_sync and closes - opens > SHIFT_S + 2 * 3600 and rng.random() < LATE_SHIFT_SHARE:
                end_s = closes + rng.choice((0, 5, 10)) * 60
                start_s = max(opens - 900, end_s - SHIFT_S)
            else:
                start_s = opens - 900 + rng.choices(DAY_SHIFT_OFFSETS_MIN, DAY_SHIFT_WEIGHTS)[0] * 60
                end_s = min(start_s + SHIFT_S, closes + 900)
            if end_s - start_s < 2 * 3600:
                continue
            start = self._local_ms(day, start_s)
            end = self._local_ms(day, end_s)
            pauses = self._plan_pauses(start, end)
            if end <= self.now:
                continue
            self._start_shift(agent, start, end, pauses, planned)

    def _start_shift(
        self, agent: _Agent, start: int, end: int, pauses: list[tuple[int, str, int]], planned: list
    ) -> None:
        """Plan a shift and its pauses into the schedule (``planned``), and let the agent keep to it
        roughly: log in a little early or late, and now and then take a break that runs long."""
        planned.append((agent.login, start, end, "shift"))
        grid = SCHEDULE_GRID_S * SECOND
        for due, reason, length in pauses:
            activity = SCHEDULED_PAUSES.get(reason)
            if activity:
                lo = round(due / grid) * grid
                planned.append((agent.login, lo, lo + max(grid, round(length / grid) * grid), activity))
        dev = self._deviation_rng
        pick, acc = dev.random(), 0.0
        login = 0
        for share, low, high in LOGIN_DEVIATION:
            acc += share
            if pick < acc:
                login = dev.randint(low, high) * SECOND
                break
        actual = [
            (
                due,
                reason,
                length + (dev.randint(*LONG_BREAK_EXTRA_S) * SECOND if dev.random() < LONG_BREAK_SHARE else 0),
            )
            if reason in ("pauze", "lunch")
            else (due, reason, length)
            for due, reason, length in pauses
        ]
        self._schedule(max(start + login, self.now), K_SHIFT_START, agent, (end, actual))

    def _plan_rota_shift(self, agent: _Agent, day: date, overnight_only: bool, planned: list) -> None:
        """An agent of the 24/7 rota on a local day: its own shift, every day of the week; nights are
        always covered, early and late shifts have days off as day shifts do."""
        name, start_s, end_s = agent.rota
        if overnight_only and end_s <= 86400:
            return
        if all(self._hours(q, day) == [] for q in agent.skills):  # closed that day (a holiday)
            return
        if name != "night" and self.rng.random() >= WORKS_ON_WEEKDAY:
            return
        start = self._local_ms(day, start_s)
        end = self._local_ms(day, end_s)
        stagger = agent.rota_stagger
        pauses = [(due + stagger, reason, length) for due, reason, length in self._plan_pauses(start, end)]
        pauses = [p for p in pauses if start < p[0] < end - p[2]]
        if end > self.now:
            self._start_shift(agent, start, end, pauses, planned)

    def _plan_pauses(self, start: int, end: int) -> list[tuple[int, str, int]]:
        """A break after about a third of the shift (after the morning peak for early starters), lunch just
        past half-way, a second break near the end, and now and then a meeting, coaching or a technical
        problem at a random moment."""
        rng = self.rng
        length = end - start
        pauses = [(start + int(length * 0.36) + rng.randint(-15, 15) * MINUTE, "pauze", rng.randint(13, 18) * MINUTE)]
        if length >= 5.5 * HOUR:
            pauses.append(
                (start + int(length * 0.55) + rng.randint(-20, 20) * MINUTE, "lunch", rng.randint(28, 35) * MINUTE)
            )
        if length >= 7 * HOUR:
            pauses.append(
                (start + int(length * 0.8) + rng.randint(-15, 15) * MINUTE, "pauze", rng.randint(13, 18) * MINUTE)
            )
        for reason, chance, (low, high) in OCCASIONAL_PAUSES:
            if rng.random() < chance and length > 3 * HOUR:
                due = rng.randint(start + HOUR, end - 2 * HOUR)
                pauses.append((due, reason, rng.randint(low, high) * MINUTE))
        pauses.sort()
        return pauses

    def _on_shift_start(self, agent: _Agent, shift: tuple[int, list[tuple[int, str, int]]]) -> None:
        end, pauses = shift
        agent.shift_no += 1
        agent.shift_over = False
        agent.pauses = [p for p in pauses if p[0] >= self.now]
        for due, _, _ in agent.pauses:
            self._schedule(due, K_PAUSE_DUE, agent, agent.shift_no)
        self._schedule(end, K_SHIFT_END, agent, agent.shift_no)
        if agent.state == "logged_out":
            self._agent_free(agent)

    def _on_shift_end(self, agent: _Agent, shift_no: int) -> None:
        if shift_no != agent.shift_no:
            return
        agent.shift_over = True
        if agent.state == "available":
            self._agent_free(agent)
        # otherwise the agent logs out when the current contact, wrap-up or pause is over

    def _on_pause_due(self, agent: _Agent, shift_no: int) -> None:
        if shift_no == agent.shift_no and agent.state == "available":
            self._agent_free(agent)  # takes the pause; a busy agent takes it once free

    def _on_pause_end(self, agent: _Agent, _shift_no: int) -> None:
        self._agent_free(agent)


_DISPOSITION_CHOICES = (tuple(d for d, _ in DISPOSITIONS), tuple(w for _, w in DISPOSITIONS))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECONDS_PER_MS = 1000


def _to_ms(moment: datetime, *, ceil: bool = False) -> int:
    """Milliseconds since the epoch, exactly (integer arithmetic, no float rounding)."""
    microseconds = (moment - _EPOCH) // timedelta(microseconds=1)
    if ceil:
        return -(-microseconds // _MICROSECONDS_PER_MS)
    return microseconds // _MICROSECONDS_PER_MS


def _seconds(moment: time) -> float:
    return moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6


def generate(spec: CentreSpec, seed: int, start: datetime, end: datetime, **options) -> list[dict]:
    """All events from ``start`` (inclusive) to ``end`` (exclusive) in time order; ``options`` go to
    :class:`Simulator` (e.g. ``volume_scale``)."""
    return Simulator(spec, seed, start, **options).run_until(end)
