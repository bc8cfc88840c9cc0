"""Exports of a built dataset: tile archives (PMTiles, MBTiles), tables (GeoPackage, CSV) and rasters (GeoTIFF)."""
