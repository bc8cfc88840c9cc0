"""Writing an export atomically: into a temporary file beside the output, renamed into place when complete."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from geodata.errors import RequestError


@contextlib.contextmanager
def replacing(output: Path) -> Iterator[Path]:
    """A temporary path beside `output` (same suffix, so drivers recognise it), renamed to `output` when the
    block ends normally and removed otherwise: a failed export leaves no half-written file."""
    temporary = output.with_name(f".{output.stem}.part-{os.getpid()}{output.suffix}")
    try:
        # Created now, so an unwritable place is found before the long part of the export.
        temporary.touch()
    except OSError as exc:
        raise RequestError("output", f"cannot write {output}: {exc.strerror or exc}") from None
    try:
        yield temporary
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
        # SQLite's journal, left when the writer stopped half-way
        temporary.with_name(temporary.name + "-journal").unlink(missing_ok=True)
