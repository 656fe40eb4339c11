#!/bin/sh
# The image's entry point: the first argument names the process (deploy/README.md).
set -eu

case "${1:-web}" in
  web)
    # --proxy-headers: the client's address and scheme come from the proxy's X-Forwarded-For/-Proto.
    # Never publish this port: only the proxy may reach it.
    exec daphne -e "tcp:port=${KCC_PORT:-8000}:interface=0.0.0.0:backlog=2048" --proxy-headers \
      kcc.asgi:application ;;
  publisher)
    # Run two or more: one leads through a Redis lease, the others stand by and take over within seconds.
    exec python manage.py publish_live ;;
  worker)
    exec celery -A kcc worker --loglevel "${LOG_LEVEL:-INFO}" --concurrency "${KCC_WORKER_CONCURRENCY:-2}" \
      --without-gossip --without-mingle ;;
  beat)
    # Exactly one beat: two would send every scheduled task twice.
    exec celery -A kcc beat --loglevel "${LOG_LEVEL:-INFO}" --scheduler kcc.beat:Scheduler ;;
  migrate)
    exec python manage.py migrate --noinput ;;
  healthcheck)
    # healthcheck URL: 0 when URL answers 2xx. The Host header is the installation's own (ALLOWED_HOSTS
    # refuses any other); /healthz and /readyz are exempt from the HTTPS redirect in production.
    shift
    exec python - "$@" <<'PY'
import os, sys, urllib.request
host = (os.environ.get("ALLOWED_HOSTS") or "").split(",")[0].strip().lstrip(".")
host = host if host and "*" not in host else "localhost"
request = urllib.request.Request(sys.argv[1], headers={"Host": host})
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if 200 <= response.status < 300 else 1)
except Exception as error:
    print(f"{sys.argv[1]}: {error}", file=sys.stderr)
    sys.exit(1)
PY
    ;;
  manage)
    shift
    exec python manage.py "$@" ;;
  *)
    exec "$@" ;;
esac
