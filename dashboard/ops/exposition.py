"""``/metrics``: the installation's figures in Prometheus's text format (the ``prometheus-client`` library).

Three kinds of series, by where the figure lives:
- the database: ``kcc_events_ingested_total{source,status}`` (each source's delivered, rejected and
  skipped counts, kept by the ingest service whatever door the events came in by);
- Redis, shared by every process (``dashboard.core.observe``): ``kcc_ingest_batch_seconds``,
  ``kcc_publish_lag_seconds`` (from an ingest's commit to the publisher's send), ``kcc_live_rebuilds_total``,
  ``kcc_publisher_leader`` (per publisher process: 1 while it leads, 0 while it stands by — the sum is 1
  when all is well) and ``kcc_celery_queue_length`` (tasks waiting in the broker);
- this process: ``kcc_websocket_connections`` and the usual ``process_*`` series. Scrape each daphne at
  its own address, not through the proxy, and sum.
A part that does not answer (Redis down) leaves its series out and sets ``kcc_up{component}`` to 0, so a
scrape never fails for it.
"""

from __future__ import annotations

import time

import redis
from celery import current_app as celery_app  # kcc.celery, made the current app when kcc loads
from django.db.utils import DatabaseError
from prometheus_client import CollectorRegistry, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from dashboard.core import observe
from dashboard.core.models import Source
from dashboard.ops.health import PUBLISHER_FRESH_S

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

HISTOGRAMS = {
    "ingest_batch_seconds": "Time to validate, log and apply one batch of events (API or import).",
    "publish_lag_seconds": "Time from an ingest batch's commit to the live publisher's send of its round.",
}


def _bound(value: float) -> str:
    return repr(float(value))


class KccCollector(Collector):
    def collect(self):
        up = GaugeMetricFamily(
            "kcc_up", "Whether this process reaches a component (1) or not (0).", labels=["component"]
        )
        ingested = CounterMetricFamily(
            "kcc_events_ingested", "Events a source delivered (stored), had rejected, or were skipped as unmapped.",
            labels=["source", "status"],
        )  # fmt: skip
        try:
            rows = list(Source.objects.values_list("name", "delivered_count", "rejected_count", "skipped_count"))
        except DatabaseError:
            up.add_metric(["database"], 0)
        else:
            up.add_metric(["database"], 1)
            for name, delivered, rejected, skipped in rows:
                ingested.add_metric([name, "delivered"], delivered)
                ingested.add_metric([name, "rejected"], rejected)
                ingested.add_metric([name, "skipped"], skipped)
            yield ingested
        try:
            yield from self._shared()
        except redis.RedisError:
            up.add_metric(["redis"], 0)
        else:
            up.add_metric(["redis"], 1)
        queue = self._celery_queue_length()
        if queue is not None:
            yield queue
        yield up

    def _shared(self):
        families = []
        for name, documentation in HISTOGRAMS.items():
            shared = observe.histogram(name)
            family = HistogramMetricFamily(f"kcc_{name}", documentation)
            buckets = [(_bound(b), c) for b, c in zip(shared.bounds, shared.cumulative, strict=False)]
            buckets.append(("+Inf", shared.cumulative[-1]))
            family.add_metric([], buckets, sum_value=shared.sum)
            families.append(family)
        rebuilds = CounterMetricFamily(
            "kcc_live_rebuilds", "Rebuilds of the live state from the database (Redis lost or flushed, thresholds changed)."
        )  # fmt: skip
        rebuilds.add_metric([], observe.counter("live_rebuilds_total"))
        families.append(rebuilds)
        leader = GaugeMetricFamily(
            "kcc_publisher_leader",
            f"1 per live publisher process leading (renewed in the last {PUBLISHER_FRESH_S:.0f} s), 0 standing by.",
            labels=["process"],
        )
        now = time.time()
        for process, beat in observe.heartbeats("publisher").items():
            leading = beat.get("leading", True) and now - beat["at"] <= PUBLISHER_FRESH_S
            leader.add_metric([process], 1 if leading else 0)
        families.append(leader)
        return families

    def _celery_queue_length(self):
        family = GaugeMetricFamily(
            "kcc_celery_queue_length", "Tasks waiting in the broker, per queue.", labels=["queue"]
        )
        try:
            with celery_app.connection_for_read() as conn:
                conn.ensure_connection(max_retries=1, timeout=1)
                channel = conn.default_channel
                for name in sorted(celery_app.amqp.queues):
                    try:
                        waiting = channel.queue_declare(queue=name, passive=True).message_count
                    except conn.channel_errors:  # Redis keeps no empty list: the queue is not there yet
                        waiting = 0
                    family.add_metric([name], waiting)
        except Exception:  # the broker unreachable or a queue not declared yet: leave the series out
            return None
        return family


REGISTRY = CollectorRegistry()
REGISTRY.register(observe.websocket_connections)
REGISTRY.register(KccCollector())
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)


def exposition() -> bytes:
    """The text a Prometheus scrape reads."""
    return generate_latest(REGISTRY)
