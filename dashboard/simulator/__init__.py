"""The ACD simulator: a pure discrete-event engine (``engine``) and its bridge to the configuration in the
database (``spec``). Events it produces enter through the same ingest service as the API.

Importing this package does not import Django models; ``centre_spec_from_db`` loads them when called.
"""

from dashboard.simulator.engine import AgentSpec, CentreSpec, QueueSpec, Simulator, generate


def centre_spec_from_db() -> CentreSpec:
    """The centre as configured in the database (queues, opening hours, closed days, agents, skills)."""
    from dashboard.simulator.spec import centre_spec_from_db as load

    return load()


__all__ = ["AgentSpec", "CentreSpec", "QueueSpec", "Simulator", "centre_spec_from_db", "generate"]
