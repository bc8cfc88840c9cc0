"""A task that holds an analysis worker until the test lets it go (imported by the worker process)."""

from __future__ import annotations

import os
from threading import Event


def held_until(event: Event) -> int:
    event.wait()
    return os.getpid()
