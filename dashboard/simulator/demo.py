"""A realistic demo contact centre, for a first look at KCC Live and for the simulator.

A mid-sized Dutch customer service: a 1st-line team on two voice queues and on the callbacks promised to
callers who waited too long (some also on chat and WhatsApp), a 2nd-line team of specialists who also
help out on the queue that takes the overflow, a webcare team on chat and WhatsApp, a back office on
e-mail, and a 24/7 line for outages and card blocking ("Storingen") with its own small team on a rota of
early, late and night shifts, so the demo moves at any hour. Names are Dutch: the first users are Dutch.
"""

from datetime import time

from django.db import transaction

from dashboard.core.models import KPI, Agent, Line, OpeningHours, Queue, Team

DEMO_TEAMS = [
    ("Klantenservice 1e lijn", Line.FIRST),
    ("Specialisten 2e lijn", Line.SECOND),
    ("Webcare & Chat", Line.FIRST),
    ("Backoffice", Line.BACK_OFFICE),
    ("Storingsdienst 24/7", Line.FIRST),
]

WEEKDAYS = range(0, 5)
SATURDAY = 5
# Voice and chat: Monday to Friday 08:00–20:00, Saturday 09:00–17:00.
CUSTOMER_HOURS = [(d, time(8), time(20)) for d in WEEKDAYS] + [(SATURDAY, time(9), time(17))]
# The 2nd line works office hours only; the 1st line can transfer to it until 18:00.
SECOND_LINE_HOURS = [(d, time(8), time(18)) for d in WEEKDAYS]
# E-mail arrives day and night but is handled in office hours: these are the hours it is worked.
OFFICE_HOURS = [(d, time(8), time(17, 30)) for d in WEEKDAYS]
# No opening hours: open around the clock, every day.
AROUND_THE_CLOCK = []

HOUR = 3600
# name, channel, team, service-level threshold (s), response-time target (s), overflow to, after (s), hours
DEMO_QUEUES = [
    ("Algemeen", "voice", "Klantenservice 1e lijn", 20, None, None, None, CUSTOMER_HOURS),
    ("Facturen", "voice", "Klantenservice 1e lijn", 20, None, "Algemeen", 120, CUSTOMER_HOURS),
    # Callers who wait too long can ask to be called back (within two hours): those callbacks wait here.
    ("Terugbellen", "callback", "Klantenservice 1e lijn", 2 * HOUR, 2 * HOUR, None, None, CUSTOMER_HOURS),
    ("Techniek 2e lijn", "voice", "Specialisten 2e lijn", 30, None, None, None, SECOND_LINE_HOURS),
    ("Chat", "chat", "Webcare & Chat", 45, None, None, None, CUSTOMER_HOURS),
    # Asynchronous queues: the service-level threshold equals the response-time target.
    ("WhatsApp", "whatsapp", "Webcare & Chat", HOUR, HOUR, None, None, CUSTOMER_HOURS),
    ("E-mail", "email", "Backoffice", 8 * HOUR, 8 * HOUR, None, None, OFFICE_HOURS),
    ("Backoffice E-mail", "email", "Backoffice", 24 * HOUR, 24 * HOUR, None, None, OFFICE_HOURS),
    # Outages and blocking a lost card cannot wait for the morning.
    ("Storingen", "voice", "Storingsdienst 24/7", 20, None, None, None, AROUND_THE_CLOCK),
]

FIRST_NAMES = [
    "Sanne", "Daan", "Emma", "Lars", "Fleur", "Bram", "Lotte", "Thijs", "Anouk", "Ruben", "Iris", "Jesse",
    "Sophie", "Milan", "Eva", "Niels", "Lisa", "Tim", "Noor", "Sem", "Julia", "Stijn", "Femke", "Jeroen",
    "Maaike", "Koen", "Esther", "Wouter", "Marloes", "Rick", "Ilse", "Bas", "Naima", "Youssef", "Kim",
    "Mehmet", "Linda", "Joris", "Anna", "Pieter", "Yara", "Tom", "Hanna", "Mustafa", "Roos", "Dirk", "Fatima",
    "Gijs", "Merel", "Ahmed",
]  # fmt: skip
LAST_NAMES = [
    "de Vries", "Jansen", "van Dijk", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot",
    "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Smits",
    "de Graaf", "van der Meer", "van den Berg", "Kok", "Jacobs", "de Haan", "Vermeulen", "van den Heuvel",
    "van der Veen", "van den Broek", "Schouten", "Willems", "El Amrani", "Yilmaz", "Hoekstra", "Koster",
    "Prins", "Huisman", "Kuipers", "Postma", "Boukhari", "Verbeek",
]  # fmt: skip

# Teams' agents: (login prefix, team, how many, skills of agent number n (1-based)).
DEMO_AGENT_GROUPS = [
    (
        "kl",
        "Klantenservice 1e lijn",
        20,
        lambda n: ["Algemeen", "Facturen", "Terugbellen"]
        + (["WhatsApp"] if n % 4 == 0 else [])
        + (["Chat"] if n % 5 == 1 else []),
    ),
    ("sp", "Specialisten 2e lijn", 8, lambda n: ["Techniek 2e lijn", "Algemeen"]),
    ("wc", "Webcare & Chat", 6, lambda n: ["Chat", "WhatsApp"] + (["E-mail"] if n > 4 else [])),
    ("bo", "Backoffice", 8, lambda n: ["E-mail", "Backoffice E-mail"] + (["WhatsApp"] if n > 6 else [])),
    # The simulator's rota: st01–st04 early, st05–st06 late, st07–st08 nights (engine.ROTA_SHIFTS).
    ("st", "Storingsdienst 24/7", 8, lambda n: ["Storingen"]),
]

# Queue KPIs for every queue (queue=None): code, target, warning, critical, higher is better.
DEMO_KPIS = [
    (KPI.Code.SERVICE_LEVEL, 80, 75, 65, True),
    (KPI.Code.ASA, 20, 30, 60, False),
    (KPI.Code.ABANDON_RATE, 5, 8, 12, False),
    (KPI.Code.LONGEST_WAIT, 60, 120, 300, False),
    (KPI.Code.WAITING, 5, 10, 20, False),
    (KPI.Code.CALLBACKS_OVERDUE, 0, 1, 5, False),
]


def _demo_agents() -> list[tuple[str, str, str, list[str]]]:
    """(login id, name, team, skills) of every demo agent; names are fixed so reruns match."""
    agents = []
    for prefix, team, count, skills in DEMO_AGENT_GROUPS:
        for n in range(1, count + 1):
            i = len(agents)
            name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
            agents.append((f"{prefix}{n:02d}", name, team, skills(n)))
    return agents


@transaction.atomic
def demo_config_load() -> dict:
    """Create the demo centre where it is missing and return counts of what exists and what was created.

    Idempotent: objects are looked up by name (teams, queues), login id (agents) or code and scope
    (KPIs) and only created when missing, so running it again changes nothing — and a threshold, opening
    hour or skill a supervisor changed in the admin is kept. Opening hours and skills are only set on
    queues and agents this call created.
    """
    created = {"teams": 0, "queues": 0, "opening_hours": 0, "agents": 0, "kpis": 0}

    teams = {}
    for name, line in DEMO_TEAMS:
        teams[name], new = Team.objects.get_or_create(name=name, defaults={"line": line})
        created["teams"] += new

    queues = {}
    for name, channel, team, sl_threshold_s, response_target_s, overflow, after_s, hours in DEMO_QUEUES:
        queue, new = Queue.objects.get_or_create(
            name=name,
            defaults={
                "channel": channel,
                "team": teams[team],
                "sl_threshold_s": sl_threshold_s,
                "sl_target_pct": 80,
                "short_abandon_threshold_s": 5,
                "response_target_s": response_target_s,
                "overflow_queue": queues.get(overflow),
                "overflow_after_s": after_s,
            },
        )
        queues[name] = queue
        created["queues"] += new
        if new:
            OpeningHours.objects.bulk_create(
                OpeningHours(queue=queue, weekday=day, opens=opens, closes=closes) for day, opens, closes in hours
            )
            created["opening_hours"] += len(hours)

    for login_id, name, team, skills in _demo_agents():
        agent, new = Agent.objects.get_or_create(login_id=login_id, defaults={"name": name, "team": teams[team]})
        created["agents"] += new
        if new:
            agent.skills.set([queues[s] for s in skills])

    for code, target, warning, critical, higher_is_better in DEMO_KPIS:
        _, new = KPI.objects.get_or_create(
            code=code,
            scope=KPI.Scope.QUEUE,
            queue=None,
            team=None,
            defaults={"target": target, "warning": warning, "critical": critical, "higher_is_better": higher_is_better},
        )
        created["kpis"] += new

    return {
        "teams": Team.objects.count(),
        "queues": Queue.objects.count(),
        "opening_hours": OpeningHours.objects.count(),
        "agents": Agent.objects.count(),
        "kpis": KPI.objects.count(),
        "created": created,
    }
