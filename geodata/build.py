"""Join boundaries and indicator tables into one dataset: regions per level and year in
EPSG:28992, the long figure table, and metadata (catalog, attribution, build report).
The store writes it atomically (see store/gpkg.py, store/publish.py): a failed build leaves the previous
dataset in place and serving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geodata.boundaries import read_boundaries, repair_and_clean
from geodata.catalog import CROSSTAB_FORMAT, Catalog, load_catalog
from geodata.cells import Status
from geodata.crosstab import read_crosstab_table
from geodata.derived import add_computed
from geodata.disclosure import protect
from geodata.errors import InputError
from geodata.figures import FIGURE_COLUMNS
from geodata.manifest import AUTO_FORMAT, TIDY_FORMAT, Manifest, TableSource
from geodata.regions import NATIONAL_LEVEL, REGION_FACTS, level_names, parent_codes
from geodata.report import BuildReport
from geodata.schemas import table_schema
from geodata.sources import apply_where, read_table
from geodata.tidy import is_tidy, read_tidy_table
from geodata.wide import REGION_FACT_COLUMNS, read_wide_table
from store import shown_location, write_dataset
from store.memory import FORMAT_VERSION


def build_dataset(
    manifest: Manifest, output: str | Path, progress: Callable[[str], None] = lambda _: None
) -> BuildReport:
    """Read every source of the manifest and write the dataset to `output`."""
    catalog = load_catalog(manifest.catalog)
    report = BuildReport()
    for note in manifest.notes:
        report.warn(note)
    regions = _read_regions(manifest, report, progress)
    values, facts = _read_values(manifest, catalog, report, regions, progress)
    progress("computing figures no source gives (sums, rates)")
    values = add_computed(values, regions, catalog, report)
    progress("disclosure control: protecting withheld figures from re-derivation")
    values = protect(values, regions, catalog, report)
    regions = _fill_region_facts(regions, facts)
    _report_join(regions, values, report)
    progress(f"writing {shown_location(output)}")
    _write(output, manifest, catalog, regions, values, report)
    return report


def _read_regions(manifest: Manifest, report: BuildReport, progress: Callable[[str], None]) -> dict[str, gpd.GeoDataFrame]:
    per_level: dict[str, list[tuple[str, gpd.GeoDataFrame]]] = {}
    for source in manifest.boundaries:
        progress(f"reading {source.level.value} boundaries {source.file.name}")
        frame = read_boundaries(source, report)
        per_level.setdefault(source.level.value, []).append((source.file.name, frame))
    result = {}
    for level, parts in per_level.items():
        seen: dict[tuple[str, int], str] = {}
        for file_name, frame in parts:
            for code, year in zip(frame["code"], frame["year"]):
                if (code, year) in seen:
                    raise InputError(
                        file_name,
                        f"{level} {code} for {year} is also in {seen[(code, year)]}; "
                        "give each file its own years in the manifest",
                    )
                seen[(code, year)] = file_name
        frame = pd.concat([f for _, f in parts], ignore_index=True)
        cleaned = []
        for year, per_year in frame.groupby("year"):
            progress(f"repairing and cleaning {level} {year} ({len(per_year)} regions)")
            cleaned.append(repair_and_clean(per_year, level, int(year), report))
        frame = gpd.GeoDataFrame(pd.concat(cleaned, ignore_index=True), geometry="geometry", crs=frame.crs)
        parents = frame["code"].map(parent_codes)
        frame["gemeente_code"] = parents.map(lambda p: p.get("gemeente"))
        frame["wijk_code"] = parents.map(lambda p: p.get("wijk"))
        result[level] = frame
    return result


def _read_values(
    manifest: Manifest, catalog: Catalog, report: BuildReport, regions: dict[str, gpd.GeoDataFrame],
    progress: Callable[[str], None],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    parts, facts = [], []
    for source in manifest.tables:
        progress(f"reading {source.format} table {source.file.name}")
        values, table_facts = _read_table(source, catalog, report, regions)
        _check_figures(source, values, catalog, report)
        parts.append(values)
        facts.append(table_facts)
    if not parts:
        return pd.DataFrame(columns=FIGURE_COLUMNS), pd.DataFrame(columns=REGION_FACT_COLUMNS)
    values = pd.concat(parts, ignore_index=True)
    key = ["code", "year", "indicator", "group"]
    repeated = values.duplicated(key, keep="first")
    if repeated.any():
        _report_overlap(values, repeated, key, report)
        values = values[~repeated]
    values = values.reset_index(drop=True)
    values["year"] = values["year"].astype(int)
    return values, pd.concat(facts, ignore_index=True)


def _read_table(
    source: TableSource, catalog: Catalog, report: BuildReport, regions: dict[str, gpd.GeoDataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figures and region facts (names, indelingswijziging) of one table, by the adapter its format
    or recognised schema needs."""
    frame = apply_where(source.file, read_table(source.file, source.sheet, source.layer), source.where)
    if source.format == TIDY_FORMAT or (source.format == AUTO_FORMAT and is_tidy(frame)):
        return read_tidy_table(source, frame, catalog, report)
    frame = frame.reset_index(drop=True)
    schema = table_schema(source, frame, catalog)
    read = read_crosstab_table if schema.format == CROSSTAB_FORMAT else read_wide_table
    return read(source, frame, schema, catalog, report, regions)


def _check_figures(source: TableSource, values: pd.DataFrame, catalog: Catalog, report: BuildReport) -> None:
    """A table that gives no figure at all stops the build (unless optional); implausible values are reported."""
    if not (values["status"] != Status.missing.value).any():
        if not source.optional:
            raise InputError(
                source.file,
                f"gave no figures ({len(values)} rows, none with a value or a CBS marker); "
                "check the file, or mark the table optional = true in the manifest",
            )
        report.warn(f"{source.file.name}: no figures (optional table)")
    published = values[values["status"] == Status.ok.value]
    for indicator_id, rows in published.groupby("indicator", sort=False):
        low, high = catalog.indicators[indicator_id].value_range
        outside = rows[(rows["value"] < low) | (rows["value"] > high)]
        if len(outside):
            shown = ", ".join(f"{r.code} {r.group} {r.year}: {r.value:g}" for r in outside.head(5).itertuples())
            report.warn(
                f"{source.file.name}: {len(outside)} {indicator_id} figure(s) outside {low:g}..{high:g} "
                f"(published as given; check the source): {shown}"
            )


def _report_overlap(values: pd.DataFrame, repeated: pd.Series, key: list[str], report: BuildReport) -> None:
    """Two sources gave the same figure: the first in the manifest wins; say where they differ."""
    first = values[~repeated].set_index(key)
    later = values[repeated].set_index(key)
    both = later.merge(first, left_index=True, right_index=True, suffixes=("", "_kept"))
    differ = both[(both["value"] - both["value_kept"]).abs() > 10 ** -9]
    for (source, kept), rows in both.groupby(["source", "source_kept"]):
        n_differ = int(differ.index.isin(rows.index).sum())
        report.warn(
            f"{source}: {len(rows)} figures also given by {kept}, kept those of {kept}"
            + (f" ({n_differ} differ, e.g. rounding)" if n_differ else "")
        )


def _fill_region_facts(regions: dict[str, gpd.GeoDataFrame], facts: pd.DataFrame) -> dict[str, gpd.GeoDataFrame]:
    """CBS names from the tables win over boundary names (those may be cut short); region facts
    (indelingswijziging) are per year, the first table in the manifest that gives one wins."""
    facts = facts.reindex(columns=REGION_FACT_COLUMNS).astype({"year": int})
    names = facts[facts["name"].notna() & (facts["name"] != "")]
    same_year = names.drop_duplicates(["code", "year"], keep="first").set_index(["code", "year"])["name"]
    any_year = names.sort_values("year").drop_duplicates("code", keep="last").set_index("code")["name"]
    said = {
        fact: facts[facts[fact].notna()].drop_duplicates(["code", "year"], keep="first").set_index(["code", "year"])[fact]
        for fact in REGION_FACTS
    }
    for frame in regions.values():
        keys = pd.MultiIndex.from_arrays([frame["code"], frame["year"]])
        table_name = pd.Series(same_year.reindex(keys).values, index=frame.index, dtype=object)
        table_name = table_name.fillna(frame["code"].map(any_year))
        frame["name"] = table_name.where(table_name.notna() & (table_name != ""), frame["name"])
        frame["name"] = frame["name"].fillna(frame["code"])
        for fact, per_region_year in said.items():
            frame[fact] = pd.Series(per_region_year.reindex(keys).to_numpy(dtype=float), index=frame.index)
    return regions


def _report_join(regions: dict[str, gpd.GeoDataFrame], values: pd.DataFrame, report: BuildReport) -> None:
    """Regions without data, data rows without a region, counts of values by status."""
    levels = level_names(values["code"])
    for (level, year), rows in values.groupby([levels, values["year"]]):
        if level == NATIONAL_LEVEL:
            continue
        entry = report.at(level, int(year))
        entry.values = {k: int(v) for k, v in rows["status"].value_counts().items()}
        frame = regions.get(level)
        known = set(frame.loc[frame["year"] == year, "code"]) if frame is not None else set()
        if not known:
            report.warn(f"{level} {year}: {rows['code'].nunique()} regions have figures but there are no {level} boundaries for {year}")
        # Codes whose every cell is empty (StatLine lists historical gemeenten) are not worth naming.
        with_data = set(rows.loc[rows["status"] != Status.missing.value, "code"])
        entry.rows_without_region = sorted(with_data - known)
    for level, frame in regions.items():
        for year, per_year in frame.groupby("year"):
            entry = report.at(level, int(year))
            entry.regions = len(per_year)
            level_values = values[(levels == level) & (values["year"] == year) & (values["status"] != "missing")]
            entry.regions_without_data = sorted(set(per_year["code"]) - set(level_values["code"]))



def _write(
    output: str | Path,
    manifest: Manifest,
    catalog: Catalog,
    regions: dict[str, gpd.GeoDataFrame],
    values: pd.DataFrame,
    report: BuildReport,
) -> None:
    metadata = {
        "format_version": FORMAT_VERSION,
        "title": manifest.title,
        "attribution": manifest.attribution,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "manifest": manifest.path,
        "catalog_toml": catalog.text,
        "report": report.as_json(),
    }
    write_dataset(output, regions, values, metadata)
