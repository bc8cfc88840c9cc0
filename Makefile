# Two commands on a fresh machine (see README): `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000

.PHONY: install demo test bench peers load clean

# Also compiles esda's kernels into the analysis kernel cache (20-40 s), so that a server's first
# analysis, which starts its worker, only loads them (analysis.workers).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	$(PY) -c 'from analysis import kernels; from settings import Settings; \
	          kernels.use_disk_cache(Settings.from_env().analysis_kernel_cache); kernels.warm_up()'
	touch $@

# Front-end libraries (served by the viewer) and the MapLibre style validator come from npm.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

build/demo.gpkg: $(VENV)/.installed node_modules/.installed demo/wijkmonitor.toml $(wildcard demo/data/*) geodata/indicators.toml
	$(VENV)/bin/wijkmonitor build demo/wijkmonitor.toml -o build/demo.gpkg

demo: build/demo.gpkg
	$(VENV)/bin/wijkmonitor serve build/demo.gpkg --port $(PORT)

test: install
	sh scripts/system-packages.sh test qgis postgis
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

# TiPg (bench/postgis.py compares it) in a venv of its own: its FastAPI and asyncpg stay out of ours.
build/tipg-venv/.installed:
	$(PYTHON) -m venv build/tipg-venv
	build/tipg-venv/bin/pip install --quiet --disable-pip-version-check "tipg>=1.6" "uvicorn>=0.30"
	touch $@

bench: install build/tipg-venv/.installed
	sh scripts/system-packages.sh postgis bench
	$(PY) bench/demo_build.py
	$(PY) bench/tiles.py
	$(PY) bench/postgis.py
	$(MAKE) --no-print-directory peers

# wijkmonitor against PostGIS ST_AsMVT, TiPg and nginx serving our tiles as files, on the national buurt
# timing fixture with figures (issue 13); about 15 minutes on 2 cores.
peers: install build/tipg-venv/.installed
	sh scripts/system-packages.sh peers
	$(PY) bench/peers.py

# Tiles (by wrk) and hotspot analyses under load on 127.0.0.1, then the same while the dataset is rebuilt (issue 11).
load: install
	sh scripts/system-packages.sh bench
	$(PY) bench/load.py

clean:
	rm -rf build $(VENV) node_modules
