"""Error types of the domain; web.http maps each to an HTTP status in one place."""

from __future__ import annotations

from pathlib import Path


class WijkmonitorError(Exception):
    """Base of every error the project raises on purpose."""


class InputError(WijkmonitorError):
    """A source file cannot be used as it is; names the file and, where known, row and column."""

    def __init__(
        self,
        file: str | Path,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = str(file)
        self.row = row
        self.column = column
        self.message = message
        where = self.file
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


class InputErrors(WijkmonitorError):
    """Several input errors found in one pass, so the user can fix them all at once."""

    def __init__(self, errors: list[InputError], limit: int = 20) -> None:
        self.errors = errors
        shown = "\n  ".join(str(e) for e in errors[:limit])
        more = f"\n  ... and {len(errors) - limit} more" if len(errors) > limit else ""
        super().__init__(f"{len(errors)} input error(s):\n  {shown}{more}")


class DatasetError(WijkmonitorError):
    """A built dataset file is missing or not a wijkmonitor dataset."""


class DisclosureError(WijkmonitorError):
    """Disclosure control found no figure left to protect: the build stops, the old data keeps serving."""


class RequestError(WijkmonitorError):
    """A request names something that does not exist or is out of range (HTTP 4xx; AnalysisBusy 503)."""

    status_code = 400

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        self.message = message
        super().__init__(f"{parameter}: {message}")

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        # An analysis worker raises these; they cross back to the server pickled.
        return type(self), (self.parameter, self.message)


class UnknownLevel(RequestError):
    status_code = 404


class UnknownRegion(RequestError):
    status_code = 404


class UnknownYear(RequestError):
    """A query asks for a year the dataset lacks (400: the URL path exists, the parameter is bad)."""


class UnknownIndicator(RequestError):
    pass


class UnknownGroup(RequestError):
    pass


class TileOutOfRange(RequestError):
    status_code = 400


class Busy(RequestError):
    """Every slot for this kind of work is taken (HTTP 503): the client may ask again after `retry_after` seconds."""

    status_code = 503

    def __init__(self, parameter: str, message: str, retry_after: int) -> None:
        super().__init__(parameter, message)
        self.retry_after = retry_after


class AnalysisBusy(Busy):
    """Every analysis slot is taken."""
