"""children.exit_with_parent: a worker never outlives the process that started it."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from children import exit_with_parent
from tests.conftest import ended


def _late_watcher(said: str) -> None:
    """A worker slow to start (imports, say): its parent is gone before it watches."""
    Path(said).write_text(str(os.getpid()))
    time.sleep(2)
    exit_with_parent()
    time.sleep(600)


def _start_and_die(said: str) -> None:
    multiprocessing.get_context("spawn").Process(target=_late_watcher, args=(said,)).start()
    os._exit(0)  # killed, as it were: it neither stops nor waits for its worker


def test_a_worker_whose_parent_died_before_it_watched_ends_too(tmp_path: Path) -> None:
    said = tmp_path / "pid"
    parent = multiprocessing.get_context("spawn").Process(target=_start_and_die, args=(str(said),))
    parent.start()
    parent.join()
    for _ in range(600):  # however slow the machine: the worker starts, then looks once a second
        if said.exists() and said.read_text():
            break
        time.sleep(0.1)
    pid = int(said.read_text())
    if not ended(pid):
        os.kill(pid, 9)
        pytest.fail(f"worker {pid} outlived the process that started it")
