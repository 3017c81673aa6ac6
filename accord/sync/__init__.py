"""accord.sync."""
