"""How long `make demo` takes to build the embedded demo (all themes, all gemeenten, all wijken
2024), and how much memory it needs: issue 15 asks for under 3 minutes on a 2-core machine.

Each round runs `wijkmonitor build demo/wijkmonitor.toml` in a fresh process, as `make demo` does,
into a temporary folder. Figures are printed, never asserted.

    .venv/bin/python bench/demo_build.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    times = []
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "demo.gpkg"
        for i in range(args.rounds):
            output.unlink(missing_ok=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, str(ROOT / "cli.py"), "build", str(ROOT / "demo" / "wijkmonitor.toml"), "-o", str(output)],
                check=True, capture_output=True,
            )
            elapsed = time.perf_counter() - start
            peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            times.append(elapsed)
            print(f"round {i + 1}: {elapsed:.1f} s, peak RSS {peak / 1024:.0f} MB, file {output.stat().st_size / 1e6:.1f} MB")
        with sqlite3.connect(output) as db:
            published = db.execute(
                "select count(distinct indicator), count(*) from indicator_values where status = 'ok'"
            ).fetchone()
            regions = {
                level: db.execute(f"select year, count(*) from {level} group by year").fetchall()
                for level in ("gemeente", "wijk", "buurt")
            }
    print(f"published: {published[0]} indicators, {published[1]:,} figures")
    for level, per_year in regions.items():
        print(f"{level}: " + ", ".join(f"{year}: {n}" for year, n in per_year))
    print(f"build time: best {min(times):.1f} s, worst {max(times):.1f} s (target < {TARGET_SECONDS} s)")


if __name__ == "__main__":
    main()
