"""The legend of a thematic map: classes, colours, counts and Dutch labels with units."""

from __future__ import annotations

from typing import Any

from geodata.cells import Status
from geodata.regions import NATIONAL_CODE, Level
from geodata.report import national_notes
from store import Store
from styles.palettes import NO_VALUE, WITHHELD
from styles.thematic import ThematicMap


def dutch_number(value: float, decimals: int) -> str:
    """12345.6 -> '12.345,6' (Dutch: dot groups thousands, comma before decimals)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def with_unit(text: str, unit: str) -> str:
    return f"{text} {unit}" if unit else text


def class_labels(m: ThematicMap) -> list[str]:
    breaks, d, unit = m.classification.breaks, m.indicator.decimals, m.indicator.unit
    if len(breaks) == 1:
        return [with_unit(dutch_number(breaks[0], d), unit)]
    labels = [f"t/m {with_unit(dutch_number(breaks[0], d), unit)}"]
    for lower, upper in zip(breaks[:-2], breaks[1:-1]):
        labels.append(f"{dutch_number(lower, d)} – {with_unit(dutch_number(upper, d), unit)}")
    labels.append(f"meer dan {with_unit(dutch_number(breaks[-2], d), unit)}")
    return labels


def legend_header(store: Store, indicator_id: str, level: Level, year: int, group: str, within: str | None) -> dict[str, Any]:
    """What any legend says about the figure it shows: indicator, its meaning, and the selection."""
    indicator = store.catalog.indicator(indicator_id)
    return {
        "indicator": indicator.id,
        "title": indicator.title["nl"],
        "unit": indicator.unit,
        "theme": indicator.theme,
        "definition": indicator.definition,
        "source": indicator.source,
        "higher_is": indicator.higher_is,
        "level": level.value,
        "year": year,
        "group": group,
        "group_title": store.catalog.group(group).title["nl"],
        "within": within,
    }


def legend(store: Store, m: ThematicMap) -> dict[str, Any]:
    r, indicator = m.request, m.indicator
    breaks = m.classification.breaks
    lowers = (None, *breaks[:-1])
    uppers = (*breaks[:-1], None)  # first and last class are open-ended on the map
    min_denominator = dutch_number(indicator.min_denominator, 0)
    return {
        **legend_header(store, r.indicator, r.level, r.year, r.group, r.within),
        "method": m.classification.method,
        "fixed_breaks": r.fixed,
        "palette": r.palette,
        "centre": None if r.centre is None else {"on": r.centre, "value": m.centre_value},
        "range": {"min": m.minimum, "max": m.maximum},
        "classes": [
            {"class": i + 1, "lower": lo, "upper": up, "colour": colour, "count": count, "label": label}
            for i, (lo, up, colour, count, label) in enumerate(zip(lowers, uppers, m.colours, m.counts, class_labels(m)))
        ],
        "withheld": {
            "colour": WITHHELD,
            "count": m.withheld,
            "label": (
                f"Niet gepubliceerd: minder dan {min_denominator} {indicator.denominator_unit} in de noemer "
                "of hun aantal onbekend, of om zo'n cijfer te beschermen"
                if indicator.min_denominator > 0 else "Niet gepubliceerd"
            ),
        },
        "no_value": {"colour": NO_VALUE, "count": m.no_value, "label": "Geen gegevens (onbekend, geheim of niet beschikbaar)"},
        # Why regions have no value, one Dutch explanation per status.
        "statuses": [
            {"status": status, "count": count, "label": indicator.status_text(status)} for status, count in m.status_counts.items()
        ],
        # Figures wijkmonitor computed (berekend) rather than read, and how.
        "computed": [
            {"method": method, "count": count}
            for method, count in store.figures(r.level, r.year, r.group, r.indicator, r.within).computed().items()
        ],
        "nederland": nederland_reference(store, r.indicator, r.group, r.year),
        "attribution": store.attribution,
    }


def nederland_reference(store: Store, indicator_id: str, group: str, year: int) -> dict[str, Any]:
    """The Nederland figure of the same indicator, group and year, read or computed (with its method),
    or why there is none."""
    rows = store.region_figures([NATIONAL_CODE])
    rows = rows[(rows["indicator"] == indicator_id) & (rows["group"] == group) & (rows["year"] == year)]
    indicator = store.catalog.indicator(indicator_id)
    if rows.empty or rows["status"].iloc[0] != Status.ok.value:
        why = national_notes(store.metadata).get(str(year))
        status = Status.missing.value if rows.empty else rows["status"].iloc[0]
        return {"code": NATIONAL_CODE, "value": None, "status": status, "label": f"Nederland: {why or indicator.status_text(status)}"}
    value, method = float(rows["value"].iloc[0]), rows["method"].iloc[0]
    reference = {
        "code": NATIONAL_CODE, "value": value, "status": Status.ok.value,
        "label": f"Nederland: {with_unit(dutch_number(value, indicator.decimals), indicator.unit)}",
    }
    if isinstance(method, str):
        reference["method"] = method
        reference["label"] += f" ({method})"
    return reference
