"""Exports of a level, year and figure selection: tile archives (PMTiles, MBTiles) and tables (GeoPackage, CSV)."""
