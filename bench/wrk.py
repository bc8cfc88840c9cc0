"""wrk (Debian package wrk) as the tile load generator of bench/load.py: one process per request class.

A process runs one thread with keep-alive connections and a Lua script (SCRIPT, written next to
its list of paths) that takes each request from the list and records nothing itself: the script's
done() prints wrk's own figures as one JSON line, which `Wrk.stop` reads.

wrk's latencies run from sending a request to the last byte of its answer (any status), with its
correction for coordinated omission: an answer slower than twice a connection's mean time per
request adds the answers that connection would have sent meanwhile, so p99 is what a request sent
at any moment would wait. Its failures: status >= 400 (so 204 is an answer like 200), answers
slower than --timeout, and socket errors. A request unanswered when wrk is stopped counts nowhere.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

STOP_WAIT = 10.0  # seconds wrk may take to stop and print after SIGINT

# Arguments after `--`: a file of request paths (one a line), "cycle" (over them again and again) or
# "once" (each once), and the most requests to send. wrk calls request() once before it starts, to
# check what it returns: that request (the list's first) is never sent.
SCRIPT = """\
local requests, cycle, cap, sent = {}, true, 0, 0
ran_out = false  -- a global, so done() can read it from the thread

function init(args)
  for path in io.lines(args[1]) do
    requests[#requests + 1] = wrk.format("GET", path)
  end
  cycle, cap = args[2] == "cycle", tonumber(args[3])
end

function request()
  if sent >= cap or (not cycle and sent >= #requests) then
    ran_out = true
    return ""  -- nothing to send: the connection stays idle until wrk stops
  end
  sent = sent + 1
  return requests[(sent - 1) % #requests + 1]
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency)
  local any_ran_out = false
  for _, thread in ipairs(threads) do
    any_ran_out = any_ran_out or thread:get("ran_out")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "status": %d, '
      .. '"timeout": %d, "connect": %d, "read": %d, "write": %d, "ran_out": %s}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.status, e.timeout, e.connect, e.read, e.write, tostring(any_ran_out)))
end
"""
FAILURES = {  # keys of the JSON line: how a report names them
    "status": "status >= 400",
    "timeout": "slower than --timeout",
    "connect": "connect error",
    "read": "read error",
    "write": "write error",
}


@dataclass(frozen=True)
class Figures:
    """One request class in one run, as a report prints it."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    failed: Counter[str]
    shed: int = 0


class WrkFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class WrkResult:
    """What a stopped wrk process reports."""

    name: str
    figures: Figures
    ran_out: bool  # its script had no more requests to send (the list or the cap) before the end
    cpu_seconds: float


@dataclass
class Wrk:
    """A wrk process loading a server with one class of requests."""

    name: str
    process: subprocess.Popen[bytes]
    output: Path

    @classmethod
    def start(
        cls, name: str, base_url: str, paths: list[str], *, cycle: bool, connections: int, seconds: float,
        timeout: float, max_requests: int, headers: dict[str, str], folder: Path,
    ) -> Wrk:
        """Start wrk on the paths (over and over when cycle) with `connections` connections, sending at
        most max_requests; it stops by itself after `seconds`, its files are in folder."""
        script, listing, output = folder / "load.lua", folder / f"{name}.paths", folder / f"wrk-{name}.out"
        script.write_text(SCRIPT)
        listing.write_text("".join(f"{path}\n" for path in paths))
        command = [
            "wrk", "--threads", "1", "--connections", str(connections), "--duration", f"{math.ceil(seconds)}s",
            "--timeout", f"{math.ceil(timeout)}s", "--latency", "--script", str(script),
            *(option for key, value in headers.items() for option in ("--header", f"{key}: {value}")),
            f"{base_url}/", "--", str(listing), "cycle" if cycle else "once", str(max_requests),
        ]
        with output.open("wb") as out:
            return cls(name, subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT), output)

    async def stop(self) -> WrkResult:
        """Stop wrk (SIGINT: it closes its connections and prints its figures) and read what it reports."""
        # os.kill and os.wait4 rather than Popen's methods, which may reap the process and so lose its CPU time.
        os.kill(self.process.pid, signal.SIGINT)
        deadline = time.monotonic() + STOP_WAIT
        while not (ended := os.wait4(self.process.pid, os.WNOHANG))[0]:
            if time.monotonic() > deadline:
                os.kill(self.process.pid, signal.SIGKILL)
            await asyncio.sleep(0.05)
        _, status, usage = ended
        self.process.returncode = os.waitstatus_to_exitcode(status)
        text = self.output.read_text(errors="replace")
        line = next((line for line in reversed(text.splitlines()) if line.startswith("{")), None)
        if self.process.returncode != 0 or line is None:
            raise WrkFailed(f"wrk ({self.name}) exited with {self.process.returncode}:\n{text[-2000:]}")
        s = json.loads(line)
        failed = Counter({label: s[key] for key, label in FAILURES.items() if s[key]})
        answered = s["requests"] > 0
        p50, p99, top = (s[k] if answered else math.nan for k in ("p50_ms", "p99_ms", "max_ms"))
        figures = Figures(s["requests"], s["seconds"], p50, p99, top, failed)
        return WrkResult(self.name, figures, s["ran_out"], usage.ru_utime + usage.ru_stime)

    def kill(self) -> None:
        """Stop wrk at once if it still runs (Ctrl-C, an error); no figures."""
        if self.process.returncode is None:
            self.process.kill()
            self.process.wait()


async def load_for(
    name: str, base_url: str, paths: list[str], *, cycle: bool, connections: int, seconds: float,
    headers: dict[str, str], folder: Path, timeout: float = 30.0,
) -> Figures:
    """wrk's figures for `seconds` of load with the paths (over and over when cycle) on `connections` connections."""
    wrk = Wrk.start(
        name, base_url, paths, cycle=cycle, connections=connections, seconds=seconds + 30, timeout=timeout,
        max_requests=10**9, headers=headers, folder=folder,
    )
    try:
        await asyncio.sleep(seconds)
        return (await wrk.stop()).figures
    finally:
        wrk.kill()
