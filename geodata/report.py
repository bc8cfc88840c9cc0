"""What a build did and found, per level and year, for the CLI and the dataset metadata."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

_SHOWN = 12


def shortened(items: list[str], limit: int = _SHOWN, sep: str = ", ") -> str:
    """The first `limit` items and how many more: a report line stays readable for 300 codes."""
    more = f" ... (+{len(items) - limit})" if len(items) > limit else ""
    return sep.join(items[:limit]) + more


def national_notes(metadata: dict[str, Any]) -> dict[str, str]:
    """Year (as text) -> why a dataset has no Nederland figures for counts, from its stored report."""
    return metadata.get("report", {}).get("national", {})


@dataclass
class LevelYearReport:
    regions: int = 0
    repaired_geometries: int = 0
    # Regions made by dissolving finer features (dissolve = true): how many, and the invalid ones among
    # them; counted apart, or a gemeente layer of 402 regions showed "1340 invalid geometries repaired".
    dissolved_features: int = 0
    repaired_dissolved: int = 0
    empty_geometries: list[str] = field(default_factory=list)
    regions_without_data: list[str] = field(default_factory=list)
    rows_without_region: list[str] = field(default_factory=list)
    values: dict[str, int] = field(default_factory=dict)


@dataclass
class BuildReport:
    per_level_year: dict[tuple[str, int], LevelYearReport] = field(
        default_factory=lambda: defaultdict(LevelYearReport)
    )
    warnings: list[str] = field(default_factory=list)
    # Year -> why Nederland figures could not be computed (served with comparisons that lack one).
    national: dict[int, str] = field(default_factory=dict)

    def at(self, level: str, year: int) -> LevelYearReport:
        return self.per_level_year[(level, year)]

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def as_json(self) -> dict[str, Any]:
        return {
            "levels": [
                {"level": level, "year": year, **vars(r)}
                for (level, year), r in sorted(self.per_level_year.items())
            ],
            "warnings": self.warnings,
            "national": {str(year): why for year, why in sorted(self.national.items())},
        }

    def as_text(self) -> str:
        lines = []
        for (level, year), r in sorted(self.per_level_year.items()):
            values = ", ".join(f"{k} {v}" for k, v in sorted(r.values.items())) or "none"
            lines.append(f"{level} {year}: {r.regions} regions; values: {values}")
            lines.append(f"  invalid geometries repaired: {r.repaired_geometries}")
            if r.dissolved_features:
                lines.append(f"  dissolved from {r.dissolved_features} features, {r.repaired_dissolved} of them invalid and repaired first")
            for label, codes in (
                ("regions without geometry (empty or lost in coverage cleaning)", r.empty_geometries),
                ("regions without data", r.regions_without_data),
                ("data rows without a region", r.rows_without_region),
            ):
                if codes:
                    lines.append(f"  {label}: {len(codes)}: {shortened(codes)}")
        lines.extend(f"warning: {w}" for w in self.warnings)
        return "\n".join(lines)
