"""Several daphne processes behind a Caddy proxy, as deploy/ runs them: for the end-to-end failover test
and `make bench-scale`. Debian's ``caddy`` package (.ci/run installs it)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CADDY = shutil.which("caddy") or "/usr/bin/caddy"


def caddy_missing() -> str | None:
    """Why the proxy cannot run here, or None when it can."""
    if not Path(CADDY).exists():
        return f"no Caddy at {CADDY} (apt-get install caddy)"
    return None


def caddyfile(port: int, upstreams: list[int]) -> str:
    """The proxy of deploy/Caddyfile on plain HTTP: round robin, no sticky sessions, a dead upstream
    retried on the next for up to 5 s and taken out by the passive and active checks on /healthz."""
    targets = " ".join(f"127.0.0.1:{p}" for p in upstreams)
    return f"""{{
	admin off
	auto_https off
}}

http://:{port} {{
	bind 127.0.0.1
	reverse_proxy {targets} {{
		lb_policy round_robin
		lb_try_duration 5s
		lb_try_interval 250ms
		fail_duration 10s
		max_fails 3
		health_uri /healthz
		health_interval 2s
		health_timeout 5s
		# A request tried on a dead daphne keeps its body for the next one (the events API is idempotent
		# on each source's event ids, so a batch sent again is stored once).
		buffer_requests
		header_up X-Request-ID {{http.request.uuid}}
		flush_interval -1
	}}
}}
"""


def wait_http(url: str, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer at {url} within {timeout:.0f} s") from None
            time.sleep(0.2)


def start_daphne(env: dict[str, str], port: int) -> subprocess.Popen:
    """A daphne as the Procfile and deploy/ start it (proxy headers on, a large listen backlog)."""
    daphne = str(Path(sys.executable).with_name("daphne"))
    return subprocess.Popen(
        [
            daphne, "-v", "0", "-e", f"tcp:port={port}:interface=127.0.0.1:backlog=2048", "--proxy-headers",
            "kcc.asgi:application",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip


class Proxy:
    """Caddy on ``port`` in front of daphne on ``upstreams``, with its state in a directory of its own."""

    def __init__(self, port: int, upstreams: list[int]):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.dir = Path(tempfile.mkdtemp(prefix="kcc-caddy-"))
        config = self.dir / "Caddyfile"
        config.write_text(caddyfile(port, upstreams))
        env = {"HOME": str(self.dir), "XDG_DATA_HOME": str(self.dir), "XDG_CONFIG_HOME": str(self.dir)}
        self.log = open(self.dir / "caddy.log", "wb")
        self.process = subprocess.Popen(
            [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
            env={"PATH": "/usr/bin:/bin", **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(self.base + "/healthz", "Caddy")
        except RuntimeError:
            self.stop()
            raise RuntimeError((self.dir / "caddy.log").read_text()[-2000:]) from None

    def errors(self) -> list[str]:
        """The error lines Caddy logged so far (a failed upstream, a refused request)."""
        self.log.flush()
        text = (self.dir / "caddy.log").read_text(errors="replace")
        return [line for line in text.splitlines() if '"level":"error"' in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def websocket_count(port: int) -> int:
    """The sockets open on the daphne at ``port`` (its own gauge on /metrics, asked on loopback)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("kcc_websocket_connections "):
                return int(float(line.split()[1]))
    return 0


def stop(processes) -> None:
    for p in processes:
        if p is not None and p.poll() is None:
            p.terminate()
    for p in processes:
        if p is not None:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
