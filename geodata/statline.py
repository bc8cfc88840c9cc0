"""CBS StatLine exports, in the two forms StatLine hands out.

- The OData / "UntypedDataSet" CSV: `;`, quoted, UTF-8 with BOM, numbers padded with spaces,
  one row per region and period (`RegioS`, `WijkenEnBuurten` or `Codering_3`; `Perioden` such
  as `2015JJ00`), numbered measure keys (`AantalInwoners_5`) and dimension columns
  (`SoortMisdrijf`, `Geslacht` ...). It reads as a plain table; `period_year` reads `Perioden`.
- The "CSV met statistische symbolen" download: a title and filter lines on top, a header
  block (`Onderwerp`, `Perioden`, the row dimension with units), region *names* in the first
  column, a `Bron:` footer. `read_symbols_csv` turns it into the same shape: one row per name
  and period, one column per subject, a constant column per filter line.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from geodata.errors import InputError

PERIOD_COLUMN = "Perioden"
SUBJECT_LINE = "Onderwerp"  # the header line of a symbols CSV that names each column's measure
# Columns a reader adds beside the file's own: the row as the user sees it in the file, and the
# region name of a table keyed by name.
ROW_COLUMN = "__row"
NAME_KEY = "__name"
INDELING_COLUMN = "__indeling"  # the gemeente indeling a symbols CSV's title names ("..., gemeente 2026")
_INDELING = re.compile(r"gemeente (\d{4})\b", re.IGNORECASE)
NAME_COLUMN = "Regio's"  # the row dimension of a symbols CSV; holds region names
_YEAR_PERIOD = re.compile(r"^\s*(\d{4})(?:JJ00)?\s*\**\s*$")  # 2015JJ00, 2023, 2024* (voorlopig)
# StatLine symbols: '.' onbekend/geheim, 'x' geheim, '-' nihil (zero), '' kan niet voorkomen.
_NIHIL = "-"


def period_year(period: object) -> int | None:
    """2015JJ00 -> 2015; quarters and months (2015KW01, 2015MM01) -> None: not a yearly figure."""
    match = _YEAR_PERIOD.match(str(period))
    return int(match.group(1)) if match else None


def is_symbols_csv(lines: list[str]) -> bool:
    """A title line of one field, then a header block that names the periods."""
    rows = list(csv.reader(lines[:12], delimiter=";"))
    return bool(rows) and len(rows[0]) == 1 and any(r and r[0].strip() == PERIOD_COLUMN for r in rows)


def read_symbols_csv(file: Path, text: str) -> pd.DataFrame:
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    constants: dict[str, str] = {}
    header: dict[str, list[str]] = {}
    start = None
    for number, row in enumerate(rows):
        if len(row) == 1:
            key, sep, value = row[0].partition(":")
            if sep and not header and number > 0:
                constants[key.strip()] = value.strip()  # "Soort misdrijf: Totaal misdrijven"
            if header:
                break  # footer ("Bron: Politie")
            continue
        if not row:
            continue
        label = row[0].strip()
        if label in header or (header and len(row) != len(next(iter(header.values()))) + 1):
            raise InputError(file, f"header line {number + 1} does not fit the ones above it", row=number + 1)
        header[label] = [cell.strip() for cell in row[1:]]
        if PERIOD_COLUMN in header and label not in (PERIOD_COLUMN, SUBJECT_LINE):
            start = number + 1  # the row dimension's line (units) closes the header
            name_label = label
            break
    if start is None or SUBJECT_LINE not in header:
        raise InputError(file, "a StatLine CSV met statistische symbolen needs 'Onderwerp' and 'Perioden' header lines")
    data = []
    for number, row in enumerate(rows[start:], start + 1):
        if len(row) == 1:
            break  # footer
        if len(row) != len(header[SUBJECT_LINE]) + 1:
            raise InputError(file, f"expected {len(header[SUBJECT_LINE]) + 1} fields, found {len(row)}", row=number)
        data.append((number, row))
    long = []
    dimensions = [d for d in header if d not in (SUBJECT_LINE, PERIOD_COLUMN)]
    dimensions.remove(name_label)
    for j, (subject, period) in enumerate(zip(header[SUBJECT_LINE], header[PERIOD_COLUMN])):
        for number, row in data:
            value = row[j + 1].strip()
            long.append({
                ROW_COLUMN: number, NAME_KEY: row[0].strip(), PERIOD_COLUMN: period, "subject": subject,
                **{d: header[d][j] for d in dimensions}, "value": "0" if value == _NIHIL else value,
            })
    frame = pd.DataFrame(long)
    keys = [NAME_KEY, PERIOD_COLUMN, *dimensions]
    repeated = frame[frame.duplicated([*keys, "subject"], keep=False)]
    if len(repeated):
        first = repeated.iloc[0]
        raise InputError(file, f"region {first[NAME_KEY]!r} appears more than once", row=int(first[ROW_COLUMN]))
    wide = frame.set_index([*keys, "subject"])["value"].unstack("subject")
    wide = wide.join(frame.groupby(keys)[ROW_COLUMN].min()).reset_index().sort_values(ROW_COLUMN, kind="stable")
    wide.columns.name = None
    for key, value in constants.items():
        wide[key] = value
    indeling = _INDELING.search(rows[0][0]) if rows and rows[0] else None
    if indeling:
        wide[INDELING_COLUMN] = int(indeling.group(1))
    return wide
