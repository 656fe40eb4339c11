"""Shared set-up of the benchmarks: a fresh PostgreSQL database, the demo centre, a Redis prefix."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/kcc_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/3"


def bench_environment() -> dict[str, str]:
    """The environment the benchmark's server and client share (PostgreSQL, as the issue asks)."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    env.setdefault("REDIS_URL", os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    env["KCC_LIVE_KEY_PREFIX"] = "kccbench"
    env["DJANGO_SETTINGS_MODULE"] = "kcc.settings"
    env["LOG_LEVEL"] = "WARNING"
    return env


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_setup(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def replicate_agents(replicas: int):
    """A bigger centre of the demo's shape: every agent ``replicas`` times (``<login>-<n>``), configured in
    the database like the original (team, skills), as a real centre's agents are. Returns the spec the
    simulator takes."""
    from dataclasses import replace

    from dashboard.core.models import Agent
    from dashboard.simulator.spec import centre_spec_from_db

    copies = set()
    for agent in list(Agent.objects.prefetch_related("skills")):
        skills = list(agent.skills.all())
        for n in range(replicas):
            copy, _ = Agent.objects.get_or_create(
                login_id=f"{agent.login_id}-{n}", defaults={"name": f"{agent.name} {n}", "team": agent.team}
            )
            copy.skills.set(skills)
            copies.add(copy.login_id)
    spec = centre_spec_from_db()
    return replace(spec, agents=[a for a in spec.agents if a.login_id in copies])


def start_servers(env: dict[str, str], ports: list[int]):
    """daphne processes on ``ports`` (a large listen backlog: bursts of connects), once they answer."""
    import subprocess
    import time
    import urllib.error
    import urllib.request

    daphne = str(Path(sys.executable).with_name("daphne"))
    procs = [
        subprocess.Popen(
            [daphne, "-v", "0", "-e", f"tcp:port={p}:interface=127.0.0.1:backlog=2048", "kcc.asgi:application"],
            cwd=ROOT,
            env=env,
        )
        for p in ports
    ]
    for port in ports:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).read()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"daphne on port {port} did not start") from None
                time.sleep(0.2)
    return procs
