"""`serve`: the app in N server processes on one port, run by Granian (an HTTP server in Rust, PyPI).

Granian and not uvicorn: a cache hit is a few dict lookups in our code (web.cached), so the HTTP
server's own work per request sets the rate. On 2 cores, 50 connections, cached national tiles: 35,000
to 36,300 req/s against uvicorn's 21,700 to 24,200 (alternating runs); a bare ASGI app 44,700 against
30,600 (uvicorn with httptools and uvloop). At 1 connection Granian is slower (5,600-5,800 against
6,700-8,300): each request is handed from its Rust thread to the Python one and back. Its
single-threaded runtime got about 10 % more than the multi-threaded one at 50 connections: on 2 cores
more threads take turns. It runs the app over RSGI, its own interface (web.rsgi), not ASGI.

Every server process, also the only one, is a child of a supervisor that serves nothing: it starts
them, starts one again that dies, and stops them. A process that cannot make the app (a damaged
dataset) says why in a file the supervisor reads, and stops the supervisor, instead of being started
again and again.
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from children import exit_with_parent
from geodata.errors import DatasetError, WijkmonitorError

App = TypeVar("App")

# Asked to stop (a deploy, systemd), a process gets this long for the requests still open (a slow
# analysis, say) and its tile workers, then it is killed: a client that keeps its connection does not
# hold the stop up.
STOP_SECONDS = 10
STARTUP_REPORT = "WIJKMONITOR_STARTUP_REPORT"  # the file a server process that cannot start writes its error to


def check_dataset(location: str) -> None:
    """The mistakes the supervisor can see without reading the dataset (a process takes up to a minute
    to read national buurten, and the supervisor should not hold a copy): a file that is not there."""
    if not location.startswith(("postgresql://", "postgres://")) and not Path(location).exists():
        raise DatasetError(f"{location}: dataset not found; build one with `wijkmonitor build`")


def run_processes(app_factory: str, workers: int, host: str, port: int, access_log: bool, log_config: dict[str, Any]) -> int:
    """Run `workers` processes, each serving the app that the import string `app_factory` makes, until
    the supervisor is asked to stop; its exit code. A DatasetError when a process could not start."""
    from granian import Granian
    from granian.constants import Interfaces, Loops, RuntimeModes

    with tempfile.TemporaryDirectory(prefix="wijkmonitor-serve-") as folder:
        report = Path(folder) / "startup-error"
        os.environ[STARTUP_REPORT] = str(report)
        server = Granian(
            app_factory, factory=True, interface=Interfaces.RSGI, websockets=False, address=host, port=port, workers=workers,
            runtime_mode=RuntimeModes.st, loop=Loops.asyncio if sys.platform == "win32" else Loops.uvloop,
            log_access=access_log, log_dictconfig=log_config, respawn_failed_workers=True,
            workers_kill_timeout=STOP_SECONDS,
        )
        try:
            server.serve()
            code = 0
        except SystemExit as exit:  # Granian exits 1 after a process ended that it did not stop
            code = exit.code if isinstance(exit.code, int) else 1
        if report.exists():
            raise DatasetError(report.read_text())
    return code


def app_of_a_server_process(make: Callable[[], App]) -> App:
    """The app `make` makes, in a server process: started by `serve`, the process ends when its supervisor
    is gone (killed, out of memory: nothing stops it then), and one whose app cannot be made tells the
    supervisor why and stops it."""
    report = os.environ.get(STARTUP_REPORT)
    if report is None:  # run by another server
        return make()
    exit_with_parent()
    try:
        return make()
    except WijkmonitorError as error:
        Path(report).write_text(str(error))
        os.kill(os.getppid(), signal.SIGTERM)
        sys.exit(1)
