"""OGC API - Features over a built dataset: Part 1 (core, GeoJSON, OpenAPI 3.0), Part 2 (CRS by
reference: CRS84 and RD New) and Part 3's queryables as equality query parameters.

Pure functions and per-dataset tables; the routes are in web/ogc.py."""
