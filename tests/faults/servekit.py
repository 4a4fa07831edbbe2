"""The real hub as a subprocess (``edocx serve``), started and killed by tests.

The hub runs as deployed, in a process group of its own with its worker
processes, on a free loopback port, with a scratch ``var/`` directory and
the test run's PKI served elsewhere. :meth:`ServedHub.kill` sends SIGKILL
to the whole group at once: no handler runs, nothing is flushed, as when
the machine loses power or the kernel's OOM killer strikes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from edocx.config import Settings
from tests.conftest import REPO_ROOT, free_port


def serve_env(settings: Settings, port: int, **extra: str) -> dict[str, str]:
    """The environment that makes ``edocx serve`` run ``settings`` on ``port``."""
    delivery = settings.delivery
    env = {
        **os.environ,
        "EDOCX_STORAGE__VAR_DIR": str(settings.storage.var_dir),
        "EDOCX_PKI__DIR": str(settings.pki.dir),
        "EDOCX_PKI__URL": settings.pki_url,
        "EDOCX_PKI__SERVE": "false",
        "EDOCX_KEYS__PASSPHRASE_FILE": str(settings.keys.passphrase_file),
        "EDOCX_HTTP__HOST": "127.0.0.1",
        "EDOCX_HTTP__PORT": str(port),
        "EDOCX_HTTP__PUBLIC_URL": f"http://127.0.0.1:{port}/",
        "EDOCX_WORKERS__PROCESSES": str(settings.workers.processes),
        "EDOCX_LOG_LEVEL": "WARNING",
        "EDOCX_DELIVERY__PUSH_ALLOWED_NETWORKS": json.dumps(
            [str(n) for n in delivery.push_allowed_networks]
        ),
        "EDOCX_DELIVERY__PUSH_BACKOFF_INITIAL_S": str(delivery.push_backoff_initial_s),
        "EDOCX_DELIVERY__PUSH_BACKOFF_MAX_S": str(delivery.push_backoff_max_s),
        "EDOCX_DELIVERY__PUSH_POLL_S": str(delivery.push_poll_s),
        "EDOCX_DELIVERY__PUSH_TIMEOUT_S": str(delivery.push_timeout_s),
    }
    if delivery.push_ca_bundle is not None:
        env["EDOCX_DELIVERY__PUSH_CA_BUNDLE"] = str(delivery.push_ca_bundle)
    # A configuration file of the checkout must not change the scratch hub.
    env.pop("EDOCX_CONFIG", None)
    env.update(extra)
    return env


@dataclass
class ServedHub:
    """One ``edocx serve`` process group; start, wait, kill, start again."""

    settings: Settings
    port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # Where the hub's output goes; default: beside its var/ directory.
    log_dir: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def api(self) -> str:
        return self.base + "api/v1"

    async def start(self, *, within_s: float = 60) -> None:
        """Start the hub and wait until it answers."""
        self.spawn()
        await self._healthy(within_s)

    def spawn(self) -> None:
        """Start ``edocx serve``, its output in a log file beside ``var/``."""
        folder = self.log_dir or self.settings.storage.var_dir.parent
        self.log = folder / f"serve-{self.port}.log"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "edocx.cli", "serve"],
                cwd=REPO_ROOT,
                env=serve_env(self.settings, self.port, **self.extra_env),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def _healthy(self, within_s: float) -> None:
        deadline = time.monotonic() + within_s
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"the hub exited at start: {self.tail()}")
                try:
                    async with http.get(self.api + "/openapi.json") as answer:
                        if answer.status == 200:
                            return
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"the hub did not answer at {self.api}: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL the hub and its workers at once; reap the main process."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM: the hub's own shutdown (aiohttp stops, then the workers)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 30) -> str:
        """The last lines the hub wrote, for a failing assertion's message."""
        if self.log is None or not self.log.is_file():
            return "(no output)"
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def bearer(token: str, **headers: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {token}", **headers}
