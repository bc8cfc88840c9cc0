"""`serve --workers N`: N server processes on one port, by uvicorn's supervisor on a socket of our own.

uvicorn binds the shared socket without naming TCP (protocol 0), and asyncio then leaves Nagle's
algorithm on for its connections: every keep-alive answer written in two parts waited for the
client's delayed ACK (measured: 48 ms per /health instead of 1.4 ms with one process). The socket
made here says IPPROTO_TCP, so each connection gets TCP_NODELAY as with one process.
"""

from __future__ import annotations

import multiprocessing
import socket
from concurrent.futures import ProcessPoolExecutor

import uvicorn
from uvicorn.supervisors import Multiprocess


def check_dataset(location: str) -> None:
    """Open the dataset once before the workers start, so that a bad one is said once (a DatasetError here)
    rather than as a traceback from every worker. In a process of its own: the supervisor serves nothing
    and should not keep a copy of the dataset in memory (national buurten: about a gigabyte)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as child:
        child.submit(_open, location).result()


def _open(location: str) -> None:
    from store import open_store

    open_store(location)


def run_processes(app_factory: str, workers: int, host: str, port: int, **options: object) -> None:
    """Run `workers` processes, each serving the app that the import string `app_factory` makes."""
    config = uvicorn.Config(app_factory, factory=True, workers=workers, host=host, port=port, **options)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()
