"""Read, validate and join CBS boundaries and indicator tables into a wijkmonitor dataset."""
