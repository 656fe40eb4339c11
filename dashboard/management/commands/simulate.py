"""``manage.py simulate``: feed simulated ACD events into KCC Live, through the same ingest as the API.

The centre (queues, agents, skills, opening hours) is read from the database; with no queues configured
the demo centre is loaded first. The simulator is deterministic, so a run with ``--backfill-days`` starts
at a local midnight and regenerates exactly the events an earlier run from that midnight sent: the
ingest skips those as duplicates and a restarted simulator picks up where the last one stopped.

At 1× real time from now or after a backfill, the live phase runs at the wall clock: its first round
generates the time the backfill took (its events carry the moments they happened), and from then on
every event is sent within a tick of its time. (Running on from where the backfill stopped would keep the
simulated clock behind the real one by the backfill's length for good: no waiting call would ever look
younger than that on the wallboard.)
"""

from __future__ import annotations

import signal
import time as clock
from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from dashboard.core.audit import audited_command
from dashboard.core.models import NewNames, Queue, Source
from dashboard.core.periods import day_bounds
from dashboard.ingest.schema import MAX_BATCH
from dashboard.ingest.services import events_ingest
from dashboard.intervals.services import intervals_update
from dashboard.simulator.demo import demo_config_load
from dashboard.simulator.engine import Campaign, Simulator
from dashboard.simulator.spec import centre_spec_from_db
from dashboard.wfm.models import ForecastInterval
from dashboard.wfm.services.forecast import MAX_WEEKS, forecast_build
from dashboard.wfm.services.schedule import PlannedEntry, schedule_replace

TICK_S = 0.5  # real-time mode: how often the simulated clock is advanced and its events sent
PROGRESS_EVERY_S = 3.0  # while backfilling (it ends)
LIVE_PROGRESS_EVERY_S = 60.0  # while running live (for ever: `make run`'s output stays readable)
BACKFILL_STEP = timedelta(hours=1)  # simulated time generated per step while catching up


class Command(BaseCommand):
    help = (
        "Simulate the contact centre configured in the database and send its events to the ingest: "
        "optionally catch up on past days first (--backfill-days), then run in real time (or --speed times "
        "faster) until stopped with Ctrl-C. It writes the agents' schedule (shift, breaks, lunch) as it plans "
        "their shifts, and the agents keep roughly to it; --campaign adds an unannounced campaign."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--speed", type=float, default=1.0, help="Simulated seconds per real second (default 1: real time)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed and start repeat a run.")
        parser.add_argument(
            "--backfill-days",
            type=int,
            default=None,
            metavar="N",
            help="First generate from local midnight N days ago (0: today) up to now, as fast as possible.",
        )
        parser.add_argument("--no-live", action="store_true", help="Stop after the backfill.")
        parser.add_argument(
            "--no-forecast",
            action="store_true",
            help="After a backfill of a week or more, do not build a forecast for the coming week from it "
            "(it is built only where no forecast of today exists).",
        )
        parser.add_argument(
            "--duration", type=float, default=None, metavar="SECONDS", help="Stop after this many real seconds live."
        )
        parser.add_argument("--source", default="simulator", help="Event source name (default 'simulator').")
        parser.add_argument(
            "--batch", type=int, default=1000, help=f"Most events per ingest call (default 1000, at most {MAX_BATCH})."
        )
        parser.add_argument(
            "--campaign",
            action="append",
            default=[],
            metavar="[DAY@]HH:MM-HH:MMxFACTOR[:QUEUE,...]",
            help="An unannounced campaign the forecast does not know: from HH:MM to HH:MM local time the "
            "arrival rate is multiplied by FACTOR, on every queue or on the named ones (comma-separated), "
            "on DAY (YYYY-MM-DD; default today, or the day of --start). E.g. --campaign 10:00-12:00x1.6 or "
            "--campaign 2026-12-02@10:00-12:00x1.6:Algemeen,Verkoop. May be given more than once.",
        )
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="Do not write the agents' schedule (by default each day's shifts, breaks and lunch are written "
            "as the simulator plans them, replacing that day's schedule of the simulated agents).",
        )
        parser.add_argument(
            "--start",
            default=None,
            metavar="ISO",
            help="Fixed simulated start (ISO 8601; without an offset it is local time) for reproducible runs. "
            "With --backfill-days it replaces the midnight the backfill starts from.",
        )

    @audited_command
    def handle(self, *args, **options):
        speed = options["speed"]
        batch = options["batch"]
        if speed <= 0:
            raise CommandError("--speed must be positive")
        if not 1 <= batch <= MAX_BATCH:
            raise CommandError(f"--batch must be between 1 and {MAX_BATCH}")
        if options["backfill_days"] is not None and options["backfill_days"] < 0:
            raise CommandError("--backfill-days must be 0 or more")

        if not Queue.objects.exists():
            summary = demo_config_load()
            self.stdout.write(f"No queues configured: loaded the demo centre ({_counts(summary)}).")
        spec = centre_spec_from_db()
        if not spec.agents:
            self.stderr.write(
                self.style.WARNING("No agents configured: volumes follow staffing, so no contacts will arrive.")
            )
        source = _source(options["source"])
        tz = spec.tz

        now = timezone.now().astimezone(tz)
        backfill = options["backfill_days"] is not None
        if options["start"]:
            start = _parse_start(options["start"], tz)
        elif backfill:
            day = now.date() - timedelta(days=options["backfill_days"])
            start = datetime.combine(day, time(0), tz)
        else:
            start = now.replace(microsecond=0)

        default_day = start.date() if options["start"] and not backfill else now.date()
        campaigns = [_parse_campaign(text, tz, default_day) for text in options["campaign"]]
        self._stopping = False
        self._install_signal_handlers()
        try:
            self.simulator = Simulator(spec, options["seed"], start, campaigns=campaigns)
        except ValueError as exc:
            raise CommandError(f"--campaign: {exc}") from None
        self.write_schedule = not options["no_schedule"]
        self.scheduled = 0
        for c in campaigns:
            self.stdout.write(
                f"Campaign: ×{c.factor:g} from {c.start.isoformat()} to {c.end.isoformat()} on "
                + (", ".join(sorted(c.queues)) if c.queues else "every queue")
            )
        self.source = source
        self.batch = batch
        self.sent = self.accepted = self.duplicates = self.rejected = 0
        self._last_progress = clock.monotonic()
        self.stdout.write(
            f"Simulating {len(spec.queues)} queues and {len(spec.agents)} agents from {start.isoformat()} "
            f"(seed {options['seed']}, source {source.name!r})."
        )

        simulated = start
        if backfill and start < now:
            simulated = self._backfill(start, now)
            if not self._stopping and not options["no_forecast"] and options["backfill_days"] >= 7:
                self._forecast(now, weeks=options["backfill_days"] // 7)
        if self._stopping or options["no_live"]:
            self._finish(simulated)
            return
        if self.sent:
            self._progress(simulated, force=True)
        wall_clock = speed == 1 and (backfill or not options["start"])
        self._live(simulated, speed, options["duration"], wall_clock=wall_clock)

    # -- phases -----------------------------------------------------------------------------------

    def _forecast(self, now: datetime, *, weeks: int) -> None:
        """The demo's planners need a forecast for today to compare the day with (intraday, required
        against staffed): aggregate the backfilled history and build the coming week from it, where no
        forecast of today exists (an imported or built one is left alone)."""
        today = now.date()
        if ForecastInterval.objects.filter(start__gte=day_bounds(today)[0], start__lt=day_bounds(today)[1]).exists():
            return
        intervals_update(now=timezone.now())
        built = forecast_build(first_day=today, last_day=today + timedelta(days=6), weeks=min(weeks, MAX_WEEKS))
        self.stdout.write(
            f"Forecast built for {today} to {today + timedelta(days=6)} from {built.weeks} week(s) of the backfill "
            f"({built.rows} quarter-hours; {len(built.short_history)} queue-days from fewer weeks)."
        )

    def _backfill(self, start: datetime, until: datetime) -> datetime:
        """Generate from ``start`` to ``until`` as fast as the ingest takes it; returns where it stopped."""
        self.stdout.write(f"Backfilling up to {until.isoformat()}…")
        pending: list[dict] = []
        moment = start
        while moment < until and not self._stopping:
            moment = min(moment + BACKFILL_STEP, until)
            pending += self.simulator.run_until(moment)
            self._schedule()
            while len(pending) >= self.batch and not self._stopping:
                self._send(pending[: self.batch])
                del pending[: self.batch]
            self._progress(moment)
        if pending and not self._stopping:
            self._send(pending)
        return moment

    def _live(self, simulated_start: datetime, speed: float, duration_s: float | None, *, wall_clock: bool) -> None:
        """Advance the simulated clock with the real one (times ``speed``) and send what happened; with
        ``wall_clock`` the simulated clock is the wall clock (catching up at once where it is behind)."""
        self.stdout.write(f"Running live at {speed:g}× real time; Ctrl-C stops.")
        real_start = clock.monotonic()
        simulated = simulated_start
        while not self._stopping:
            elapsed = clock.monotonic() - real_start
            if duration_s is not None and elapsed >= duration_s:
                break
            if wall_clock:
                simulated = max(simulated, timezone.now().astimezone(simulated_start.tzinfo))
            else:
                simulated = simulated_start + timedelta(seconds=elapsed * speed)
            events = self.simulator.run_until(simulated)
            self._schedule()
            for i in range(0, len(events), self.batch):
                self._send(events[i : i + self.batch])
            self._progress(simulated, every_s=LIVE_PROGRESS_EVERY_S)
            clock.sleep(max(0.0, TICK_S - (clock.monotonic() - real_start - elapsed)))
        self._finish(simulated)

    # -- helpers ----------------------------------------------------------------------------------

    def _schedule(self) -> None:
        """Write the schedule the simulator planned since the last call: per local day, it replaces the
        entries of the agents it covers starting that day (or, for a night shift, the next morning), so a
        rerun from the same start writes the same schedule again."""
        planned = self.simulator.take_schedule()
        if not self.write_schedule:
            return
        for day, agents, rows in planned:
            start, end = day_bounds(day)
            # A day's plan reaches into the next morning (a night shift's breaks): its period covers them.
            if rows:
                start = min(start, min(r[1] for r in rows))
                end = max(end, max(r[1] for r in rows) + timedelta(microseconds=1))
            self.scheduled += schedule_replace(
                agents=agents,
                start=start,
                end=end,
                entries=[PlannedEntry(login, lo, hi, activity) for login, lo, hi, activity in rows],
            )

    def _send(self, events: list[dict]) -> None:
        result = events_ingest(source=self.source, events=events)
        self.sent += len(events)
        self.accepted += result.accepted
        self.duplicates += result.duplicates
        self.rejected += result.rejected
        if result.rejected:
            first = next(r for r in result.results if r["status"] == "rejected")
            self.stderr.write(
                self.style.WARNING(f"{result.rejected} events rejected; first: id {first['id']}: {first['reason']}")
            )

    def _progress(self, simulated: datetime, *, force: bool = False, every_s: float = PROGRESS_EVERY_S) -> None:
        if not force and clock.monotonic() - self._last_progress < every_s:
            return
        self._last_progress = clock.monotonic()
        self.stdout.write(
            f"{simulated:%Y-%m-%d %H:%M:%S}  sent {self.sent} events: {self.accepted} accepted, "
            f"{self.duplicates} duplicates, {self.rejected} rejected"
        )

    def _finish(self, simulated: datetime) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Stopped at simulated time {simulated.isoformat()}: sent {self.sent} events, {self.accepted} "
                f"accepted, {self.duplicates} duplicates, {self.rejected} rejected; {self.scheduled} schedule "
                "entries written."
            )
        )

    def _install_signal_handlers(self) -> None:
        """Ctrl-C and SIGTERM finish the batch being sent, then stop: an ingest call is never cut off."""

        def stop(signum, frame):
            if self._stopping:  # a second Ctrl-C stops at once
                raise KeyboardInterrupt
            self._stopping = True
            self.stderr.write("Stopping…")

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)


def _source(name: str) -> Source:
    """The event source of that name, created (with a token nobody needs in-process) when missing."""
    source = Source.objects.filter(name=name).first()
    if source is None:
        # The simulator feeds the demo centre: it creates the queues and agents it names.
        source = Source(name=name, new_queues=NewNames.CREATE, new_agents=NewNames.CREATE)
        source.issue_token()
        source.save()
    elif not source.active:
        raise CommandError(f"event source {name!r} is not active")
    return source


def _parse_start(text: str, tz) -> datetime:
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--start: {text!r} is not an ISO-8601 date-time") from None
    return start.replace(tzinfo=tz) if start.tzinfo is None else start.astimezone(tz)


def _parse_campaign(text: str, tz, default_day) -> Campaign:
    """``[DAY@]HH:MM-HH:MMxFACTOR[:QUEUE,...]`` as a Campaign; a CommandError says what is wrong."""
    spec = text.strip()
    day = default_day
    if "@" in spec:
        day_text, spec = spec.split("@", 1)
        try:
            day = datetime.strptime(day_text.strip(), "%Y-%m-%d").date()
        except ValueError:
            raise CommandError(f"--campaign {text!r}: day {day_text!r} is not YYYY-MM-DD") from None
    queues: frozenset[str] = frozenset()
    if ":" in spec.split("x", 1)[-1]:
        head, _, names = spec.rpartition(":")
        queues = frozenset(n.strip() for n in names.split(",") if n.strip())
        spec = head
    try:
        span, factor_text = spec.split("x", 1)
        first, last = span.split("-", 1)
        lo = datetime.combine(day, time.fromisoformat(first.strip()), tz)
        hi = datetime.combine(day, time.fromisoformat(last.strip()), tz)
        factor = float(factor_text)
    except ValueError:
        raise CommandError(
            f"--campaign {text!r}: write [DAY@]HH:MM-HH:MMxFACTOR[:QUEUE,...], e.g. 10:00-12:00x1.6"
        ) from None
    try:
        return Campaign(start=lo, end=hi, factor=factor, queues=queues)
    except ValueError as exc:
        raise CommandError(f"--campaign {text!r}: {exc}") from None


def _counts(summary: dict) -> str:
    return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in summary.items() if k != "created")
