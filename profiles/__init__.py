"""What the monitor says about a region: its profile and comparisons; search by name."""
