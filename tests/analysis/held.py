"""A task that holds an analysis worker until the test lets it go (imported by the worker process)."""

from __future__ import annotations

import os
from threading import Event


def held_until(event: Event) -> int:
    event.wait()
    return os.getpid()


def said_then_held(events: tuple[Event, Event]) -> int:
    """Says it runs (the first event), then holds its worker until the second is set."""
    running, release = events
    running.set()
    release.wait()
    return os.getpid()
