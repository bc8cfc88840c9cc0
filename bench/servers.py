"""Servers under test, each as its own process on 127.0.0.1: start one until a block ends, wait until it
has loaded, warm it, and read the memory of its processes. Shared by bench/postgis.py and bench/peers.py."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# TiPg (PyPI tipg, `make build/tipg-venv/.installed`) in a venv of its own: its FastAPI and asyncpg stay out of ours.
TIPG_VENV = ROOT / "build" / "tipg-venv"
START_TIMEOUT = 300.0  # seconds a server may take to load the dataset in every process


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def tipg_command(port: int, workers: int) -> list[str] | None:
    """TiPg's app under uvicorn with `workers` processes, or None when it is not installed."""
    uvicorn = TIPG_VENV / "bin" / "uvicorn"
    if not uvicorn.exists():
        return None
    return [str(uvicorn), "tipg.main:app", "--host", HOST, "--port", str(port), "--workers", str(workers),
            "--log-level", "warning"]


@dataclass(frozen=True)
class Running:
    """A started server: where it answers, its process, the seconds from start until it answered `ready`, and
    the file its output goes to."""

    base: str
    process: subprocess.Popen[bytes]
    start_seconds: float
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving(
    command: list[str], env: dict[str, str], port: int, ready: str, cwd: Path | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[Running]:
    """A server process on `port` until the block ends; `ready` is a path that answers 200 once it has loaded
    (RuntimeError when it has not within `timeout` seconds)."""
    base = f"http://{HOST}:{port}"
    log = tempfile.NamedTemporaryFile(prefix="bench-server-", suffix=".log", delete=False)
    started = time.monotonic()
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deadline = started + timeout
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[0]} did not start in {time.monotonic() - started:.0f} s: "
                                   f"{Path(log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + ready, timeout=30) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        yield Running(base, process, time.monotonic() - started, Path(log.name))
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        Path(log.name).unlink(missing_ok=True)


def all_started(base: str, workers: int, timeout: float = START_TIMEOUT) -> None:
    """Wait until every process has said it is ready in /health: each loads the dataset on its own, and
    its tile workers have prepared it (RuntimeError when they have not all done so within `timeout` s)."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(seen)} of {workers} processes were ready in /health within {timeout:.0f} s")
        with urllib.request.urlopen(urllib.request.Request(base + "/health", headers={"Connection": "close"})) as answer:
            health = json.load(answer)
        if health["tile_workers"]["ready"] or not health["tile_workers"]["workers"]:
            seen.add(health["process"])
        else:
            time.sleep(0.1)


def warm(base: str, paths: list[str], connections: int, headers: dict[str, str]) -> None:
    """Ask each path a number of times on connections of their own, so that every process answers it once."""
    for path in paths * max(4, connections // 4):
        request = urllib.request.Request(base + path, headers={**headers, "Connection": "close"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()


@dataclass(frozen=True)
class Memory:
    """Resident memory of a process and all its descendants, in MB: RSS summed (pages shared between
    the processes count in each), and PSS (each shared page split between its sharers)."""

    processes: int
    rss_mb: float
    pss_mb: float


def tree_memory(pid: int) -> Memory:
    """RSS and PSS of `pid` and its descendants, from /proc (Linux)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, of in parents.items() if of == parent]
        tree.update(children)
        frontier.extend(children)
    rss = pss = 0
    for member in tree:
        try:
            lines = Path(f"/proc/{member}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        fields = {line.split(":")[0]: int(line.split()[1]) for line in lines[1:] if line.endswith("kB")}
        rss += fields.get("Rss", 0)
        pss += fields.get("Pss", 0)
    return Memory(len(tree), rss / 1024, pss / 1024)


NGINX_CONF = """\
daemon off;
worker_processes auto;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {folder}/client_body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  server {{
    listen {host}:{port};
    location = /health {{ return 200 "ok"; }}
    location / {{
      root {root};
      types {{ }}
      default_type {media_type};
      add_header Content-Encoding {encoding};
    }}
  }}
}}
"""


def nginx_command(folder: Path, root: Path, port: int, media_type: str, encoding: str) -> list[str]:
    """nginx (Debian package nginx) serving the files under `root` as they are, every answer with this
    Content-Type and Content-Encoding; its configuration, pid and logs go into `folder`."""
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(
        folder=folder, root=root, host=HOST, port=port, media_type=media_type, encoding=encoding
    ))
    return ["nginx", "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]
