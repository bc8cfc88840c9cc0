"""Exports of a built dataset: archives, tables and rasters."""
