"""Build the simulator's plain :class:`~dashboard.simulator.engine.CentreSpec` from the configuration in
the database, so the engine itself never touches the ORM."""

from collections import defaultdict

from dashboard.core.models import Agent, ClosedDay, Line, Queue
from dashboard.core.periods import centre_tz
from dashboard.simulator.engine import AgentSpec, CentreSpec, QueueSpec


def centre_spec_from_db() -> CentreSpec:
    """The centre as supervisors configured it: queues (with their team's line, opening hours, closed
    days and overflow), agents and their skills, in the time zone of the installation.

    Everything is ordered by name or login id, so the same configuration always gives the same spec
    (and so, for a seed, the same simulated events).
    """
    closed_everywhere = set()
    closed_per_queue = defaultdict(set)
    for queue_id, day in ClosedDay.objects.values_list("queue_id", "date"):
        (closed_per_queue[queue_id] if queue_id else closed_everywhere).add(day)

    queues = []
    for queue in (
        Queue.objects.select_related("team", "overflow_queue").prefetch_related("opening_hours").order_by("name")
    ):
        hours = defaultdict(list)
        for span in sorted(queue.opening_hours.all(), key=lambda s: (s.weekday, s.opens)):
            hours[span.weekday].append((span.opens, span.closes))
        queues.append(
            QueueSpec(
                name=queue.name,
                channel=queue.channel,
                team=queue.team.name if queue.team else None,
                line=queue.team.line if queue.team else Line.FIRST.value,
                sl_threshold_s=queue.sl_threshold_s,
                overflow_queue=queue.overflow_queue.name if queue.overflow_queue else None,
                overflow_after_s=queue.overflow_after_s,
                opening_hours=dict(hours),
                closed_dates=frozenset(closed_everywhere | closed_per_queue[queue.pk]),
            )
        )

    agents = [
        AgentSpec(
            login_id=agent.login_id,
            team=agent.team.name if agent.team else None,
            line=agent.team.line if agent.team else Line.FIRST.value,
            skills=sorted(q.name for q in agent.skills.all()),
        )
        for agent in Agent.objects.select_related("team").prefetch_related("skills").order_by("login_id")
    ]
    return CentreSpec(queues=queues, agents=agents, tz=centre_tz())
